#!/usr/bin/env python
"""The web app under load: readers of published articles and askers at the same time, on loopback.

    python bench/bench_load.py --data-dir /tmp/starter-data [--readers 50] [--askers 5] [--seconds 60]
                               [--articles 20] [--workers 1] [--probe-interval 0.05]

Starts `curbside serve` on 127.0.0.1 (a free port, a fresh SQLite database in a temporary folder, the index of
--data-dir), adds a clinician and a reviewer, asks and approves --articles questions, then for --seconds runs
--readers readers (each in a loop: a random published article's page, then the same article from the API, as an
anonymous reader, on its own keep-alive connection) and --askers clinicians (each in a loop: POST /api/articles,
waiting for the build; a 429 is the build pool saying it is full, and the asker then waits the Retry-After it was
given; an answer whose build was not done within the server's wait counts as "201 building"; an asyncio httpx
client), all in one asyncio loop. Every loop stops by itself when the time is up.

Prints JSON: per route the requests, throughput, p50/p95/p99/max in ms and the answers by status; the errors
(anything but 2xx and the deliberate 429s); the server's resident memory (all its processes) sampled every
second, at the start and end of the load, its peak and its trend; and whether the goals are met (p95 < 200 ms for
article pages and the article API, no errors but 429s, memory flat: the last 10 s within 10% of the first 10 s);
and the cores the server and this client kept busy, with the machine's load average over the run.
Not a test: figures vary by machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ask import QUESTIONS  # noqa: E402  (the same 60 varied questions)
from bench_web import percentile  # noqa: E402

HOST = "127.0.0.1"
PASSWORD = "load bench password 1"
GOAL_P95_MS = 200.0
GOAL_ROUTES = ("GET /articles/{id}", "GET /api/articles/{id}")
BASELINE_ROUTE = "GET /api/health (baseline)"
MEMORY_FLAT_RATIO = 0.10
BUILD_WAIT_SECONDS = 30.0  # web.build_wait_seconds, the server's default
CURBSIDE = Path(sys.executable).with_name("curbside")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its live descendants (uvicorn workers), from /proc."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        try:
            children = [int(c) for task in Path(f"/proc/{current}/task").iterdir()
                        for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
        found.append(current)
        pending += children
    return found


def process_tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, from /proc."""
    total_kb = 0
    for current in process_tree(pid):
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total_kb += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total_kb / 1024


class KeepAliveConnection:
    """One reader's HTTP/1.1 keep-alive connection, like a browser's, for GET requests only.

    The readers do not use httpx: its connection pool costs about 7 ms of CPU a request with 50 connections open
    (measured against /api/health), so on 2 cores the load client took most of a core from the server it measured.
    This one costs a small fraction of that. It keeps the cookies the server sets (the visitor id), as a browser
    does, and reconnects when the server closes the connection.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        for attempt in range(2):
            if self._streams is None:
                self._streams = await asyncio.open_connection(self.host, self.port)
            reader, writer = self._streams
            head = [f"GET {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
            if self.cookies:
                head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
            try:
                await writer.drain()
                status_line = await reader.readline()
                if not status_line:
                    raise ConnectionResetError("the server closed the connection")
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt:
                    raise
                continue  # a keep-alive connection the server had closed: once more on a new one
            status = int(status_line.split()[1])
            length, close = 0, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                name, value = name.strip().lower(), value.strip()
                if name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding":
                    raise ValueError(f"a {value} response: this client reads Content-Length bodies only")
                elif name == "connection" and value.lower() == "close":
                    close = True
                elif name == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key] = rest.split(";", 1)[0]
            body = await reader.readexactly(length)
            if close:
                await self.close()
            return status, body
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU time of one process so far, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree_cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and its live descendants (uvicorn workers)."""
    return sum(process_cpu_seconds(p) for p in process_tree(pid))


class Recorder:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter[str]] = defaultdict(Counter)

    async def request(self, client: httpx.AsyncClient, route: str, method: str, url: str,
                      **kwargs: object) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as error:
            self.statuses[route][type(error).__name__] += 1
            return None
        self.latencies[route].append((time.perf_counter() - started) * 1000)
        self.statuses[route][str(response.status_code)] += 1
        return response

    async def get(self, connection: KeepAliveConnection, route: str, path: str) -> None:
        started = time.perf_counter()
        try:
            status, _ = await connection.get(path)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            self.statuses[route][type(error).__name__] += 1
            return
        self.latencies[route].append((time.perf_counter() - started) * 1000)
        self.statuses[route][str(status)] += 1


async def reader(connection: KeepAliveConnection, rec: Recorder, article_ids: list[str], deadline: float,
                 rng: random.Random) -> None:
    try:
        while time.monotonic() < deadline:
            article_id = rng.choice(article_ids)
            await rec.get(connection, "GET /articles/{id}", f"/articles/{article_id}")
            if time.monotonic() >= deadline:
                break
            await rec.get(connection, "GET /api/articles/{id}", f"/api/articles/{article_id}")
    finally:
        await connection.close()


