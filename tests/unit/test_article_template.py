"""The web app's article partial (``web/templates/_article_body.html``) over real-shaped articles, and the
Markdown and standalone HTML renderings (``writing/render.py``) of the same articles where they differ.

The article dicts are written by hand, validated against the Article schema, and rendered the way the
web app renders them: a Jinja2 environment with autoescape on.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from curbside.corpus import documents
from curbside.corpus.documents import EVIDENCE_LEVELS
from curbside.writing.article import DISCLAIMER, Article
from curbside.writing.audience import AUDIENCES, view_for_audience
from curbside.writing.render import template_labels, to_html, to_markdown

jinja2 = pytest.importorskip("jinja2")

WEB = Path(__file__).resolve().parents[2] / "src" / "curbside" / "web"
TEMPLATES = WEB / "templates"
STATIC = WEB / "static"

HOSTILE_QUOTE = 'Offer statins when LDL > 190 mg/dL & <script>alert("x")</script> is not code.'


def _quote(doc_id: str, text: str, start: int = 0) -> dict:
    return {"doc_id": doc_id, "passage_id": f"{doc_id}#0", "start": start, "end": start + len(text), "text": text}


def _common(**fields: object) -> dict:
    base: dict = {
        "title": "",
        "question": "",
        "bottom_line": "",
        "evidence_status": "sufficient",
        "sections": [],
        "references": [],
        "patient_story": {"age": None, "sex": None, "history": []},
        "query": {"clinical_question": "", "keywords": [], "expansions": [], "mesh_terms": []},
        "corpus_snapshot": "starter-11bac9a1576d",
        "evidence_scale": "Curbside levels 1-5 (adapted from Oxford CEBM 2011)",
        "writer": {"name": "extractive", "version": "1", "preset": "default", "settings": {}},
        "disclaimer": DISCLAIMER,
    }
    base.update(fields)
    base["question"] = base["question"] or base["title"]
    base["query"]["clinical_question"] = base["question"]
    # Only what the schema accepts: the same shape as Article.model_dump(mode="json").
    return Article.model_validate(base).model_dump(mode="json")


def statin_article() -> dict:
    uspstf_quote = "The USPSTF recommends that clinicians prescribe a statin for adults aged 40 to 75 years with 1 or more CVD risk factors."
    acc_quote = HOSTILE_QUOTE
    rct_quote = "Atorvastatin 10 mg reduced major cardiovascular events by 36% compared with placebo (HR 0.64)."
    return _common(
        title="Should a 60-year-old with hypertension start a statin?",
        bottom_line="The USPSTF recommends a statin for adults aged 40 to 75 years with 1 or more CVD risk factors.",
        bottom_line_citations=[1],
        bottom_line_quotes=[_quote("uspstf-1", uspstf_quote)],
        sections=[
            {
                "id": "guidelines",
                "heading": "From the Guidelines",
                "bullets": [
                    {
                        "text": uspstf_quote,
                        "citations": [1, 2],
                        "quotes": [_quote("uspstf-1", uspstf_quote), _quote("acc-2", acc_quote, 40)],
                        "grade": "B",
                        "strength": "Grade B: recommended; moderate certainty of moderate net benefit",
                        "doc_type": "guideline",
                        "evidence_level": 1,
                        "year": 2022,
                        "relevance": 1.0,
                    }
                ],
            },
            {
                "id": "research",
                "heading": "From the Research",
                "bullets": [
                    {
                        "text": rct_quote,
                        "citations": [3],
                        "quotes": [_quote("15338457", rct_quote, 120)],
                        "doc_type": "rct",
                        "evidence_level": 2,
                        "year": 2004,
                        "relevance": 0.82,
                    },
                    {
                        # the quote's doc_id matches no cited reference: the popover shows all quotes
                        "text": "In short, statins were well tolerated.",
                        "citations": [3],
                        "quotes": [_quote("other-doc", "Adverse events did not differ between the groups.")],
                        "support": "paraphrased_verified",
                        "doc_type": "rct",
                        "evidence_level": 2,
                        "year": 2004,
                        "relevance": 0.5,
                    },
                ],
            },
        ],
        references=[
            {
                "number": 1,
                "doc_id": "uspstf-1",
                "title": "Statin Use for the Primary Prevention of Cardiovascular Disease in Adults",
                "source": "uspstf",
                "organization": "U.S. Preventive Services Task Force",
                "year": 2022,
                "doc_type": "guideline",
                "doc_type_label": "Guideline",
                "evidence_level": 1,
                "url": "https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/statin-use",
                "grade_scheme": "USPSTF grades: A: recommended, high certainty of substantial net benefit. B: ...",
            },
            {
                "number": 2,
                "doc_id": "acc-2",
                "title": "Blood cholesterol guideline <2018>",
                "source": "ngc",
                "organization": "AHA & ACC",
                "year": 2018,
                "doc_type": "guideline",
                "doc_type_label": "Guideline",
                "evidence_level": 1,
                "url": "javascript:alert(1)",
            },
            {
                "number": 3,
                "doc_id": "15338457",
                "title": "Primary prevention of cardiovascular disease with atorvastatin in type 2 diabetes (CARDS)",
                "source": "pmc_rct",
                "organization": "Lancet",
                "year": 2004,
                "doc_type": "rct",
                "doc_type_label": "Randomized controlled trial",
                "evidence_level": 2,
                "url": "https://pubmed.ncbi.nlm.nih.gov/15338457/",
                "pmid": "15338457",
                "pmcid": "PMC1234567",
                "doi": "10.1016/S0140-6736(04)16895-5",
            },
        ],
    )


SUGGESTED = ["What is the evidence on CAR-T & lupus nephritis?", "What is known about 50% dose/day? #1"]


def thin_article() -> dict:
    return _common(
        title="What is the role of CAR-T for refractory lupus nephritis in pregnancy?",
        bottom_line="The knowledge base holds no evidence that answers this question directly.",
        evidence_status="insufficient",
        evidence_note="No passage among the 40 retrieved was relevant enough to quote. Not covered: refractory, pregnancy.",
        suggested_questions=SUGGESTED,
        nearby_documents=[
            {
                "doc_id": "medquad-NIDDK_0000159",
                "title": "Lupus Nephritis",
                "doc_type": "patient_information",
                "url": "https://www.niddk.nih.gov/lupus-nephritis",
            },
            {
                "doc_id": "26835147",
                "title": "Mycophenolate sodium for relapsed or resistant proliferative lupus nephritis",
                "doc_type": "rct",
                "year": 2016,
                "url": "https://pubmed.ncbi.nlm.nih.gov/26835147/",
            },
        ],
    )


@pytest.fixture(scope="module")
def env() -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    environment.globals.update(template_labels())  # as the web app sets them (web/pages.py)
    return environment


def render(env: jinja2.Environment, article: dict, **context: object) -> str:
    context.setdefault("audience", "physician")
    context.setdefault("evidence_levels", {1: "Guideline or systematic review", 2: "Randomized trial or drug label"})
    return env.get_template("_article_body.html").render(article=article, **context)


class Page(HTMLParser):
    """Every element as (tag, attrs), the ids, and the text inside each id'd element."""

    VOID: ClassVar[set[str]] = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.ids: list[str] = []
        self.texts: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.elements.append((tag, a))
        if a.get("id"):
            self.ids.append(a["id"])
            self.texts[a["id"]] = ""
        if tag not in self.VOID:
            self._open.append((tag, a.get("id")))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            t, _ = self._open.pop()
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, i in self._open:
            if i:
                self.texts[i] += data

    def find(self, tag: str | None = None, cls: str | None = None) -> list[dict[str, str | None]]:
        return [
            a
            for t, a in self.elements
            if (tag is None or t == tag) and (cls is None or cls in (a.get("class") or "").split())
        ]


