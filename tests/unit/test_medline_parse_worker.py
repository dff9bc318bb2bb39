"""MEDLINE parsed in a worker process (corpus/loaders/medline.py: MedlineParser): the same items, problems and
counts as the in-process parse, files served in turn by one worker, and the worker gone once the reader stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from curbside.corpus.documents import IngestReport
from curbside.corpus.library import Deletion, Encoded
from curbside.corpus.loaders.medline import MedlineParser, iter_medline
from support.medline_xml import article_set, synthetic_citations, write_set

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "medline" / "pubmed_sample.xml"


def _in_process(path: Path) -> tuple[list[Encoded | Deletion], IngestReport]:
    report = IngestReport()
    items = [item if isinstance(item, Deletion) else Encoded.of(item) for item in iter_medline(path, report)]
    return items, report


def test_worker_gives_the_in_process_items_problems_and_counts(tmp_path: Path) -> None:
    good = synthetic_citations(300)  # more than one message of items
    broken = good[1].xml().replace("Trial 1 of", "Trial 1 \udcff of")
    text = article_set([good[0], broken, *good[2:150], "<PubmedArticle><MedlineCitation><PMID>5</PMID>\n", *good[150:]])
    bad = tmp_path / "bad.xml"
    bad.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    many = write_set(tmp_path / "many.xml.gz", synthetic_citations(40))
    files = [bad, SAMPLE, many]

    report = IngestReport()
    with MedlineParser(workers=2) as parser:
        got = {}
        for i, path in enumerate(files):  # each next file parsed while this one is read
            got[path] = list(parser.items(path, report, ahead=files[i + 1:]))
            # the files ahead keep the workers busy: the next one at least, and the last one split between the
            # two workers (when it starts: file 1's parse may end while file 0 is read)
            assert len(parser.pids()) in ({1, 3}, {2}, {0})[i]
    assert not parser.pids()

    expected_report = IngestReport()
    for path in files:
        expected, one_report = _in_process(path)
        assert got[path] == expected
        expected_report.problems += one_report.problems
        for source, n in one_report.documents_by_source.items():
            expected_report.count(source, n)
    assert any(isinstance(item, Deletion) for item in got[SAMPLE])
    assert report.problems == expected_report.problems
    assert {"broken encoding", "malformed XML"} <= {p.kind for p in report.problems}
    assert report.documents_by_source["medline"] == sum(not isinstance(i, Deletion) for v in got.values() for i in v)
    assert report.documents_by_source == expected_report.documents_by_source


def _bad_file(path: Path) -> Path:
    good = synthetic_citations(300)
    broken = good[1].xml().replace("Trial 1 of", "Trial 1 \udcff of")
    text = article_set([good[0], broken, *good[2:150], "<PubmedArticle><MedlineCitation><PMID>5</PMID>\n",
                        *good[150:298], "<PubmedArticle><MedlineCitation><Article></Article></MedlineCitation></PubmedArticle>",
                        good[298].xml()[:-40]])  # the last record cut short: a problem at the end of the file
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    return path


def test_a_file_split_between_two_workers_gives_what_one_gives(tmp_path: Path) -> None:
    bad = _bad_file(tmp_path / "bad.xml")
    expected, expected_report = _in_process(bad)
    assert len(expected_report.problems) >= 4
    for run in (7, 149, 150, 1000):  # runs of records: problems in both workers' runs, at a run's edges, one run
        report = IngestReport()
        with MedlineParser(workers=2, records_per_message=run) as parser:
            got = list(parser.items(bad, report))  # the only file: split
        assert got == expected, run
        assert report.problems == expected_report.problems, run
        assert report.documents_by_source == expected_report.documents_by_source


def test_a_split_file_counts_its_spelling_words_once(tmp_path: Path) -> None:
    from collections import Counter

    from curbside.corpus.text import passage_words

    bad = _bad_file(tmp_path / "bad.xml")
    expected: Counter[str] = Counter()
    for item in iter_medline(bad, IngestReport()):
        if not isinstance(item, Deletion):
            for p in item.passages:
                expected.update(passage_words(item.title, p.section, p.text))
    counted: Counter[str] = Counter()
    with MedlineParser(workers=2, for_index=True, records_per_message=11) as parser:
        items = list(parser.items(bad, IngestReport(), vocabulary=counted.update))
    assert counted == expected and expected["trial"] > 200
    assert all(item.values is not None for item in items if not isinstance(item, Deletion))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is not alive either
    return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower() if Path(f"/proc/{pid}").exists() else True


def test_a_reader_that_stops_early_stops_the_workers(tmp_path: Path) -> None:
    path = write_set(tmp_path / "many.xml.gz", synthetic_citations(600))
    other = write_set(tmp_path / "other.xml.gz", synthetic_citations(4000, start=1))  # still parsing after 256 of path
    with MedlineParser(workers=2) as parser:
        items = parser.items(path, IngestReport(), ahead=[other])
        first = next(items)
        reading = [part.process for part in parser._running[path].parts]
        ahead = [part.process for part in parser._running[other].parts]  # the last file: split in two
        assert len(reading) == 1 and len(ahead) == 2
        items.close()  # what an error in the library writes does to the generator
        assert all(p.poll() is not None for p in reading) and all(p.poll() is None for p in ahead)
        again = list(parser.items(path, IngestReport()))  # read again, from its first record
    assert again[0] == first and len(again) == 600
    assert all(p.poll() is not None for p in ahead)  # leaving the block stops the file parsed ahead


_KILLED_PARENT = """
import sys, time
from pathlib import Path
from curbside.corpus.documents import IngestReport
from curbside.corpus.loaders.medline import MedlineParser
parser = MedlineParser()
items = parser.items(Path(sys.argv[1]), IngestReport())
next(items)
print(parser.pids()[0], flush=True)
time.sleep(120)
"""


def test_a_worker_whose_parent_is_killed_exits(tmp_path: Path) -> None:
    # kill -9 mid-ingest: the worker must not parse on for nobody
    path = write_set(tmp_path / "many.xml.gz", synthetic_citations(20000))  # many seconds of parsing
    parent = subprocess.Popen([sys.executable, "-c", _KILLED_PARENT, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(parent.stdout.readline())  # type: ignore[union-attr]
        time.sleep(1.0)  # the worker fills the queue meanwhile
    finally:
        parent.kill()
        parent.wait()
    for _ in range(30):  # gone within 3 s, long before the file's end
        if not _alive(worker):
            return
        time.sleep(0.1)
    os.kill(worker, signal.SIGKILL)
    raise AssertionError("the parse worker outlived its killed parent")
