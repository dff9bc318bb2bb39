"""Users' guideline documents (Markdown, HTML, PDF): sections, recommendation statements and their strength."""

from __future__ import annotations

from pathlib import Path

import pytest

from curbside.corpus.documents import DocType, IngestReport
from curbside.corpus.loaders.guideline_docs import is_statement, iter_guidelines, statement_strength
from curbside.evidence.grading import Certainty, certainty_of, sentence_grade

MARKDOWN = """# Interstitial lung disease in dermatomyositis

This guideline covers adults with myositis-associated ILD.

## Initial therapy

Recommendation 1

In adults with anti-MDA5 dermatomyositis and rapidly progressive ILD, we suggest triple therapy with glucocorticoids, a calcineurin inhibitor and cyclophosphamide.

Conditional recommendation, low certainty of evidence

Recommendation 2: We recommend against rituximab as the sole first-line therapy (strong recommendation, moderate certainty evidence).

- Mycophenolate is recommended for maintenance (Class IIa, Level of Evidence B-R).
- Pulmonary function was measured every 3 months in the trials.

## Background

| Antibody | Survival |
|---|---|
| MDA5 | 60% |

Anti-MDA5 antibodies mark a subset with poor survival.
"""


def write_pdf(path: Path, lines: list[str], *, title: str | None = None) -> None:
    """A minimal one-page PDF (Helvetica text, one line per string), with its cross-reference table."""
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    stream = "BT /F1 10 Tf 14 TL 50 780 Td " + " ".join(f"({escape(line)}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(stream.encode('latin-1'))} >>\nstream\n{stream}\nendstream",
    ]
    if title:
        objects.append(f"<< /Title ({escape(title)}) >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    info = f" /Info {len(objects)} 0 R" if title else ""
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))


def test_strength_is_read_as_written_and_never_inferred() -> None:
    assert statement_strength("Conditional recommendation, low certainty of evidence") == \
        "Conditional recommendation; low certainty"
    assert statement_strength("(strong recommendation, moderate certainty evidence)") == \
        "Strong recommendation; moderate certainty"
    assert statement_strength("Strong recommendation against; quality of evidence: very low") == \
        "Strong recommendation against; very low certainty"
    assert statement_strength("(Class III: Harm, LOE C-LD)") == "Class III (Harm); Level of Evidence C-LD"
    assert statement_strength("We suggest X over Y (conditional, very low).") == \
        "Conditional recommendation; very low certainty"
    assert statement_strength("Evidence profile \u2295\u2295\u2295\u25ef") == "moderate certainty"
    assert statement_strength("We suggest methotrexate.") is None  # a verb alone states no strength
    assert is_statement("We suggest methotrexate.") and is_statement("Recommendation 4: Offer X.")
    assert not is_statement("Patients were followed for 3 years and the class was small.")


def test_markdown_statements_become_graded_passages(tmp_path: Path) -> None:
    (tmp_path / "ILD guideline.md").write_text(MARKDOWN, encoding="utf-8")
    report = IngestReport()
    [doc] = list(iter_guidelines(tmp_path, report, organization="American College of Rheumatology", year=2023))
    assert report.problems == [] and report.documents_by_source == {"guideline": 1}
    assert doc.doc_id == "guideline-american-college-of-rheumatology-ild-guideline"
    assert doc.title == "Interstitial lung disease in dermatomyositis"
    assert doc.doc_type is DocType.GUIDELINE and doc.year == 2023 and doc.version == "2023"
    assert doc.organization == "American College of Rheumatology"
    graded = [(p.section, p.grade) for p in doc.passages if p.grade]
    assert graded == [
        ("Initial therapy > Recommendation 1", "Conditional recommendation; low certainty"),
        ("Initial therapy > Recommendation 2", "Strong recommendation; moderate certainty"),
        ("Initial therapy", "Class IIa; Level of Evidence B-R"),
    ]
    first = next(p for p in doc.passages if p.section.endswith("Recommendation 1"))
    assert first.text.splitlines() == [
        "Recommendation 1",
        "In adults with anti-MDA5 dermatomyositis and rapidly progressive ILD, we suggest triple therapy with "
        "glucocorticoids, a calcineurin inhibitor and cyclophosphamide.",
        "Conditional recommendation, low certainty of evidence",
    ]
    plain = [p.text for p in doc.passages if p.grade is None]
    assert "Pulmonary function was measured every 3 months in the trials." in "\n".join(plain)
    assert "Anti-MDA5 antibodies mark a subset with poor survival." in "\n".join(plain)
    assert "| Antibody | Survival |\n|---|---|\n| MDA5 | 60% |" in "\n".join(plain)  # a table keeps its rows
    # the evidence layer gives the statement's sentence its passage's grade, and reads its certainty
    sentence = first.text.splitlines()[1]
    assert sentence_grade(sentence, first.text, first.grade) == first.grade
    assert certainty_of("guideline", first.grade) is Certainty.LOW
    assert certainty_of("guideline", "Class IIa; Level of Evidence B-R") is Certainty.MODERATE


