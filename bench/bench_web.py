#!/usr/bin/env python
"""Time from "Ask" to a readable article in the web app, and the speed of the article page.

    python bench/bench_web.py --data-dir /tmp/starter-data [--n 30]

Serves the app in-process (FastAPI's TestClient, a fresh SQLite database in a temporary folder, the
index of --data-dir), waits for the engine to warm up, then for each question: POST /api/articles
without waiting, and poll GET /api/articles/{id} every 20 ms until the build is ready. Reports p50 /
p95 / max of that time (the "shown within a second or two" promise of the ask page), and of
GET /articles/{id} (the HTML page, signed in as the asker) and GET /api/articles/{id}?audience=patient once built. Not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ask import QUESTIONS  # noqa: E402  (the same 60 varied questions)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def summary(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(values, 0.5), 1), "p95_ms": round(percentile(values, 0.95), 1),
            "max_ms": round(max(values), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--n", type=int, default=30)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from curbside.articles.publisher import Publisher
    from curbside.settings import load_settings
    from curbside.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=args.data_dir,
                                 web={"database_url": f"sqlite:///{tmp}/bench.db", "secret_key": "bench"})
        publisher = Publisher(settings)
        publisher.accounts.add_user("bench@example.org", "bench password 1", "clinician")
        app = create_app(settings, publisher=publisher)
        with TestClient(app, base_url="https://testserver") as client:
            started = time.perf_counter()
            while publisher.engine_state == "starting":
                time.sleep(0.05)
            warm_up_s = time.perf_counter() - started
            token = client.post("/api/auth/token", json={"email": "bench@example.org",
                                                         "password": "bench password 1"}).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            # The HTML page is read as the asker (drafts are visible to them only): sign in through the form.
            login = client.get("/login").text
            csrf = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            client.post("/login", data={"email": "bench@example.org", "password": "bench password 1",
                                        "csrf_token": csrf})
            to_ready: list[float] = []
            page: list[float] = []
            patient_api: list[float] = []
            for question in QUESTIONS[: args.n]:
                t0 = time.perf_counter()
                article_id = client.post("/api/articles?wait=false", json={"question": question},
                                         headers=headers).json()["id"]
                while client.get(f"/api/articles/{article_id}", headers=headers).status_code == 202:
                    time.sleep(0.02)
                to_ready.append((time.perf_counter() - t0) * 1000)
                t1 = time.perf_counter()
                client.get(f"/api/articles/{article_id}?audience=patient", headers=headers)
                patient_api.append((time.perf_counter() - t1) * 1000)
                t2 = time.perf_counter()
                client.get(f"/articles/{article_id}")
                page.append((time.perf_counter() - t2) * 1000)
        publisher.close()
    print(json.dumps({
        "questions": len(to_ready),
        "engine_warm_up_s": round(warm_up_s, 1),
        "ask_to_article_ready": summary(to_ready),
        "get_article_api_patient_view": summary(patient_api),
        "get_article_page_html": summary(page),
    }, indent=2))


if __name__ == "__main__":
    main()
