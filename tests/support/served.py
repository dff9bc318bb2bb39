"""`curbside serve` as a real process tree on loopback, for the deployment and fault tests.

    with ServedCurbside(data_dir, workers=2, env={...}) as site:
        site.client.get("/api/health")
        site.worker_pids()          # the uvicorn worker processes under the supervisor

Every wait is bounded; the process group is always ended (SIGTERM, then SIGKILL) on exit.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

import httpx

HOST = "127.0.0.1"
FAST_TEST_ENV = {
    "HF_HUB_OFFLINE": "1",
    "CURBSIDE_WEB__SECRET_KEY": "test-secret",
    # Abandoned builds and a failed index are looked at every half second, so recovery is quick to observe.
    "CURBSIDE_WEB__BUILD_SWEEP_SECONDS": "0.5",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll ``condition`` until it returns something truthy (returned), or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


class ServedCurbside:
    """`python -m curbside --data-dir DIR serve --workers N` on a free loopback port."""

    def __init__(self, data_dir: Path, *, workers: int = 1, env: dict[str, str] | None = None,
                 log_path: Path | None = None, extra_args: tuple[str, ...] = ()) -> None:
        self.data_dir = data_dir
        self.workers = workers
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.log_path = log_path or data_dir / f"serve-{self.port}.log"
        self.env = {**os.environ, **FAST_TEST_ENV, **(env or {})}
        self.extra_args = extra_args
        self.process: subprocess.Popen[bytes] | None = None
        # No proxies from the environment: requests must stay on loopback.
        self.client = httpx.Client(base_url=self.base_url, trust_env=False, timeout=30)

    def start(self, *, ready_timeout: float = 60.0) -> Self:
        cmd = [sys.executable, "-m", "curbside", "--data-dir", str(self.data_dir), *self.extra_args, "serve",
               "--host", HOST, "--port", str(self.port), "--workers", str(self.workers)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                            start_new_session=True)
        wait_for(self._answers, ready_timeout, f"{cmd} to answer (log: {self.log_path})", interval=0.1)
        if self.workers > 1:
            wait_for(lambda: len(self.worker_pids()) == self.workers, ready_timeout, "every worker to start")
        return self

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"curbside serve exited with {self.process.returncode}:\n{self.log()}")
        try:
            return self.client.get("/api/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_engine(self, state: str = "ready", timeout: float = 60.0) -> dict[str, Any]:
        """Wait until /api/health reports ``state`` (each worker answers it for itself)."""
        def reached() -> dict[str, Any] | None:
            health = self.client.get("/api/health").json()
            return health if health["engine"] == state else None
        return wait_for(reached, timeout, f"engine {state!r} (log: {self.log_path})", interval=0.1)

    def worker_pids(self) -> list[int]:
        """The worker processes (uvicorn spawns them with multiprocessing; its resource tracker is not one)."""
        assert self.process is not None
        pids = []
        for pid in children_of(self.process.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmdline:
                pids.append(pid)
        return sorted(pids)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill_all(self) -> None:
        """kill -9 the supervisor and every worker at once (a crashed host)."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        if self.process is not None:
            try:  # workers left behind by a killed supervisor
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
        self.client.close()
