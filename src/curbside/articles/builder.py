"""Builds article versions in the background, one at a time per worker process, from the engine.

The web request that asks a question only writes a Submitted version and returns; this worker runs the
engine (retrieval, evidence selection, the extractive writer) and stores the article JSON.

- **Bounded.** At most ``web.build_queue_limit`` builds wait or run in one worker process; a request that
  would add one more gets :class:`~curbside.errors.BusyError` (429 with Retry-After) before anything is written.
- **Several workers, one database.** A worker claims a build with a conditional UPDATE naming itself
  (``host:pid``), so exactly one builds it. A build claimed by a worker that died (kill -9, a crashed host) is
  *abandoned*: on the same host when that process no longer exists, elsewhere when the claim is older than
  ``web.build_lease_seconds``. Abandoned and pending builds are picked up at start and every
  ``web.build_sweep_seconds``, so no question is lost and none stays "building".
- **Never dies.** A failing database or engine is logged and the build is left for the next sweep.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy.exc import DBAPIError as DatabaseError

from curbside.articles.models import utcnow
from curbside.articles.store import ArticleStore, BuildJob
from curbside.errors import BusyError, CurbsideError
from curbside.writing.article import Article as ArticleDocument

log = logging.getLogger(__name__)

AskFunction = Callable[[str, str | None, str], ArticleDocument]  # (question, context, article id) -> article
EmbedFunction = Callable[[str], np.ndarray | None]
FIRST_BUILD_SECONDS_GUESS = 2.0  # Retry-After before any build was timed


def process_is_gone(pid: int) -> bool:
    """Whether no live process has ``pid`` on this host (a killed child its parent has not reaped yet counts
    as gone: it is a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state in ("Z", "X")


class ArticleBuilder:
    def __init__(self, store: ArticleStore, ask: AskFunction, embed: EmbedFunction | None = None, *,
                 queue_limit: int = 8, sweep_seconds: float = 10.0, lease_seconds: float = 600.0,
                 on_sweep: Callable[[], None] | None = None) -> None:
        self.store = store
        self.ask = ask
        self.embed = embed
        self.queue_limit = queue_limit
        self.sweep_seconds = sweep_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.on_sweep = on_sweep
        self.host = socket.gethostname()
        self.owner = f"{self.host}:{os.getpid()}"
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._idle = threading.Condition()
        self._queued: set[int] = set()  # waiting or being built here
        self._admitted = 0  # requests between admission and their version reaching the queue
        self._mean_build_seconds = FIRST_BUILD_SECONDS_GUESS
        self._first: Callable[[], None] | None = None
        self._outage = False  # the database failed and has not answered a sweep since
        self._admitting = threading.local()  # the versions queued by a request inside admission(), per thread

    # --- admission ----------------------------------------------------------------------------------
    @property
    def retry_after(self) -> int:
        """Seconds until a build slot is likely free: about one build's time."""
        return max(1, math.ceil(self._mean_build_seconds))

    @contextmanager
    def admission(self) -> Iterator[list[int]]:
        """Hold one build slot while a request writes a version to build; BusyError when all are taken. Yields the
        ids of the versions this thread queues meanwhile (for :meth:`wait_built`)."""
        with self._idle:
            if len(self._queued) + self._admitted >= self.queue_limit:
                raise BusyError(
                    f"This server is building {self.queue_limit} articles already (web.build_queue_limit). "
                    f"Nothing was saved; ask again in {self.retry_after} s.", retry_after=self.retry_after,
                )
            self._admitted += 1
        queued: list[int] = []
        self._admitting.queued = queued
        try:
            yield queued
        finally:
            self._admitting.queued = None
            with self._idle:
                self._admitted -= 1

    # --- queue ------------------------------------------------------------------------------------
    def run_first(self, task: Callable[[], None]) -> None:
        """Run ``task`` in the worker before any build (warming the engine up without blocking startup)."""
        self._first = task

    def enqueue(self, version_id: int) -> None:
        admitted = getattr(self._admitting, "queued", None)
        if admitted is not None:
            admitted.append(version_id)
        with self._idle:
            if version_id in self._queued:
                return
            self._queued.add(version_id)
        self._queue.put(version_id)

    def start(self) -> None:
        """Start the worker and queue every unfinished build found in the database."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="curbside-builder", daemon=True)
            self._thread.start()
        self._guarded("queueing unfinished builds", self._queue_unfinished)

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def wait_built(self, version_ids: list[int], timeout: float | None = None) -> bool:
        """Block until none of ``version_ids`` waits or is being built here (True), or ``timeout`` passed (False).
        A request waits for its own build so, not for the builds queued after it by other requests."""
        with self._idle:
            return self._idle.wait_for(lambda: self._queued.isdisjoint(version_ids), timeout)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until the queue is empty (True), or until ``timeout`` seconds have passed (False)."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._queued, timeout)

    def abandoned(self, owner: str | None, claimed_at: datetime | None) -> bool:
        """Whether a build claimed by ``owner`` at ``claimed_at`` was left behind by a worker that is gone."""
        if owner is None or claimed_at is None:
            return True  # claimed before owners were recorded
        if owner == self.owner:
            return True  # asked only between this worker's own builds: a claim it could not finish (database down)
        host, _, pid = owner.rpartition(":")
        if host == self.host and pid.isdigit() and process_is_gone(int(pid)):
            return True
        return utcnow() - claimed_at > self.lease

    def _queue_unfinished(self) -> None:
        unfinished = self.store.unfinished_builds(self.abandoned)
        if self._outage:
            log.warning("the database answers again; builds resume")
            self._outage = False
        for version_id in unfinished:
            self.enqueue(version_id)

    def _sweep(self) -> None:
        if self.on_sweep is not None:
            self._guarded("checking the engine", self.on_sweep)
        self._guarded("looking for abandoned builds", self._queue_unfinished)

    def _guarded(self, what: str, task: Callable[[], None]) -> None:
        """Run ``task``; an outage is logged once (not at every sweep) and left for the next sweep."""
        try:
            task()
        except DatabaseError as exc:  # the database is down or locked: one line, no statement parameters
            cause = getattr(exc, "orig", None) or exc
            if not self._outage:
                log.warning("%s failed, the database is unavailable (%s); will try again every %s s", what,
                            type(cause).__name__, self.sweep_seconds)
            self._outage = True
        except Exception:  # noqa: BLE001 - a bug or an engine failure; the next sweep tries again
            log.exception("%s failed; will try again", what)

    def _run(self) -> None:
        if self._first is not None:
            self._guarded("warming the engine up", self._first)
        next_sweep = time.monotonic() + self.sweep_seconds
        while True:
            try:
                version_id = self._queue.get(timeout=max(0.01, next_sweep - time.monotonic()))
            except queue.Empty:
                version_id = -1
            if version_id is None:
                return
            if version_id >= 0:
                started = time.monotonic()
                try:
                    self._guarded(f"building version {version_id}", lambda: self.build(version_id))
                finally:
                    self._mean_build_seconds = 0.8 * self._mean_build_seconds + 0.2 * (time.monotonic() - started)
                    with self._idle:
                        self._queued.discard(version_id)
                        self._idle.notify_all()
            if time.monotonic() >= next_sweep:
                self._sweep()
                next_sweep = time.monotonic() + self.sweep_seconds

    # --- one build --------------------------------------------------------------------------------------
    def build(self, version_id: int) -> None:
        """Build one version now (in the caller's thread). Failures are stored on the version, not raised."""
        job = self.store.claim_build(version_id, self.owner, self.abandoned)
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
