"""`curbside serve` runs uvicorn with its defaults (loop and http "auto"), which pick the C event loop and HTTP
parser when they are installed: both are dependencies (pyproject.toml), as docs/deployment.md says."""

from __future__ import annotations

import sys

import pytest
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


async def _app(scope: object, receive: object, send: object) -> None:
    return None


def test_serve_runs_on_httptools_and_uvloop() -> None:
    config = Config(app=_app)  # what uvicorn.run(...) in cli/web_commands.py gets: no loop or http given
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol
    if sys.platform == "win32":
        pytest.skip("uvloop does not run on Windows")
    loop = config.get_loop_factory()()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()