async def prober(connection: KeepAliveConnection, rec: Recorder, deadline: float, interval: float) -> None:
    """A trivial route (``GET /api/health``: no database, no rendering) read every ``interval`` seconds on its own
    connection, in the same run: its latency is what the server's queue and the machine's other work add to any
    request, so the article routes' figures can be read as a ratio to it on a machine that is not quiet."""
    try:
        while time.monotonic() < deadline:
            await rec.get(connection, BASELINE_ROUTE, "/api/health")
            await asyncio.sleep(interval)
    finally:
        await connection.close()


async def asker(client: httpx.AsyncClient, rec: Recorder, token: str, questions: list[str], deadline: float,
                rng: random.Random) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    while time.monotonic() < deadline:
        # The server answers after at most web.build_wait_seconds (30 s), built or not: the client waits longer, so
        # an ask whose build is slow is counted as such ("201 building"), not as a client-side timeout.
        response = await rec.request(client, "POST /api/articles", "POST", "/api/articles",
                                     json={"question": rng.choice(questions)}, headers=headers,
                                     timeout=BUILD_WAIT_SECONDS + 30)
        if response is not None and response.status_code == 201 and response.json().get("build_state") != "ready":
            rec.statuses["POST /api/articles"]["201"] -= 1
            rec.statuses["POST /api/articles"]["201 building"] += 1
        if response is not None and response.status_code == 429:
            retry_after = float(response.headers.get("Retry-After", "1"))
            await asyncio.sleep(max(0.0, min(retry_after, deadline - time.monotonic())))


async def sample_memory(pid: int, samples: list[tuple[float, float]], loads: list[float], deadline: float) -> None:
    """The server's memory, and the machine's 1-minute load average (other work on it counts), each second."""
    started = time.monotonic()
    while time.monotonic() < deadline:
        samples.append((time.monotonic() - started, process_tree_rss_mb(pid)))
        loads.append(os.getloadavg()[0])
        await asyncio.sleep(1.0)
    samples.append((time.monotonic() - started, process_tree_rss_mb(pid)))


async def prepare(client: httpx.AsyncClient, n_articles: int) -> tuple[str, list[str]]:
    """Tokens of the clinician, and the ids of ``n_articles`` asked and approved articles."""

    async def token(email: str) -> str:
        response = await client.post("/api/auth/token", json={"email": email, "password": PASSWORD})
        response.raise_for_status()
        return response.json()["token"]

    clinician = {"Authorization": f"Bearer {await token('load-clinician@example.org')}"}
    reviewer = {"Authorization": f"Bearer {await token('load-reviewer@example.org')}"}
    published = []
    for question in QUESTIONS[:n_articles]:
        asked = await client.post("/api/articles", json={"question": question}, headers=clinician, timeout=120)
        asked.raise_for_status()
        article_id = asked.json()["id"]
        for action in ("start", "approve"):
            done = await client.post(f"/api/articles/{article_id}/review", headers=reviewer,
                                     json={"action": action, "note": "Load benchmark."})
            done.raise_for_status()
        published.append(article_id)
    return clinician["Authorization"].split()[1], published


def summary(rec: Recorder, seconds: float) -> dict[str, dict[str, object]]:
    out = {}
    for route in sorted(set(rec.latencies) | set(rec.statuses)):
        values = rec.latencies.get(route, [])
        out[route] = {
            "requests": sum(rec.statuses[route].values()),
            "per_second": round(sum(rec.statuses[route].values()) / seconds, 1),
            **({"p50_ms": round(percentile(values, 0.50), 1), "p95_ms": round(percentile(values, 0.95), 1),
                "p99_ms": round(percentile(values, 0.99), 1), "max_ms": round(max(values), 1)} if values else {}),
            "statuses": {status: n for status, n in rec.statuses[route].items() if n},
        }
    return out


