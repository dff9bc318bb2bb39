"""Renderings of one Article: Markdown for the terminal, standalone HTML. JSON is ``Article.to_json``.

Also the words every rendering shows for the article's enumerations (:func:`template_labels` hands them
to the web templates). A derived sentence (``support`` ``derived``: Curbside wrote it from a template) is
shown as such, "derived from [n]" with the facts it was built from, and never as a quote; a quoted
sentence keeps its quotes.
"""

from __future__ import annotations

import html

from curbside.corpus.documents import DOC_TYPE_LABELS
from curbside.writing.article import (
    Article,
    Bullet,
    Classification,
    DerivedFact,
    Determination,
    DoseStatus,
    EvidenceStatus,
    InteractionFinding,
    InteractionSeverity,
    InteractionSourceKind,
    LabelStatus,
    QuestionType,
    Reference,
    Support,
)

STATUS_LABELS: dict[EvidenceStatus, str] = {
    EvidenceStatus.SUFFICIENT: "Evidence found",
    EvidenceStatus.LIMITED: "Limited evidence",
    EvidenceStatus.INSUFFICIENT: "Insufficient evidence in the knowledge base",
}


def _cites(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def _fact_text(fact: DerivedFact) -> str:
    source = f" [{fact.citation}]" if fact.citation is not None else " (not from a cited source)"
    return f"{fact.fact}: {fact.value}{source}"


def derived_note(citations: list[int], facts: list[DerivedFact]) -> str:
    """How a derived sentence is marked in text: "derived from [3][5]: fact: value [3]; ...". No quote marks:
    Curbside wrote the sentence; only its facts come from the sources."""
    lead = f"derived by Curbside from {_cites(citations)}" if citations else "derived by Curbside"
    return f"({lead}: {'; '.join(_fact_text(f) for f in facts)})" if facts else f"({lead})"


def _statement_md(text: str, citations: list[int], support: Support | None, facts: list[DerivedFact]) -> str:
    if support == Support.DERIVED:
        return f"{text} {derived_note(citations, facts)}"
    return f"{text} {_cites(citations)}".rstrip()


def _bullet_md(b: Bullet) -> str:
    lead = ""
    if b.grade:
        lead = f"**Grade {b.grade}** \u2014 " if len(b.grade) <= 3 else f"**{b.grade}** \u2014 "
    indirect = f" _(indirect: {b.population_note or 'another population'})_" if b.indirect else ""
    return f"- {lead}{_statement_md(b.text, b.citations, b.support, b.derived_from)}{indirect}"


# How a reference's flags are shown (Reference.flags).
REFERENCE_FLAG_LABELS: dict[str, str] = {"expression_of_concern": "Expression of concern published about this article"}


def reference_flag_labels(r: Reference) -> list[str]:
    return [REFERENCE_FLAG_LABELS.get(flag, flag.replace("_", " ").capitalize()) for flag in r.flags]


def live_fetch_note(article: Article, number: int) -> str:
    """The words after a reference that came from E-utilities (Article.live_fetches): when, by which search."""
    for fetch in article.live_fetches:
        if fetch.citation == number:
            return f" Fetched from PubMed on {fetch.fetched_at} (search: {fetch.query})."
    return ""


def live_search_words(article: Article) -> str | None:
    """What this ask's live PubMed search did, in words; None when it was off or not needed."""
    live = article.live_search
    if live is None or live.status == "not_needed":
        return None
    if live.status == "fetched":
        return (f"Live PubMed search ({live.query}) at {live.searched_at}: {len(live.fetched)} citation(s) fetched "
                "and added to the knowledge base.")
    if live.status == "failed":
        return f"Live PubMed search failed: {live.message}"
    return f"Live PubMed search: {live.message}."


def _reference_line(r: Reference) -> str:
    parts = [f"[{label}]" for label in reference_flag_labels(r)] + [r.title.rstrip(".") + "."]
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
    Classification.NOT_RECOMMENDED: "Not recommended",
    Classification.INSUFFICIENT_EVIDENCE: "Not assessed (not found in the knowledge base)",
}
DETERMINATION_LABELS: dict[Determination, str] = {
    Determination.SUPPORTED: "Supported",
    Determination.PARTIALLY_SUPPORTED: "Partially supported",
    Determination.INSUFFICIENT_EVIDENCE: "Insufficient evidence in the knowledge base",
    Determination.BLOCKED_BY_INTERACTION: "Not supported as planned: serious drug interaction",
}
LABEL_STATUS_LABELS: dict[LabelStatus, str] = {
    LabelStatus.ON_LABEL: "On-label",
    LabelStatus.OFF_LABEL: "Off-label",
    LabelStatus.UNKNOWN: "Label status not determined",
}
DOSE_STATUS_LABELS: dict[DoseStatus, str] = {
    DoseStatus.WITHIN: "Within reference",
    DoseStatus.ABOVE: "Above reference",
    DoseStatus.BELOW: "Below reference",
    DoseStatus.UNKNOWN: "Not checked",
    DoseStatus.NO_REFERENCE_FOR_INDICATION: "No reference dose for this indication",
}
SEVERITY_LABELS: dict[InteractionSeverity, str] = {
    InteractionSeverity.CONTRAINDICATED: "Contraindicated",
    InteractionSeverity.MAJOR: "Major",
    InteractionSeverity.MODERATE: "Moderate",
}
ROLE_LABELS: dict[str, str] = {"regimen": "current regimen", "proposed": "proposed", "option": "option"}
SUPPORT_LABELS: dict[Support, str] = {
    Support.VERBATIM: "Verbatim quote",
    Support.EXCERPTED: "Excerpted",
    Support.PARAPHRASED_VERIFIED: "Paraphrased, verified",
    Support.DERIVED: "Derived",
}


