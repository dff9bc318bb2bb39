"""One object for everything the web app and the CLI do with articles over a data directory:
the database (migrated on open), accounts, the article store and the background builder over the engine.

Its methods mirror the CLI's site commands: ``curbside samples`` is :meth:`Publisher.samples`, ``curbside
refresh`` is :meth:`Publisher.refresh`, and ``curbside users ...`` are :attr:`Publisher.accounts`' methods.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Self

import numpy as np

from curbside.articles.accounts import Accounts, UserInfo
from curbside.articles.build_process import BuildProcess, embed_question, open_engine
from curbside.articles.builder import ArticleBuilder
from curbside.articles.db import Database
from curbside.articles.samples import SamplesResult, make_samples
from curbside.articles.store import ArticleRef, ArticleStore
from curbside.engine import Curbside
from curbside.errors import IndexError_, ServiceUnavailableError
from curbside.retrieval.index import index_dir
from curbside.retrieval.snapshots import index_stamp
from curbside.settings import Settings
from curbside.writing.article import Article as ArticleDocument
from curbside.writing.readability import readability

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
        # Builds run in a niced child process that holds its own engine (articles/build_process.py), unless the
        # caller hands an engine over (tests, which share one) or web.build_process is off.
        self.build_process = BuildProcess(settings) if engine is None and settings.web.build_process else None
        self.db = Database(settings.database_url(), busy_seconds=settings.web.database_busy_seconds)
        self.accounts = Accounts(self.db, settings.web)
        self.store = ArticleStore(self.db, settings)
        web = settings.web
        self.builder = ArticleBuilder(self.store, self._ask, self._embed, queue_limit=web.build_queue_limit,
                                      sweep_seconds=web.build_sweep_seconds, lease_seconds=web.build_lease_seconds,
                                      on_sweep=self._check_engine)
        self.store.on_version_created = self.builder.enqueue
        # Only the builder thread touches the engine; these say how it is doing, for /api/health and pages.
        self.engine_state = "starting"  # starting | ready | failed
        self.engine_error: str | None = None
        self.corpus_snapshot: str | None = None  # of the index the engine has open
        self._index_stamp: tuple[int, int] | None = None
        # The LLM writer's unverified claims while an article is built (article id -> claims so far), for the
        # building page; dropped when the build ends, so only the verified article is ever kept.
        self._drafts: dict[str, list[str]] = {}

    @cached_property
    def secret_key(self) -> str:
        """Signs CSRF tokens; read (or made) only when the web app first needs it, not by CLI commands."""
        return load_secret_key(self.settings)

    def _ask(self, question: str, context: str | None, article_id: str) -> ArticleDocument:
        self._follow_index_switch()

        def on_draft(claims: list[str]) -> None:
            self._drafts[article_id] = claims  # one assignment: readers see the old list or the new one

        try:
            if self.build_process is not None:
                return self.build_process.call("ask", question, context, article_id, on_draft=on_draft)
            return self.engine.ask(question, context=context, article_id=article_id, on_draft=on_draft)
        except IndexError_ as exc:  # the index went away or was damaged under the running server
            self._engine_failed(exc)
            raise
        finally:
            self._drafts.pop(article_id, None)

    def draft(self, article_id: str) -> list[str]:
        """The claims the LLM writer has written so far for an article being built (unverified; [] when none)."""
        return list(self._drafts.get(article_id, ()))

    def _embed(self, question: str) -> np.ndarray | None:
        if self.build_process is not None:
            return self.build_process.call("embed", question)
        return embed_question(self.engine, question)

    def _close_engine(self) -> None:
        if self.build_process is not None:
            self.build_process.call("close_engine")
        else:
            self.engine.close()

    def start(self, *, warm_up: bool = True) -> None:
        """Start the builder (resuming unfinished builds); warm the engine up so the first answer is quick."""
        if warm_up:
            self.builder.run_first(self.warm_up)
        self.builder.start()

    def warm_up(self) -> None:
        """Open the index and load the embedding model (in the builder thread, before the first build)."""
        # Article pages measure readability, whose first use loads textstat's syllable dictionary (about 1.5 s):
        # loaded here, the first readers after a start do not wait for it (bench/bench_load.py: a p99 of 8 s).
        readability("Warm up.")
        try:
            if self.build_process is not None:  # the build process closes its engine when this fails
                stamp, snapshot = self.build_process.call("open")
            else:
                try:
                    stamp, snapshot = open_engine(self.engine)
                except Exception:
                    self.engine.close()
                    raise
        except Exception as exc:  # noqa: BLE001 - reported on /api/health and by 503s to new questions
            self._engine_failed(exc)
            return
        if self.engine_state == "failed":
            log.warning("the index opened again (corpus snapshot %s); articles are built again", snapshot)
        self._index_stamp, self.corpus_snapshot = stamp, snapshot
        self.engine_state, self.engine_error = "ready", None

    def _engine_failed(self, exc: BaseException) -> None:
        message = str(exc) if isinstance(exc, IndexError_) else (
            f"The index could not be opened ({type(exc).__name__}: {exc}). Rebuild it with "
            f"`curbside --data-dir {self.settings.data_dir} ingest starter`.")
        if message != self.engine_error:  # one log line per new problem, not one per retry
            log.error("the index is not usable; new questions get 503 until it is: %s", message)
        self.engine_state, self.engine_error = "failed", message

    def _follow_index_switch(self) -> None:
        """Reopen the index when a new snapshot was switched into place since it was opened (builder thread)."""
        if self.engine_state == "ready" and index_stamp(index_dir(self.settings.data_dir)) != self._index_stamp:
            log.warning("a new index snapshot was switched into place; reopening it")
            self._close_engine()
            self.warm_up()

    def _check_engine(self) -> None:
        """On each sweep of the builder: retry an index that failed, follow a switched one."""
        if self.engine_state == "failed":
            self.warm_up()
        else:
            self._follow_index_switch()

    def require_engine(self) -> None:
        """Refuse new work with 503 while the index is missing or damaged (reading articles still works)."""
        if self.engine_state == "failed":
            raise ServiceUnavailableError(
                f"Articles cannot be built now: {self.engine_error} Nothing was saved; try again later.",
                retry_after=max(1, math.ceil(self.settings.web.build_sweep_seconds)),
            )

    def ask(self, asker: UserInfo | None, question: object, context: object = None, parent_id: str | None = None,
            *, wait_seconds: float = 0.0) -> ArticleRef:
        """A new article (``POST /api/articles``, the ask form): 503 while the index is unusable, 429 when this
        worker's build slots are all taken; nothing is written then."""
        self.require_engine()
        with self.builder.admission() as queued:
            ref = self.store.create_article(asker, question, context, parent_id)
        if wait_seconds > 0:
            self.builder.wait_built(queued, wait_seconds)
        return ref

    def new_version(self, actor: UserInfo | None, article_id: str, note: object, *, question: object = None,
                    context: object = None, wait_seconds: float = 0.0) -> ArticleRef:
        """:meth:`ArticleStore.new_version`, admitted like :meth:`ask`."""
        self.require_engine()
        with self.builder.admission() as queued:
            ref = self.store.new_version(article_id, actor, note, question=question, context=context)
        if wait_seconds > 0:
            self.builder.wait_built(queued, wait_seconds)
        return ref

    def retry(self, actor: UserInfo | None, article_id: str) -> ArticleRef:
        """:meth:`ArticleStore.retry_build`, admitted like :meth:`ask`."""
        self.require_engine()
        with self.builder.admission():
            return self.store.retry_build(article_id, actor)

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
        if self.build_process is not None:
            self.build_process.close()
        self.db.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
