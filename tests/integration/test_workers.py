"""What docs/deployment.md says about processes, PostgreSQL and snapshots, each exercised: `curbside serve
--workers N` over one PostgreSQL database, the bounded build pool (429 with Retry-After), and a new corpus
snapshot rolled out under a running server without a failed request.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from curbside.articles.publisher import Publisher
from curbside.engine import Curbside
from curbside.settings import load_settings
from curbside.web.app import create_app
from support.deployment import FIXTURE_CORPUS, PASSWORD, QUESTIONS, add_users, build_fast_index, data_dir_with_index
from support.served import ServedCurbside, wait_for

FAST = ("--preset", "fast")


def test_several_workers_share_one_postgresql_database(fresh_postgres_url: str, fast_index: Path,
                                                        tmp_path: Path) -> None:
    data_dir = data_dir_with_index(fast_index, tmp_path / "data")
    env = {"CURBSIDE_WEB__DATABASE_URL": fresh_postgres_url}
    # An empty database: `serve` creates the schema once before the workers start (they would race to).
    with ServedCurbside(data_dir, workers=2, extra_args=FAST, env=env) as site:
        tokens = add_users(fresh_postgres_url, clinician="clinician", reviewer="reviewer")
        clinician = {"Authorization": f"Bearer {tokens['clinician']}"}
        workers = site.worker_pids()
        assert len(workers) == 2 and site.process is not None and site.process.pid not in workers
        site.wait_engine()

        # Each request on a new connection, so they spread over both workers; all see the same articles.
        ids = []
        for question in QUESTIONS[:4]:
            with httpx.Client(base_url=site.base_url, trust_env=False, timeout=30) as fresh:
                created = fresh.post("/api/articles", headers=clinician, json={"question": question})
                assert created.status_code == 201 and created.json()["build_state"] in ("ready", "building")
                ids.append(created.json()["id"])
        for article_id in ids * 2:
            with httpx.Client(base_url=site.base_url, trust_env=False, timeout=30) as fresh:
                wait_for(lambda: fresh.get(f"/api/articles/{article_id}", headers=clinician).status_code == 200, 30,
                         "the article built, as seen from any worker")

        # The login limit is counted in the database, so it holds across workers.
        statuses = []
        for _ in range(7):
            with httpx.Client(base_url=site.base_url, trust_env=False, timeout=30) as fresh:
                statuses.append(fresh.post("/api/auth/token", json={"email": "reviewer@example.org",
                                                                     "password": "wrong " + PASSWORD}).status_code)
        assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]

        # A worker that dies is replaced; meanwhile the other one answers.
        os.kill(workers[0], 9)
        for _ in range(10):
            with httpx.Client(base_url=site.base_url, trust_env=False, timeout=30) as fresh:
                assert fresh.get(f"/api/articles/{ids[0]}", headers=clinician).status_code == 200
        wait_for(lambda: len(site.worker_pids()) == 2 and workers[0] not in site.worker_pids(), 30,
                 "a replacement worker")


def test_a_full_build_pool_answers_429_with_retry_after_and_writes_nothing(fast_index: Path, tmp_path: Path) -> None:
    settings = load_settings(environ={}, data_dir=fast_index, preset="fast",
                             web={"database_url": f"sqlite:///{tmp_path / 'web.db'}", "secret_key": "k",
                                  "build_queue_limit": 2})
    publisher = Publisher(settings)
    token = add_users(settings.database_url(), clinician="clinician")["clinician"]
    auth = {"Authorization": f"Bearer {token}"}
    client = TestClient(create_app(settings, publisher=publisher))  # no lifespan: the builder is not started yet
    try:
        accepted = [client.post("/api/articles?wait=false", headers=auth, json={"question": q}) for q in QUESTIONS[:2]]
        assert [r.status_code for r in accepted] == [201, 201]
        refused = client.post("/api/articles?wait=false", headers=auth, json={"question": QUESTIONS[2]})
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["status"] == 429 and "build_queue_limit" in refused.json()["error"]
        listed = client.get("/api/articles?mine=true", headers=auth).json()["articles"]
        assert sorted(a["question"] for a in listed) == sorted(QUESTIONS[:2])  # the refused one was not saved
        retried = client.post(f"/api/articles/{accepted[0].json()['id']}/retry", headers=auth)
        assert retried.status_code in (409, 429)  # not failed, so nothing to retry; never a 500
        assert "429" in str(client.get("/openapi.json").json()["paths"]["/api/articles"]["post"]["responses"])

        publisher.start(warm_up=False)  # slots free up as builds finish
        assert publisher.builder.wait_idle(60)
        again = client.post("/api/articles?wait=false", headers=auth, json={"question": QUESTIONS[2]})
        assert again.status_code == 201
    finally:
        publisher.close()


def test_a_new_snapshot_rolls_out_under_running_workers_without_a_failed_request(fast_index: Path,
                                                                                 tmp_path: Path) -> None:
    data_dir = data_dir_with_index(fast_index, tmp_path / "data")
    old_snapshot = Curbside(load_settings(environ={}, data_dir=data_dir, preset="fast")).info()["corpus_snapshot"]
    token = add_users(f"sqlite:///{data_dir / 'curbside.db'}", clinician="clinician")["clinician"]
    auth = {"Authorization": f"Bearer {token}"}
    # The next snapshot: the fixture corpus with one file changed (its snapshot id changes with it).
    new_corpus = tmp_path / "corpus-v2"
    shutil.copytree(FIXTURE_CORPUS, new_corpus)
    with (new_corpus / "uspstf" / "uspstf_grade_definitions.json").open("a") as f:
        f.write("\n")

    with ServedCurbside(data_dir, workers=2, extra_args=FAST) as site:
        assert site.wait_engine()["corpus_snapshot"] == old_snapshot
        first = site.client.post("/api/articles", headers=auth, json={"question": QUESTIONS[0]})
        assert first.status_code == 201

        failures: list[str] = []
        done = threading.Event()

        def keep_reading() -> None:
            with httpx.Client(base_url=site.base_url, trust_env=False, timeout=30) as reader:
                while not done.is_set():
                    for path in ("/api/health", f"/api/articles/{first.json()['id']}", "/api/articles"):
                        response = reader.get(path, headers=auth)
                        if response.status_code != 200:
                            failures.append(f"{path}: {response.status_code}")

        reader = threading.Thread(target=keep_reading, daemon=True)
        reader.start()
        try:
            # Built beside the live index (DATA_DIR/index.building), then switched into place atomically.
            new_snapshot = build_fast_index(data_dir, new_corpus)
            assert new_snapshot != old_snapshot
            # Every worker reopens the index by itself (at its next build or sweep); no restart.
            for _ in range(6):
                with httpx.Client(base_url=site.base_url, trust_env=False, timeout=30) as fresh:
                    wait_for(lambda: fresh.get("/api/health").json()["corpus_snapshot"] == new_snapshot, 30,
                             "the worker to follow the switch")
            asked = site.client.post("/api/articles", headers=auth, json={"question": QUESTIONS[1]})
            assert asked.status_code == 201 and asked.json()["build_state"] == "ready"
            versions = site.client.get(f"/api/articles/{asked.json()['id']}/versions", headers=auth).json()
            assert versions["versions"][0]["corpus_snapshot"] == new_snapshot
        finally:
            done.set()
            reader.join(30)
        assert failures == []
        assert not (data_dir / "index.building").exists() and not (data_dir / "index.retired").exists()
