"""One object for everything the web app and the CLI do with articles over a data directory:
the database (migrated on open), accounts, the article store and the background builder over the engine.

Its methods mirror the CLI's site commands: ``curbside samples`` is :meth:`Publisher.samples`, ``curbside
refresh`` is :meth:`Publisher.refresh`, and ``curbside users ...`` are :attr:`Publisher.accounts`' methods.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Self

import numpy as np

from curbside.articles.accounts import Accounts, UserInfo
from curbside.articles.builder import ArticleBuilder
from curbside.articles.db import Database
from curbside.articles.samples import SamplesResult, make_samples
from curbside.articles.store import ArticleRef, ArticleStore
from curbside.engine import Curbside
from curbside.settings import Settings
from curbside.writing.article import Article as ArticleDocument

log = logging.getLogger(__name__)
SECRET_FILE = "web-secret-key"


def load_secret_key(settings: Settings) -> str:
    """``web.secret_key``, or a random key made once and kept (mode 0600) in the data directory."""
    if settings.web.secret_key:
        return settings.web.secret_key
    path = Path(settings.data_dir) / SECRET_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key)
    return key


@dataclass(frozen=True)
class RefreshResult:
    """What ``curbside refresh`` regenerated: the new versions, built from ``corpus_snapshot``, awaiting review."""

    corpus_snapshot: str
    articles: list[ArticleRef]


class Publisher:
    def __init__(self, settings: Settings, engine: Curbside | None = None) -> None:
        self.settings = settings
        self.engine = engine if engine is not None else Curbside(settings)
        self.db = Database(settings.database_url())
        self.accounts = Accounts(self.db, settings.web)
        self.store = ArticleStore(self.db, settings)
        self.builder = ArticleBuilder(self.store, self._ask, self._embed)
        self.store.on_version_created = self.builder.enqueue
        # Only the builder thread touches the engine; these say how it is doing, for /api/health and pages.
        self.engine_state = "starting"  # starting | ready | failed
        self.engine_error: str | None = None

    @cached_property
    def secret_key(self) -> str:
        """Signs CSRF tokens; read (or made) only when the web app first needs it, not by CLI commands."""
        return load_secret_key(self.settings)

    def _ask(self, question: str, context: str | None, article_id: str) -> ArticleDocument:
        return self.engine.ask(question, context=context, article_id=article_id)

    def _embed(self, question: str) -> np.ndarray | None:
        # Related questions use the index's own embedder; without one, articles simply have no neighbours.
        try:
            return self.engine.index.embedder.encode([question])[0]
        except Exception:
            log.warning("could not embed the question for related questions", exc_info=True)
            return None

    def start(self, *, warm_up: bool = True) -> None:
        """Start the builder (resuming unfinished builds); warm the engine up so the first answer is quick."""
        if warm_up:
            self.builder.run_first(self.warm_up)
        self.builder.start()

    def warm_up(self) -> None:
        """Open the index and load the embedding model (in the builder thread, before the first build)."""
        try:
            self.engine.index.embedder.encode(["warm up"])
        except Exception as exc:  # noqa: BLE001 - reported on /api/health and on each failed build
            self.engine_state, self.engine_error = "failed", str(exc)
            log.warning("engine warm-up failed; articles will fail until the index is built: %s", exc)
            return
        self.engine_state = "ready"

    def ask(self, asker: UserInfo | None, question: object, context: object = None, parent_id: str | None = None,
            *, wait_seconds: float = 0.0) -> ArticleRef:
        ref = self.store.create_article(asker, question, context, parent_id)
        if wait_seconds > 0:
            self.builder.wait_idle(wait_seconds)
        return ref

    def samples(self, *, wait_seconds: float = 600.0) -> SamplesResult:
        """Demo accounts and sample articles, built before returning (``curbside samples``); idempotent."""
        return make_samples(self, wait_seconds=wait_seconds)

    def refresh(self, *, wait_seconds: float = 600.0) -> RefreshResult:
        """Regenerate approved articles built from an older corpus snapshot than the index's, as new versions
        for review, and wait for the builds (``curbside refresh``)."""
        snapshot = self.engine.index.corpus_snapshot
        refs = self.store.refresh_stale(snapshot)
        self.start(warm_up=False)
        self.builder.wait_idle(wait_seconds)
        return RefreshResult(snapshot, refs)

    def close(self) -> None:
        self.builder.stop()
        self.db.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
