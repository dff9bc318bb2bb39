#!/usr/bin/env python
"""The web app under load: readers of published articles and askers at the same time, on loopback.

    python bench/bench_load.py --data-dir /tmp/starter-data [--readers 50] [--askers 5] [--seconds 60]
                               [--articles 20] [--workers 1]

Starts `curbside serve` on 127.0.0.1 (a free port, a fresh SQLite database in a temporary folder, the index of
--data-dir), adds a clinician and a reviewer, asks and approves --articles questions, then for --seconds runs
--readers readers (each in a loop: a random published article's page, then the same article from the API, as an
anonymous reader) and --askers clinicians (each in a loop: POST /api/articles, waiting for the build; a 429 is the
build pool saying it is full, and the asker then waits the Retry-After it was given) on one asyncio httpx client.
Every loop stops by itself when the time is up.

Prints JSON: per route the requests, throughput, p50/p95/p99/max in ms and the answers by status; the errors
(anything but 2xx and the deliberate 429s); the server's resident memory (all its processes) sampled every
second, at the start and end of the load, its peak and its trend; and whether the goals are met (p95 < 200 ms for
article pages and the article API, no errors but 429s, memory flat: the last 10 s within 10% of the first 10 s).
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
MEMORY_FLAT_RATIO = 0.10
CURBSIDE = Path(sys.executable).with_name("curbside")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def process_tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants (uvicorn workers), from /proc."""
    total_kb = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total_kb += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total_kb / 1024


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


async def reader(client: httpx.AsyncClient, rec: Recorder, article_ids: list[str], deadline: float,
                 rng: random.Random) -> None:
    while time.monotonic() < deadline:
        article_id = rng.choice(article_ids)
        await rec.request(client, "GET /articles/{id}", "GET", f"/articles/{article_id}")
        if time.monotonic() >= deadline:
            break
        await rec.request(client, "GET /api/articles/{id}", "GET", f"/api/articles/{article_id}")


async def asker(client: httpx.AsyncClient, rec: Recorder, token: str, questions: list[str], deadline: float,
                rng: random.Random) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    while time.monotonic() < deadline:
        response = await rec.request(client, "POST /api/articles", "POST", "/api/articles",
                                     json={"question": rng.choice(questions)}, headers=headers)
        if response is not None and response.status_code == 429:
            retry_after = float(response.headers.get("Retry-After", "1"))
            await asyncio.sleep(max(0.0, min(retry_after, deadline - time.monotonic())))


async def sample_memory(pid: int, samples: list[tuple[float, float]], deadline: float) -> None:
    started = time.monotonic()
    while time.monotonic() < deadline:
        samples.append((time.monotonic() - started, process_tree_rss_mb(pid)))
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
            "statuses": dict(rec.statuses[route]),
        }
    return out


async def run_load(base_url: str, pid: int, args: argparse.Namespace) -> dict[str, object]:
    # Idle connections are dropped after 2 s, before uvicorn's 5 s keep-alive timeout closes them under a request.
    limits = httpx.Limits(max_connections=args.readers + args.askers + 5, keepalive_expiry=2.0)
    # trust_env=False: no proxy from the environment may catch loopback requests.
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30, trust_env=False) as client:
        token, article_ids = await prepare(client, args.articles)
        rec = Recorder()
        memory: list[tuple[float, float]] = []
        deadline = time.monotonic() + args.seconds
        rng = random.Random(13)
        started = time.monotonic()
        await asyncio.gather(
            sample_memory(pid, memory, deadline),
            *(reader(client, rec, article_ids, deadline, random.Random(rng.random())) for _ in range(args.readers)),
            *(asker(client, rec, token, QUESTIONS[args.articles:], deadline, random.Random(rng.random()))
              for _ in range(args.askers)),
        )
        elapsed = time.monotonic() - started
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
        "routes": routes,
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
            result = asyncio.run(run_load(base_url, server.pid, args))
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
