"""The library calls behind `curbside samples` and `curbside refresh`: Publisher.samples() and .refresh(),
over the fixture corpus's index (the CLI shells are tested in test_web_cli.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import update

from curbside import Curbside, Publisher, RefreshResult, Role, SamplesResult
from curbside.articles.models import ArticleVersion
from curbside.articles.samples import DEMO_ACCOUNTS_FILE, SAMPLE_QUESTIONS
from curbside.settings import load_settings

pytestmark = pytest.mark.slow


def _publisher(engine: Curbside, tmp_path: Path) -> Publisher:
    settings = load_settings(environ={}, data_dir=engine.data_dir,
                             web={"database_url": f"sqlite:///{tmp_path / 'web.db'}", "secret_key": "test"})
    return Publisher(settings, engine=engine)


def test_samples_returns_the_demo_accounts_and_the_new_articles(fixture_engine: Curbside, tmp_path: Path) -> None:
    accounts_file = fixture_engine.data_dir / DEMO_ACCOUNTS_FILE
    accounts_file.unlink(missing_ok=True)
    with _publisher(fixture_engine, tmp_path) as publisher:
        first = publisher.samples()
        assert isinstance(first, SamplesResult)
        assert [a.role for a in first.accounts] == [Role.CLINICIAN, Role.REVIEWER, Role.ADMIN]
        assert first.account("reviewer").email == "demo-reviewer@curbside.local"
        assert all(a.password for a in first.accounts)
        assert len(first.articles) == len(SAMPLE_QUESTIONS) and {r.status for r in first.articles} == {"submitted"}
        assert first.accounts_file == accounts_file and oct(os.stat(accounts_file).st_mode & 0o777) == "0o600"
        again = publisher.samples()
    assert again.articles == []
    # The accounts exist already: their passwords come back from the accounts file, unchanged.
    assert [a.password for a in again.accounts] == [a.password for a in first.accounts]


def test_refresh_regenerates_approved_articles_from_an_older_snapshot(fixture_engine: Curbside, tmp_path: Path) -> None:
    with _publisher(fixture_engine, tmp_path) as publisher:
        clinician = publisher.accounts.add_user("clin@example.org", "a long enough password", "clinician")
        reviewer = publisher.accounts.add_user("rev@example.org", "a long enough password", "reviewer")
        publisher.start(warm_up=False)
        ref = publisher.ask(clinician, "Should adults be screened for colorectal cancer?", wait_seconds=300)
        publisher.store.review(ref.id, reviewer, "start", "Checking the sources.")
        publisher.store.review(ref.id, reviewer, "approve", "Every statement matches its source.")
        snapshot = fixture_engine.index.corpus_snapshot
        assert publisher.refresh() == RefreshResult(snapshot, [])  # built from this snapshot already
        with publisher.db.session() as session:  # as if the index had been rebuilt since
            session.execute(update(ArticleVersion).values(corpus_snapshot="starter-older"))
        result = publisher.refresh(wait_seconds=300)
    assert result.corpus_snapshot == snapshot
    assert [(r.id, r.version, r.status) for r in result.articles] == [(ref.id, 2, "submitted")]
