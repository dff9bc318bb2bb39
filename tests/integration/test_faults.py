"""Faults, each a test: kill -9 of a worker mid-build, a PostgreSQL restart mid-run, a locked SQLite database,
a missing or damaged index, a full disk during ingest (docs/deployment.md).

Servers run as real `curbside serve` process trees on loopback (tests/support/served.py), over a small BM25-only
index of the fixture corpus; every wait is bounded.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from curbside.articles.publisher import Publisher
from curbside.engine import Curbside
from curbside.errors import IngestError, ServiceUnavailableError
from curbside.retrieval.store import MetadataStore
from curbside.settings import load_settings
from curbside.web.app import create_app
from support.deployment import FIXTURE_CORPUS, QUESTIONS, add_users, data_dir_with_index
from support.postgres import TempCluster, ensure_pg_bindir
from support.served import ServedCurbside, wait_for

FAST = ("--preset", "fast")


def _versions(db_path: Path) -> list[tuple[int, str, str | None, str | None]]:
    """(id, build_state, build_owner, article_json) of every version, read as a separate client would."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10) as conn:
        return conn.execute(
            "SELECT id, build_state, build_owner, article_json FROM article_versions ORDER BY id").fetchall()


def _ask_many(site: ServedCurbside, token: str, n: int) -> None:
    for i in range(n):
        response = site.client.post("/api/articles?wait=false", headers={"Authorization": f"Bearer {token}"},
                                    json={"question": QUESTIONS[i % len(QUESTIONS)]})
        assert response.status_code == 201, response.text


def _kill_a_build_in_flight(site: ServedCurbside, db_path: Path, token: str, *, kill_everything: bool) -> int:
    """Ask until some version is seen 'building', then kill -9 its worker (or the whole server); its id."""
    for _round in range(5):
        _ask_many(site, token, 4)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            building = [row for row in _versions(db_path) if row[1] == "building"]
            if building:
                version_id, _, owner, article_json = building[0]
                assert article_json is None  # nothing half-written while it builds
                pid = int(str(owner).rsplit(":", 1)[1])
                assert pid in site.worker_pids(), "builds run in the worker processes"
                if kill_everything:
                    site.kill_all()
                else:
                    os.kill(pid, 9)
                return version_id
            time.sleep(0.003)
    raise AssertionError("no build was ever seen in flight")


def _all_built(db_path: Path) -> bool:
    rows = _versions(db_path)
    return bool(rows) and all(state == "ready" for _, state, _, _ in rows)


def _assert_whole_articles(db_path: Path) -> None:
    for _id, state, owner, article_json in _versions(db_path):
        assert state == "ready" and owner is None
        article = json.loads(str(article_json))  # complete JSON, never a torn write
        assert article["bottom_line"] and article["title"]


def test_kill_9_mid_build_leaves_no_half_written_article_and_no_stuck_build(fast_index: Path, tmp_path: Path) -> None:
    data_dir = data_dir_with_index(fast_index, tmp_path / "data")
    db_path = data_dir / "curbside.db"
    token = add_users(f"sqlite:///{db_path}", clinician="clinician")["clinician"]

    with ServedCurbside(data_dir, workers=2, extra_args=FAST) as site:
        site.wait_engine()
        before = site.worker_pids()
        killed_version = _kill_a_build_in_flight(site, db_path, token, kill_everything=False)
        # uvicorn's supervisor replaces the dead worker; the build it held is built again, not left "building".
        wait_for(lambda: _all_built(db_path), 30, "every build to finish after the kill")
        _assert_whole_articles(db_path)
        assert killed_version in [row[0] for row in _versions(db_path)]
        wait_for(lambda: len(site.worker_pids()) == 2 and site.worker_pids() != before, 30, "a replacement worker")
        assert "Child process" in site.log() and "died" in site.log()

        # The whole server killed mid-build (a crashed host) ...
        _kill_a_build_in_flight(site, db_path, token, kill_everything=True)

    def interrupted() -> bool:
        return any(state in ("building", "pending") for _, state, _, _ in _versions(db_path))

    # A fast build can finish between being seen 'building' and the kill; then crash a fresh server again.
    for _attempt in range(3):
        if interrupted():
            break
        with ServedCurbside(data_dir, workers=2, extra_args=FAST) as again:
            again.wait_engine()
            _kill_a_build_in_flight(again, db_path, token, kill_everything=True)
    assert interrupted()
    # ... and started again: every interrupted or waiting build is finished, none stays "building".
    with ServedCurbside(data_dir, workers=1, extra_args=FAST):
        wait_for(lambda: _all_built(db_path), 30, "every build to finish after the restart")
    _assert_whole_articles(db_path)


