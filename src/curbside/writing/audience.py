"""Audience views of one Article: the same cited claims, worded and ordered for who is reading.

The web app asks "Which best describes you?" and shows the article in a view for that reader. A view
changes only wording (bullet ``text``, section ``heading``, the ``bottom_line``, and for patients the
words that explain a grade, ``strength``) and the order of sections. Every view bullet is its base
bullet reworded: ``citations``, ``quotes``, ``grade``, ``doc_type``, ``evidence_level``, ``year``,
``support`` and ``relevance`` are copied unchanged (a bullet whose words changed is marked ``reworded``, so
that no view shows reworded text as a verbatim quote), no bullet is added or dropped and the references
stay as they are. All views come from the one set of cited claims, so they cannot contradict each other.

* physician: the article unchanged.
* nurse: guidelines, then considerations (safety, monitoring) and patient information before research;
  abbreviations expanded on first use.
* pharmacist: the drug label first, then guidelines; text untouched (units and doses stay as written).
* student: abbreviations expanded on first use; each bullet says its evidence level in words.
* patient: plain language. Jargon is replaced or explained from a hand-curated glossary
  (``vocabulary/data/plain_language.tsv``, see :mod:`curbside.writing.plain_language`); statistical asides such as "(95% CI 0.26 to 0.78)" and "(P < .001)"
  are removed while the numbers that carry a finding stay; long sentences are split at safe joints;
  grades are explained in words; patient information leads where it covers the question. Where the LLM writer
  wrote a patient wording and the verifier passed it (``Bullet.plain_text``, ``Article.bottom_line_plain``), that
  wording is the text the rules start from; a rewrite that failed verification was never stored, so its bullet
  starts from the verified clinician claim. Every sentence the rules reword is checked against the text it rewords;
  where a split sentence fails, the text is worded again with its sentences whole, then sentence by sentence, and
  only a sentence whose rewording still fails is shown as written.

Every rewrite is a deterministic regular-expression pass (no model), so one article always gives the
same views. This module holds the audiences and the views; the rewrites live beside it
(:mod:`~curbside.writing.abbreviations`, :mod:`~curbside.writing.plain_language`,
:mod:`~curbside.writing.sentence_splitting`) and :mod:`~curbside.writing.readability` measures the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

from curbside.corpus.documents import doc_type_words
from curbside.corpus.text import sentences
from curbside.writing.abbreviations import AbbreviationExpander
from curbside.writing.article import Article, Bullet, Section
from curbside.writing.plain_language import PlainLanguage, grade_sentence, plain_strength
from curbside.writing.readability import Readability, readability
from curbside.writing.verification import ClaimVerifier

Audience = Literal["physician", "nurse", "pharmacist", "student", "patient"]
AUDIENCES: tuple[Audience, ...] = get_args(Audience)
AUDIENCE_LABELS: dict[Audience, str] = {
    "physician": "Physician",
    "nurse": "Nurse / NP / PA",
    "pharmacist": "Pharmacist",
    "student": "Student",
    "patient": "Patient or caregiver",
}

_DEFAULT_AUDIENCE: Audience = "physician"


def parse_audience(value: str | None) -> Audience:
    """The audience named by ``value`` (a key such as "nurse", case and spaces ignored); none means physician."""
    if value is None or not value.strip():
        return _DEFAULT_AUDIENCE
    key = value.strip().lower()
    for audience in AUDIENCES:
        if key == audience:
            return audience
    choices = ", ".join(f"{a} ({AUDIENCE_LABELS[a]})" for a in AUDIENCES)
    raise ValueError(f"Unknown audience {value!r}. Choose one of: {choices}.")


def _view_text(article: Article) -> tuple[str, int]:
    """Bottom line and every bullet, each closed as a sentence so bullets never run together."""
    texts = [article.bottom_line] + [b.text for s in article.sections for b in s.bullets]
    closed = [t.strip() if t.strip().endswith((".", "!", "?")) else t.strip() + "." for t in texts if t.strip()]
    return "\n".join(closed), len(texts) - 1


def _view_readability(article: Article, audience: Audience) -> Readability:
    text, bullets = _view_text(article)
    scope = (
        f"{audience} view: bottom line and {bullets} bullet{'s' if bullets != 1 else ''} "
        "(headings, references and notes not counted; decimal points and abbreviation periods do not end sentences)"
    )
    return readability(text, scope=scope)


# --- the views ---------------------------------------------------------------------------------


class SentenceChecks(BaseModel):
    """The patient view's sentences checked against the text they reword (``writing/verification.py``)."""

    model_config = ConfigDict(extra="forbid")

    checked: int = 0  # sentences reworded from a source text and checked against it
    kept: int = 0
    reverted_texts: int = 0  # texts (or sentences of a text) shown as written, because their rewording failed
    resplit_texts: int = 0  # texts whose split rewording failed, worded again with their sentences whole
    vocabulary_notes: int = 0  # what a term or grade means, from the glossary and the grade table (not checked)


