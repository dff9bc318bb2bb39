"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright's sync API.

Fixtures (registered by tests/conftest.py):
    chromium_browser  session   playwright Browser
    page              function  playwright Page in a fresh context (no cookies shared between tests)
    test_output_dir   session   Path for screenshots: $CURBSIDE_TEST_OUTPUT or <repo>/test-output/

Playwright's browsers are never downloaded (`playwright install` needs network we lack in CI);
the system Chromium is used instead.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from support import INSTALL_SYSTEM_DEPS, REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # the sandbox cannot start as root or in most containers
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # No calls home: CI only reaches package registries, and they would only slow things down.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_TIMEOUT_MS = 15_000  # a local app answers in milliseconds; fail fast rather than after 30 s
INSTALL_HINT = (
    f"{CHROMIUM} not found. Install Debian's chromium with\n"
    "    sudo apt-get install -y --no-install-recommends chromium\n"
    f"or run {INSTALL_SYSTEM_DEPS} as root. (Do not use `playwright install`.)"
)


def ensure_chromium() -> Path:
    """The Chromium executable, installed from Debian when root; fail loudly otherwise."""
    if not os.access(CHROMIUM, os.X_OK) and os.geteuid() == 0:
        # Output goes to pytest's capture and is shown if this fixture fails.
        subprocess.run([str(INSTALL_SYSTEM_DEPS)], check=False)
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(INSTALL_HINT, pytrace=False)
    return CHROMIUM


class _PlaywrightLoop:
    """Keeps Playwright's event loop from leaking into tests that do not use the browser.

    While the sync API is started, Playwright marks its loop as the main thread's running
    loop between calls (asyncio._set_running_loop), so a later test calling asyncio.run()
    would fail with "cannot be called from a running event loop". The browser lives for the
    whole session, so the hooks below unmark the loop after each test phase and mark it again
    before the phases of tests that use the browser.
    """

    loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def resume(cls) -> None:
        if cls.loop is not None and not cls.loop.is_closed():
            asyncio._set_running_loop(cls.loop)

    @classmethod
    def park(cls) -> None:
        if cls.loop is not None and asyncio._get_running_loop() is cls.loop:
            asyncio._set_running_loop(None)


@contextmanager
def _playwright_loop_for(item: pytest.Item) -> Iterator[None]:
    if "chromium_browser" in getattr(item, "fixturenames", ()):
        _PlaywrightLoop.resume()
    try:
        yield
    finally:
        _PlaywrightLoop.park()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    with _playwright_loop_for(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    with _playwright_loop_for(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    with _playwright_loop_for(item):
        return (yield)


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Browser]:
    executable = ensure_chromium()
    playwright = sync_playwright().start()
    try:
        _PlaywrightLoop.loop = asyncio.get_running_loop()  # set by start(), see _PlaywrightLoop
        browser = playwright.chromium.launch(executable_path=str(executable), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            # The session may end in the teardown of a test that does not use the browser.
            _PlaywrightLoop.resume()
            browser.close()
    finally:
        _PlaywrightLoop.resume()
        playwright.stop()
        _PlaywrightLoop.loop = None


@pytest.fixture
def page(chromium_browser: Browser) -> Iterator[Page]:
    # A new context per test: cookies, storage and cache never leak from one test to the next.
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def test_output_dir() -> Path:
    path = Path(os.environ.get("CURBSIDE_TEST_OUTPUT") or REPO_ROOT / "test-output")
    path.mkdir(parents=True, exist_ok=True)
    return path