@pytest.fixture
def own_postgres() -> Iterator[tuple[TempCluster, str]]:
    """A PostgreSQL cluster of this test's own (and its database's URL): it is stopped and started under a
    running server, which the session's shared cluster must not be."""
    cluster = TempCluster(ensure_pg_bindir())
    server = cluster.start()
    try:
        yield cluster, server.url.render_as_string(hide_password=False)
    finally:
        cluster.stop()


def test_postgresql_restart_gives_clean_503s_then_recovers_by_itself(own_postgres: tuple[TempCluster, str],
                                                                      fast_index: Path, tmp_path: Path) -> None:
    cluster, url = own_postgres
    data_dir = data_dir_with_index(fast_index, tmp_path / "data")
    token = add_users(url, clinician="clinician")["clinician"]
    auth = {"Authorization": f"Bearer {token}"}

    with ServedCurbside(data_dir, workers=2, extra_args=FAST, env={"CURBSIDE_WEB__DATABASE_URL": url}) as site:
        site.wait_engine()
        created = site.client.post("/api/articles", headers=auth, json={"question": QUESTIONS[0]})
        assert created.status_code == 201 and created.json()["build_state"] == "ready"
        article_id = created.json()["id"]

        cluster.stop_server()
        for _ in range(6):  # new connections land on either worker
            for response in (site.client.get(f"/api/articles/{article_id}", headers=auth),
                             site.client.post("/api/articles", headers=auth, json={"question": QUESTIONS[1]})):
                assert response.status_code == 503, response.text
                assert int(response.headers["Retry-After"]) >= 1
                assert "database is unavailable" in response.json()["error"]
            assert site.client.get("/api/health").status_code == 200  # the processes live on
        assert "database unavailable (OperationalError" in site.log()
        assert "Traceback" not in site.log()

        cluster.start_server()
        # Pooled connections to the old server are pinged and replaced: no restart of Curbside is needed.
        wait_for(lambda: site.client.get(f"/api/articles/{article_id}", headers=auth).status_code == 200, 30,
                 "reads to work again")
        for _ in range(6):
            assert site.client.get(f"/api/articles/{article_id}", headers=auth).status_code == 200
        again = site.client.post("/api/articles", headers=auth, json={"question": QUESTIONS[1]})
        assert again.status_code == 201 and again.json()["build_state"] == "ready"


# --- SQLite locked by another writer -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fast_engine(fast_index: Path) -> Iterator[Curbside]:
    engine = Curbside(load_settings(environ={}, data_dir=fast_index, preset="fast"))
    yield engine
    engine.close()


def _site(engine: Curbside, db_path: Path, **web: object) -> tuple[Publisher, TestClient]:
    settings = load_settings(environ={}, data_dir=engine.data_dir, preset="fast",
                             web={"database_url": f"sqlite:///{db_path}", "secret_key": "k", **web})
    publisher = Publisher(settings, engine=engine)
    return publisher, TestClient(create_app(settings, publisher=publisher))


def _hold_write_lock(db_path: Path, seconds: float) -> threading.Thread:
    """Another process's writer: takes SQLite's write lock now and keeps it for ``seconds``."""
    conn = sqlite3.connect(db_path, timeout=5, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")

    def release() -> None:
        time.sleep(seconds)
        conn.execute("ROLLBACK")
        conn.close()

    thread = threading.Thread(target=release, daemon=True)
    thread.start()
    return thread


def _article_count(db_path: Path) -> int:
    with sqlite3.connect(db_path, timeout=10) as conn:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])