class AudienceView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    audience: Audience
    article: Article
    readability: Readability
    sentence_checks: SentenceChecks | None = None  # the patient view's (other views do not reword claims)


def view_for_audience(article: Article, audience: Audience) -> AudienceView:
    """The article as ``audience`` reads it: same claims, citations and quotes; wording and order differ."""
    audience = parse_audience(audience)
    builders: dict[Audience, Callable[[Article], Article]] = {
        "physician": lambda a: a.model_copy(deep=True),
        "nurse": _nurse_view,
        "pharmacist": _pharmacist_view,
        "student": _student_view,
        "patient": _patient_view,
    }
    checks = SentenceChecks() if audience == "patient" else None
    view = _patient_view(article, checks) if checks is not None else builders[audience](article)
    return AudienceView(audience=audience, article=view, readability=_view_readability(view, audience),
                        sentence_checks=checks)


def _ordered(sections: list[Section], order: Iterable[str]) -> list[Section]:
    """Sections in ``order``; any section id not named keeps its place after them (stable). The LLM writer's
    verified summary leads every view, as it leads the article."""
    rank = {"summary": -1} | {sid: i for i, sid in enumerate(order)}
    return sorted(sections, key=lambda s: rank.get(s.id, len(rank)))


def _rebuild(
    article: Article,
    order: Iterable[str],
    rewrite: Callable[[str], str] | None,
    *,
    headings: dict[str, str] | None = None,
    bullet_text: Callable[[Bullet, str], str] | None = None,
    strength: Callable[[Bullet], str | None] | None = None,
    bottom_line: Callable[[str], str] | None = None,
) -> Article:
    """A copy of ``article`` with sections in ``order`` and texts rewritten in reading order.

    Rewrites run bottom line first, then bullets as the view shows them, so "first use" of an
    abbreviation or a glossary term means first as read.
    """
    bottom = (bottom_line or rewrite or (lambda t: t))(article.bottom_line)
    sections: list[Section] = []
    for section in _ordered(article.sections, order):
        bullets: list[Bullet] = []
        for bullet in section.bullets:
            text = rewrite(bullet.text) if rewrite else bullet.text
            if bullet_text is not None:
                text = bullet_text(bullet, text)
            update: dict[str, object] = {"text": text, "reworded": bullet.reworded or text != bullet.text}
            if strength is not None:
                update["strength"] = strength(bullet)
            bullets.append(bullet.model_copy(update=update, deep=True))
        heading = (headings or {}).get(section.id, section.heading)
        sections.append(section.model_copy(update={"heading": heading, "bullets": bullets}, deep=True))
    return article.model_copy(update={"bottom_line": bottom, "sections": sections}, deep=True)


_BASE_ORDER = ("guidelines", "research", "label", "considerations", "patient")


def _pharmacist_view(article: Article) -> Article:
    # The label carries doses, interactions and adjustments; nothing is reworded so units stay exact.
    return _rebuild(article, ("label", "guidelines", "considerations", "research", "patient"), None)


def _nurse_view(article: Article) -> Article:
    expander = AbbreviationExpander(article, style="define")
    headings = {"considerations": "Key Considerations: Safety and Monitoring"}
    return _rebuild(
        article, ("guidelines", "considerations", "patient", "label", "research"), expander, headings=headings
    )


def _level_note(bullet: Bullet, text: str) -> str:
    return f"{text} (Evidence level {bullet.evidence_level} of 5, {doc_type_words(bullet.doc_type)}; 1 is strongest.)"


def _student_view(article: Article) -> Article:
    expander = AbbreviationExpander(article, style="define")
    return _rebuild(article, _BASE_ORDER, expander, bullet_text=_level_note)


# --- patient view --------------------------------------------------------------------------------

PATIENT_HEADINGS: dict[str, str] = {
    "guidelines": "What expert groups recommend",
    "research": "What studies found",
    "label": "What the drug label says",
    "considerations": "Things to know",
    "patient": "In plain words",
}

# Patient information leads when it is about as relevant as the best other source; otherwise it
# follows the recommendations (a leaflet about a neighbouring condition should not open the view).
_PATIENT_LEADS_MIN = 0.5
_PATIENT_LEADS_MARGIN = 0.2


def _patient_order(article: Article) -> tuple[str, ...]:
    best: dict[str, float] = {s.id: max((b.relevance for b in s.bullets), default=0.0) for s in article.sections}
    patient = best.get("patient", 0.0)
    others = max((v for k, v in best.items() if k != "patient"), default=0.0)
    if patient >= _PATIENT_LEADS_MIN and patient >= others - _PATIENT_LEADS_MARGIN:
        return ("patient", "guidelines", "considerations", "label", "research")
    return ("guidelines", "patient", "considerations", "label", "research")


