"""Incremental index refresh against a full rebuild, and the library stage's rate (docs/benchmarks.md,
"Incremental refresh").

    nice -n 10 python bench/bench_incremental.py --n 100000 --add 1000 --out-dir /tmp/incr --json /tmp/incr.json

1. **base**: N synthetic citations (``bench/gen_medline.py``, generated before any clock starts) ingested into a
   fresh data directory (``Curbside.ingest_medline``, fast preset: BM25 and metadata, no vectors);
2. **library stage**: ``Library.ingest`` of ``--library-sample`` parsed citations into a fresh library (batched:
   one SELECT a batch, executemany), against a plain baseline in the same run: the same rows written one
   document at a time (a SELECT, then an INSERT), as the library did before;
3. **add**: ``--add`` new citations (one file) ingested: the index refreshed **incrementally** (timed: the
   refresh alone, from the ingest's progress messages, and the whole ingest); then the same library rebuilt
   in **full** (a copy of the data directory, ``refresh_index(full=True)``); the ratio of the two;
4. **update**: a MEDLINE-shaped update file (``--add`` records: half revised citations, half new, 2% of them
   deletions) ingested incrementally, timed the same way.

Machine load matters on a shared machine: the load average before and after is reported.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_medline import generate, load_vocabulary  # noqa: E402

from curbside.corpus.documents import Document, IngestReport  # noqa: E402
from curbside.corpus.library import Library, document_to_json  # noqa: E402
from curbside.corpus.loaders.medline import iter_medline  # noqa: E402
from curbside.engine import Curbside  # noqa: E402
from curbside.retrieval.index import refresh_index  # noqa: E402
from curbside.settings import load_settings  # noqa: E402


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _timed_ingest(data: Path, paths: list[Path]) -> dict[str, object]:
    """Ingest ``paths``; the refresh's time is the ingest's less its library stage."""
    engine = Curbside(load_settings(environ={}, data_dir=data, preset="fast"))
    started = time.monotonic()
    result = engine.ingest_medline(paths)
    total = time.monotonic() - started
    engine.close()
    summary = result.to_dict()
    return {"refresh": summary["index_refresh"], "seconds": round(total, 2),
            "refresh_seconds": round(total - float(summary.get("library_seconds") or 0), 2),
            "library_seconds": summary.get("library_seconds"), "library": summary["library"],
            "documents": summary["counts"]["documents"], "passages": summary["counts"]["passages"]}


def _per_row_baseline(db_path: Path, docs: list[Document]) -> None:
    """The library's former writes: per document, one SELECT and one INSERT (500 a transaction)."""
    db = sqlite3.connect(db_path, isolation_level=None)
    db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE documents (doc_id TEXT PRIMARY "
                     "KEY, seq INTEGER, version TEXT, content_hash TEXT, pmid TEXT, pmcid TEXT, flags TEXT, body BLOB)")
    db.execute("BEGIN IMMEDIATE")
    for seq, doc in enumerate(docs, 1):
        raw = document_to_json(doc)
        content_hash = hashlib.sha256(raw).hexdigest()
        if db.execute("SELECT version, content_hash FROM documents WHERE doc_id=?", (doc.doc_id,)).fetchone() is None:
            db.execute("INSERT INTO documents VALUES (?,?,?,?,?,?,?,?)", (doc.doc_id, seq, doc.version, content_hash,
                       doc.pmid, doc.pmcid, json.dumps(list(doc.flags)), zlib.compress(raw)))
        if seq % 500 == 0:
            db.execute("COMMIT")
            db.execute("BEGIN IMMEDIATE")
    db.execute("COMMIT")
    db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="citations in the index")
    parser.add_argument("--add", type=int, default=1000, help="citations added (and records of the update file)")
    parser.add_argument("--library-sample", type=int, default=30_000, help="citations for the library-stage rates")
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    out: Path = args.out_dir
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    vocabulary = load_vocabulary()
    # the baseline and, after it, an update file (its new PMIDs follow the baseline's); the added citations after both
    truth = generate(out / "base", args.n, updates=1, per_update=args.add, vocabulary=vocabulary)
    update_file = out / "base" / truth["files"][-1]
    base_files = [out / "base" / name for name in truth["files"][:-1]]
    generate(out / "add", args.add, first_pmid=args.n + args.add + 1, seed=29, vocabulary=vocabulary)
    figures: dict[str, object] = {"n": args.n, "add": args.add, "cpus": os.cpu_count(), "load_before": _load()}

    data = out / "data"
    figures["base"] = _timed_ingest(data, base_files)
    print(f"base: {figures['base']}", file=sys.stderr)

    docs = [d for f in base_files for d in iter_medline(f, IngestReport()) if isinstance(d, Document)][: args.library_sample]
    started = time.monotonic()
    with Library(out / "lib-batched") as library:
        library.ingest(docs, source="medline")
    batched = time.monotonic() - started
    started = time.monotonic()
    _per_row_baseline(out / "lib-per-row.sqlite", docs)
    per_row = time.monotonic() - started
    figures["library_stage"] = {"citations": len(docs), "batched_per_second": round(len(docs) / batched),
                                "per_row_baseline_per_second": round(len(docs) / per_row),
                                "batched_over_baseline": round(per_row / batched, 2)}
    print(f"library stage: {figures['library_stage']}", file=sys.stderr)

    figures["add_incremental"] = _timed_ingest(data, sorted((out / "add").glob("*.xml.gz")))
    full_dir = out / "data-full"
    shutil.copytree(data, full_dir)
    started = time.monotonic()
    manifest = refresh_index(full_dir, load_settings(environ={}, data_dir=full_dir, preset="fast"), full=True)
    full_seconds = time.monotonic() - started
    figures["add_full_rebuild"] = {"refresh": manifest.refresh, "seconds": round(full_seconds, 2),
                                   "documents": manifest.counts["documents"]}
    incremental = figures["add_incremental"]["refresh_seconds"]  # type: ignore[index]
    figures["full_over_incremental"] = round(full_seconds / max(float(incremental), 1e-3), 1)
    print(f"add: incremental {figures['add_incremental']}, full {figures['add_full_rebuild']}", file=sys.stderr)
    shutil.rmtree(full_dir)

    figures["update_incremental"] = _timed_ingest(data, [update_file])
    figures["load_after"] = _load()
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
