"""MEDLINE parse rate alone (corpus/loaders/medline.py: iter_medline), against plain baselines in the same run.

    python bench/gen_medline.py --n 30000 --out /tmp/medline-30k
    python bench/bench_medline_parse.py /tmp/medline-30k/pubmed26n0001.xml.gz --baseline-rev 828e535

Rates are citations per second of **CPU time** of this one process (``time.process_time``), so a loaded machine
slows them less than wall time would; the ratios are what to compare. Measured, in one run, on the same file:

- ``gunzip``: reading the decompressed bytes, nothing else (the floor of any parser);
- ``records + lxml``: the loader's record scanner and ``etree.fromstring`` of each record (the floor of this
  design: no field is read);
- ``iter_medline``: the loader, every field, Documents built;
- with ``--baseline-rev REV``: the loader (medline.py and common.py) of git revision REV, and whether it yields the
  same documents, deletions and problems (it must: a faster parse that reads differently is a regression).
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import importlib.util
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _baseline_loader(revision: str, folder: Path):  # type: ignore[no-untyped-def]
    """The medline loader of ``revision``, with that revision's common.py (imported as modules of their own)."""
    for name in ("common", "medline"):
        source = subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:src/curbside/corpus/loaders/{name}.py"],
                                check=True, capture_output=True, text=True).stdout
        source = source.replace("from curbside.corpus.loaders.common import", "from baseline_common import")
        (folder / f"baseline_{name}.py").write_text(source, encoding="utf-8")
    sys.path.insert(0, str(folder))
    spec = importlib.util.spec_from_file_location("baseline_medline", folder / "baseline_medline.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _timed(run) -> tuple[object, float]:  # type: ignore[no-untyped-def]
    started = time.process_time()
    result = run()
    return result, time.process_time() - started


def _parse(iter_medline, path: Path, n: int):  # type: ignore[no-untyped-def]
    from curbside.corpus.documents import IngestReport

    report = IngestReport()
    items = list(itertools.islice(iter_medline(path, report), n))
    return items, [(p.line, p.kind, p.message) for p in report.problems]


def _same(a: list, b: list) -> bool:
    def plain(item):  # type: ignore[no-untyped-def]
        return dataclasses.asdict(item) if dataclasses.is_dataclass(item) else item

    return len(a) == len(b) and all(plain(x) == plain(y) for x, y in zip(a, b))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path, help="a MEDLINE .xml or .xml.gz file (bench/gen_medline.py writes them)")
    parser.add_argument("--n", type=int, default=10**9, help="at most this many records")
    parser.add_argument("--baseline-rev", help="also time the loader of this git revision, and compare its output")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    from lxml import etree

    from curbside.corpus.documents import IngestReport
    from curbside.corpus.loaders import medline

    opener = gzip.open if args.file.name.endswith(".gz") else open
    results: dict = {"file": str(args.file), "load_at_start": [round(x, 2) for x in os.getloadavg()]}
    with opener(args.file, "rb") as handle:
        _, seconds = _timed(lambda: sum(len(b) for b in iter(lambda: handle.read(1 << 20), b"")))
    results["gunzip_s"] = round(seconds, 2)

    def scan_and_parse() -> int:
        with opener(args.file, "rb") as handle:
            records = itertools.islice(medline._records(handle, str(args.file), IngestReport()), args.n)
            count = 0
            for _line, _tag, chunk in records:
                count += 1
                try:
                    etree.fromstring(chunk[: chunk.rfind(b">") + 1], medline._PARSER)
                except etree.XMLSyntaxError:
                    pass
            return count

    records, seconds = _timed(scan_and_parse)
    results["records"] = records
    results["records_and_lxml_s"] = round(seconds, 2)
    floor_seconds = max(seconds, 1e-6)
    (items, problems), seconds = _timed(lambda: _parse(medline.iter_medline, args.file, args.n))
    parse_seconds = max(seconds, 1e-6)
    results["iter_medline_s"] = round(seconds, 2)
    results["iter_medline_per_s"] = round(records / parse_seconds)
    results["floor_share"] = round(floor_seconds / parse_seconds, 2)
    if args.baseline_rev:
        with tempfile.TemporaryDirectory() as folder:
            baseline = _baseline_loader(args.baseline_rev, Path(folder))
            (old_items, old_problems), seconds = _timed(lambda: _parse(baseline.iter_medline, args.file, args.n))
        results["baseline"] = {"revision": args.baseline_rev, "iter_medline_s": round(seconds, 2),
                               "iter_medline_per_s": round(records / max(seconds, 1e-6)),
                               "speedup": round(seconds / parse_seconds, 2),
                               "same_output": _same(items, old_items) and problems == old_problems}
    results["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
