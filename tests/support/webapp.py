"""The web app over a real index of the hand-written fixture corpus, for API and browser tests.

Fixtures (registered by tests/conftest.py):
    fixture_engine   session  Curbside  the engine over an index of tests/fixtures/corpus (built once)
    make_site        function callable(database_url=None) -> WebSite: a fresh database, users and app
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from curbside.articles.accounts import UserInfo
from curbside.articles.publisher import Publisher
from curbside.engine import Curbside
from curbside.settings import Settings, load_settings
from curbside.web.app import create_app

FIXTURE_CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
PASSWORD = "correct horse battery"
ROLES = {"clinician": "clinician", "clinician2": "clinician", "reviewer": "reviewer", "reviewer2": "reviewer",
         "reader": "reader", "admin": "admin"}


@dataclass
class WebSite:
    settings: Settings
    publisher: Publisher
    app: FastAPI
    users: dict[str, UserInfo] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def email(name: str) -> str:
        return f"{name}@example.org"

    def token(self, name: str) -> str:
        if name not in self._tokens:
            self._tokens[name] = self.publisher.accounts.create_token(self.users[name])
        return self._tokens[name]

    def auth(self, name: str | None) -> dict[str, str]:
        return {} if name is None else {"Authorization": f"Bearer {self.token(name)}"}


@pytest.fixture(scope="session")
def fixture_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Curbside]:
    data_dir = tmp_path_factory.mktemp("web-index")
    engine = Curbside(load_settings(environ={}, data_dir=data_dir))
    engine.ingest_starter(FIXTURE_CORPUS)
    yield engine
    engine.close()


@pytest.fixture
def make_site(fixture_engine: Curbside, tmp_path: Path) -> Iterator[Callable[..., WebSite]]:
    sites: list[WebSite] = []

    def make(database_url: str | None = None, **web: object) -> WebSite:
        settings = load_settings(
            environ={}, data_dir=fixture_engine.data_dir,
            web={"database_url": database_url or f"sqlite:///{tmp_path / f'web{len(sites)}.db'}",
                 "secret_key": "test-secret", **web},
        )
        publisher = Publisher(settings, engine=fixture_engine)
        site = WebSite(settings, publisher, create_app(settings, publisher=publisher))
        for name, role in ROLES.items():
            site.users[name] = publisher.accounts.add_user(WebSite.email(name), PASSWORD, role)
        sites.append(site)
        return site

    yield make
    for site in sites:
        site.publisher.close()


def client_for(site: WebSite) -> TestClient:
    """A test client on https, so the Secure session cookie is sent back (use it as a context manager)."""
    return TestClient(site.app, base_url="https://testserver")
