"""Article builds in a separate, lower-priority process: the serving process only reads and writes the database.

A build (retrieval, evidence selection, writing, embedding the question) is CPU work that holds the GIL for
seconds. Run in a thread of the serving process, it took the GIL from every reader's request; on a busy machine
it also competed with them for the CPU at the same priority (bench/bench_load.py: readers' p95 1.6 s). So each
worker process hands its builds to one child process (``multiprocessing``, spawned) that holds the engine and is
niced by ``web.build_nice``: the operating system runs the readers first, and the readers' GIL is their own.

The builder thread of the worker still claims builds and stores their results, and still bounds them
(``web.build_queue_limit``, 429 when full); only the engine's work crosses the pipe. A build process that dies
(killed, out of memory) fails the build it was doing with :class:`BuildProcessError` (stored on the version, so
nothing stays "building") and is started again by the next call; so does one that hangs: a call that takes longer
than ``web.build_timeout_seconds`` (``TIMED_CALLS``) kills the process. It dies with its worker (``PR_SET_PDEATHSIG``),
and ends by itself when its worker closes the pipe.

    process = BuildProcess(settings)
    article = process.call("ask", question, context, article_id, on_draft=callback)
    process.close()
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from curbside.engine import Curbside
from curbside.errors import CurbsideError
from curbside.retrieval.index import index_dir
from curbside.retrieval.snapshots import index_stamp
from curbside.settings import Settings

log = logging.getLogger(__name__)

IndexStamp = tuple[int, int]
# The calls a build makes, bounded by web.build_timeout_seconds. Not the warm-up ("open"), which loads the model and
# reads the whole index once: on a large index or a busy machine it takes long without being hung.
TIMED_CALLS = frozenset({"ask", "embed"})
_PR_SET_PDEATHSIG = 1


class BuildProcessError(CurbsideError):
    """The build process ended while it built an article (the article's build failed; it can be retried)."""


def open_engine(engine: Curbside) -> tuple[IndexStamp, str]:
    """Open ``engine``'s index and load its embedding model, reading every part of the index once (so a damaged
    one fails here, not at the first question). Returns the index's stamp and its corpus snapshot."""
    stamp = index_stamp(index_dir(engine.settings.data_dir))
    embedder = engine.index.embedder
    if embedder.settings.enabled:
        embedder.encode(["warm up"])
    engine.search("warm up", k=1)
    return stamp, engine.index.corpus_snapshot


def embed_question(engine: Curbside, question: str) -> np.ndarray | None:
    """The question's vector for related questions, from the index's own embedder; None without one (an index
    built without embeddings, as the `fast` preset does: articles then have no neighbours and no model is
    loaded) or when embedding fails."""
    try:
        embedder = engine.index.embedder
        if not embedder.settings.enabled:
            return None
        return embedder.encode([question])[0]
    except Exception:
        log.warning("could not embed the question for related questions", exc_info=True)
        return None


class _EngineCalls:
    """What the build process does for its worker, one call at a time."""

    def __init__(self, settings: Settings, send_draft: Callable[[list[str]], None]) -> None:
        self.engine = Curbside(settings)
        self.send_draft = send_draft

    def open(self) -> tuple[IndexStamp, str]:
        try:
            return open_engine(self.engine)
        except Exception:
            self.engine.close()
            raise

    def ask(self, question: str, context: str | None, article_id: str) -> Any:
        return self.engine.ask(question, context=context, article_id=article_id, on_draft=self.send_draft)

    def embed(self, question: str) -> np.ndarray | None:
        return embed_question(self.engine, question)

    def close_engine(self) -> None:
        self.engine.close()

    def pid(self) -> int:
        return os.getpid()


def _die_with_parent() -> None:
    """Linux: the kernel sends SIGKILL to this process when its worker dies (kill -9 included)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the process still ends when the pipe closes
        pass


def _transportable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling; else a RuntimeError naming it (a CurbsideError keeps its message and
    status, so a refused question still reads as one)."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any unpicklable exception
        if isinstance(exc, CurbsideError):
            copy = CurbsideError(str(exc))
            copy.http_status, copy.retry_after = exc.http_status, exc.retry_after
            return copy
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _serve(settings_json: str, conn: Connection, nice: int, parent_pid: int) -> None:
    """The build process: answer the worker's calls until it closes the pipe."""
    _die_with_parent()
    if os.getppid() != parent_pid:  # the worker died before the death signal was armed
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the worker, which then closes the pipe
    if nice:
        os.nice(nice)
    calls = _EngineCalls(Settings.model_validate_json(settings_json), lambda claims: conn.send(("draft", claims)))
    while True:
        try:
            method, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, Any] = ("ok", getattr(calls, method)(*args))
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the worker, which decides
            if not isinstance(exc, CurbsideError):
                log.exception("the build process's %s failed", method)
            reply = ("raise", _transportable(exc))
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


