"""Renderings of one Article: Markdown for the terminal, standalone HTML. JSON is ``Article.to_json``."""

from __future__ import annotations

import html

from curbside.writing.article import (
    Article,
    Bullet,
    Classification,
    Determination,
    EvidenceStatus,
    QuestionType,
    Reference,
)

STATUS_LABELS: dict[EvidenceStatus, str] = {
    EvidenceStatus.SUFFICIENT: "Evidence found",
    EvidenceStatus.LIMITED: "Limited evidence",
    EvidenceStatus.INSUFFICIENT: "Insufficient evidence in the knowledge base",
}


def _cites(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def _bullet_md(b: Bullet) -> str:
    lead = ""
    if b.grade:
        lead = f"**Grade {b.grade}** \u2014 " if len(b.grade) <= 3 else f"**{b.grade}** \u2014 "
    return f"- {lead}{b.text} {_cites(b.citations)}"


def _reference_line(r: Reference) -> str:
    parts = [r.title.rstrip(".") + "."]
    if r.organization:
        parts.append(r.organization + ".")
    if r.year:
        parts.append(f"{r.year}.")
    parts.append(f"{r.doc_type_label}; evidence level {r.evidence_level}.")
    ids = []
    if r.pmid:
        ids.append(f"PMID {r.pmid}")
    if r.doi:
        ids.append(f"doi:{r.doi}")
    if r.url:
        ids.append(r.url)
    if ids:
        parts.append(" \u00b7 ".join(ids))
    return " ".join(parts)


CLASSIFICATION_LABELS: dict[Classification, str] = {
    Classification.STANDARD_OF_CARE: "Standard of care",
    Classification.EMERGING_STANDARD: "Emerging standard",
    Classification.INVESTIGATIONAL: "Investigational",
}
DETERMINATION_LABELS: dict[Determination, str] = {
    Determination.SUPPORTED: "Supported",
    Determination.PARTIALLY_SUPPORTED: "Partially supported",
    Determination.INSUFFICIENT_EVIDENCE: "Insufficient evidence in the knowledge base",
}


def _cell(text: str | None) -> str:
    return (text or "\u2014").replace("|", "/").replace("\n", " ")


def _clinical_md(article: Article) -> list[str]:
    """The per-agent table, the determination, the authorization statement, options and newer evidence."""
    lines: list[str] = []
    if article.agent_assessments:
        heading = "Assessment by agent" if article.question_type == QuestionType.MEDICAL_NECESSITY else "Current regimen, agent by agent"
        lines += ["", f"## {heading}", ""]
        if article.determination:
            reason = article.determination_reasons[0] if article.determination_reasons else ""
            lines += [f"**Determination:** {DETERMINATION_LABELS[article.determination]}. {reason}".rstrip(), ""]
        lines += ["| Agent | Classification | Guideline | Best research | Label | Dose |", "|---|---|---|---|---|---|"]
        for a in article.agent_assessments:
            g, r, d = a.guideline_support, a.research_support, a.dose_check
            lines.append(" | ".join([
                f"| {a.agent}" + (f" ({a.brand})" if a.brand else ""),
                CLASSIFICATION_LABELS[a.classification],
                _cell(f"{g.text} {_cites(g.citations)}" if g else None),
                _cell(f"{r.text} {_cites(r.citations)} (level {r.evidence_level})" if r else None),
                _cell(a.label_status.replace("_", "-") + (f" {_cites(a.label_citations)}" if a.label_citations else "")),
                _cell(f"{d.status}" + (f": {d.conversion}" if d.conversion else "") + (f" {_cites(d.citations)}" if d.citations else "")),
            ]) + " |")
    if article.authorization_summary:
        lines += ["", "## Summary Statement for Authorization", ""]
        lines += [" ".join(f"{s.text} {_cites(s.citations)}" for s in article.authorization_summary.sentences)]
    if article.next_step_options:
        lines += ["", "## Options ranked by evidence", ""]
        for i, o in enumerate(article.next_step_options, 1):
            monitoring = f" Monitoring: {o.monitoring} ({o.monitoring_source})" if o.monitoring else ""
            lines.append(f"{i}. **{o.agent}** (level {o.evidence_level}): {o.statement.text} {_cites(o.statement.citations)}{monitoring}")
    if article.conflicts:
        lines += ["", "## Newer evidence", ""]
        lines += [f"- {c.note}" for c in article.conflicts]
    return lines


def to_markdown(article: Article) -> str:
    lines = [f"# {article.title}", "", f"**Bottom line:** {article.bottom_line} {_cites(article.bottom_line_citations)}".rstrip()]
    lines += ["", f"_{STATUS_LABELS[article.evidence_status]}._" + (f" {article.evidence_note}" if article.evidence_note else "")]
    story = article.patient_story
    if story.age is not None or story.sex or story.history:
        bits = [f"age {story.age}" if story.age is not None else "", story.sex or "", "; ".join(story.history)]
        lines += ["", "**Patient:** " + ", ".join(b for b in bits if b)]
    lines += _clinical_md(article)
    for section in article.sections:
        lines += ["", f"## {section.heading}", ""]
        lines += [_bullet_md(b) for b in section.bullets]
    if article.nearby_documents:
        lines += ["", "## What the knowledge base does hold", ""]
        lines += [f"- {d.title} ({d.doc_type}{', ' + str(d.year) if d.year else ''})" for d in article.nearby_documents]
    if article.suggested_questions:
        lines += ["", "## Try a broader question", ""]
        lines += [f"- {q}" for q in article.suggested_questions]
    if article.references:
        lines += ["", "## References", ""]
        lines += [f"{r.number}. {_reference_line(r)}" for r in article.references]
    lines += [
        "",
        "---",
        f"_Corpus snapshot {article.corpus_snapshot} \u00b7 writer {article.writer.name} v{article.writer.version} "
        f"\u00b7 evidence levels: {article.evidence_scale}_",
        "",
        f"_{article.disclaimer}_",
    ]
    return "\n".join(lines) + "\n"


def to_html(article: Article) -> str:
    e = html.escape

    def cites(numbers: list[int]) -> str:
        return "".join(f'<sup><a href="#ref-{n}">[{n}]</a></sup>' for n in numbers)

    def bullet(b: Bullet) -> str:
        quote = " ".join(q.text for q in b.quotes)
        grade = f'<span class="grade" title="{e(b.strength or "")}">Grade {e(b.grade)}</span> ' if b.grade else ""
        level = f'<span class="level">Level {b.evidence_level}</span>'
        return f'<li title="{e(quote)}">{grade}{e(b.text)} {cites(b.citations)} {level}</li>'

    body = [f"<h1>{e(article.title)}</h1>"]
    body.append(f'<p class="bottom-line"><strong>Bottom line:</strong> {e(article.bottom_line)} {cites(article.bottom_line_citations)}</p>')
    note = f" {e(article.evidence_note)}" if article.evidence_note else ""
    body.append(f'<p class="status status-{article.evidence_status}">{e(STATUS_LABELS[article.evidence_status])}.{note}</p>')
    for section in article.sections:
        body.append(f'<section id="{e(section.id)}"><h2>{e(section.heading)}</h2><ul>')
        body += [bullet(b) for b in section.bullets]
        body.append("</ul></section>")
    if article.nearby_documents:
        body.append("<section><h2>What the knowledge base does hold</h2><ul>")
        body += [f"<li>{e(d.title)} ({e(d.doc_type)})</li>" for d in article.nearby_documents]
        body.append("</ul></section>")
    if article.suggested_questions:
        body.append("<section><h2>Try a broader question</h2><ul>")
        body += [f"<li>{e(q)}</li>" for q in article.suggested_questions]
        body.append("</ul></section>")
    if article.references:
        body.append('<section id="references"><h2>References</h2><ol>')
        for r in article.references:
            link = f' <a href="{e(r.url)}">{e(r.url)}</a>' if r.url else ""
            text = _reference_line(r)
            if r.url:
                text = text.replace(r.url, "").rstrip(" \u00b7")
            body.append(f'<li id="ref-{r.number}">{e(text)}{link}</li>')
        body.append("</ol></section>")
    body.append(f'<footer><p class="snapshot">Corpus snapshot {e(article.corpus_snapshot)}</p><p class="disclaimer">{e(article.disclaimer)}</p></footer>')
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{e(article.title)}</title></head><body><article>\n" + "\n".join(body) + "\n</article></body></html>\n"
    )