async def run_load(port: int, pid: int, args: argparse.Namespace) -> dict[str, object]:
    base_url = f"http://{HOST}:{port}"
    # Idle connections are dropped after 2 s, before uvicorn's 5 s keep-alive timeout closes them under a request.
    limits = httpx.Limits(max_connections=args.askers + 5, keepalive_expiry=2.0)
    # trust_env=False: no proxy from the environment may catch loopback requests.
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30, trust_env=False) as client:
        token, article_ids = await prepare(client, args.articles)
        # Each article read once first, as by a server that has served before: the very first reads of a fresh
        # server set up FastAPI's routes and render each article once (about 0.4 s in all, alone; 50 readers at
        # once on a busy machine waited up to 3 s for it, which is start-up, not load).
        for article_id in article_ids:
            for path in (f"/articles/{article_id}", f"/api/articles/{article_id}"):
                (await client.get(path)).raise_for_status()
        rec = Recorder()
        memory: list[tuple[float, float]] = []
        loads: list[float] = []
        deadline = time.monotonic() + args.seconds
        rng = random.Random(13)
        started = time.monotonic()
        client_cpu, server_cpu = process_cpu_seconds(os.getpid()), process_tree_cpu_seconds(pid)
        await asyncio.gather(
            sample_memory(pid, memory, loads, deadline),
            *(reader(KeepAliveConnection(HOST, port), rec, article_ids, deadline, random.Random(rng.random()))
              for _ in range(args.readers)),
            *(asker(client, rec, token, QUESTIONS[args.articles:], deadline, random.Random(rng.random()))
              for _ in range(args.askers)),
            *([prober(KeepAliveConnection(HOST, port), rec, deadline, args.probe_interval)] if args.probe_interval > 0 else []),
        )
        elapsed = time.monotonic() - started
        client_cpu = process_cpu_seconds(os.getpid()) - client_cpu
        server_cpu = process_tree_cpu_seconds(pid) - server_cpu
    routes = summary(rec, elapsed)
    errors = {route: {s: n for s, n in r["statuses"].items() if not (s.startswith("2") or s == "429")}  # type: ignore[union-attr]
              for route, r in routes.items()}
    errors = {route: e for route, e in errors.items() if e}
    first = statistics.median(mb for t, mb in memory if t <= 10)
    last = statistics.median(mb for t, mb in memory if t >= memory[-1][0] - 10)
    slope = statistics.linear_regression([t for t, _ in memory], [mb for _, mb in memory]).slope * 60
    return {
        "readers": args.readers, "askers": args.askers, "seconds": round(elapsed, 1), "workers": args.workers,
        "published_articles": len(article_ids), "cpus": os.cpu_count(),
        # Cores busy on average: the server (all its processes), this load client, and the machine's load average
        # (everything runnable on it, other work included).
        "cpu_cores_used": {"server": round(server_cpu / elapsed, 2), "load_client": round(client_cpu / elapsed, 2)},
        "load_average_1min": {"min": min(loads), "mean": round(statistics.fmean(loads), 2), "max": max(loads)},
        "routes": routes,
        # Each goal route's p50 and p95 over the trivial route's, measured at the same time on the same server.
        "ratio_to_baseline": {r: {q: round(routes[r][q] / routes[BASELINE_ROUTE][q], 2) for q in ("p50_ms", "p95_ms")}  # type: ignore[index,operator]
                              for r in GOAL_ROUTES if r in routes and BASELINE_ROUTE in routes
                              and "p95_ms" in routes[r] and "p95_ms" in routes[BASELINE_ROUTE]},
        "errors": errors,
        "memory_mb": {"first_10s": round(first, 1), "last_10s": round(last, 1),
                      "peak": round(max(mb for _, mb in memory), 1), "trend_mb_per_min": round(slope, 1)},
        "goals_met": {
            "p95_under_200ms": {r: routes.get(r, {}).get("p95_ms", float("inf")) < GOAL_P95_MS  # type: ignore[operator]
                                for r in GOAL_ROUTES},
            "no_errors_but_429": not errors,
            "memory_flat": abs(last - first) <= MEMORY_FLAT_RATIO * first,
        },
    }


def wait_until_ready(base_url: str, server: subprocess.Popen[bytes], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server exited with {server.returncode} before it was ready")
        try:
            health = httpx.get(f"{base_url}/api/health", timeout=2, trust_env=False).json()
            if health.get("engine") == "ready":
                return
            if health.get("engine") == "failed":
                sys.exit(f"the engine failed to start: {health.get('engine_error')}")
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    sys.exit(f"the server was not ready within {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--askers", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--articles", type=int, default=20, help="questions asked and approved before the load")
    parser.add_argument("--workers", type=int, default=1, help="curbside serve --workers")
    parser.add_argument("--probe-interval", type=float, default=0.05,
                        help="seconds between reads of the trivial baseline route (GET /api/health); 0: none")
    args = parser.parse_args()
    if not 1 <= args.articles < len(QUESTIONS):
        parser.error(f"--articles must be between 1 and {len(QUESTIONS) - 1}")

    with tempfile.TemporaryDirectory(prefix="curbside-load-") as tmp:
        env = {**os.environ, "CURBSIDE_WEB__DATABASE_URL": f"sqlite:///{tmp}/load.db",
               "CURBSIDE_WEB__SECRET_KEY": "load-bench", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        base = [str(CURBSIDE), "--data-dir", str(args.data_dir)]
        for email, role in (("load-clinician@example.org", "clinician"), ("load-reviewer@example.org", "reviewer")):
            subprocess.run([*base, "users", "add", email, "--role", role], input=f"{PASSWORD}\n{PASSWORD}\n",
                           text=True, env=env, check=True, capture_output=True)
        port = free_port()
        base_url = f"http://{HOST}:{port}"
        server = subprocess.Popen([*base, "serve", "--host", HOST, "--port", str(port), "--workers",
                                   str(args.workers)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=open(f"{tmp}/server.log", "wb"), start_new_session=True)
        try:
            wait_until_ready(base_url, server)
            result = asyncio.run(run_load(port, server.pid, args))
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
