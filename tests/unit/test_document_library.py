"""The document library (corpus/library.py): idempotent upserts, versions, deletions, base replacement, order,
lookups, and a crash mid-ingest keeping the committed batches only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from curbside.corpus.documents import DocType, Document
from curbside.corpus.library import Deletion, IngestCounts, Library


def doc(doc_id: str, text: str = "Some text.", *, version: str = "1", flags: tuple[str, ...] = (),
        pmid: str | None = None, pmcid: str | None = None) -> Document:
    d = Document(doc_id=doc_id, source="test", title=f"Title {doc_id}", doc_type=DocType.RCT, year=2020,
                 version=version, flags=flags, pmid=pmid, pmcid=pmcid, authors=("Smith J",), mesh_terms=("Aspirin",),
                 keywords=("k",), publication_types=("Randomized Controlled Trial",))
    d.add_passage("RESULTS", text, grade="B")
    return d


def test_upserts_are_idempotent_and_versions_decide(tmp_path: Path) -> None:
    with Library(tmp_path) as lib:
        first = lib.ingest([doc("1"), doc("2", version="2"), doc("3", flags=("retracted",))], source="medline")
        assert first == IngestCounts(added=3, retracted=1)
        generation = lib.generation
        again = lib.ingest([doc("1"), doc("2", version="2"), doc("3", flags=("retracted",))], source="medline")
        assert again == IngestCounts(unchanged=3) and lib.generation == generation  # nothing changed
        later = lib.ingest([
            doc("1", "Revised text."),  # same version, other content: replaces (MEDLINE revisions)
            doc("2", "Old text.", version="1"),  # an older version: skipped
            Deletion("3"), Deletion("404"),
        ], source="medline")
        assert later == IngestCounts(updated=1, skipped=1, deleted=1, unchanged=1)
        assert lib.generation > generation
        assert lib.document("1").passages[0].text == "Revised text."  # type: ignore[union-attr]
        assert lib.document("2").passages[0].text == "Some text."  # type: ignore[union-attr]
        assert lib.document("3") is None and lib.count() == 2


def test_documents_round_trip_whole(tmp_path: Path) -> None:
    original = doc("9", pmid="9", pmcid="PMC99")
    with Library(tmp_path) as lib:
        lib.ingest([original], source="medline")
        assert lib.document("9") == original
        assert lib.lookup("PMID: 9") == original and lib.lookup("PMC99") == original and lib.lookup("99") == original
        assert lib.lookup("nope") is None


def test_base_ingest_replaces_the_base_and_keeps_other_sources_in_order(tmp_path: Path) -> None:
    with Library(tmp_path) as lib:
        lib.ingest([doc("a"), doc("b"), doc("c")], source="starter", replace=True)
        lib.ingest([doc("m1")], source="medline")
        assert [d.doc_id for d in lib.iter_documents()] == ["a", "b", "c", "m1"]
        counts = lib.ingest([doc("c"), doc("a"), doc("d")], source="starter", replace=True)
        assert counts == IngestCounts(added=1, unchanged=2, deleted=1)  # b is gone, m1 stays
        # The base in its new order first (as a fresh build of it would be), then the others by arrival.
        assert [d.doc_id for d in lib.iter_documents()] == ["c", "a", "d", "m1"]
        lib.set_base("starter", "starter-abc", "curbside ingest starter")
        assert lib.kind() == "starter+medline" and lib.snapshot().startswith("library-")
        lib.ingest([Deletion("m1")], source="medline")
        assert lib.kind() == "starter" and lib.snapshot() == "starter-abc"


def test_the_snapshot_depends_on_content_not_arrival_order(tmp_path: Path) -> None:
    with Library(tmp_path / "x") as x, Library(tmp_path / "y") as y:
        x.ingest([doc("1"), doc("2")], source="medline")
        y.ingest([doc("2")], source="medline")
        y.ingest([doc("1")], source="medline")
        assert x.snapshot() == y.snapshot()
        y.ingest([doc("1", "Changed.")], source="medline")
        assert x.snapshot() != y.snapshot()


def test_a_crash_mid_ingest_keeps_committed_batches_and_a_rerun_completes(tmp_path: Path) -> None:
    docs = [doc(str(i)) for i in range(25)]

    def crashing() -> Iterator[Document]:
        for i, d in enumerate(docs):
            if i == 17:
                raise KeyboardInterrupt  # stands in for a kill between batches
            yield d

    with Library(tmp_path) as lib, pytest.raises(KeyboardInterrupt):
        lib.ingest(crashing(), source="medline", batch=5)
    with Library(tmp_path) as lib:
        assert lib.count() == 15  # three whole batches; the fourth, half done, was rolled back
        seen: list[int] = []
        counts = lib.ingest(docs, source="medline", batch=5, progress=seen.append)
        assert counts == IngestCounts(added=10, unchanged=15)
        assert seen[-1] == 25 and seen == sorted(seen)
        assert [d.doc_id for d in lib.iter_documents()] == [str(i) for i in range(25)]


_TRICKY = ("quotes \" and \\ back/slash", "controls \x00\x01\x1f\x7f\t\n\r\b\f", "non-ASCII é\u00a0中😀 \u2028\u2029",
           "long " + "word " * 400)


def test_canonical_json_is_the_bytes_json_dumps_gives(tmp_path: Path) -> None:
    import json

    from curbside.corpus.library import _DOCUMENT_FIELDS, _PASSAGE_FIELDS, document_to_json

    for text in _TRICKY:
        d = doc("7", text, flags=("retracted",))
        d.key_text = text
        data = {name: getattr(d, name) for name in _DOCUMENT_FIELDS}
        data["passages"] = [{name: getattr(p, name) for name in _PASSAGE_FIELDS} for p in d.passages]
        data["doc_type"] = str(d.doc_type)
        expected = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        assert document_to_json(d) == expected
    with pytest.raises(UnicodeEncodeError):  # a lone surrogate: refused as json.dumps + encode refused it
        document_to_json(doc("8", "broken \ud800 text"))


def test_encoded_documents_carry_their_values_through_pickle() -> None:
    import pickle

    from curbside.corpus.library import Encoded, document_from_values, document_values

    for text in _TRICKY:
        d = doc("9", text, pmid="9", pmcid="PMC9")
        d.add_passage("METHODS", "More text.")
        assert document_from_values(document_values(d)) == d
        plain, full = Encoded.of(d), Encoded.of(d, values=True)
        assert plain == full and plain.values is None  # the values are not part of what is stored
        again = pickle.loads(pickle.dumps(full))
        assert again == full and again.values == full.values and again.document() == d == plain.document()
