"""A small data directory for the deployment and fault tests: the fixture corpus indexed with the `fast` preset
(BM25 only, so no worker loads the embedding model and a server starts in a second or two), plus users.

Fixtures (registered by tests/conftest.py):
    fast_index   session  Path  a data directory holding only that index (copy it, never write to it)
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from curbside.articles.accounts import Accounts
from curbside.articles.db import Database
from curbside.engine import Curbside
from curbside.settings import load_settings

FIXTURE_CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
PASSWORD = "correct horse battery"
QUESTIONS = (
    "Should a 55-year-old woman be screened for colorectal cancer?",
    "Do statins prevent atrial fibrillation after CABG?",
    "What is the dose of the test drug for adults?",
    "How often should blood pressure be checked in adults?",
    "Is aspirin recommended for primary prevention in older adults?",
    "What treatments help asthma airways?",
)


def build_fast_index(data_dir: Path, corpus_dir: Path = FIXTURE_CORPUS) -> str:
    """Index ``corpus_dir`` into ``data_dir`` with the fast preset; returns the corpus snapshot id."""
    engine = Curbside(load_settings(environ={}, data_dir=data_dir, preset="fast"))
    try:
        return engine.ingest_starter(corpus_dir).manifest.corpus_snapshot
    finally:
        engine.close()


@pytest.fixture(scope="session")
def fast_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    data_dir = tmp_path_factory.mktemp("fast-index")
    build_fast_index(data_dir)
    yield data_dir


def data_dir_with_index(fast_index: Path, target: Path) -> Path:
    """A fresh data directory at ``target`` holding a copy of the fast index."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(fast_index / "index", target / "index")
    return target


def add_users(database_url: str, **roles: str) -> dict[str, str]:
    """Users named by ``roles`` (name -> role), each with an API token; returns name -> token."""
    data_dir = Path("/nonexistent")  # accounts need no data directory
    db = Database(database_url)
    try:
        accounts = Accounts(db, load_settings(environ={}, data_dir=data_dir).web)
        return {name: accounts.create_token(accounts.add_user(f"{name}@example.org", PASSWORD, role))
                for name, role in roles.items()}
    finally:
        db.dispose()