def test_locked_sqlite_is_retried_then_answers_503_without_writing(fast_engine: Curbside, tmp_path: Path,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    db_path = tmp_path / "web.db"
    publisher, client = _site(fast_engine, db_path, database_busy_seconds=10)
    token = add_users(f"sqlite:///{db_path}", clinician="clinician")["clinician"]
    auth = {"Authorization": f"Bearer {token}"}
    try:
        # A lock held for a second: the write waits (SQLite's busy handler retries) and succeeds.
        holder = _hold_write_lock(db_path, 1.0)
        started = time.monotonic()
        response = client.post("/api/articles?wait=false", headers=auth, json={"question": QUESTIONS[0]})
        assert response.status_code == 201, response.text
        assert time.monotonic() - started >= 0.8  # it did wait for the lock
        holder.join(5)
        assert _article_count(db_path) == 1
    finally:
        publisher.close()

    impatient, client = _site(fast_engine, db_path, database_busy_seconds=0.3)
    try:
        # A lock held past web.database_busy_seconds: a clean 503 with Retry-After, a log line, nothing written.
        holder = _hold_write_lock(db_path, 2.0)
        with caplog.at_level(logging.WARNING, logger="curbside.web.app"):
            response = client.post("/api/articles?wait=false", headers=auth, json={"question": QUESTIONS[1]})
        assert response.status_code == 503 and int(response.headers["Retry-After"]) >= 1
        assert response.json()["status"] == 503 and "busy" in response.json()["error"]
        assert any("database unavailable (OperationalError: database is locked)" in r.getMessage()
                   for r in caplog.records)
        assert QUESTIONS[1] not in caplog.text  # statement parameters are never logged
        holder.join(5)
        assert _article_count(db_path) == 1
    finally:
        impatient.close()


# --- missing or damaged index ---------------------------------------------------------------------------------
def _damage_manifest(index: Path) -> None:
    (index / "manifest.json").write_text("{ not json", encoding="utf-8")


def _truncate_metadata(index: Path) -> None:
    path = index / "metadata.sqlite"
    path.write_bytes(path.read_bytes()[:4096])


def _scramble_metadata(index: Path) -> None:  # same size, so the manifest's sizes still match
    path = index / "metadata.sqlite"
    path.write_bytes(b"\x13" * path.stat().st_size)


@pytest.mark.parametrize("damage", [shutil.rmtree, _damage_manifest, _truncate_metadata, _scramble_metadata],
                         ids=["missing", "manifest", "truncated", "scrambled"])
def test_missing_or_damaged_index_refuses_new_questions_with_503(damage, fast_index: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    data_dir = data_dir_with_index(fast_index, tmp_path / "data")
    damage(data_dir / "index")
    settings = load_settings(environ={}, data_dir=data_dir, preset="fast",
                             web={"database_url": f"sqlite:///{tmp_path / 'web.db'}", "secret_key": "k"})
    publisher = Publisher(settings)
    token = add_users(settings.database_url(), clinician="clinician")["clinician"]
    client = TestClient(create_app(settings, publisher=publisher))
    try:
        with caplog.at_level(logging.ERROR, logger="curbside.articles.publisher"):
            publisher.warm_up()
            publisher.warm_up()  # a retry of the same problem logs nothing new
        assert publisher.engine_state == "failed"
        assert len([r for r in caplog.records if "the index is not usable" in r.getMessage()]) == 1
        assert "ingest starter" in str(publisher.engine_error)
        with pytest.raises(ServiceUnavailableError):
            publisher.require_engine()
        response = client.post("/api/articles", headers={"Authorization": f"Bearer {token}"},
                               json={"question": QUESTIONS[0]})
        assert response.status_code == 503 and int(response.headers["Retry-After"]) >= 1
        assert "ingest starter" in response.json()["error"]
        assert client.get("/api/articles").status_code == 200  # reading goes on
        assert client.get("/api/health").json()["engine"] == "failed"
    finally:
        publisher.close()


def test_a_server_without_index_stays_up_and_recovers_when_one_is_built(fast_index: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    token = add_users(f"sqlite:///{data_dir / 'curbside.db'}", clinician="clinician")["clinician"]
    auth = {"Authorization": f"Bearer {token}"}
    with ServedCurbside(data_dir, workers=1, extra_args=FAST) as site:
        health = site.wait_engine("failed")
        assert "ingest starter" in health["engine_error"]
        pid = site.process.pid if site.process else 0
        refused = site.client.post("/api/articles", headers=auth, json={"question": QUESTIONS[0]})
        assert refused.status_code == 503 and "ingest starter" in refused.json()["error"]
        time.sleep(2)  # several sweeps later: the same process, one log line, no crash loop
        assert site.process is not None and site.process.poll() is None and site.process.pid == pid
        assert site.log().count("the index is not usable") == 1

        shutil.copytree(fast_index / "index", data_dir / "index.building")
        (data_dir / "index.building").rename(data_dir / "index")
        site.wait_engine("ready", timeout=30)
        built = site.client.post("/api/articles", headers=auth, json={"question": QUESTIONS[0]})
        assert built.status_code == 201 and built.json()["build_state"] == "ready"

        _damage_manifest(data_dir / "index")  # damaged under the running server
        site.wait_engine("failed", timeout=30)
        refused = site.client.post("/api/articles", headers=auth, json={"question": QUESTIONS[1]})
        assert refused.status_code == 503 and "unreadable" in refused.json()["error"]
        assert site.client.get(f"/api/articles/{built.json()['id']}", headers=auth).status_code == 200


# --- full disk during ingest ----------------------------------------------------------------------------------
def _live_snapshot(data_dir: Path) -> str:
    engine = Curbside(load_settings(environ={}, data_dir=data_dir, preset="fast"))
    try:
        return str(engine.info()["corpus_snapshot"])
    finally:
        engine.close()


def test_disk_full_during_ingest_is_reported_and_leaves_no_half_written_index(
        fast_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = data_dir_with_index(fast_index, tmp_path / "data")
    snapshot = _live_snapshot(data_dir)

    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(MetadataStore, "add_vocabulary", disk_full)  # half-way: documents written, then ENOSPC
    engine = Curbside(load_settings(environ={}, data_dir=data_dir, preset="fast"))
    with pytest.raises(IngestError, match="is full") as raised:
        engine.ingest_starter(FIXTURE_CORPUS)
    assert "live index (if any) is unchanged" in str(raised.value) and "ingest starter" in str(raised.value)
    assert not (data_dir / "index.building").exists()
    assert _live_snapshot(data_dir) == snapshot


def _mount_tmpfs(path: Path, size_bytes: int) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(path)],
                            capture_output=True, check=False, timeout=30)
    return result.returncode == 0


def test_a_really_full_disk_during_ingest_via_the_cli(fast_index: Path, tmp_path: Path) -> None:
    """The same on a real, tiny file system (tmpfs; needs root and permission to mount, else skipped: the
    injected ENOSPC above always runs): the live index fits, a second copy being built does not."""
    index_bytes = sum(p.stat().st_size for p in (fast_index / "index").rglob("*") if p.is_file())
    mount_point = tmp_path / "small-disk"
    if not _mount_tmpfs(mount_point, index_bytes + index_bytes // 2 + 64 * 1024):
        pytest.skip("cannot mount a tmpfs here (not root, or no permission in this container)")
    try:
        shutil.copytree(fast_index / "index", mount_point / "index")
        snapshot = _live_snapshot(mount_point)
        result = subprocess.run(
            [sys.executable, "-m", "curbside", "--data-dir", str(mount_point), "--preset", "fast", "ingest", "starter",
             "--corpus-dir", str(FIXTURE_CORPUS)],
            capture_output=True, text=True, timeout=120, check=False, env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        assert result.returncode != 0
        assert "is full" in result.stderr and "Traceback" not in result.stderr, result.stderr
        assert not (mount_point / "index.building").exists()
        assert _live_snapshot(mount_point) == snapshot
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, check=False, timeout=30)