def text_of(page: Page, element_id: str) -> str:
    return " ".join(page.texts[element_id].split())


def test_every_citation_marker_points_at_an_existing_reference_and_note(env: jinja2.Environment) -> None:
    page = Page(render(env, statin_article()))
    markers = page.find("a", "cite")
    assert [m["data-ref"] for m in markers] == ["1", "1", "2", "3", "3"]
    assert len(page.ids) == len(set(page.ids)), "ids must be unique"
    for m in markers:
        assert m["href"] == f"#ref-{m['data-ref']}"
        assert f"ref-{m['data-ref']}" in page.ids
        assert m["aria-describedby"] in page.ids
        assert page.texts[m["aria-describedby"]].strip(), "the note behind a marker has the quote"
    refs = page.find("li", "reference")
    assert [r["id"] for r in refs] == ["ref-1", "ref-2", "ref-3"]
    assert [r["value"] for r in refs] == ["1", "2", "3"]


def test_markers_render_as_bracketed_numbers(env: jinja2.Environment) -> None:
    html = render(env, statin_article())
    assert re.search(r'<a class="cite" href="#ref-2" data-ref="2"[^>]*>\[2\]</a>', html)


def test_popover_notes_hold_the_quote_of_that_reference_or_else_all_quotes(env: jinja2.Environment) -> None:
    page = Page(render(env, statin_article()))
    first = text_of(page, "cq-guidelines-1-1")
    second = text_of(page, "cq-guidelines-1-2")
    assert "prescribe a statin" in first and "LDL > 190" not in first
    assert "LDL > 190 mg/dL & <script>" in second and "prescribe a statin" not in second
    assert "Go to reference" in first and "Statin Use for the Primary Prevention" in first
    # no quote from doc 15338457 in this bullet: all of the bullet's quotes are shown
    assert "Adverse events did not differ" in text_of(page, "cq-research-2-3")
    assert "prescribe a statin" in text_of(page, "cq-bottom-1")


