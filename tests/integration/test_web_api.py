"""The JSON API and the pages over a real index (fixture corpus), on SQLite and on PostgreSQL.

Forbidden moves answer 401/403/404/409/422 with a message, and leave the database as it was.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from support.webapp import PASSWORD, WebSite, client_for

pytestmark = pytest.mark.slow

QUESTION = "Should a 55-year-old woman be screened for colorectal cancer?"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def site(request: pytest.FixtureRequest, make_site: Callable[..., WebSite]) -> WebSite:
    if request.param == "postgresql":
        return make_site(request.getfixturevalue("fresh_postgres_url"))
    return make_site()


@pytest.fixture
def client(site: WebSite) -> TestClient:
    with client_for(site) as c:
        yield c


def counts(site: WebSite) -> dict[str, int]:
    with site.publisher.db.engine.connect() as c:
        return {t: c.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                for t in ("articles", "article_versions", "audit_log", "review_comments")}


def ask(client: TestClient, site: WebSite, who: str = "clinician", **body: object) -> dict:
    response = client.post("/api/articles", json={"question": QUESTION, **body}, headers=site.auth(who))
    assert response.status_code == 201, response.text
    return response.json()


def review(client: TestClient, site: WebSite, article_id: str, action: str, who: str = "reviewer",
           note: str = "Checked.") -> object:
    return client.post(f"/api/articles/{article_id}/review", json={"action": action, "note": note},
                       headers=site.auth(who))


def test_token_authentication(client: TestClient, site: WebSite) -> None:
    ok = client.post("/api/auth/token", json={"email": site.email("clinician"), "password": PASSWORD})
    assert ok.status_code == 200 and ok.json()["token"]
    me = client.get("/api/me", headers={"Authorization": f"Bearer {ok.json()['token']}"}).json()
    assert me == {"authenticated": True, "email": "clinician@example.org", "role": "clinician"}
    wrong = client.post("/api/auth/token", json={"email": site.email("clinician"), "password": "nope nope"})
    assert wrong.status_code == 401 and "Wrong email or password" in wrong.json()["error"]
    assert client.get("/api/me", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert client.get("/api/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_ask_review_publish_and_read_for_each_audience(client: TestClient, site: WebSite) -> None:
    created = ask(client, site)
    assert created["status"] == "submitted" and created["version"] == 1 and created["build_state"] == "ready"
    article_id = created["id"]

    draft = client.get(f"/api/articles/{article_id}", headers=site.auth("clinician"))
    assert draft.status_code == 200
    body = draft.json()
    assert body["status"] == "submitted" and body["title"] == QUESTION and body["references"]
    assert {"updated_at", "related", "readability", "version", "sections", "bottom_line"} <= set(body)
    for who in (None, "reader", "clinician2"):  # drafts: only the asker and reviewers
        assert client.get(f"/api/articles/{article_id}", headers=site.auth(who)).status_code == 404

    assert review(client, site, article_id, "start").json()["status"] == "under_review"
    assert review(client, site, article_id, "approve").json()["status"] == "approved"

    public = client.get(f"/api/articles/{article_id}").json()
    assert public["status"] == "approved" and public["context"] is None
    physician = client.get(f"/api/articles/{article_id}?audience=physician").json()
    patient = client.get(f"/api/articles/{article_id}?audience=patient").json()
    assert patient["readability"]["flesch_kincaid_grade"] <= physician["readability"]["flesch_kincaid_grade"]

    def claims(article: dict) -> list[tuple]:
        return sorted((tuple(b["citations"]), tuple(q["passage_id"] for q in b["quotes"]))
                      for s in article["sections"] for b in s["bullets"])

    assert claims(patient) == claims(physician)  # the same cited claims, reworded
    assert patient["references"] == physician["references"]
    assert client.get(f"/api/articles/{article_id}?audience=robot").status_code == 422

    listed = client.get("/api/articles", params={"status": "approved", "q": "colorectal screened"}).json()
    assert [a["id"] for a in listed["articles"]] == [article_id]
    assert client.get("/api/articles", params={"status": "approved", "q": "asthma"}).json()["articles"] == []

    history = client.get(f"/api/articles/{article_id}/history").json()["history"]
    assert [(h["action"], h["to"]) for h in history] == [("submit", "submitted"), ("start", "under_review"),
                                                        ("approve", "approved")]


def test_forbidden_moves_are_refused_and_change_nothing(client: TestClient, site: WebSite) -> None:
    article_id = ask(client, site)["id"]
    before = counts(site)
    assert review(client, site, article_id, "approve").status_code == 409  # not under review yet
    assert review(client, site, article_id, "start", who="clinician").status_code == 403
    assert review(client, site, article_id, "start", who=None).status_code == 401
    assert review(client, site, "a0000deadbeef", "start").status_code == 404
    assert review(client, site, article_id, "start", note="").status_code == 422
    bad = client.post(f"/api/articles/{article_id}/review", json={"action": "launch", "note": "x"},
                      headers=site.auth("reviewer"))
    assert bad.status_code == 422
    assert counts(site) == before

    own = ask(client, site, who="reviewer")["id"]
    assert review(client, site, own, "start").status_code == 200
    refused = review(client, site, own, "approve")
    assert refused.status_code == 403 and "asked themselves" in refused.json()["error"]
    assert review(client, site, own, "approve", who="reviewer2").status_code == 200


@pytest.mark.parametrize(("question", "fragment"), [
    ("", "empty"), ("   ", "empty"), ("x" * 2001, "limit is 2000"), ("\x00\x01binary", "binary"),
])
def test_bad_questions_get_a_clear_message_and_write_nothing(client: TestClient, site: WebSite, question: str,
                                                             fragment: str) -> None:
    response = client.post("/api/articles", json={"question": question}, headers=site.auth("clinician"))
    assert response.status_code == 422 and fragment in response.json()["error"]
    assert counts(site)["articles"] == 0
    assert client.post("/api/articles", json={"question": QUESTION}).status_code == 401
    assert client.post("/api/articles", json={"question": QUESTION}, headers=site.auth("reader")).status_code == 403
    assert counts(site)["articles"] == 0


def test_follow_up_creates_a_linked_article_carrying_the_context(client: TestClient, site: WebSite) -> None:
    parent = ask(client, site, context="Average risk, no family history")["id"]
    child = ask(client, site, question="What are the harms of colonoscopy?", parent_id=parent)["id"]
    body = client.get(f"/api/articles/{child}", headers=site.auth("clinician")).json()
    assert body["parent_id"] == parent
    assert "Average risk" in body["context"] and QUESTION in body["context"]
    parent_body = client.get(f"/api/articles/{parent}", headers=site.auth("clinician")).json()
    assert parent_body["followups"] == [{"id": child, "question": "What are the harms of colonoscopy?"}]


def test_versions_comments_and_related_questions(client: TestClient, site: WebSite) -> None:
    first = ask(client, site)["id"]
    related_one = ask(client, site, question="Should adults aged 45 to 49 be screened for colorectal cancer?")["id"]
    unrelated = ask(client, site, question="What is the starting dose of atorvastatin?")["id"]
    for article_id in (first, related_one, unrelated):
        review(client, site, article_id, "start")
        review(client, site, article_id, "approve")
    related = client.get(f"/api/articles/{first}").json()["related"]
    assert related and related[0]["id"] == related_one and first not in [r["id"] for r in related]

    comment = client.post(f"/api/articles/{first}/comments", headers=site.auth("reviewer"),
                          json={"section_id": "guidelines", "bullet_index": 0, "note": "Grade is right."})
    assert comment.status_code == 201
    missing = client.post(f"/api/articles/{first}/comments", headers=site.auth("reviewer"),
                          json={"section_id": "guidelines", "bullet_index": 99, "note": "?"})
    assert missing.status_code == 422

    refreshed = client.post(f"/api/articles/{first}/versions", headers=site.auth("reviewer"),
                            json={"note": "New corpus snapshot."})
    assert refreshed.status_code == 201 and refreshed.json()["version"] == 2
    assert client.get(f"/api/articles/{first}").json()["version"] == 1  # still the approved one for readers
    versions = client.get(f"/api/articles/{first}/versions", headers=site.auth("reviewer")).json()
    assert [v["status"] for v in versions["versions"]] == ["approved", "submitted"]
    assert versions["versions"][1]["diff_from_previous"] == ""  # same corpus, same question: same article


def test_concurrent_approvals_of_the_same_version(client: TestClient, site: WebSite) -> None:
    article_id = ask(client, site)["id"]
    review(client, site, article_id, "start")
    barrier, codes = threading.Barrier(2), []

    def approve(who: str) -> None:
        barrier.wait()
        codes.append(review(client, site, article_id, "approve", who=who).status_code)

    threads = [threading.Thread(target=approve, args=(w,)) for w in ("reviewer", "reviewer2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 409]
    history = client.get(f"/api/articles/{article_id}/history", headers=site.auth("reviewer")).json()["history"]
    assert [h["action"] for h in history].count("approve") == 1


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/auth/token", "/api/articles", "/api/articles/{article_id}",
                 "/api/articles/{article_id}/review", "/api/articles/{article_id}/history"):
        assert path in spec["paths"]


# --- pages ------------------------------------------------------------------------------------------------
def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client: TestClient, site: WebSite, who: str) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"email": site.email(who), "password": PASSWORD, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def test_pages_ask_with_csrf_and_refuse_forged_tokens(client: TestClient, site: WebSite) -> None:
    sign_in(client, site, "clinician")
    page = client.get("/ask")
    assert page.status_code == 200
    forged = client.post("/ask", data={"question": QUESTION, "csrf_token": "0" * 64}, follow_redirects=False)
    assert forged.status_code == 403 and "CSRF" in forged.text
    missing = client.post("/ask", data={"question": QUESTION}, follow_redirects=False)
    assert missing.status_code == 403
    assert counts(site)["articles"] == 0
    empty = client.post("/ask", data={"question": "", "csrf_token": csrf_of(page.text)})
    assert empty.status_code == 422 and "The question is empty" in empty.text
    assert counts(site)["articles"] == 0
    done = client.post("/ask", data={"question": QUESTION, "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert done.status_code == 303
    site.publisher.builder.wait_idle(30)
    article = client.get(done.headers["location"])
    assert article.status_code == 200
    assert "Medical Advisory Board" in article.text and "Pending human review" in article.text
    assert 'aria-current="step">Submitted' in article.text
    assert article.headers["content-security-policy"].startswith("default-src 'self'")


def test_wrong_password_and_login_rate_limit(client: TestClient, site: WebSite) -> None:
    for _ in range(site.settings.web.login_max_failures):
        token = csrf_of(client.get("/login").text)
        wrong = client.post("/login", data={"email": site.email("reviewer"), "password": "wrong password!",
                                            "csrf_token": token})
        assert wrong.status_code == 401 and "Wrong email or password" in wrong.text
    token = csrf_of(client.get("/login").text)
    limited = client.post("/login", data={"email": site.email("reviewer"), "password": PASSWORD, "csrf_token": token})
    assert limited.status_code == 429 and "Too many failed sign-ins" in limited.text


def test_review_queue_and_pages_respect_roles(client: TestClient, site: WebSite) -> None:
    article_id = ask(client, site)["id"]
    assert client.get(f"/articles/{article_id}").status_code == 404  # anonymous: a draft does not exist
    assert client.get("/review", follow_redirects=False).status_code == 303
    sign_in(client, site, "clinician")
    assert client.get("/review").status_code == 403
    client.cookies.clear()
    sign_in(client, site, "reviewer")
    queue = client.get("/review")
    assert queue.status_code == 200 and article_id in queue.text
    page = client.get(f"/articles/{article_id}")
    token = csrf_of(page.text)
    started = client.post(f"/articles/{article_id}/review", data={"action": "start", "note": "On it.",
                                                                  "csrf_token": token}, follow_redirects=False)
    assert started.status_code == 303
    forbidden = client.post(f"/articles/{article_id}/review", data={"action": "start", "note": "Again.",
                                                                    "csrf_token": token})
    assert forbidden.status_code == 409
    assert client.get("/policy").status_code == 200


def test_a_medical_necessity_question_shows_the_per_agent_table(client: TestClient, site: WebSite) -> None:
    question = ("Is a treatment plan of Truxima (rituximab) 1000 mg day 0 and 14, prednisone, tacrolimus and IVIG "
                "medically necessary for MDA5+ dermatomyositis with rapidly progressive ILD?")
    article_id = ask(client, site, question=question)["id"]
    body = client.get(f"/api/articles/{article_id}", headers=site.auth("clinician")).json()
    assert body["question_type"] == "medical_necessity"
    agents = {a["agent"]: a for a in body["agent_assessments"]}
    assert {"rituximab", "prednisone", "tacrolimus", "immune globulin"} <= set(agents)
    # No labelled or curated rituximab dose for dermatomyositis: the RA regimen is context only (issue 9).
    assert agents["rituximab"]["dose_check"]["status"] == "no_reference_for_indication"
    assert agents["rituximab"]["dose_check"]["context_status"] == "within"
    assert body["determination"] in {"supported", "partially_supported", "insufficient_evidence"}
    sign_in(client, site, "clinician")
    page = client.get(f"/articles/{article_id}").text
    assert "Assessment by agent" in page and "No reference dose for this indication" in page and "Determination:" in page


def test_only_an_approved_article_claims_review(client: TestClient, site: WebSite) -> None:
    """Issue 9: "reviewed by the Medical Advisory Board" was shown on every article page, reviewed or not."""
    claims = ("Reviewed and approved by the Medical Advisory Board", "reviewed for accuracy",
              "All articles are reviewed")
    article_id = ask(client, site)["id"]
    sign_in(client, site, "reviewer")
    for step in (None, "start"):
        if step:
            assert review(client, site, article_id, step).status_code == 200
        page = client.get(f"/articles/{article_id}")
        assert page.status_code == 200
        banner = page.text[page.text.index('class="review-banner'):page.text.index("</section>", page.text.index('class="review-banner'))]
        assert "review-banner-pending" in banner and "not yet" in banner.lower()
        assert not any(claim.lower() in page.text.lower() for claim in claims), step
        assert "Pending human review" in page.text
    assert review(client, site, article_id, "approve").status_code == 200
    client.cookies.clear()
    approved = client.get(f"/articles/{article_id}")
    assert "Reviewed and approved by the Medical Advisory Board" in approved.text
    assert "review-banner-pending" not in approved.text and "Pending human review" not in approved.text
    for path in ("/", "/policy"):
        text = client.get(path).text.lower()
        assert "all articles are reviewed" not in text and "every sentence is quoted" not in text


# --- probe defects (issue 13) ----------------------------------------------------------------------------------
def test_malformed_requests_get_4xx_never_500(client: TestClient, site: WebSite) -> None:
    plain = client.post("/api/articles", content=b"question=hello", headers={**site.auth("clinician"),
                                                                             "Content-Type": "text/plain"})
    assert plain.status_code == 422, plain.text
    assert plain.json()["status"] == 422
    binary = client.post("/api/auth/token", content=b"\xff\xfe\x00", headers={"Content-Type": "application/json"})
    assert binary.status_code == 400, binary.text  # not JSON at all: FastAPI's 400, with our error body
    assert binary.json()["status"] == 400
    huge = 10**20
    assert client.get(f"/api/articles?offset={huge}").status_code == 422
    article_id = ask(client, site)["id"]
    for who in ("clinician", "reviewer"):
        assert client.get(f"/api/articles/{article_id}?version={huge}", headers=site.auth(who)).status_code == 422
    comment = client.post(f"/api/articles/{article_id}/comments", headers=site.auth("reviewer"),
                          json={"section_id": "guidelines", "bullet_index": 0, "note": "x", "version": huge})
    assert comment.status_code == 422, comment.text
    assert client.post(f"/api/articles/{article_id}/comments", headers=site.auth("reviewer"),
                       json={"section_id": "guidelines", "bullet_index": huge, "note": "x"}).status_code == 422
    reviewed = client.post(f"/api/articles/{article_id}/review", headers=site.auth("reviewer"),
                           json={"action": "start", "note": "x", "version": huge})
    assert reviewed.status_code == 422, reviewed.text


def test_request_bodies_over_the_limit_get_413(client: TestClient, site: WebSite) -> None:
    limit = site.settings.web.max_request_bytes
    big = client.post("/api/articles", headers=site.auth("clinician"),
                      json={"question": QUESTION, "context": "x" * (limit + 10)})
    assert big.status_code == 413 and "limit" in big.json()["error"]
    ten_mb = client.post("/api/auth/token", content=b"{" + b" " * 10_000_000 + b"}",
                         headers={"Content-Type": "application/json"})
    assert ten_mb.status_code == 413
    assert counts(site)["articles"] == 0


def test_search_treats_percent_and_underscore_literally(client: TestClient, site: WebSite) -> None:
    article_id = ask(client, site)["id"]
    assert review(client, site, article_id, "start").status_code == 200
    assert review(client, site, article_id, "approve").status_code == 200
    assert [a["id"] for a in client.get("/api/articles", params={"q": "colorectal"}).json()["articles"]] == [article_id]
    for q in ("%%", "__", "c_lorectal", "colo%al"):
        assert client.get("/api/articles", params={"q": q}).json()["articles"] == [], q


def test_openapi_declares_errors_and_limits(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    ask_op = spec["paths"]["/api/articles"]["post"]
    assert {"401", "403", "404", "413", "422"} <= set(ask_op["responses"])
    get_op = spec["paths"]["/api/articles/{article_id}"]["get"]
    assert {"404", "422"} <= set(get_op["responses"])
    token_op = spec["paths"]["/api/auth/token"]["post"]
    assert {"401", "413", "422", "429"} <= set(token_op["responses"])
    offset = next(p for p in spec["paths"]["/api/articles"]["get"]["parameters"] if p["name"] == "offset")
    assert offset["schema"]["maximum"] == 2**31 - 1
    schemas = spec["components"]["schemas"]
    assert schemas["AskRequest"]["properties"]["question"]["maxLength"] > 0
    assert schemas["ReviewRequest"]["properties"]["note"]["maxLength"] == 5000
    assert "/api/auth/revoke" in spec["paths"]


def test_api_tokens_expire_and_can_be_revoked(client: TestClient, site: WebSite) -> None:
    credentials = {"email": site.email("clinician"), "password": PASSWORD}
    token = client.post("/api/auth/token", json=credentials).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/me", headers=bearer).json()["authenticated"] is True
    assert client.post("/api/auth/revoke", headers=bearer).status_code == 204
    assert client.get("/api/me", headers=bearer).status_code == 401
    assert client.post("/api/auth/revoke").status_code == 401


def test_forwarded_for_is_believed_only_from_trusted_proxies(make_site: Callable[..., WebSite]) -> None:
    def fail_five(client: TestClient, site: WebSite) -> None:
        for n in range(site.settings.web.login_max_failures):
            wrong = client.post("/api/auth/token", json={"email": site.email("reader"), "password": "wrong pass 1"},
                                headers={"X-Forwarded-For": f"10.0.0.{n + 10}"})
            assert wrong.status_code == 401

    plain = make_site()
    with TestClient(plain.app, client=("127.0.0.1", 50000)) as client:
        fail_five(client, plain)  # each with another forwarded address: all counted against 127.0.0.1
        limited = client.post("/api/auth/token", json={"email": plain.email("reader"), "password": PASSWORD},
                              headers={"X-Forwarded-For": "10.0.0.99"})
        assert limited.status_code == 429
    proxied = make_site(trusted_proxies=["127.0.0.1/32"])
    with TestClient(proxied.app, client=("127.0.0.1", 50000)) as client:
        fail_five(client, proxied)
        ok = client.post("/api/auth/token", json={"email": proxied.email("reader"), "password": PASSWORD},
                         headers={"X-Forwarded-For": "10.0.0.99"})
        assert ok.status_code == 200