def template_labels() -> dict[str, dict[str, str]]:
    """The words for each enumeration, keyed by its JSON value, as the web templates read them."""
    tables: dict[str, dict] = {
        "doc_type_labels": DOC_TYPE_LABELS, "classification_labels": CLASSIFICATION_LABELS,
        "determination_labels": DETERMINATION_LABELS, "label_status_labels": LABEL_STATUS_LABELS,
        "dose_status_labels": DOSE_STATUS_LABELS, "support_labels": SUPPORT_LABELS, "status_labels": STATUS_LABELS,
        "severity_labels": SEVERITY_LABELS, "role_labels": ROLE_LABELS,
        "reference_flag_labels": REFERENCE_FLAG_LABELS,
    }
    return {name: {str(k): v for k, v in table.items()} for name, table in tables.items()}


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
                _cell(_statement_md(g.text, g.citations, g.support, g.derived_from) if g else None),
                _cell(f"{_statement_md(r.text, r.citations, r.support, r.derived_from)} (level {r.evidence_level})" if r else None),
                _cell(LABEL_STATUS_LABELS[a.label_status] + (f" {_cites(a.label_citations)}" if a.label_citations else "")),
                _cell(DOSE_STATUS_LABELS[d.status] + (f": {d.conversion}" if d.conversion else "") + (f" {_cites(d.citations)}" if d.citations else "")),
            ]) + " |")
    if article.authorization_summary:
        lines += ["", "## Summary Statement for Authorization", ""]
        lines += [" ".join(_statement_md(s.text, s.citations, s.support, s.derived_from)
                           for s in article.authorization_summary.sentences)]
    if article.next_step_options:
        lines += ["", "## Options ranked by evidence", ""]
        for i, o in enumerate(article.next_step_options, 1):
            monitoring = f" Monitoring: {o.monitoring} ({o.monitoring_source})" if o.monitoring else ""
            statement = _statement_md(o.statement.text, o.statement.citations, o.statement.support, o.statement.derived_from)
            lines.append(f"{i}. **{o.agent}** (level {o.evidence_level}): {statement}{monitoring}")
    if article.conflicts:
        lines += ["", "## Newer evidence", ""]
        lines += [f"- {c.note}" for c in article.conflicts]
    if article.history_notes:
        lines += ["", "## Earlier versions", ""]
        lines += [f"- {h.note}" for h in article.history_notes]
    lines += _interactions_md(article)
    return lines