def test_corpus_text_is_escaped_never_markup(env: jinja2.Environment) -> None:
    html = render(env, statin_article())
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "LDL &gt; 190 mg/dL &amp; &lt;script&gt;" in html
    assert "Blood cholesterol guideline &lt;2018&gt;" in html
    assert "AHA &amp; ACC" in html


def test_no_inline_scripts_handlers_or_styles(env: jinja2.Environment) -> None:
    for article in (statin_article(), thin_article()):
        page = Page(render(env, article))
        assert not page.find("script")
        for tag, attrs in page.elements:
            assert not [a for a in attrs if a.lower().startswith("on")], (tag, attrs)
            assert "style" not in attrs, (tag, attrs)
            for name in ("href", "src"):
                assert not (attrs.get(name) or "").lower().startswith("javascript:"), (tag, attrs)


def test_grade_level_and_year_badges(env: jinja2.Environment) -> None:
    html = render(env, statin_article())
    page = Page(html)
    grades = page.find("span", "badge-grade")
    assert len(grades) == 1
    assert grades[0]["title"] == "Grade B: recommended; moderate certainty of moderate net benefit"
    assert re.search(r'class="badge badge-grade"[^>]*>Grade B<', html)
    assert page.find("span", "badge-level-1") and page.find("span", "badge-level-2")
    assert re.search(r'class="badge badge-level badge-level-2"[^>]*>Level 2<', html)
    assert '<span class="bullet-year"><span class="visually-hidden">Published </span>2004</span>' in html
    assert "Paraphrased, verified" in html and "Verbatim quote" in html


def test_every_bullet_carries_certainty_and_directness_badges(env: jinja2.Environment) -> None:
    article = statin_article()
    for section in article["sections"]:
        for bullet in section["bullets"]:
            bullet["certainty"] = "moderate"
    html = render(env, article)
    bullets = sum(len(s["bullets"]) for s in article["sections"])
    assert html.count("badge-certainty certainty-moderate") == bullets
    assert html.count("badge badge-support") == bullets
    assert "Certainty: Moderate" in html


