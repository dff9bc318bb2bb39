"""Every response carries the security headers: pages, the API, /docs, /openapi.json, static files, and every error
(401, 404, 413, 422, and a 500 from Starlette's own error handler). HSTS only over https. The policy fits the pages:
they carry no inline script or style, and Swagger UI on /docs runs in chromium without a single CSP violation.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from support.live_server import live_server
from support.webapp import WebSite, client_for

from curbside.web import api_docs

pytestmark = pytest.mark.slow

# Written out here, not imported: the test states what the server must send.
EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
CSP_DIRECTIVES = ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
                  "base-uri 'none'", "object-src 'none'", "form-action 'self'")


def assert_secure(response, *, https: bool = True, cacheable: bool = False) -> None:  # type: ignore[no-untyped-def]
    where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, f"{where}: {name} is {response.headers.get(name)!r}"
    csp = response.headers.get("content-security-policy", "")
    directives = {d.strip() for d in csp.split(";")}
    for directive in CSP_DIRECTIVES:
        assert directive in directives, f"{where}: CSP lacks {directive!r}: {csp!r}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "*" not in csp, f"{where}: {csp!r}"
    assert "camera=()" in response.headers.get("permissions-policy", ""), where
    if https:
        assert response.headers.get("strict-transport-security") == "max-age=31536000", where
    else:
        assert "strict-transport-security" not in response.headers, where
    if cacheable:
        assert "no-store" not in response.headers.get("cache-control", ""), where
    else:
        assert response.headers.get("cache-control") == "no-store", where


@pytest.fixture
def site(make_site: Callable[..., WebSite]) -> WebSite:
    return make_site()


def published_article(client: TestClient, site: WebSite) -> str:
    asked = client.post("/api/articles", json={"question": "Should adults be screened for colorectal cancer?"},
                        headers=site.auth("clinician"))
    assert asked.status_code == 201, asked.text
    article_id = asked.json()["id"]
    for action in ("start", "approve"):
        done = client.post(f"/api/articles/{article_id}/review", json={"action": action, "note": "Checked."},
                           headers=site.auth("reviewer"))
        assert done.status_code == 200, done.text
    return article_id


def test_every_kind_of_response_carries_the_headers(site: WebSite) -> None:
    with client_for(site) as client:
        article_id = published_article(client, site)
        for path in ("/", "/articles", "/login", "/ask", f"/articles/{article_id}", "/docs", "/openapi.json",
                     "/api/health", "/api/me", "/api/articles", f"/api/articles/{article_id}",
                     f"/api/articles/{article_id}/history"):
            response = client.get(path, headers=site.auth("clinician") if path.startswith("/api/") else {})
            assert response.status_code in (200, 202), (path, response.status_code)
            assert_secure(response)
        assert_secure(client.get("/static/curbside.css"), cacheable=True)
        assert_secure(client.get("/static/vendor/swagger-ui/swagger-ui.css"), cacheable=True)
        errors = [
            client.get("/no/such/page"),                                                   # 404 page
            client.get("/api/articles/missing"),                                           # 404 JSON
            client.get("/api/me", headers={"Authorization": "Bearer forged"}),             # 401
            client.post("/api/articles", json={"question": 3}, headers=site.auth("clinician")),  # 422
            client.post("/api/articles", content=b"x" * (site.settings.web.max_request_bytes + 1),
                        headers={**site.auth("clinician"), "Content-Type": "application/json"}),  # 413
            client.post("/login", data={"email": "a", "password": "b"}),                   # 403 (no CSRF token)
        ]
        assert [r.status_code for r in errors] == [404, 404, 401, 422, 413, 403]
        for response in errors:
            assert_secure(response)


def test_a_server_error_carries_the_headers_too(site: WebSite, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(site.publisher.store, "list_articles", broken)
    with TestClient(site.app, base_url="https://testserver", raise_server_exceptions=False) as client:
        for path in ("/api/articles", "/articles"):
            response = client.get(path)
            assert response.status_code == 500, path
            assert "simulated bug" not in response.text
            assert_secure(response)


def test_hsts_only_over_https_or_from_a_trusted_proxy(make_site: Callable[..., WebSite]) -> None:
    site = make_site(trusted_proxies=["127.0.0.1"])
    with TestClient(site.app, base_url="http://testserver", client=("127.0.0.1", 40000)) as via_proxy:
        assert_secure(via_proxy.get("/api/health"), https=False)
        assert_secure(via_proxy.get("/api/health", headers={"X-Forwarded-Proto": "https"}))
        assert_secure(via_proxy.get("/api/health", headers={"X-Forwarded-Proto": "http"}), https=False)
    # A client that is not a trusted proxy cannot claim https (nor switch HSTS on for the site).
    with TestClient(site.app, base_url="http://testserver", client=("192.0.2.7", 40000)) as direct:
        assert_secure(direct.get("/api/health", headers={"X-Forwarded-Proto": "https"}), https=False)
    with TestClient(site.app, base_url="https://testserver", client=("192.0.2.7", 40000)) as over_tls:
        assert_secure(over_tls.get("/api/health"))


def test_a_route_setting_its_own_header_keeps_it(site: WebSite) -> None:
    """The middleware adds what is missing and never overwrites (a download may set its own Cache-Control)."""
    from fastapi.responses import PlainTextResponse

    @site.app.get("/test-own-cache-control")
    def own() -> PlainTextResponse:
        return PlainTextResponse("x", headers={"Cache-Control": "max-age=60"})

    with client_for(site) as client:
        response = client.get("/test-own-cache-control")
    assert response.headers["cache-control"] == "max-age=60"
    assert response.headers["x-frame-options"] == "DENY"


def test_pages_have_no_inline_script_or_style(site: WebSite) -> None:
    """The policy forbids inline scripts and styles; a page with one would be broken in the browser."""
    with client_for(site) as client:
        article_id = published_article(client, site)
        for path in ("/", "/articles", "/login", "/policy", f"/articles/{article_id}", "/docs", "/missing"):
            html = client.get(path).text
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
            assert not re.search(r"<style\b", html), path
            assert not re.search(r"\sstyle\s*=", html), path
            assert not re.search(r"\son[a-z]+\s*=", html), path  # onclick= and friends are inline scripts too


def test_docs_without_swagger_ui_says_how_to_install_it(site: WebSite, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api_docs, "swagger_ui_installed", lambda: False)
    with client_for(site) as client:
        response = client.get("/docs")
    assert response.status_code == 503 and "fetch-swagger-ui.sh" in response.text
    assert_secure(response)


@pytest.mark.browser
def test_swagger_ui_runs_under_the_policy(chromium_browser: Browser, site: WebSite) -> None:
    with live_server(site.app) as base:
        context = chromium_browser.new_context()
        try:
            page = context.new_page()
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            failed: list[str] = []
            page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
            page.goto(f"{base}/docs")
            # Swagger UI fetched /openapi.json and rendered the API's operations.
            page.locator(".opblock-summary-path", has_text="/api/articles/{article_id}").first.wait_for(
                timeout=20_000)
            assert page.locator(".opblock").count() >= 10
            assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
            # Only the browser's own favicon request may miss; every asset of /docs loaded.
            assert [url for url in failed if not url.endswith("/favicon.ico")] == [], failed
            assert len([p for p in problems if "404" not in p]) == 0, problems
        finally:
            context.close()
