"""Serve an ASGI app over real HTTP for browser tests.

uvicorn runs in a background thread with its own event loop (asyncio event loops are per
thread), so it does not clash with Playwright's sync API, which keeps its loop in the
main thread.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

HOST = "127.0.0.1"
# No proxies: an http_proxy in the environment (common in CI) must not catch loopback requests.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@contextmanager
def live_server(app: ASGIApp, *, startup_timeout: float = 15.0) -> Iterator[str]:
    """Run `app` on 127.0.0.1 and a free port; yield its base URL ("http://127.0.0.1:PORT").

    Usage:
        with live_server(create_app()) as base_url:
            page.goto(base_url + "/")
    """
    # Bind the socket here and hand it to uvicorn: no window in which another process
    # could take a port we merely picked.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    port = int(sock.getsockname()[1])
    base_url = f"http://{HOST}:{port}"

    config = uvicorn.Config(
        app,
        host=HOST,
        port=port,
        log_level="warning",
        # Bounded, so that a browser holding a connection open cannot hang the teardown.
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    errors: list[SystemExit] = []

    def serve() -> None:
        try:
            server.run(sockets=[sock])
        except SystemExit as error:
            # uvicorn calls sys.exit() when the app's lifespan startup fails; other errors
            # end the thread with a traceback of their own (pytest reports those).
            errors.append(error)

    thread = threading.Thread(target=serve, name=f"live-server-{port}", daemon=True)
    thread.start()
    try:
        _wait_until_answering(base_url, server, thread, errors, startup_timeout)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        if thread.is_alive():
            # Daemon thread: it cannot keep the test process alive, but say so.
            raise RuntimeError(f"live server on {base_url} did not shut down within 15 s")


def _wait_until_answering(
    base_url: str,
    server: uvicorn.Server,
    thread: threading.Thread,
    errors: list[SystemExit],
    timeout: float,
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if not thread.is_alive():
            raise RuntimeError(f"live server on {base_url} stopped during startup: {errors or 'see its traceback'!r}")
        if server.started:
            try:
                # Any HTTP answer will do, a 404 included: the app is serving requests.
                with _OPENER.open(base_url + "/", timeout=2):
                    return
            except urllib.error.HTTPError:
                return
            except OSError:
                pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"live server on {base_url} did not answer within {timeout} s")
        time.sleep(0.02)