def _bottom_bullet(article: Article) -> Bullet | None:
    """The bullet that states the bottom line (same quote), if any."""
    keys = {(q.passage_id, q.start, q.end) for q in article.bottom_line_quotes}
    if not keys:
        return None
    for section in article.sections:
        for bullet in section.bullets:
            if any((q.passage_id, q.start, q.end) in keys for q in bullet.quotes):
                return bullet
    return None


def _verified_plain_wording(article: Article) -> Article:
    """The LLM writer's verified patient wording in place of the clinician text, where it wrote one."""
    sections = [
        s.model_copy(update={"bullets": [
            b.model_copy(update={"text": b.plain_text, "reworded": True}) if b.plain_text else b for b in s.bullets
        ]})
        for s in article.sections
    ]
    update: dict[str, object] = {"sections": sections}
    if article.bottom_line_plain:
        update["bottom_line"] = article.bottom_line_plain
    return article.model_copy(update=update)


class _CheckedRewrite:
    """The patient rewrite, each sentence of it checked against the text it rewords: a reworded sentence must be
    supported by that text (numbers, units, negations exact; words through the lay vocabulary), or the text is
    shown as written. Sentences saying what a term or a grade means come from the vocabulary and are counted
    apart."""

    def __init__(self, rewrite: PlainLanguage, checks: SentenceChecks) -> None:
        self.rewrite = rewrite
        self.checks = checks
        self.verifier = ClaimVerifier()

    def notes(self) -> set[str]:
        return self.rewrite.notes

    def checked(self, source: str, worded: str, extra_notes: Iterable[str] = (), *, last_try: bool = True,
                within: str | None = None) -> str | None:
        """``worded`` when each of its sentences passes against ``source`` (or the text ``within`` it comes from);
        else ``source`` (None when this is not the last wording to try)."""
        notes = self.rewrite.notes | set(extra_notes)
        reworded = [s for s in sentences(worded) if s.strip() not in notes]
        if " ".join(worded.split()) == " ".join(source.split()):
            self.checks.vocabulary_notes += len(sentences(worded)) - len(reworded)
            return worded
        passages = {1: within or source}
        failed = False
        for sentence in reworded:
            self.checks.checked += 1
            if self.verifier.check(sentence, [1], passages).supported:
                self.checks.kept += 1
            else:
                failed = True
        if not failed:
            self.checks.vocabulary_notes += len(sentences(worded)) - len(reworded)
            return worded
        if not last_try:
            return None
        self.checks.reverted_texts += 1
        return source

    def _worded(self, text: str, within: str | None = None) -> str | None:
        """``text`` reworded with its long sentences split; where a cut sentence fails its check, the same plain words
        with the sentences whole; None when that fails too (this rewrite then remembers nothing of ``text``)."""
        for split in (True, False):
            before = self.rewrite.state()
            worded = self.checked(text, self.rewrite(text, split=split), last_try=False, within=within)
            if worded is not None:
                self.checks.resplit_texts += not split
                return worded
            self.rewrite.restore(before)
        return None

    def __call__(self, text: str) -> str:
        worded = self._worded(text)
        if worded is not None:
            return worded
        # Each sentence of the text worded on its own (checked against the whole text), shown as written only where
        # it fails.
        shown: list[str] = []
        for part in sentences(text) if len(sentences(text)) > 1 else [text]:
            worded = self._worded(part, within=text) if part != text else None
            if worded is None:
                self.checks.reverted_texts += 1
            shown.append(worded or part)
        return " ".join(shown)


def _patient_view(article: Article, checks: SentenceChecks | None = None) -> Article:
    # Within the patient-information section the closest match to the question reads first (sorted
    # before rewriting, so a term is explained where it is first read).
    article = _verified_plain_wording(article)
    article = article.model_copy(
        update={
            "sections": [
                s.model_copy(update={"bullets": sorted(s.bullets, key=lambda b: -b.relevance)}) if s.id == "patient" else s
                for s in article.sections
            ]
        }
    )
    rewrite = _CheckedRewrite(PlainLanguage(article), checks if checks is not None else SentenceChecks())
    bottom_bullet = _bottom_bullet(article)

    def bottom_line(text: str) -> str:
        grade = bottom_bullet.grade if bottom_bullet is not None else None
        if bottom_bullet is not None and grade:
            # The writer appends "(Grade A)" after the sentence; say what it means instead.
            suffix = f" (Grade {grade})" if len(grade) <= 3 else f" ({grade})"
            if text.endswith(suffix):
                body = rewrite.rewrite(text[: -len(suffix)])
                if f"Grade {grade})" in body:
                    return rewrite.checked(text, body) or text  # the statement already says its grade, in words
                said = grade_sentence(bottom_bullet)
                return rewrite.checked(text, body + " " + said, [said]) or text
        return rewrite(text)

    return _rebuild(
        article,
        _patient_order(article),
        rewrite,
        headings=PATIENT_HEADINGS,
        strength=plain_strength,
        bottom_line=bottom_line,
    )