def test_html_headings_lists_and_tables(tmp_path: Path) -> None:
    (tmp_path / "htn.html").write_text("""<!doctype html><html><head><title>Hypertension in adults</title>
<script>var x = "we recommend nothing";</script></head><body><nav>Home | About</nav>
<h1>Hypertension in adults</h1><p>Scope: adults over 18.</p>
<h2>Treatment</h2><h3>First line</h3>
<div class="rec"><p><strong>Recommendation 3.</strong> In adults with stage 2 hypertension, we recommend two first-line agents
of different classes.</p><p>(Class I, LOE A)</p></div>
<ul><li>Thiazides lower stroke risk.</li><li>We suggest home monitoring.</li></ul>
<table><tr><th>Drug</th><th>Dose</th></tr><tr><td>Chlorthalidone</td><td>12.5 mg</td></tr></table>
<h2>Monitoring</h2><p>Check potassium yearly.</p></body></html>""", encoding="utf-8")
    [doc] = list(iter_guidelines(tmp_path / "htn.html", IngestReport(), organization="AHA"))
    assert doc.title == "Hypertension in adults" and doc.year is None and doc.version == "1"
    by_section = {p.section: p for p in doc.passages}
    statement = by_section["Treatment > First line > Recommendation 3"]
    assert statement.grade == "Class I; Level of Evidence A"
    assert statement.text.endswith("different classes.\n(Class I, LOE A)")
    assert by_section["Treatment > First line"].text.startswith("We suggest home monitoring.") or any(
        p.text == "We suggest home monitoring." and p.grade is None for p in doc.passages)
    text = "\n".join(p.text for p in doc.passages)
    assert "Drug | Dose\nChlorthalidone | 12.5 mg" in text and "Check potassium yearly." in text
    assert "Home | About" not in text and "var x" not in text


def test_a_pdf_is_read_with_pypdf(tmp_path: Path) -> None:
    write_pdf(tmp_path / "copd.pdf", [
        "1 Pharmacological treatment",
        "Recommendation 5",
        "In adults with COPD and frequent exacerbations, we recommend a long-acting",
        "muscarinic antagonist over a long-acting beta agonist.",
        "Strong recommendation, high certainty of evidence",
        "Inhaler technique was checked at every visit.",
        "2 MONITORING",
        "Spirometry is repeated yearly.",
    ], title="COPD management 2024")
    report = IngestReport()
    [doc] = list(iter_guidelines(tmp_path, report, organization="GOLD", year=2024))
    assert report.problems == []
    assert doc.title == "COPD management 2024" and doc.doc_id == "guideline-gold-copd"
    statement = next(p for p in doc.passages if p.grade)
    assert statement.section == "Pharmacological treatment > Recommendation 5"
    assert statement.grade == "Strong recommendation; high certainty"
    assert ("we recommend a long-acting muscarinic antagonist over a long-acting beta agonist." in statement.text)
    [spirometry] = [p for p in doc.passages if "Spirometry" in p.text]
    assert spirometry.section.endswith("MONITORING") and spirometry.grade is None


def test_unreadable_files_are_reported_and_the_others_go_on(tmp_path: Path) -> None:
    (tmp_path / "a_broken.pdf").write_bytes(b"%PDF-1.4 this is not a pdf")
    (tmp_path / "b_empty.md").write_text("   \n", encoding="utf-8")
    (tmp_path / "c_good.md").write_text(MARKDOWN, encoding="utf-8")
    report = IngestReport()
    docs = list(iter_guidelines(tmp_path, report))
    assert [d.doc_id for d in docs] == ["guideline-c-good"]
    assert [Path(p.file).name for p in report.problems] == ["a_broken.pdf", "b_empty.md"]
    assert "no text found" in report.problems[1].message
    with pytest.raises(Exception, match="does not exist"):
        list(iter_guidelines(tmp_path / "missing.md", report))