def _how_it_ended(process: multiprocessing.process.BaseProcess) -> str:
    process.join(5)
    code = process.exitcode
    if code is None:
        return "it stopped answering"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


class BuildProcess:
    """The worker's side: one build process, started at the first call and again after it died. Calls are
    serialised (the builder thread makes them one at a time anyway)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._context = multiprocessing.get_context("spawn")  # never fork a process that runs threads
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        """The build process's pid, or None while none runs."""
        return self._process.pid if self._process is not None and self._process.is_alive() else None

    def _start(self) -> Connection:
        if self._conn is not None and self._process is not None and self._process.is_alive():
            return self._conn
        self._stop()
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(
            target=_serve, name="curbside-build",
            args=(self.settings.model_dump_json(), child_end, self.settings.web.build_nice, os.getpid()),
            daemon=True,
        )
        process.start()
        child_end.close()
        self._process, self._conn = process, parent_end
        return parent_end

    def call(self, method: str, *args: Any, on_draft: Callable[[list[str]], None] | None = None) -> Any:
        """Run ``method`` of the build process's engine calls with ``args``; its exception is raised here.
        :class:`BuildProcessError` when the process ends before answering, or, for a build's call (``TIMED_CALLS``),
        does not answer within ``web.build_timeout_seconds`` (it is then killed, and started again by the next
        call)."""
        with self._lock:
            fresh = not (self._process is not None and self._process.is_alive())
            conn = self._start()
            if fresh and method in TIMED_CALLS:
                # A new process (the first, or one started again after a failure) opens its engine first, untimed:
                # the build's time limit is for the build, not for loading the model and the index.
                self._exchange(conn, "open", (), None, None)
            timeout = self.settings.web.build_timeout_seconds if method in TIMED_CALLS else None
            return self._exchange(conn, method, args, on_draft, timeout)

    def _exchange(self, conn: Connection, method: str, args: tuple[Any, ...],
                  on_draft: Callable[[list[str]], None] | None, timeout: float | None) -> Any:
        process = self._process
        assert process is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            conn.send((method, args))
            while True:
                if deadline is not None and not conn.poll(max(0.0, deadline - time.monotonic())):
                    process.kill()  # hung (a model call that never returns, a deadlock): this build cannot finish
                    raise self._failed(process, method, f"took longer than {timeout:g} s (web.build_timeout_seconds) "
                                                        "and was stopped")
                kind, value = conn.recv()
                if kind == "draft":
                    if on_draft is not None:
                        on_draft(value)
                    continue
                if kind == "raise":
                    raise value
                return value
        except (EOFError, OSError) as exc:
            raise self._failed(process, method, f"ended before it finished ({_how_it_ended(process)})") from exc

    def _failed(self, process: multiprocessing.process.BaseProcess, method: str, what: str) -> BuildProcessError:
        """Stop ``process``, which ``what`` happened to during ``method``; the error its build fails with."""
        self._stop()
        log.error("the article build process (pid %s) %s, during %s; it is started again at the next build",
                  process.pid, what, method)
        return BuildProcessError(f"The article build process (pid {process.pid}) {what}, so this article was not "
                                 "built. Nothing else was lost; retry the build.")

    def _stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._process is not None:
            self._process.join(5)  # it ends by itself when the pipe closes
            if self._process.is_alive():
                self._process.kill()
                self._process.join(5)
        self._process, self._conn = None, None

    def close(self) -> None:
        with self._lock:
            self._stop()
