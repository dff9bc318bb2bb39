"""The web app with the LLM writer: the building page shows the model's claims as the streamed answer arrives
(marked unverified), then the verified article replaces them and records its writer and verification."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support.deployment import data_dir_with_index
from support.fake_llm import FakeLLM
from support.webapp import PASSWORD

from curbside.articles.publisher import Publisher
from curbside.settings import load_settings
from curbside.web.app import create_app

pytestmark = pytest.mark.slow  # builds an index

QUESTION = "Should a 55-year-old woman be screened for colorectal cancer?"
DRAFT_NOTE = "Draft from the language model, not yet checked against the sources"


def test_the_building_page_shows_draft_claims_then_the_verified_article(fast_index: Path, tmp_path: Path) -> None:
    data_dir = data_dir_with_index(fast_index, tmp_path / "data")
    with FakeLLM(event_delay=0.05) as endpoint:
        settings = load_settings(
            environ={}, data_dir=data_dir, preset="fast", writer="llm",
            llm={"base_url": endpoint.base_url, "model": "fake-model", "patient_rewrite": False},
            web={"secret_key": "test", "build_wait_seconds": 0},
        )
        publisher = Publisher(settings)
        try:
            publisher.accounts.add_user("clinician@example.org", PASSWORD, "clinician")
            app = create_app(settings, publisher=publisher)
            with TestClient(app, base_url="https://testserver") as client:
                token = client.post("/api/auth/token", json={"email": "clinician@example.org",
                                                             "password": PASSWORD}).json()["token"]
                auth = {"Authorization": f"Bearer {token}"}
                login = client.get("/login").text
                csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', login)
                assert csrf is not None
                signed_in = client.post("/login", data={"email": "clinician@example.org", "password": PASSWORD,
                                                        "csrf_token": csrf.group(1)}, follow_redirects=False)
                assert signed_in.status_code == 303  # the pages read the session cookie
                created = client.post("/api/articles", json={"question": QUESTION}, headers=auth)
                assert created.status_code in (201, 202), created.text
                article_id = created.json()["id"]
                seen_draft, api_draft = "", []
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    page = client.get(f"/articles/{article_id}/build-status")
                    assert page.status_code == 200, page.text
                    if page.headers.get("HX-Refresh"):
                        break
                    if DRAFT_NOTE in page.text:
                        seen_draft = page.text
                        building = client.get(f"/api/articles/{article_id}", headers=auth).json()
                        api_draft = building.get("draft") or api_draft
                    time.sleep(0.05)
                else:
                    raise AssertionError("the article was not built within 60 s")
                assert seen_draft, "the building page never showed the streamed draft"
                assert "<li>" in seen_draft and api_draft and isinstance(api_draft[0], str)
                article = client.get(f"/api/articles/{article_id}", headers=auth).json()
                assert article["writer"]["name"] == "llm" and article["writer"]["model"] == "fake-model"
                assert article["verification"]["removed"] == 1 and not article["verification"]["fallback"]
                assert publisher.draft(article_id) == []  # the draft is gone once the build ends
                page = client.get(f"/articles/{article_id}").text
                assert "checked sentence by sentence against the passages it cites" in page
                assert DRAFT_NOTE not in page
                assert endpoint.bodies[0]["stream"] is True
        finally:
            publisher.close()
