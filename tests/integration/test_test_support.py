"""Smoke tests of the shared test infrastructure in tests/support/: the throwaway PostgreSQL
cluster, the live ASGI server and headless Chromium."""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route
from support.live_server import live_server
from support.postgres import PostgresServer

pytestmark = pytest.mark.slow


@pytest.fixture
def engine(fresh_postgres_url: str) -> Iterator[Engine]:
    engine = create_engine(fresh_postgres_url)
    yield engine
    engine.dispose()


def test_postgres_round_trip(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE note (id serial PRIMARY KEY, body text NOT NULL)"))
        conn.execute(text("INSERT INTO note (body) VALUES (:a), (:b)"), [{"a": "first", "b": "second"}])
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, body FROM note ORDER BY id")).all()
        version = conn.execute(text("SHOW server_version_num")).scalar_one()
    assert [tuple(r) for r in rows] == [(1, "first"), (2, "second")]
    assert int(version) >= 130000


def test_fresh_databases_are_isolated(postgres_server: PostgresServer, fresh_postgres_url: str) -> None:
    first = create_engine(fresh_postgres_url)
    other_name = "curbside_test_isolation_check"
    second = create_engine(postgres_server.create_database(other_name))
    try:
        with first.begin() as conn:
            conn.execute(text("CREATE TABLE only_in_first (x int)"))
        assert inspect(first).has_table("only_in_first")
        assert not inspect(second).has_table("only_in_first")
        assert first.url.database != second.url.database
        # The pool keeps this connection open; it must not stop the drop.
        with second.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        first.dispose()
        postgres_server.drop_database(other_name)
        second.dispose()
    with create_engine(postgres_server.url_for("postgres")).connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": other_name}).scalar_one()
    assert left == 0


def test_session_database(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_database()")).scalar_one() == engine.url.database
    finally:
        engine.dispose()


PAGE = """<!doctype html>
<html><head><title>support smoke</title></head>
<body>
  <p id="status">waiting</p>
  <button id="go" onclick="document.getElementById('status').textContent = 'clicked ' + (++window.n || (window.n = 1))">
    Go
  </button>
</body></html>
"""


async def homepage(request: Request) -> HTMLResponse:
    # A cookie, to check that each test gets a fresh browser context.
    response = HTMLResponse(PAGE)
    if "seen" not in request.cookies:
        response.set_cookie("seen", "1")
    return response


APP = Starlette(routes=[Route("/", homepage)])


def test_browser_clicks_button(page: Page, test_output_dir: Path) -> None:
    with live_server(APP) as base_url:
        assert page.context.cookies() == []
        page.goto(base_url + "/")
        assert page.text_content("#status") == "waiting"
        page.click("#go")
        page.wait_for_function("document.getElementById('status').textContent === 'clicked 1'")
        page.click("#go")
        assert page.text_content("#status") == "clicked 2"
        assert [c["name"] for c in page.context.cookies()] == ["seen"]
        screenshot = test_output_dir / "test_support_button.png"
        page.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 1000


def test_second_browser_test_gets_fresh_context(page: Page) -> None:
    # The cookie set in the previous test must not be here.
    assert page.context.cookies() == []
    with live_server(APP) as base_url:
        page.goto(base_url + "/")
        assert page.title() == "support smoke"


def test_asyncio_usable_after_browser_tests() -> None:
    # Playwright's sync API marks its loop as running in the main thread; the hooks in
    # support/browser.py must hide it from tests that do not use the browser.
    assert asyncio.run(asyncio.sleep(0, result="ok")) == "ok"


def test_live_server_without_browser() -> None:
    with live_server(APP) as base_url:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(base_url + "/", timeout=5) as response:
            assert b"support smoke" in response.read()
    # Shut down: the port no longer answers.
    with pytest.raises(OSError):
        opener.open(base_url + "/", timeout=2)
