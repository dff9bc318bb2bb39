"""The site in a real browser (Playwright driving Debian's chromium), over a real index of the fixture corpus:
a clinician asks, a reviewer approves, an anonymous reader reads it in the patient view, a follow-up is linked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from support.live_server import live_server
from support.webapp import PASSWORD, WebSite

pytestmark = [pytest.mark.slow, pytest.mark.browser]

QUESTION = "Should a 55-year-old woman be screened for colorectal cancer?"


@contextmanager
def visitor(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page: Page, base: str, site: WebSite, who: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", site.email(who))
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator(".user-email")).to_contain_text(site.email(who))


def current_step(page: Page) -> str:
    return page.locator(".status-tracker li[aria-current='step']").inner_text().strip()


def test_ask_review_approve_read_as_patient_and_follow_up(
    chromium_browser: Browser, make_site: Callable[..., WebSite], test_output_dir: Path
) -> None:
    site = make_site()
    with live_server(site.app) as base:
        # 1. A clinician asks and sees the article in Submitted.
        with visitor(chromium_browser) as clinician:
            sign_in(clinician, base, site, "clinician")
            clinician.goto(f"{base}/ask")
            clinician.fill("#question", QUESTION)
            clinician.fill("#context", "Average risk, no prior screening")
            clinician.click("form.ask-form button[type=submit]")
            expect(clinician.locator(".article-title")).to_have_text(QUESTION)
            expect(clinician.locator(".article-body")).to_be_visible(timeout=30_000)  # built, then reloaded
            assert current_step(clinician) == "Submitted"
            expect(clinician.locator(".pending-review")).to_be_visible()
            article_url = clinician.url.split("?")[0]
            article_id = article_url.rsplit("/", 1)[-1]
            # A citation shows its supporting quote.
            clinician.locator(".article-body a.cite").first.hover()
            expect(clinician.locator(".cite-popover").first).to_be_visible()
            clinician.screenshot(path=str(test_output_dir / "article-submitted.png"), full_page=True)

        # 2. A reviewer starts the review and approves it, each with a note.
        with visitor(chromium_browser) as reviewer:
            sign_in(reviewer, base, site, "reviewer")
            reviewer.goto(f"{base}/review")
            reviewer.click(f"a[href='/articles/{article_id}']")
            reviewer.fill("#review-note", "Checking each statement against its source.")
            reviewer.click("button[value=start]")
            expect(reviewer.locator(".flash-success")).to_contain_text("Under Review")
            assert current_step(reviewer) == "Under Review"
            reviewer.fill("#review-note", "Statements match their sources; grades correct.")
            reviewer.click("button[value=approve]")
            expect(reviewer.locator(".flash-success")).to_contain_text("Approved")

        # 3. An anonymous reader sees it as Approved, and switches to the patient view.
        with visitor(chromium_browser) as reader:
            reader.goto(article_url)
            assert current_step(reader) == "Approved"
            expect(reader.locator(".pending-review")).to_have_count(0)
            expect(reader.locator(".review-banner")).to_contain_text("Reviewed and approved by the Medical Advisory Board")
            physician_text = reader.locator(".article-body").inner_text()
            physician_grade = float(re.search(r"grade ([\d.]+)", reader.locator(".readability").inner_text()).group(1))
            reader.locator(".audience-selector label", has_text="Patient or caregiver").click()
            reader.wait_for_url(re.compile(r"audience=patient"))
            patient_text = reader.locator(".article-body").inner_text()
            patient_grade = float(re.search(r"grade ([\d.]+)", reader.locator(".readability").inner_text()).group(1))
            assert patient_text != physician_text
            assert patient_grade < physician_grade
            reader.screenshot(path=str(test_output_dir / "article-approved-patient-view.png"), full_page=True)
            # The choice is remembered for the visitor.
            reader.goto(article_url)
            expect(reader.locator(".audience-selector input[value=patient]")).to_be_checked()

        # 4. A follow-up creates a linked article carrying the parent's context.
        with visitor(chromium_browser) as clinician:
            sign_in(clinician, base, site, "clinician")
            clinician.goto(article_url)
            clinician.fill("#followup-question", "What are the harms of colonoscopy?")
            clinician.click(".followup-box button[type=submit]")
            expect(clinician.locator(".article-title")).to_have_text("What are the harms of colonoscopy?")
            expect(clinician.locator(".parent-link a")).to_have_attribute("href", f"/articles/{article_id}")
            expect(clinician.locator(".patient-context")).to_contain_text("Average risk")
            expect(clinician.locator(".article-body")).to_be_visible(timeout=30_000)
            assert clinician.url.split("?")[0] != article_url
            clinician.screenshot(path=str(test_output_dir / "article-follow-up.png"), full_page=True)