def test_sections_bottom_line_and_heading_order(env: jinja2.Environment) -> None:
    html = render(env, statin_article())
    page = Page(html)
    assert [s["id"] for s in page.find("section") if (s.get("id") or "").startswith("sec-")] == [
        "sec-guidelines",
        "sec-research",
    ]
    headings = [t for t, _ in page.elements if re.fullmatch(r"h[1-6]", t)]
    assert "h1" not in headings, "the page renders the title"
    assert headings[0] == "h2"
    assert html.index("bottom-line") < html.index("sec-guidelines") < html.index('id="references"')
    assert not page.find(cls="evidence-notice")


def test_references_link_identifiers_and_only_http_urls(env: jinja2.Environment) -> None:
    html = render(env, statin_article())
    page = Page(html)
    hrefs = [a["href"] for a in page.find("a")]
    assert "https://pubmed.ncbi.nlm.nih.gov/15338457/" in hrefs
    assert "https://doi.org/10.1016/S0140-6736%2804%2916895-5" in hrefs
    assert "https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/statin-use" in hrefs
    assert "PMCID: PMC1234567" in text_of(page, "ref-3")
    assert "U.S. Preventive Services Task Force" in text_of(page, "ref-1")
    assert "Randomized controlled trial" in text_of(page, "ref-3")
    # a document's level badge names its own type; the level's name (evidence_levels) is only the legend's
    assert "Level 2: Randomized controlled trial" in text_of(page, "ref-3")
    assert "Randomized trial or drug label" not in text_of(page, "ref-3")
    assert "USPSTF grades" in text_of(page, "ref-1")
    assert not any("javascript" in h.lower() for h in hrefs)
    assert "Blood cholesterol guideline <2018>" in text_of(page, "ref-2"), "title kept, unlinked"


def test_disclaimer_box_has_scale_snapshot_and_disclaimer(env: jinja2.Environment) -> None:
    html = render(env, statin_article())
    box = html[html.index('class="disclaimer-box"') :]
    assert "Curbside levels 1-5 (adapted from Oxford CEBM 2011)" in box
    assert "Built from corpus snapshot <code>starter-11bac9a1576d</code>" in box
    assert "It is not medical advice for any individual patient" in box


def test_thin_evidence_notice_with_broader_questions_and_nearby_documents(env: jinja2.Environment) -> None:
    html = render(env, thin_article())
    page = Page(html)
    notice = page.find("section", "evidence-notice")
    assert notice and "evidence-notice-insufficient" in notice[0]["class"]
    assert "Insufficient evidence in the knowledge base" in html
    assert "Not covered: refractory, pregnancy." in html
    links = [a["href"] for a in page.find("a") if (a.get("href") or "").startswith("/ask?")]
    assert len(links) == 2
    for href, question in zip(links, SUGGESTED):
        assert " " not in href and "&" not in href.split("?", 1)[1] and "#" not in href
        assert parse_qs(urlsplit(href).query) == {"q": [question]}
    assert "Lupus Nephritis" in html and "(Patient information)" in html
    assert "(Randomized controlled trial, 2016)" in html
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/26835147/"' in html
    assert not page.find("a", "cite") and 'id="references"' not in html
    assert "Built from corpus snapshot" in html


def test_ask_url_can_come_from_urls(env: jinja2.Environment) -> None:
    html = render(env, thin_article(), urls={"ask": "/app/ask"})
    assert 'href="/app/ask?q=What%20is%20the%20evidence' in html


def test_limited_status_and_patient_audience(env: jinja2.Environment) -> None:
    article = statin_article()
    article["evidence_status"] = "limited"
    article["evidence_note"] = "The evidence found is limited."
    html = render(env, article, audience="patient")
    assert "Limited evidence" in html and "The evidence found is limited." in html
    assert 'data-audience="patient"' in html and "The short answer" in html


