"""`curbside ingest jats|spl|openfda|guideline` over a data directory (fast preset: no embedding model): documents
reach the library, the index and `show`; a re-ingest changes nothing; a newer label version replaces the older
one and changes label status; a JATS full text replaces the starter's abstract of the same PMID."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from click.testing import CliRunner

from curbside.cli.main import cli
from curbside.evidence.indications import LabelStatus, label_verdict

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_guideline_docs import MARKDOWN, write_pdf  # noqa: E402
from test_jats_loader import ARTICLE  # noqa: E402
from test_spl_formats import NEW_INDICATION, _label  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIXTURE_CORPUS = FIXTURES / "corpus"


def run(data: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(data), "--preset", "fast", *args], obj={})
    return result.exit_code, result.stdout, result.stderr


def ingest(data: Path, *args: str) -> dict:
    code, out, err = run(data, "ingest", *args)
    assert code == 0, err
    assert "Done in" in err  # the summary line
    return json.loads(out)


def show(data: Path, doc_id: str) -> dict:
    code, out, err = run(data, "show", doc_id, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def search_ids(data: Path, query: str) -> list[str]:
    code, out, err = run(data, "search", query, "--mode", "bm25", "--format", "json")
    assert code == 0, err
    return [hit["doc_id"] for hit in json.loads(out)["results"]]


def test_label_versions_and_label_status_through_the_cli(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (tmp_path / "v1").mkdir()
    (tmp_path / "v1" / "zorbex.xml").write_text(_label(1), encoding="utf-8")
    (tmp_path / "v2").mkdir()
    (tmp_path / "v2" / "zorbex.xml").write_text(_label(2, NEW_INDICATION), encoding="utf-8")
    metadata = data / "index" / "metadata.sqlite"

    assert ingest(data, "spl", str(tmp_path / "v1"))["library"]["added"] == 1
    assert label_verdict("zorbatinib", ["giant cell arteritis"], age=70, store=metadata).status != LabelStatus.ON_LABEL
    again = ingest(data, "spl", str(tmp_path / "v1"))
    assert again["library"]["unchanged"] == 1 and again["index_rebuilt"] is False  # idempotent

    assert ingest(data, "spl", str(tmp_path / "v2"))["library"]["updated"] == 1
    record = show(data, "spl-9a9a9a9a-1111-2222-3333-444444444444")
    assert record["version"] == "2" and record["doc_type"] == "drug_label"
    assert NEW_INDICATION in [s["text"] for s in record["sections"]]
    verdict = label_verdict("zorbatinib", ["giant cell arteritis"], age=70, store=metadata)
    assert verdict.status == LabelStatus.ON_LABEL and verdict.sentence == NEW_INDICATION

    older = ingest(data, "spl", str(tmp_path / "v1"))  # an older version never replaces a newer one
    assert older["library"]["skipped"] == 1 and show(data, "spl-9a9a9a9a-1111-2222-3333-444444444444")["version"] == "2"

    fda = ingest(data, "openfda", str(FIXTURES / "openfda" / "drug-label-sample.json"))
    assert fda["library"]["added"] == 2 and fda["documents_by_source"] == {"openfda": 2}
    problems = (data / "ingest-problems.log").read_text(encoding="utf-8").splitlines()
    assert [line.split(": ", 1)[1].split(":")[0] for line in problems] == ["results[2]", "results[3]"]
    assert problems[0].startswith(f"{FIXTURES / 'openfda' / 'drug-label-sample.json'}:3: ")  # file and result number
    assert search_ids(data, "montelukast asthma")[0] == "spl-2d7dd1d4-8ba4-4b2a-9b3b-0b8e3c1a6f52"
    assert label_verdict("montelukast", ["asthma"], age=30, store=metadata).status == LabelStatus.ON_LABEL
    assert search_ids(data, "zorbatinib giant cell arteritis")[0] == "spl-9a9a9a9a-1111-2222-3333-444444444444"


def test_jats_full_text_replaces_the_starter_abstract_and_guidelines_keep_their_grades(tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, _, err = run(data, "ingest", "starter", "--corpus-dir", str(FIXTURE_CORPUS))
    assert code == 0, err
    assert show(data, "20000001")["origin"] == "starter"
    (tmp_path / "jats").mkdir()
    (tmp_path / "jats" / "a.nxml").write_text(ARTICLE.format(pmid="20000001", pmc="1000001"), encoding="utf-8")
    (tmp_path / "jats" / "b.nxml").write_text("<article><front>", encoding="utf-8")  # malformed: reported
    summary = ingest(data, "jats", str(tmp_path / "jats"))
    assert summary["library"]["updated"] == 1
    record = show(data, "20000001")
    assert record["origin"] == "jats" and record["pmcid"] == "PMC1000001" and record["license"] == "CC BY-NC 4.0"
    assert any(s["section"] == "References" for s in record["sections"])
    problems_log = (data / "ingest-problems.log").read_text(encoding="utf-8")
    assert "b.nxml" in problems_log and "malformed XML" in problems_log
    assert show(data, "PMC1000001")["doc_id"] == "20000001"  # a PMCID finds it too
    assert "20000001" in search_ids(data, "rituximab dermatomyositis survival")

    (tmp_path / "guidelines").mkdir()
    (tmp_path / "guidelines" / "ild.md").write_text(MARKDOWN, encoding="utf-8")
    write_pdf(tmp_path / "guidelines" / "copd.pdf", ["COPD GUIDELINE", "1 Treatment", "Recommendation 5",
                                                      "In adults with COPD, we recommend a LAMA.",
                                                      "Strong recommendation, high certainty of evidence"])
    summary = ingest(data, "guideline", str(tmp_path / "guidelines"), "--organization", "ACR", "--year", "2023")
    assert summary["library"]["added"] == 2
    ild = show(data, "guideline-acr-ild")
    assert ild["organization"] == "ACR" and ild["year"] == 2023 and ild["doc_type"] == "guideline"
    assert [s["grade"] for s in ild["sections"] if s["grade"]][:2] == [
        "Conditional recommendation; low certainty", "Strong recommendation; moderate certainty"]
    copd = show(data, "guideline-acr-copd")
    assert [(s["section"], s["grade"]) for s in copd["sections"]] == [
        ("Treatment > Recommendation 5", "Strong recommendation; high certainty")]


def test_bad_paths_are_clear_errors(tmp_path: Path) -> None:
    code, _, err = run(tmp_path / "data", "ingest", "jats", str(tmp_path / "missing.nxml"))
    assert code == 2 and "does not exist" in err and "Traceback" not in err
    code, _, err = run(tmp_path / "data", "ingest", "guideline", str(tmp_path), "--year", "20233")
    assert code == 2 and "--year" in err