def interaction_pair(f: InteractionFinding) -> str:
    """"warfarin (current regimen) with ciprofloxacin (proposed)"."""
    return " with ".join(f"{d} ({ROLE_LABELS.get(str(r), str(r))})" for d, r in zip(f.drugs, f.roles))


def interaction_advice(f: InteractionFinding) -> str:
    """The effect and management of a finding, where the curated table gives them."""
    return " ".join(x for x in (f.effect, f"Management: {f.management}" if f.management else None) if x)


def interaction_source_lines(f: InteractionFinding) -> list[tuple[str, list[int]]]:
    """Each source of a finding in words, with its citation: a label's sentence is quoted (it is the label's
    own words); the curated table is named, not quoted."""
    lines = []
    for s in f.sources:
        cited = [s.citation] if s.citation is not None else []
        if s.kind == InteractionSourceKind.LABEL_IN_INDEX and s.quote is not None:
            lines.append((f"{s.source} (names {s.named_as}): \u201c{' '.join(s.quote.text.split())}\u201d", cited))
        else:
            lines.append((f"Curbside's curated interaction table, from {s.source}", cited))
    return lines


def _interactions_md(article: Article) -> list[str]:
    """The interaction findings, most severe first, then how far the check reached."""
    if not article.interactions and article.interaction_check is None:
        return []
    lines = ["", "## Drug interactions", ""]
    for f in article.interactions:
        said = interaction_advice(f)
        lines.append(f"- **{SEVERITY_LABELS[f.severity]}:** {interaction_pair(f)}." + (f" {said}" if said else ""))
        lines += [f"  - {text} {_cites(cited)}".rstrip() for text, cited in interaction_source_lines(f)]
    if article.interaction_check is not None:
        lines += ["", f"_Scope of the check: {article.interaction_check.statement}_"]
    return lines


def writer_words(article: Article) -> str:
    """Which writer wrote the article and, for the LLM writer, what its verifier did: "llm v2 (model m at URL;
    5 claims: 3 kept, 1 revised, 2 removed)" or "extractive v1 (the LLM writer fell back: the endpoint timed out)"."""
    w, v = article.writer, article.verification
    words = f"{w.name} v{w.version}"
    if v is None:
        return words
    if v.fallback:
        return words + f" (the LLM writer fell back: {v.fallback_reason or 'no usable answer'})"
    counts = f"{v.claims_total} claims: {v.kept} kept" + (f", {v.revised} revised" if v.revised else "")
    counts += f", {v.removed} removed" + (f", {len(v.marked_claims)} marked for review" if v.marked_claims else "")
    return words + f" ({w.model} at {w.base_url}; {counts} by the verifier)"


def to_markdown(article: Article) -> str:
    bottom = _statement_md(article.bottom_line, article.bottom_line_citations, article.bottom_line_support,
                           article.bottom_line_derived_from)
    lines = [f"# {article.title}", "", f"**Bottom line:** {bottom}"]
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
        lines += [f"{r.number}. {_reference_line(r)}{live_fetch_note(article, r.number)}" for r in article.references]
    if (searched := live_search_words(article)) is not None:
        lines += ["", f"_{searched}_"]
    lines += [
        "",
        "---",
        f"_Corpus snapshot {article.corpus_snapshot} \u00b7 writer {writer_words(article)} "
        f"\u00b7 evidence levels: {article.evidence_scale}_",
        "",
        f"_{article.disclaimer}_",
    ]
    return "\n".join(lines) + "\n"


