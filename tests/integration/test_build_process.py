"""Article builds run in a separate, niced process (articles/build_process.py): the serving process never opens
the index; a build process that dies fails its build with a clear error (never a stuck "building") and is started
again; the bounded build pool still answers 429 while a build runs."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.deployment import QUESTIONS, add_users, data_dir_with_index
from support.fake_llm import FakeLLM, passage_model

from curbside.articles.publisher import Publisher
from curbside.settings import load_settings
from curbside.web.app import create_app

pytestmark = pytest.mark.slow  # builds an index, spawns build processes


def wait_for(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"waited {seconds} s for {what}")


@pytest.fixture
def served(fast_index: Path, tmp_path: Path) -> Iterator[Callable[..., tuple[Publisher, TestClient, dict[str, str]]]]:
    opened: list[tuple[Publisher, TestClient]] = []

    def serve(**overrides: Any) -> tuple[Publisher, TestClient, dict[str, str]]:
        web = {"database_url": f"sqlite:///{tmp_path / 'web.db'}", "secret_key": "k", **overrides.pop("web", {})}
        settings = load_settings(environ={}, data_dir=data_dir_with_index(fast_index, tmp_path / "data"),
                                 preset="fast", web=web, **overrides)
        publisher = Publisher(settings)
        token = add_users(settings.database_url(), clinician="clinician")["clinician"]
        client = TestClient(create_app(settings, publisher=publisher))
        client.__enter__()  # the lifespan: the builder starts and warms the build process up
        opened.append((publisher, client))
        return publisher, client, {"Authorization": f"Bearer {token}"}

    yield serve
    for publisher, client in opened:
        client.__exit__(None, None, None)
        publisher.close()


def test_builds_run_in_a_niced_child_process_and_the_server_never_opens_the_index(served) -> None:  # type: ignore[no-untyped-def]
    publisher, client, auth = served()
    built = client.post("/api/articles", headers=auth, json={"question": QUESTIONS[0]})
    assert built.status_code == 201 and built.json()["build_state"] == "ready", built.text
    article = client.get(f"/api/articles/{built.json()['id']}", headers=auth).json()
    assert article["sections"] and article["bottom_line"]

    child = publisher.build_process.pid if publisher.build_process else None
    assert child is not None and child != os.getpid()
    assert os.getpriority(os.PRIO_PROCESS, child) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)
    assert publisher.engine._index is None  # the serving process built nothing itself
    assert client.get("/api/health").json()["engine"] == "ready"


def test_a_killed_build_process_fails_its_build_clearly_and_the_next_build_works(served) -> None:  # type: ignore[no-untyped-def]
    release = threading.Event()

    def slow_model(body: dict[str, Any]) -> str:
        release.wait(60)  # the build waits here until the test lets it go (bounded)
        return passage_model(body)

    with FakeLLM(slow_model) as endpoint:
        publisher, client, auth = served(
            writer="llm", llm={"base_url": endpoint.base_url, "model": "fake", "patient_rewrite": False},
            web={"build_queue_limit": 1, "build_wait_seconds": 0},
        )
        asked = client.post("/api/articles?wait=false", headers=auth, json={"question": QUESTIONS[0]})
        assert asked.status_code == 201, asked.text
        article_id = asked.json()["id"]
        wait_for(lambda: endpoint.bodies, 60, "the build process to reach the model")
        assert client.get(f"/api/articles/{article_id}", headers=auth).json()["build_state"] == "building"

        # The pool is still bounded while the build runs elsewhere: nothing is written for the refused ask.
        refused = client.post("/api/articles?wait=false", headers=auth, json={"question": QUESTIONS[1]})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert len(client.get("/api/articles?mine=true", headers=auth).json()["articles"]) == 1

        killed = publisher.build_process.pid
        assert killed is not None and killed != os.getpid()
        os.kill(killed, signal.SIGKILL)
        failed = wait_for(lambda: (a := client.get(f"/api/articles/{article_id}", headers=auth).json())
                          ["build_state"] == "failed" and a, 30, "the build to be marked failed")
        assert "build process" in failed["build_error"] and "SIGKILL" in failed["build_error"]
        assert "retry" in failed["build_error"]

        release.set()
        retried = client.post(f"/api/articles/{article_id}/retry", headers=auth)
        assert retried.status_code == 200, retried.text
        assert publisher.builder.wait_idle(60)
        rebuilt = client.get(f"/api/articles/{article_id}", headers=auth).json()
        assert rebuilt["build_state"] == "ready" and rebuilt["writer"]["name"] == "llm", json.dumps(rebuilt)[:400]
        assert publisher.build_process.pid not in (None, killed)


def test_a_hung_build_process_is_killed_after_the_timeout_and_its_build_fails_cleanly(served) -> None:  # type: ignore[no-untyped-def]
    release = threading.Event()

    def hung_model(body: dict[str, Any]) -> str:
        release.wait(60)  # never answers within the build timeout (bounded, for the test's own sake)
        return passage_model(body)

    with FakeLLM(hung_model) as endpoint:
        publisher, client, auth = served(
            writer="llm", llm={"base_url": endpoint.base_url, "model": "fake", "patient_rewrite": False},
            web={"build_wait_seconds": 0, "build_timeout_seconds": 3},
        )
        try:
            asked = client.post("/api/articles?wait=false", headers=auth, json={"question": QUESTIONS[0]})
            assert asked.status_code == 201, asked.text
            article_id = asked.json()["id"]
            wait_for(lambda: endpoint.bodies, 60, "the build process to reach the model")
            hung = publisher.build_process.pid
            assert hung is not None and hung != os.getpid()
            failed = wait_for(lambda: (a := client.get(f"/api/articles/{article_id}", headers=auth).json())
                              ["build_state"] == "failed" and a, 30, "the hung build to be marked failed")
            assert "longer than 3 s" in failed["build_error"] and "retry" in failed["build_error"]
            with pytest.raises(ProcessLookupError):  # killed, and reaped: not left running beside its successor
                os.kill(hung, 0)
        finally:
            release.set()
        retried = client.post(f"/api/articles/{article_id}/retry", headers=auth)
        assert retried.status_code == 200, retried.text
        assert publisher.builder.wait_idle(60)
        rebuilt = client.get(f"/api/articles/{article_id}", headers=auth).json()
        assert rebuilt["build_state"] == "ready", json.dumps(rebuilt)[:400]
        assert publisher.build_process.pid not in (None, hung)
