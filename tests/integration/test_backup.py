"""`curbside backup` and `curbside restore` over a served data directory, on SQLite and on PostgreSQL.

A backup taken while the server runs and a client keeps commenting holds whole transactions only (every
comment with its audit entry), each row as the server wrote it. A backup taken while the server runs idle,
restored into an empty data directory (and an empty database), holds every row of every table: users, articles,
versions, reviews, comments and the audit log, plus the index and the secret key; the restored site serves the
same articles. Refusals (a non-empty target, a missing or damaged backup, an unknown schema) exit 2 with one line
and write nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import MetaData, create_engine, select
from support.live_server import live_server
from support.postgres import PostgresServer
from support.webapp import PASSWORD

from curbside.articles.accounts import UserInfo
from curbside.articles.backup import MANIFEST_NAME, SQLITE_FILE, verify_backup
from curbside.articles.db import _alembic_config, create_database_engine, migration_scripts
from curbside.articles.publisher import SECRET_FILE, Publisher
from curbside.cli.main import cli
from curbside.engine import Curbside
from curbside.retrieval.index import index_dir
from curbside.retrieval.snapshots import switch_into_place
from curbside.settings import Settings, load_settings
from curbside.web.app import create_app

pytestmark = pytest.mark.slow

QUESTION = "Should a 55-year-old woman be screened for colorectal cancer?"
WRITER_SECONDS = 20.0  # the concurrent client stops by itself after this, whatever happens
# Tables whose rows change after they are written (a token's last use, an article's update time): compared
# exactly only in the quiet backup.
APPEND_ONLY = ("review_comments", "audit_log")


@dataclass
class Source:
    settings: Settings
    publisher: Publisher
    users: dict[str, UserInfo]
    new_database_url: Callable[[], str | None]  # an empty database to restore into (None: SQLite in the data dir)


def _settings(data_dir: Path, database_url: str | None) -> Settings:
    return load_settings(environ={}, data_dir=data_dir, web={"database_url": database_url})


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def source(request: pytest.FixtureRequest, fixture_engine: Curbside,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    """A data directory with the fixture index, a web database full of articles in every state, and a secret key
    (made once per database kind: the tests add to it, never remove)."""
    made: list[str] = []
    server: PostgresServer | None = None
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")

    def new_database_url() -> str | None:
        if server is None:
            return None
        name = f"curbside_backup_{uuid.uuid4().hex[:12]}"
        made.append(name)
        return server.create_database(name)

    data_dir = tmp_path_factory.mktemp("backup-source") / "source"
    shutil.copytree(index_dir(fixture_engine.data_dir), index_dir(data_dir))
    settings = _settings(data_dir, new_database_url())
    # The fixture engine answers (one embedding model per session); the index copy is what gets backed up.
    publisher = Publisher(settings, engine=fixture_engine)
    users = {name: publisher.accounts.add_user(f"{name}@example.org", PASSWORD, role) for name, role in
             (("clinician", "clinician"), ("clinician2", "clinician"), ("reviewer", "reviewer"),
              ("reviewer2", "reviewer"))}
    _populate(publisher, users)
    try:
        yield Source(settings, publisher, users, new_database_url)
    finally:
        publisher.close()
        if server is not None:
            for name in made:
                server.drop_database(name)


def _populate(publisher: Publisher, users: dict[str, UserInfo]) -> None:
    store, accounts = publisher.store, publisher.accounts
    publisher.start(warm_up=False)
    published = publisher.ask(users["clinician"], QUESTION, "Patient John Smith, MRN 12345678, average risk.")
    revised = publisher.ask(users["clinician2"], "What is the starting dose of atorvastatin?")
    follow_up = publisher.ask(users["clinician"], "What are the harms of colonoscopy?", parent_id=published.id)
    assert publisher.builder.wait_idle(60)
    store.review(published.id, users["reviewer"], "start", "Reading.")
    store.review(published.id, users["reviewer"], "approve", "Approved. Spoke to Dr. Jane Doe on 3 March 2024.")
    store.add_comment(published.id, users["reviewer2"], "bottom_line", 0, "Grade is right.")
    store.new_version(published.id, users["reviewer"], "New corpus snapshot.")
    store.review(revised.id, users["reviewer2"], "start", "Reading.")
    store.review(revised.id, users["reviewer2"], "request_changes", "Say which indication.")
    store.new_version(revised.id, users["clinician2"], "For primary prevention.",
                      question="What is the starting dose of atorvastatin for primary prevention?")
    store.review(follow_up.id, users["reviewer"], "start", "Reading.")
    store.review(follow_up.id, users["reviewer"], "reject", "Out of scope.")
    assert publisher.builder.wait_idle(60)
    accounts.create_token(users["clinician"])
    accounts.create_session(users["reviewer"])
    with pytest.raises(Exception):
        accounts.authenticate("clinician@example.org", "wrong password", "127.0.0.1")
    publisher.secret_key  # noqa: B018 - made (DATA_DIR/web-secret-key) on first use, as the served app does


def _rows(database_url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, ordered by primary key."""
    engine = create_database_engine(database_url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return {name: [tuple(row) for row in connection.execute(
                        select(table).order_by(*(table.primary_key.columns or table.columns)))]
                    for name, table in metadata.tables.items()}
    finally:
        engine.dispose()


def _run_cli(*args: str, database_url: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real command in its own process, as an operator runs it beside the server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURBSIDE_")}
    env["HF_HUB_OFFLINE"] = "1"
    if database_url:
        env["CURBSIDE_WEB__DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-c", "from curbside.cli.main import main; main()", *args],
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def _cli(*args: str, database_url: str | None = None) -> Result:
    """The command in this process (quicker than a new one)."""
    return CliRunner().invoke(cli, list(args), obj={}, env={"CURBSIDE_WEB__DATABASE_URL": database_url})


def _comment_until(stop: threading.Event, base_url: str, token: str, article_id: str, written: list[int],
                   failures: list[str]) -> None:
    """One comment (and its audit entry, in one transaction) after another, until told or the time is up."""
    deadline = time.monotonic() + WRITER_SECONDS
    with httpx.Client(base_url=base_url, trust_env=False, timeout=10) as client:
        while not stop.is_set() and time.monotonic() < deadline:
            response = client.post(f"/api/articles/{article_id}/comments", headers={"Authorization": f"Bearer {token}"},
                                   json={"section_id": "bottom_line", "bullet_index": 0,
                                         "note": f"Comment {len(written)}."})
            if response.status_code != 201:
                failures.append(f"{response.status_code} {response.text}")
                return
            written.append(response.json()["id"])


def _restore(source: Source, backup: Path, target: Path) -> str:
    """Restore ``backup`` into the new data directory ``target`` (and a new database); the database's URL."""
    database_url = source.new_database_url()
    result = _cli("--data-dir", str(target), "restore", str(backup), database_url=database_url)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Restored") and "3 articles" in result.stdout
    return database_url or _settings(target, None).database_url()


def test_backup_while_serving_restores_every_record(source: Source, tmp_path: Path) -> None:
    settings, publisher = source.settings, source.publisher
    database_url = settings.database_url()
    reviewer_token = publisher.accounts.create_token(source.users["reviewer2"])
    article_id = publisher.store.list_articles(source.users["reviewer"])[0].id
    app = create_app(settings, publisher=publisher, start_builder=False)
    with live_server(app) as base_url:
        # 1. While a client keeps writing, from another process: whole transactions, each row as it was written.
        stop, written, failures = threading.Event(), [], []
        writer = threading.Thread(target=_comment_until,
                                  args=(stop, base_url, reviewer_token, article_id, written, failures))
        writer.start()
        try:
            while len(written) < 3 and writer.is_alive():
                time.sleep(0.05)
            busy = _run_cli("--data-dir", str(settings.data_dir), "backup", str(tmp_path / "busy"),
                            database_url=settings.web.database_url)
            during = len(written)
        finally:
            stop.set()
            writer.join(timeout=WRITER_SECONDS + 15)
        assert not failures and during > 3, (failures, during)
        assert busy.returncode == 0, busy.stderr
        after_busy = _rows(database_url)
        busy_rows = _rows(_restore(source, tmp_path / "busy", tmp_path / "restored-busy"))
        for name in APPEND_ONLY:
            assert set(busy_rows[name]) <= set(after_busy[name]), f"{name}: a row the server never wrote"
        comments = [row for row in busy_rows["review_comments"] if row[-2].startswith("Comment ")]
        audited = [row for row in busy_rows["audit_log"] if row[5] == "comment" and "Comment " in row[-2]]
        assert 3 <= len(comments) == len(audited) <= len(written), "a comment without its audit entry, or the reverse"

        # 2. The server runs idle: the restored database equals the source, row for row, in every table.
        quiet = _cli("--data-dir", str(settings.data_dir), "backup", str(tmp_path / "quiet"),
                     database_url=settings.web.database_url)
        assert quiet.exit_code == 0, quiet.output
        assert quiet.stdout.startswith("Backed up") and "3 articles" in quiet.stdout
        assert (tmp_path / "quiet").stat().st_mode & 0o077 == 0  # password hashes, private text, the secret key
        source_rows = _rows(database_url)
    target = tmp_path / "restored"
    restored_url = _restore(source, tmp_path / "quiet", target)
    restored_rows = _rows(restored_url)
    assert restored_rows == source_rows
    for name in ("users", "api_tokens", "web_sessions", "login_attempts", "articles", "article_versions",
                 "review_comments", "audit_log"):
        assert restored_rows[name], f"the test wrote no {name}"
    statuses = {row[3] for row in restored_rows["article_versions"]}
    assert {"approved", "submitted", "changes_requested", "rejected"} <= statuses

    # The data directory's other state: the index (it opens and answers) and the secret key.
    assert (target / SECRET_FILE).read_text() == (settings.data_dir / SECRET_FILE).read_text()
    assert (target / SECRET_FILE).stat().st_mode & 0o077 == 0
    restored_settings = _settings(target, None if restored_url.startswith("sqlite") else restored_url)
    engine = Curbside(restored_settings)
    try:
        assert engine.info()["corpus_snapshot"] == publisher.engine.info()["corpus_snapshot"]
        assert [h.passage.passage_id for h in engine.search(QUESTION, k=5, mode="bm25")] == \
            [h.passage.passage_id for h in publisher.engine.search(QUESTION, k=5, mode="bm25")]
    finally:
        engine.close()

    # What readers, reviewers and accounts see is the same: every article, version and its history.
    restored_publisher = Publisher(restored_settings, engine=publisher.engine)
    try:
        reviewer = source.users["reviewer"]
        assert restored_publisher.accounts.authenticate("reviewer@example.org", PASSWORD).id == reviewer.id
        assert restored_publisher.accounts.user_for_token(reviewer_token).id == source.users["reviewer2"].id
        summaries = publisher.store.list_articles(reviewer)
        assert len(summaries) == 3
        for summary in summaries:
            for number in range(1, publisher.store.get(summary.id, reviewer).latest_version + 1):
                assert restored_publisher.store.get(summary.id, reviewer, version=number) == \
                    publisher.store.get(summary.id, reviewer, version=number)
            assert restored_publisher.store.history(summary.id, reviewer) == \
                publisher.store.history(summary.id, reviewer)
    finally:
        restored_publisher.close()


def _refused(args: list[str], database_url: str | None = None) -> str:
    """The one-line error of a refused command (exit 2)."""
    result = _cli(*args, database_url=database_url)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_refusals_exit_2_with_one_line_and_write_nothing(source: Source, tmp_path: Path) -> None:
    backup = tmp_path / "backup"
    assert _cli("--data-dir", str(source.settings.data_dir), "backup", str(backup),
                database_url=source.settings.web.database_url).exit_code == 0
    manifest = verify_backup(backup)
    assert manifest.database and manifest.database["schema_revision"] and manifest.index
    data_dir = str(source.settings.data_dir)

    assert "not empty" in _refused(["--data-dir", data_dir, "backup", str(backup)])
    assert "backup failed" in _refused(["--data-dir", data_dir, "backup", str(backup / MANIFEST_NAME / "b")])
    if source.settings.web.database_url:  # a database that already holds tables
        line = _refused(["--data-dir", str(tmp_path / "t0"), "restore", str(backup)],
                        database_url=source.settings.web.database_url)
        assert "is not empty" in line and "tables" in line
        assert not (tmp_path / "t0").exists()
    assert "not empty" in _refused(["--data-dir", data_dir, "restore", str(backup)],
                                   database_url=source.new_database_url())
    assert "not a Curbside backup" in _refused(["--data-dir", str(tmp_path / "t1"), "restore", str(tmp_path / "nope")])
    assert not (tmp_path / "t1").exists()

    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    database_file = damaged / manifest.database["file"]
    data = bytearray(database_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    database_file.write_bytes(bytes(data))
    assert "damaged" in _refused(["--data-dir", str(tmp_path / "t2"), "restore", str(damaged)],
                                 database_url=source.new_database_url())
    assert not (tmp_path / "t2").exists()

    incomplete = tmp_path / "incomplete"
    shutil.copytree(backup, incomplete)
    (incomplete / "data" / SECRET_FILE).unlink()
    assert "missing" in _refused(["--data-dir", str(tmp_path / "t3"), "restore", str(incomplete)])

    newer = tmp_path / "newer"
    shutil.copytree(backup, newer)
    raw = json.loads((newer / MANIFEST_NAME).read_text())
    raw["database"]["schema_revision"] = "9999_from_the_future"
    (newer / MANIFEST_NAME).write_text(json.dumps(raw))
    line = _refused(["--data-dir", str(tmp_path / "t4"), "restore", str(newer)], database_url=source.new_database_url())
    assert "9999_from_the_future" in line and "does not know" in line
    assert not (tmp_path / "t4").exists()

    raw["database"]["schema_revision"] = manifest.database["schema_revision"]
    raw["files"]["data/../../escaped"] = raw["files"].pop(f"data/{SECRET_FILE}")
    (newer / MANIFEST_NAME).write_text(json.dumps(raw))
    assert "outside the backup" in _refused(["--data-dir", str(tmp_path / "t4"), "restore", str(newer)])

    (newer / MANIFEST_NAME).write_text("{not json")
    assert "damaged" in _refused(["--data-dir", str(tmp_path / "t5"), "restore", str(newer)])

    # A backup restored into the other kind of database is refused, not half-done.
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    other = None if source.settings.web.database_url else unreachable
    assert "database" in _refused(["--data-dir", str(tmp_path / "t6"), "restore", str(backup)], database_url=other)
    assert not (tmp_path / "t6").exists()
    if source.settings.web.database_url:  # a database server that cannot be reached
        assert "restore failed" in _refused(["--data-dir", str(tmp_path / "t6"), "restore", str(backup)],
                                            database_url=unreachable)
        assert not (tmp_path / "t6").exists()

    # An index of another format is not restored (the articles are), and the command says how to rebuild it.
    old_index = tmp_path / "old-index"
    shutil.copytree(backup, old_index)
    raw = json.loads((old_index / MANIFEST_NAME).read_text())
    raw["index"]["format_version"] -= 1
    (old_index / MANIFEST_NAME).write_text(json.dumps(raw))
    result = _cli("--data-dir", str(tmp_path / "t7"), "restore", str(old_index),
                  database_url=source.new_database_url())
    assert result.exit_code == 0, result.output
    assert "Note: " in result.stderr and "ingest starter" in result.stderr
    assert not index_dir(tmp_path / "t7").exists() and (tmp_path / "t7" / SECRET_FILE).is_file()


def test_an_older_schema_is_migrated_on_restore(tmp_path: Path) -> None:
    from alembic import command

    data_dir = tmp_path / "old"
    engine = create_database_engine(_settings(data_dir, None).database_url())
    config = _alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    engine.dispose()
    assert _cli("--data-dir", str(data_dir), "backup", str(tmp_path / "b")).exit_code == 0
    assert verify_backup(tmp_path / "b").database["schema_revision"] == "0001"  # type: ignore[index]
    result = _cli("--data-dir", str(tmp_path / "new"), "restore", str(tmp_path / "b"))
    assert result.exit_code == 0, result.output
    restored = create_engine(_settings(tmp_path / "new", None).database_url())
    with restored.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == \
            migration_scripts().get_current_head()
    restored.dispose()
    assert (tmp_path / "b" / SQLITE_FILE).is_file()


def test_an_index_swapped_in_during_the_copy_is_copied_again(fixture_engine: Curbside, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    live = index_dir(data_dir)
    shutil.copytree(index_dir(fixture_engine.data_dir), live)
    building = data_dir / f"{live.name}.building"
    shutil.copytree(live, building)
    manifest = json.loads((building / "manifest.json").read_text())
    manifest["corpus_snapshot"] = "the-new-snapshot"
    (building / "manifest.json").write_text(json.dumps(manifest))
    real_copyfile = shutil.copyfile

    def copy_then_swap(source_file: Path, target: Path) -> object:
        copied = real_copyfile(source_file, target)
        if building.exists():  # as build_index swaps a finished build in: the copy in progress is stale
            switch_into_place(building, live)
        return copied

    monkeypatch.setattr("curbside.articles.backup.shutil.copyfile", copy_then_swap)
    result = _cli("--data-dir", str(data_dir), "backup", str(tmp_path / "b"))
    assert result.exit_code == 0, result.output
    backup = verify_backup(tmp_path / "b")
    assert backup.database is None and backup.index["corpus_snapshot"] == "the-new-snapshot"  # type: ignore[index]
    assert not any(".retired" in name or ".building" in name for name in backup.files)
    assert json.loads((tmp_path / "b" / "data" / live.name / "manifest.json").read_text()) == manifest