def test_level_labels_fall_back_when_not_a_mapping_of_numbers_to_labels(env: jinja2.Environment) -> None:
    # EVIDENCE_LEVELS maps document types to numbers: the partial falls back to its own labels
    for levels in (EVIDENCE_LEVELS, None, {}):
        html = render(env, statin_article(), evidence_levels=levels)
        assert "Guideline or systematic review" in html
        assert "Expert summary or patient information" in html  # the scale legend
    html = render(env, statin_article(), evidence_levels={"1": "Strongest", 2: "Strong"})
    legend = html[html.index('class="evidence-scale"') :]
    assert "</span> Strongest</span>" in legend and "</span> Strong</span>" in legend
    html = env.get_template("_article_body.html").render(article=statin_article())
    assert "</span> Randomized trial or drug label</span>" in html[html.index('class="evidence-scale"') :]


def test_level_labels_from_the_corpus_module_when_it_has_them(env: jinja2.Environment) -> None:
    labels_of = getattr(documents, "evidence_level_labels", None)
    if labels_of is None:
        pytest.skip("curbside.corpus.documents has no evidence_level_labels()")
    labels = labels_of()
    html = render(env, statin_article(), evidence_levels=labels)
    assert f"</span> {labels[2]}</span>" in html[html.index('class="evidence-scale"') :], "the legend"


def test_stylesheet_defines_the_site_classes() -> None:
    css = (STATIC / "curbside.css").read_text(encoding="utf-8")
    classes = [
        *("site-header", "container", "site-footer"),
        *("btn", "btn-primary", "btn-secondary", "btn-danger", "form-row", "field-error"),
        *("flash", "flash-error", "flash-success"),
        *("review-banner", "status-tracker", "step", "done", "current", "rejected", "changes"),
        *("pending-review", "last-updated", "audience-selector", "active", "building-note"),
        *("related-questions", "followup-box", "version-list", "diff", "diff-add", "diff-del", "readability"),
        *("queue-table", "status-pill", "status-submitted", "status-under_review", "status-approved"),
        *("status-changes_requested", "status-rejected", "comment", "audit-log"),
        *("badge", "badge-level-1", "badge-level-2", "badge-level-3", "badge-level-4", "badge-level-5"),
        *("badge-grade", "bottom-line", "evidence-notice", "cite", "cite-sources", "cite-popover"),
        *("cite-quote", "reference", "disclaimer-box", "visually-hidden"),
    ]
    missing = [c for c in classes if not re.search(rf"\.{re.escape(c)}(?![\w-])", css)]
    assert not missing
    assert "@import" not in css and "url(http" not in css and "@media print" in css


def test_script_is_standalone() -> None:
    js = (STATIC / "curbside.js").read_text(encoding="utf-8")
    assert "htmx:afterSwap" in js and "data-autosubmit" in js and "aria-expanded" in js
    assert not re.search(r"\beval\(|new Function|innerHTML|document\.write|https?://", js)


def derived_article() -> dict:
    """A medical-necessity article whose bottom line and label and dose sentences are derived, beside a
    quoted guideline sentence and a drug-label bullet."""
    article = statin_article()
    label_quote = _quote("spl-rtx", "Rituximab is indicated for adult patients with rheumatoid arthritis.", 10)
    article["references"].append({
        "number": 4, "doc_id": "spl-rtx", "title": "RITUXAN (rituximab) injection", "source": "spl", "year": 2021,
        "doc_type": "drug_label", "doc_type_label": "Drug label (FDA)", "evidence_level": 2,
    })
    article["sections"].append({"id": "label", "heading": "From the Drug Label", "bullets": [{
        "text": label_quote["text"], "citations": [4], "quotes": [label_quote], "doc_type": "drug_label",
        "evidence_level": 2, "relevance": 0.7,
    }]})
    article.update(
        bottom_line="Partially supported: atorvastatin is standard of care; rituximab could not be assessed.",
        bottom_line_citations=[1, 4], bottom_line_quotes=[], bottom_line_support="derived",
        bottom_line_derived_from=[
            {"fact": "determination", "value": "partially supported", "citation": None},
            {"fact": "guideline recommendation", "value": "statin for adults 40 to 75 (Grade B)", "citation": 1},
        ],
        authorization_summary={"text": "", "citations": [1, 4], "sentences": [
            {"text": article["sections"][0]["bullets"][0]["text"], "citations": [1],
             "quotes": article["sections"][0]["bullets"][0]["quotes"][:1], "support": "verbatim"},
            {"text": "Rituximab is FDA-labelled for this indication.", "citations": [4], "support": "derived",
             "derived_from": [{"fact": "label indication", "value": "adult patients with rheumatoid arthritis",
                               "citation": 4, "quote": label_quote}]},
        ]},
    )
    return Article.model_validate(article).model_dump(mode="json")


