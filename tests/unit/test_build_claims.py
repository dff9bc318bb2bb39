"""Build claims shared by several workers (articles/builder.py): exactly one worker claims a build, and a build
is taken over only from a worker that is gone (a dead process on this host, a stale lease from another host)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from curbside.articles.builder import ArticleBuilder, process_is_gone
from curbside.articles.models import utcnow
from test_article_store import Site, fake_article


def _pending_version(tmp_path: Path) -> tuple[Site, int]:
    site = Site(tmp_path)
    site.store.on_version_created = None  # leave it pending, as a request in another worker would
    site.store.create_article(site.clinician, "Should adults be screened for colorectal cancer?")
    with site.db.engine.connect() as c:
        return site, int(c.execute(text("SELECT id FROM article_versions")).scalar_one())


def _builder(site: Site, lease_seconds: float = 600) -> ArticleBuilder:
    return ArticleBuilder(site.store, lambda q, c, a: fake_article(q, a), lease_seconds=lease_seconds)


def _state(site: Site) -> tuple[str, str | None]:
    with site.db.engine.connect() as c:
        row = c.execute(text("SELECT build_state, build_owner FROM article_versions")).one()
        return row[0], row[1]


def test_exactly_one_worker_claims_a_build(tmp_path: Path) -> None:
    site, version_id = _pending_version(tmp_path)
    first, second = _builder(site), _builder(site)
    second.owner = f"{second.host}:{os.getppid()}"  # another live worker on this host
    job = first.store.claim_build(version_id, first.owner, first.abandoned)
    assert job is not None and _state(site) == ("building", first.owner)
    assert second.store.claim_build(version_id, second.owner, second.abandoned) is None  # it is alive: not taken
    site.store.finish_build(job, fake_article(job.question, job.article_id), None)
    assert _state(site) == ("ready", None)
    assert first.store.claim_build(version_id, first.owner, first.abandoned) is None  # built: nothing to do


def test_a_build_of_a_dead_worker_is_taken_over_and_its_late_result_dropped(tmp_path: Path) -> None:
    site, version_id = _pending_version(tmp_path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    dead_pid = int(dead.stdout)
    assert process_is_gone(dead_pid) and not process_is_gone(os.getpid())
    builder = _builder(site)
    stale = site.store.claim_build(version_id, f"{builder.host}:{dead_pid}", builder.abandoned)
    assert stale is not None
    assert site.store.unfinished_builds(builder.abandoned) == [version_id]
    job = site.store.claim_build(version_id, builder.owner, builder.abandoned)
    assert job is not None and _state(site) == ("building", builder.owner)
    site.store.fail_build(stale, "the dead worker's late word")  # not its build any more: ignored
    assert _state(site) == ("building", builder.owner)


def test_another_hosts_claim_is_taken_over_only_after_the_lease(tmp_path: Path) -> None:
    site, _version_id = _pending_version(tmp_path)
    builder = _builder(site, lease_seconds=60)
    elsewhere = "other-host.example:12345"
    assert not builder.abandoned(elsewhere, utcnow() - timedelta(seconds=30))
    assert builder.abandoned(elsewhere, utcnow() - timedelta(seconds=61))
    assert builder.abandoned(None, None)  # claimed before owners were recorded
    assert builder.abandoned(builder.owner, utcnow())  # its own claim, seen between its builds: not finished


def test_a_request_waits_for_its_own_build_not_for_the_builds_queued_after_it(tmp_path: Path) -> None:
    site = Site(tmp_path)
    release = threading.Event()

    def ask(question: str, context: str | None, article_id: str) -> Any:
        if "slowly" in question:
            assert release.wait(30)  # bounded
        return fake_article(question, article_id)

    builder = ArticleBuilder(site.store, ask)
    site.store.on_version_created = builder.enqueue
    with builder.admission() as first:
        site.store.create_article(site.clinician, "Should adults be screened for colorectal cancer?")
    with builder.admission() as second:
        site.store.create_article(site.clinician, "Does aspirin act slowly in primary prevention?")
    assert len(first) == 1 and len(second) == 1 and first != second
    builder.start()
    try:
        assert builder.wait_built(first, 30)  # built, while the one asked after it is still being built
        assert not builder.wait_idle(0.2) and not builder.wait_built(second, 0.2)
    finally:
        release.set()
    assert builder.wait_built(second, 30)
    builder.stop()