def to_html(article: Article) -> str:
    e = html.escape

    def cites(numbers: list[int]) -> str:
        return "".join(f'<sup><a href="#ref-{n}">[{n}]</a></sup>' for n in numbers)

    def derived(citations: list[int], facts: list[DerivedFact]) -> str:
        # Marked as Curbside's wording, with its facts; no quote is attached to it.
        return f'<span class="derived" title="Written by Curbside from the facts listed; not a quote">{e(derived_note(citations, facts))}</span>'

    def bullet(b: Bullet) -> str:
        grade = f'<span class="grade" title="{e(b.strength or "")}">Grade {e(b.grade)}</span> ' if b.grade else ""
        level = f'<span class="level">Level {b.evidence_level}: {e(DOC_TYPE_LABELS[b.doc_type])}</span>'
        if b.support == Support.DERIVED:
            return f"<li>{grade}{e(b.text)} {derived(b.citations, b.derived_from)} {level}</li>"
        quote = " ".join(q.text for q in b.quotes)
        indirect = f' <span class="indirect">Indirect: {e(b.population_note or "another population")}</span>' if b.indirect else ""
        return f'<li title="{e(quote)}">{grade}{e(b.text)} {cites(b.citations)} {level}{indirect}</li>'

    body = [f"<h1>{e(article.title)}</h1>"]
    bottom_mark = (derived(article.bottom_line_citations, article.bottom_line_derived_from)
                   if article.bottom_line_support == Support.DERIVED else cites(article.bottom_line_citations))
    body.append(f'<p class="bottom-line"><strong>Bottom line:</strong> {e(article.bottom_line)} {bottom_mark}</p>')
    note = f" {e(article.evidence_note)}" if article.evidence_note else ""
    body.append(f'<p class="status status-{article.evidence_status}">{e(STATUS_LABELS[article.evidence_status])}.{note}</p>')
    if article.determination:
        reason = f" {e(article.determination_reasons[0])}" if article.determination_reasons else ""
        body.append(f'<p class="determination"><strong>Determination:</strong> {e(DETERMINATION_LABELS[article.determination])}.{reason}</p>')
    if article.interactions or article.interaction_check is not None:
        body.append('<section id="interactions"><h2>Drug interactions</h2><ul>')
        for f in article.interactions:
            sources = "".join(f"<li>{e(text)} {cites(cited)}</li>" for text, cited in interaction_source_lines(f))
            body.append(f'<li class="interaction severity-{e(f.severity)}"><strong>{e(SEVERITY_LABELS[f.severity])}:</strong> '
                        f"{e(interaction_pair(f))}. {e(interaction_advice(f))}<ul>{sources}</ul></li>")
        body.append("</ul>")
        if article.interaction_check is not None:
            body.append(f'<p class="interaction-scope">{e(article.interaction_check.statement)}</p>')
        body.append("</section>")
    if article.authorization_summary:
        body.append('<section id="authorization"><h2>Summary Statement for Authorization</h2><p>')
        body += [f"{e(s.text)} " + (derived(s.citations, s.derived_from) if s.is_derived else cites(s.citations))
                 for s in article.authorization_summary.sentences]
        body.append("</p></section>")
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
            text = _reference_line(r) + live_fetch_note(article, r.number)
            if r.url:
                text = text.replace(r.url, "").rstrip(" \u00b7")
            body.append(f'<li id="ref-{r.number}">{e(text)}{link}</li>')
        body.append("</ol></section>")
    if (searched := live_search_words(article)) is not None:
        body.append(f'<p class="live-search">{e(searched)}</p>')
    body.append(f'<footer><p class="snapshot">Corpus snapshot {e(article.corpus_snapshot)}</p><p class="disclaimer">{e(article.disclaimer)}</p></footer>')
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{e(article.title)}</title></head><body><article>\n" + "\n".join(body) + "\n</article></body></html>\n"
    )