def test_derived_sentences_are_marked_with_their_facts_and_never_quoted(env: jinja2.Environment) -> None:
    html = render(env, derived_article())
    page = Page(html)
    bottom = html[html.index('class="bottom-line"') : html.index("</section>", html.index('class="bottom-line"'))]
    assert "support-derived" in bottom and "Derived</span> from [1] [4]" in bottom
    assert "determination</span>: partially supported" in bottom and "(not from a cited source" in bottom
    assert "cite-quote" not in bottom and "<blockquote" not in bottom, "a derived sentence has no quote popover"
    for marker in (a for a in page.find("a", "cite") if (a.get("aria-describedby") or "").startswith("cq-bottom")):
        assert marker["aria-describedby"] == "cq-bottom-facts" and "cq-bottom-facts" in page.ids
    summary = html[html.index('id="sec-authorization"') :]
    summary = summary[: summary.index("</section>")]
    quoted, derived = summary.split('class="authorization-sentence', 2)[1:]
    assert "<blockquote" in quoted and "support-derived" not in quoted, "a quoted sentence keeps its quote"
    assert "support-derived" in derived and "label indication</span>: adult patients with rheumatoid arthritis" in derived
    assert "<blockquote" not in derived and "\u201c" not in derived


def test_a_drug_label_is_shown_as_a_drug_label_not_a_trial(env: jinja2.Environment) -> None:
    html = render(env, derived_article(), evidence_levels=documents.evidence_level_labels())
    page = Page(html)
    assert "Level 2: Drug label (FDA)" in text_of(page, "ref-4")
    assert "Randomized" not in text_of(page, "ref-4")
    label = html[html.index('id="sec-label"') :]
    label = label[: label.index("</section>")]
    assert 'title="Evidence level 2: Drug label (FDA)"' in label and "Randomized" not in label
    assert "Level 2: Randomized controlled trial" in text_of(page, "ref-3")


def test_every_enumeration_value_has_words() -> None:
    from curbside.writing.article import Classification, DocType, DoseStatus, EvidenceStatus, LabelStatus, Support
    from curbside.evidence.assessment import Determination

    labels = template_labels()
    for name, enum in (("doc_type_labels", DocType), ("classification_labels", Classification),
                       ("determination_labels", Determination), ("label_status_labels", LabelStatus),
                       ("dose_status_labels", DoseStatus), ("support_labels", Support), ("status_labels", EvidenceStatus)):
        assert set(labels[name]) == {m.value for m in enum}, name


def test_markdown_and_html_mark_derived_sentences_and_keep_quotes_as_quotes() -> None:
    article = Article.model_validate(derived_article())
    markdown = to_markdown(article)
    bottom = next(line for line in markdown.splitlines() if line.startswith("**Bottom line:**"))
    assert "(derived by Curbside from [1][4]: determination: partially supported (not from a cited source); " in bottom
    assert "guideline recommendation: statin for adults 40 to 75 (Grade B) [1])" in bottom
    summary = markdown[markdown.index("## Summary Statement for Authorization") :].splitlines()[2]
    assert "1 or more CVD risk factors. [1] " in summary, "the quoted sentence keeps its plain citation"
    assert summary.endswith("Rituximab is FDA-labelled for this indication. (derived by Curbside from [4]: "
                            "label indication: adult patients with rheumatoid arthritis [4])")
    page = to_html(article)
    assert page.count('class="derived"') == 2 and "derived by Curbside from [4]" in page
    assert "Level 2: Drug label (FDA)" in page


