"""Builds article versions in the background, one at a time, from the engine.

The web request that asks a question only writes a Submitted version and returns; this worker runs the
engine (retrieval, evidence selection, the extractive writer) and stores the article JSON. Versions left
pending or half-built by a crash are picked up again at start, so no question is lost.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

import numpy as np

from curbside.articles.store import ArticleStore, BuildJob
from curbside.errors import CurbsideError
from curbside.writing.article import Article as ArticleDocument

log = logging.getLogger(__name__)

AskFunction = Callable[[str, str | None, str], ArticleDocument]  # (question, context, article id) -> article
EmbedFunction = Callable[[str], np.ndarray | None]


class ArticleBuilder:
    def __init__(self, store: ArticleStore, ask: AskFunction, embed: EmbedFunction | None = None) -> None:
        self.store = store
        self.ask = ask
        self.embed = embed
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._idle = threading.Condition()
        self._busy = 0
        self._first: Callable[[], None] | None = None

    # --- queue ------------------------------------------------------------------------------------
    def run_first(self, task: Callable[[], None]) -> None:
        """Run ``task`` in the worker before any build (warming the engine up without blocking startup)."""
        self._first = task

    def enqueue(self, version_id: int) -> None:
        with self._idle:
            self._busy += 1
        self._queue.put(version_id)

    def start(self) -> None:
        """Start the worker and queue every unfinished build found in the database."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="curbside-builder", daemon=True)
            self._thread.start()
        for version_id in self.store.unfinished_builds():
            self.enqueue(version_id)

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until the queue is empty (True), or until ``timeout`` seconds have passed (False)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def _run(self) -> None:
        if self._first is not None:
            self._first()
        while True:
            version_id = self._queue.get()
            if version_id is None:
                return
            try:
                self.build(version_id)
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

    # --- one build --------------------------------------------------------------------------------------
    def build(self, version_id: int) -> None:
        """Build one version now (in the caller's thread). Failures are stored on the version, not raised."""
        job = self.store.claim_build(version_id)
        if job is None:
            return
        try:
            document = self._compose(job)
            vector = self.embed(job.question) if (self.embed is not None and job.needs_vector) else None
        except CurbsideError as exc:
            self.store.fail_build(job, str(exc))
            return
        except Exception as exc:  # a bug; keep the worker alive and the version retryable
            log.exception("building version %s failed", version_id)
            self.store.fail_build(job, f"Internal error while building the article ({type(exc).__name__}). "
                                       "An administrator can find the details in the server log.")
            return
        self.store.finish_build(job, document, vector)

    def _compose(self, job: BuildJob) -> ArticleDocument:
        document = self.ask(job.question, job.context, job.article_id)
        # The title is the question as asked; the patient context is shown apart from it.
        return document.model_copy(update={"title": job.question})
