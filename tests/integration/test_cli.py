"""The CLI end to end on the hand-written fixture corpus: ingest, search, ask, batch, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from curbside.cli.main import cli
from curbside.retrieval.store import MetadataStore

FIXTURE_CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"


def run(*args: str, input: str | bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=input, obj={})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-data")
    code, out, err = run("--data-dir", str(path), "ingest", "starter", "--corpus-dir", str(FIXTURE_CORPUS))
    assert code == 0, err
    summary = json.loads(out)
    assert summary["counts"]["vectors"] > 0
    assert set(summary["documents_by_source"]) == {"uspstf", "ngc", "spl", "pubmedqa", "pmc_rct", "medquad"}
    # Malformed lines are reported with file and line, not dropped silently and not fatal.
    assert "uspstf_recommendations.jsonl:2: malformed JSON" in err
    assert "spl_broken.xml: malformed XML" in err
    return path


def test_search_json_has_the_promised_fields(data_dir: Path) -> None:
    code, out, _ = run("--data-dir", str(data_dir), "search", "colorectal cancer screening", "--k", "5", "--format", "json")
    assert code == 0
    results = json.loads(out)["results"]
    assert 0 < len(results) <= 5
    assert {"doc_id", "score", "title", "text"} <= set(results[0])
    assert results[0]["doc_id"] == "uspstf-900"
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)


def test_ask_json_contract_and_citation_integrity(data_dir: Path) -> None:
    code, out, err = run("--data-dir", str(data_dir), "ask", "Should a 60-year-old man be screened for colorectal cancer?", "--format", "json")
    assert code == 0, err
    article = json.loads(out)
    assert article["title"] and article["bottom_line"] and article["corpus_snapshot"].startswith("starter-")
    assert article["sections"][0]["heading"] == "From the Guidelines"
    assert article["sections"][0]["bullets"][0]["grade"] == "A"  # the 50-75 statement fits a 60-year-old
    refs = {r["number"]: r for r in article["references"]}
    assert all({"number", "doc_id", "title", "year", "doc_type", "evidence_level", "url"} <= set(r) for r in refs.values())
    store = MetadataStore(data_dir / "index" / "metadata.sqlite")
    for section in article["sections"]:
        assert {"heading", "bullets"} <= set(section)
        for bullet in section["bullets"]:
            assert bullet["citations"] and all(n in refs for n in bullet["citations"])
            for quote in bullet["quotes"]:
                passage = store.passage(quote["passage_id"])
                assert passage is not None and passage.doc_id == quote["doc_id"]
                assert passage.text[quote["start"] : quote["end"]] == quote["text"]
    store.close()


def test_ask_is_deterministic_and_renders_every_format(data_dir: Path) -> None:
    q = "Should a 60-year-old man be screened for colorectal cancer?"
    first = run("--data-dir", str(data_dir), "ask", q, "--format", "json")[1]
    assert run("--data-dir", str(data_dir), "ask", q, "--format", "json")[1] == first
    assert run("--data-dir", str(data_dir), "ask", q)[1].startswith(f"# {q}")
    assert "<article>" in run("--data-dir", str(data_dir), "ask", q, "--format", "html")[1]


def test_batch_answers_many_questions_with_their_ids(data_dir: Path, tmp_path: Path) -> None:
    questions = tmp_path / "q.txt"
    questions.write_text(
        'Should children be screened for vision problems?\n\n{"id": "crc", "question": "colorectal cancer screening age"}\n'
    )
    code, out, _ = run("--data-dir", str(data_dir), "ask", "--questions", str(questions), "--format", "jsonl")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [a["id"] for a in lines] == ["1", "crc"]
    assert all(a["corpus_snapshot"] for a in lines)


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["ask", ""], None, "empty"),
        (["ask", "why " * 1000], None, "limit"),
        (["ask", "-"], b"\x00\x01\xff\xfe binary", "plain"),
        (["search", "   "], None, "empty"),
    ],
)
def test_bad_questions_exit_non_zero_with_a_clear_message(data_dir: Path, args: list[str], stdin: bytes | None, message: str) -> None:
    code, _, err = run("--data-dir", str(data_dir), *args, input=stdin)
    assert code == 2
    assert message in err.lower()


def test_missing_index_names_the_command_that_fixes_it(tmp_path: Path) -> None:
    code, _, err = run("--data-dir", str(tmp_path / "nothing"), "ask", "colorectal cancer screening")
    assert code == 3
    assert "ingest starter" in err


def test_missing_corpus_dir_says_how_to_point_at_one(tmp_path: Path) -> None:
    code, _, err = run("--data-dir", str(tmp_path), "ingest", "starter", "--corpus-dir", str(tmp_path / "absent"))
    assert code == 2
    assert "--corpus-dir" in err


def test_schema_command_prints_the_article_json_schema() -> None:
    from curbside.writing.article import Article

    code, out, _ = run("schema")
    assert code == 0
    assert json.loads(out) == json.loads(json.dumps(Article.model_json_schema()))
    assert "bottom_line" in json.loads(out)["properties"]


def test_batch_file_with_a_broken_json_line_is_refused_with_its_line(data_dir: Path, tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text('colorectal cancer screening\n{"id": 7, "question": \n')
    code, out, err = run("--data-dir", str(data_dir), "ask", "--questions", str(questions))
    assert code == 2 and out == ""
    assert "q.jsonl:2" in err


def test_ingest_if_missing_keeps_the_built_index(data_dir: Path, tmp_path: Path) -> None:
    snapshot = json.loads(run("--data-dir", str(data_dir), "info")[1])["corpus_snapshot"]
    code, out, err = run("--data-dir", str(data_dir), "ingest", "starter", "--corpus-dir", str(tmp_path / "absent"),
                         "--if-missing")
    assert code == 0 and out == ""
    assert err.strip() == f"Index already built in {data_dir} ({snapshot}); skipping."


def test_search_json_envelope_names_the_query_and_snapshot(data_dir: Path) -> None:
    code, out, _ = run("--data-dir", str(data_dir), "search", "colorectal cancer screening", "--k", "2", "--format", "json")
    envelope = json.loads(out)
    assert code == 0 and list(envelope) == ["query", "corpus_snapshot", "results"]
    assert envelope["query"] == "colorectal cancer screening" and envelope["corpus_snapshot"].startswith("starter-")


def test_batch_reports_a_question_it_cannot_answer_and_exits_1(data_dir: Path, tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "bad", "question": "%%%% 1234 ####"}\ncolorectal cancer screening\n')
    code, out, err = run("--data-dir", str(data_dir), "ask", "--questions", str(questions))
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and "1 question(s) could not be answered." in err
    assert list(lines[0]) == ["id", "error"] and lines[0]["id"] == "bad" and "binary" in lines[0]["error"]
    assert lines[1]["id"] == "2" and lines[1]["bottom_line"]


def test_understand_shows_how_the_question_is_read(data_dir: Path) -> None:
    question = "Should a 60-year-old man be screened for colorectal cancer?"
    code, out, err = run("--data-dir", str(data_dir), "understand", question, "--format", "json")
    assert code == 0, err
    understood = json.loads(out)
    assert understood["original"] == question and understood["patient"]["age"] == 60
    assert understood["question_type"]["question_type"] and "colorectal" in understood["keywords"]
    code, out, _ = run("--data-dir", str(data_dir), "understand", question, "--context", "On aspirin 81 mg daily.")
    assert code == 0 and out.startswith("question type: ")
    assert "patient age: 60" in out and "aspirin" in out
    assert run("--data-dir", str(data_dir), "understand", "   ")[0] == 2


def test_understand_json_shows_the_patient_factors(data_dir: Path) -> None:
    question = "A 50-year-old Black woman, 28 weeks pregnant, on enoxaparin, eGFR 35: which antihypertensive?"
    code, out, err = run("--data-dir", str(data_dir), "understand", question, "--format", "json")
    assert code == 0, err
    patient = json.loads(out)["patient"]
    assert patient["race_ethnicity"] == ["Black"]
    assert (patient["pregnant"], patient["gestational_weeks"], patient["trimester"]) == (True, 28, 3)
    assert (patient["egfr"], patient["creatinine_clearance"], patient["anticoagulated"]) == (35.0, None, True)


def test_ingest_summarises_repeated_pairs_per_file_and_keeps_each_in_a_log(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    medquad = corpus / "medquad" / "medquad_answered.jsonl"
    first = medquad.read_text(encoding="utf-8").splitlines()[0]
    with medquad.open("a", encoding="utf-8") as out:
        out.write("".join(first + "\n" for _ in range(40)))  # 40 repeats of the first pair
    data_dir = tmp_path / "data"
    code, out, err = run("--data-dir", str(data_dir), "--preset", "fast", "ingest", "starter", "--corpus-dir", str(corpus))
    assert code == 0, err
    assert "problems" not in json.loads(out)
    log = data_dir / "ingest-problems.log"
    repeats = [line for line in log.read_text(encoding="utf-8").splitlines() if "repeated question/answer pair" in line]
    assert len(repeats) == 41 and all(line.startswith(f"{medquad}:") for line in repeats)
    # The fixture repeats one pair itself (line 4): one summary line for the 41, naming the file, the kind and the count; the log is named.
    lines = [int(line.split(":")[1]) for line in repeats]
    shown = ", ".join(map(str, lines[:5]))
    summary = [line for line in err.splitlines() if "repeated question/answer pair" in line]
    assert summary == [f"  {medquad}: 41 x repeated question/answer pair (kept the first) (lines {shown}, ...)"]
    assert f"(each one in {log})" in err
    # A single problem of its kind is still printed in full, with file and line.
    assert "uspstf_recommendations.jsonl:2: malformed JSON" in err