def test_a_derived_sentence_cannot_carry_a_quote_as_its_text() -> None:
    article = derived_article()
    quote = article["authorization_summary"]["sentences"][1]["derived_from"][0]["quote"]
    assert quote in [q.model_dump() for q in Article.model_validate(article).all_quotes()], "checked like any quote"
    article["authorization_summary"]["sentences"][1]["quotes"] = [quote]
    with pytest.raises(ValueError, match="derived"):
        Article.model_validate(article)
    article = derived_article()
    article["bottom_line_quotes"] = [quote]
    with pytest.raises(ValueError, match="derived"):
        Article.model_validate(article)


def test_audience_views_keep_the_derived_marker() -> None:
    article = Article.model_validate(derived_article())
    for audience in AUDIENCES:
        view = view_for_audience(article, audience).article
        assert view.bottom_line_support == "derived" and view.bottom_line_derived_from == article.bottom_line_derived_from
        assert view.authorization_summary == article.authorization_summary


def test_a_reworded_bullet_is_not_badged_as_a_verbatim_quote(env: jinja2.Environment) -> None:
    article = derived_article()
    bullet = article["sections"][-1]["bullets"][0]
    verbatim = render(env, article)
    label = verbatim[verbatim.index('id="sec-label"'):]
    assert "Verbatim quote" in label[: label.index("</section>")]
    bullet.update(text="Rituximab is approved for adults with rheumatoid arthritis (a joint disease).", reworded=True)
    html = render(env, article)
    label = html[html.index('id="sec-label"'):]
    label = label[: label.index("</section>")]
    assert "Reworded from the quote" in label and "Verbatim quote" not in label


def test_the_llm_writer_and_what_its_verifier_did_are_shown(env: jinja2.Environment) -> None:
    writer = {"name": "llm", "version": "2", "preset": "default", "settings": {}, "model": "fake-model",
              "base_url": "http://127.0.0.1:8080/v1"}
    verification = {"claims_total": 4, "kept": 3, "revised": 1, "removed": 1,
                    "removed_claims": [{"text": "Start at 1000 mg.", "reason": "'1000 mg' is not in passage 1"}],
                    "patient_rewrite": {"claims_total": 3, "kept": 2, "removed": 1, "removed_claims": []}}
    article = {**statin_article(), "writer": writer, "verification": verification}
    article = Article.model_validate(article).model_dump(mode="json")
    page = re.sub(r"\s+", " ", render(env, article))
    assert "by the llm writer v2 (fake-model)" in page
    assert "4 claims, 3 kept (1 with citations corrected), 1 removed" in page
    assert "Plain-language rewrites: 2 of 3 passed the same check" in page
    assert "1000 mg" not in page  # a removed claim is never shown as article text
    markdown = to_markdown(Article.model_validate(article))
    assert "writer llm v2 (fake-model at http://127.0.0.1:8080/v1; 4 claims: 3 kept, 1 revised, 1 removed" in markdown
    fell_back = {**statin_article(), "verification": {"fallback": True, "fallback_reason": "the endpoint timed out"}}
    fell_back = Article.model_validate(fell_back).model_dump(mode="json")
    page = re.sub(r"\s+", " ", render(env, fell_back))
    assert "could not be used (the endpoint timed out), so the extractive writer quoted the sources" in page
    assert "the LLM writer fell back: the endpoint timed out" in to_markdown(Article.model_validate(fell_back))
    assert "language model" not in re.sub(r"\s+", " ", render(env, statin_article()))
