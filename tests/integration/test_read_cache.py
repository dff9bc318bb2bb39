"""The read cache of published articles (web/read_cache.py) never serves one viewer what another may see, and never
serves a version that is no longer the published one: not in this worker, nor after another worker's approval."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from support.webapp import PASSWORD, WebSite, client_for

from curbside.articles.publisher import Publisher
from curbside.web.app import create_app
from curbside.web.read_cache import BoundedLRU, ReadCache

pytestmark = pytest.mark.slow

QUESTION = "Should a 55-year-old woman be screened for colorectal cancer?"
DRAFT_QUESTION = "Should a 48-year-old woman be screened for colorectal cancer?"
CONTEXT = "Average risk, lives alone, prefers stool testing"
COMMENT = "Reviewer-only remark on the draft"
VERSION_NOTE = "Reworded for the younger age group"


@pytest.fixture
def site(make_site: Callable[..., WebSite]) -> WebSite:
    return make_site()


@pytest.fixture
def client(site: WebSite) -> Iterator[TestClient]:
    with client_for(site) as c:
        yield c


def ask_and_publish(client: TestClient, site: WebSite, question: str, context: str | None = None,
                    reviewed_by: TestClient | None = None) -> str:
    asked = client.post("/api/articles", json={"question": question, "context": context}, headers=site.auth("clinician"))
    assert asked.status_code == 201, asked.text
    article_id = asked.json()["id"]
    approve_latest(reviewed_by or client, site, article_id)
    return article_id


def new_draft(client: TestClient, site: WebSite, article_id: str, question: str) -> None:
    # Made by a second reviewer: the first approves it (nobody approves a version they made).
    made = client.post(f"/api/articles/{article_id}/versions", headers=site.auth("reviewer2"),
                       json={"note": VERSION_NOTE, "question": question})
    assert made.status_code == 201, made.text


def approve_latest(client: TestClient, site: WebSite, article_id: str) -> None:
    for action in ("start", "approve"):
        done = client.post(f"/api/articles/{article_id}/review", json={"action": action, "note": "Checked."},
                           headers=site.auth("reviewer"))
        assert done.status_code == 200, done.text


def private_words_in(text: str) -> list[str]:
    # The reviewers' and the asker's addresses; a signed-in reader's own shows in the page's header.
    people = ("reviewer@example.org", "reviewer2@example.org", "clinician@example.org")
    return [w for w in (DRAFT_QUESTION, CONTEXT, COMMENT, VERSION_NOTE, *people) if w in text]


def sign_in_page_client(site: WebSite, who: str) -> TestClient:
    c = client_for(site)
    page = c.get("/login").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed = c.post("/login", data={"email": site.email(who), "password": PASSWORD, "csrf_token": token},
                    follow_redirects=False)
    assert signed.status_code == 303, signed.text
    return c


def test_a_reader_never_gets_a_reviewers_view_nor_a_reviewer_a_readers(client: TestClient, site: WebSite) -> None:
    article_id = ask_and_publish(client, site, QUESTION, CONTEXT)
    new_draft(client, site, article_id, DRAFT_QUESTION)
    commented = client.post(f"/api/articles/{article_id}/comments", headers=site.auth("reviewer"),
                            json={"section_id": "bottom_line", "bullet_index": 0, "note": COMMENT})
    assert commented.status_code == 201, commented.text
    cache: ReadCache = site.app.state.read_cache
    reviewer_pages = sign_in_page_client(site, "reviewer")

    def reviewer_sees_the_draft() -> None:
        api = client.get(f"/api/articles/{article_id}?audience=patient", headers=site.auth("reviewer")).json()
        assert api["version"] == 2 and api["question"] == DRAFT_QUESTION and CONTEXT in api["context"]
        assert [c["note"] for c in api["comments"]] == [COMMENT]
        page = reviewer_pages.get(f"/articles/{article_id}?audience=patient").text
        assert DRAFT_QUESTION in page and COMMENT in page and CONTEXT in page

    def reader_sees_the_published_version(headers: dict[str, str], pages: TestClient) -> None:
        api = client.get(f"/api/articles/{article_id}?audience=patient", headers=headers)
        assert api.status_code == 200
        body = api.json()
        assert body["version"] == 1 and body["latest_version"] == 1 and body["question"] == QUESTION
        assert body["context"] is None and body["comments"] == [] and not private_words_in(api.text)
        page = pages.get(f"/articles/{article_id}?audience=patient")
        assert page.status_code == 200 and f"<h1 class=\"article-title\">{QUESTION}</h1>" in page.text
        assert not private_words_in(page.text), private_words_in(page.text)

    # The reviewer reads first, so anything kept from their requests would be there for the readers to get.
    reviewer_sees_the_draft()
    with client_for(site) as anonymous_pages:
        reader_sees_the_published_version({}, anonymous_pages)
        reader_sees_the_published_version({}, anonymous_pages)  # the second time from the cache
    assert cache.public_views.hits >= 1 and cache.renderings.hits >= 1  # the cache was used
    with sign_in_page_client(site, "reader") as reader_pages:
        reader_sees_the_published_version(site.auth("reader"), reader_pages)
    with sign_in_page_client(site, "clinician2") as other_clinician_pages:
        reader_sees_the_published_version(site.auth("clinician2"), other_clinician_pages)
    # And the readers' kept views are not what the reviewer, or the asker, then get.
    reviewer_sees_the_draft()
    asker = client.get(f"/api/articles/{article_id}", headers=site.auth("clinician")).json()
    assert asker["version"] == 2 and CONTEXT in asker["context"]
    reviewer_pages.close()


def second_worker(site: WebSite) -> tuple[Publisher, FastAPI]:
    """Another app over the same database, as another worker process of `curbside serve --workers 2` would be."""
    publisher = Publisher(site.settings, engine=site.publisher.engine)
    return publisher, create_app(site.settings, publisher=publisher, start_builder=False)


def test_a_newly_approved_version_is_served_at_once_by_every_worker(client: TestClient, site: WebSite) -> None:
    article_id = ask_and_publish(client, site, QUESTION)
    other_publisher, other_app = second_worker(site)
    try:
        with TestClient(other_app, base_url="https://testserver") as other:
            for worker in (client, other):  # both workers keep version 1 for readers
                for _ in range(2):
                    assert worker.get(f"/api/articles/{article_id}").json()["version"] == 1
                    assert QUESTION in worker.get(f"/articles/{article_id}").text
            assert other_app.state.read_cache.public_views.hits >= 1
            assert other_app.state.public_answers.hits >= 1  # the whole answer (page and API) was reused as bytes
            before = client.get(f"/api/articles/{article_id}?audience=nurse").json()

            new_draft(client, site, article_id, DRAFT_QUESTION)
            assert other.get(f"/api/articles/{article_id}").json()["version"] == 1  # a draft changes nothing
            approve_latest(client, site, article_id)  # approved through the first worker ...
            for worker in (other, client):  # ... and served by both at once
                api = worker.get(f"/api/articles/{article_id}?audience=nurse").json()
                assert api["version"] == 2 and api["published_version"] == 2 and api["question"] == DRAFT_QUESTION
                page = worker.get(f"/articles/{article_id}").text
                assert f"<h1 class=\"article-title\">{DRAFT_QUESTION}</h1>" in page and "version 2" in page
            assert before["version"] == 1
            assert client.get(f"/api/articles/{article_id}?version=1").status_code == 404  # no longer published

            # Related questions follow a publication made through the other worker at once, too (asked through the
            # first, whose builder builds it: the other one runs none here).
            assert client.get(f"/api/articles/{article_id}").json()["related"] == []
            related_id = ask_and_publish(client, site, "Should adults aged 45 to 49 be screened for colorectal cancer?",
                                         reviewed_by=other)
            related = client.get(f"/api/articles/{article_id}").json()["related"]
            assert [r["id"] for r in related] == [related_id]
    finally:
        other_publisher.close()


def test_the_cache_can_be_turned_off_and_answers_the_same(make_site: Callable[..., WebSite]) -> None:
    site = make_site(article_cache_entries=0)
    with client_for(site) as c:
        article_id = ask_and_publish(c, site, QUESTION)
        first, second = (c.get(f"/api/articles/{article_id}?audience=student").json() for _ in range(2))
        assert first == second and first["version"] == 1
        assert len(site.app.state.read_cache.public_views) == 0


def test_bounded_lru_keeps_the_most_recently_used() -> None:
    lru: BoundedLRU[int] = BoundedLRU(2)
    made: list[str] = []

    def make(name: str) -> Callable[[], int]:
        return lambda: made.append(name) or len(made)

    assert lru.get_or_make(("a",), make("a")) == 1
    assert lru.get_or_make(("b",), make("b")) == 2
    assert lru.get_or_make(("a",), make("a")) == 1  # kept; now the most recent
    assert lru.get_or_make(("c",), make("c")) == 3  # evicts b, the least recent
    assert len(lru) == 2 and lru.get_or_make(("a",), make("a")) == 1
    assert lru.get_or_make(("b",), make("b")) == 4 and made == ["a", "b", "c", "b"]
    lru.discard_if(lambda key: key == ("b",))
    assert len(lru) == 1


def test_a_missing_entry_is_made_once_for_requests_that_want_it_at_once() -> None:
    lru: BoundedLRU[str] = BoundedLRU(4)
    calls: list[int] = []
    started, release = threading.Event(), threading.Event()

    def slow_make() -> str:
        calls.append(1)
        started.set()
        assert release.wait(10)
        return "made"

    results: list[str] = []
    first = threading.Thread(target=lambda: results.append(lru.get_or_make(("k",), slow_make)))
    first.start()
    assert started.wait(10)
    waiters = [threading.Thread(target=lambda: results.append(lru.get_or_make(("k",), slow_make))) for _ in range(5)]
    for t in waiters:
        t.start()
    release.set()
    for t in (first, *waiters):
        t.join(10)
    assert results == ["made"] * 6 and len(calls) == 1

    def failing() -> str:
        raise LookupError("no such article")

    with pytest.raises(LookupError):  # a failure is not kept: the next request makes it again
        lru.get_or_make(("gone",), failing)
    assert lru.get_or_make(("gone",), lambda: "back") == "back"


def csrf_of(page: str) -> str:
    """The page's CSRF token (every page carries it for HTMX; an anonymous reader's article page has no form)."""
    return page.split('"X-CSRF-Token": "', 1)[1].split('"', 1)[0]


def test_kept_answers_go_to_anonymous_readers_only_each_with_their_own_csrf_token(client: TestClient,
                                                                                  site: WebSite) -> None:
    """The whole-answer layer in front of the app (read_cache.PublicAnswers): what it keeps is made for, and served
    to, anonymous readers only; every visitor gets their own CSRF token and cookie in it, never the maker's."""
    article_id = ask_and_publish(client, site, QUESTION, CONTEXT)
    new_draft(client, site, article_id, DRAFT_QUESTION)
    commented = client.post(f"/api/articles/{article_id}/comments", headers=site.auth("reviewer"),
                            json={"section_id": "bottom_line", "bullet_index": 0, "note": COMMENT})
    assert commented.status_code == 201, commented.text
    kept = site.app.state.public_answers
    page_path, api_path = f"/articles/{article_id}", f"/api/articles/{article_id}"

    with client_for(site) as first, client_for(site) as second:
        made = first.get(page_path)
        assert made.status_code == 200 and not private_words_in(made.text)
        first_cookie = first.cookies["curbside_visitor"]
        hits = kept.hits
        again = first.get(page_path)  # from the kept bytes, with the same visitor's token
        assert kept.hits == hits + 1 and again.text == made.text and "curbside_visitor" not in again.headers.get(
            "set-cookie", "")
        served = second.get(page_path)  # a new visitor: a cookie of their own, and the token that goes with it
        assert kept.hits == hits + 2 and served.status_code == 200
        second_cookie = second.cookies["curbside_visitor"]
        assert second_cookie != first_cookie and "curbside_visitor=" in served.headers["set-cookie"]
        assert csrf_of(served.text) != csrf_of(made.text)
        assert served.text == made.text.replace(csrf_of(made.text), csrf_of(served.text))
        assert served.headers["content-length"] == str(len(served.content))
        assert served.headers["cache-control"] == "no-store" and "content-security-policy" in served.headers
        # The token served from bytes is the one the server checks for that visitor: a form post with it passes
        # the CSRF check (a wrong password, not a 403).
        posted = second.post("/login", data={"email": site.email("reader"), "password": "not the password",
                                             "csrf_token": csrf_of(served.text)})
        assert posted.status_code == 401, posted.status_code
        api = second.get(api_path)
        assert api.status_code == 200 and api.json()["version"] == 1 and not private_words_in(api.text)
        assert second.get(api_path).content == api.content and kept.hits == hits + 3  # made once, then kept

        # A signed-in viewer never gets the kept answer, nor leaves theirs behind: the reviewer and the asker see
        # the draft, and the next anonymous reader the published version again.
        hits = kept.hits
        with sign_in_page_client(site, "reviewer") as reviewer_pages:
            page = reviewer_pages.get(page_path).text
            assert DRAFT_QUESTION in page and COMMENT in page and CONTEXT in page
        for who in ("reviewer", "clinician"):
            body = client.get(api_path, headers=site.auth(who)).json()
            assert body["version"] == 2 and CONTEXT in body["context"]
        assert kept.hits == hits
        assert not private_words_in(second.get(page_path).text) and not private_words_in(second.get(api_path).text)
        assert kept.hits == hits + 2

        # A token or session that is not valid is the app's to judge, never answered from the kept bytes.
        assert second.get(api_path, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
        with client_for(site) as stale_session:
            stale_session.cookies.set("curbside_session", "not-a-session")
            assert stale_session.get(page_path).status_code == 200
        assert kept.hits == hits + 2

        # Any other query field goes through the app and is kept apart: a message shown once is not kept.
        assert "Shown once" in second.get(page_path, params={"flash": "Shown once"}).text
        assert "Shown once" not in second.get(page_path).text
        # The audience (query or cookie) is part of what is kept.
        patient = second.get(page_path, params={"audience": "patient"})
        assert patient.status_code == 200 and "curbside_audience=patient" in patient.headers["set-cookie"]
        assert second.get(api_path, params={"audience": "patient"}).json()["audience"] == "patient"
        assert second.get(api_path).json()["audience"] == "physician"
        assert second.get(page_path).text == patient.text  # the cookie now chooses the patient view
        first.cookies.delete("curbside_audience")
        assert first.get(page_path).text == made.text


def test_a_kept_answer_is_dropped_by_the_next_publication(client: TestClient, site: WebSite) -> None:
    article_id = ask_and_publish(client, site, QUESTION)
    with client_for(site) as reader:
        for _ in range(2):
            assert reader.get(f"/api/articles/{article_id}").json()["version"] == 1
        new_draft(client, site, article_id, DRAFT_QUESTION)
        assert reader.get(f"/api/articles/{article_id}").json()["version"] == 1
        approve_latest(client, site, article_id)
        assert reader.get(f"/api/articles/{article_id}").json()["version"] == 2
        assert DRAFT_QUESTION in reader.get(f"/articles/{article_id}").text
