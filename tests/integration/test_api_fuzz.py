"""Hostile input against the OpenAPI spec: schemathesis generates valid and invalid requests for every operation of
/openapi.json and checks each answer: never a 5xx, and every status, content type, header and body as the spec
declares it. Bounded: a fixed number of examples per operation, derandomized (the same requests on every run).

Requests carry a reviewer's token (reviewers may ask, review and comment, so every route gets past its role check);
half of them aim at a real article instead of the generated id, so the routes behind the 404 are reached too.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode
from support.webapp import WebSite, client_for

pytestmark = pytest.mark.slow

# About 25 s a mode on 2 cores (13 operations).
EXAMPLES_PER_OPERATION = 25
# Questions stay short enough to build in a few hundred milliseconds on the fixture index.
BUILD_WAIT_SECONDS = 2.0


@pytest.fixture
def fuzz_site(make_site: Callable[..., WebSite]) -> WebSite:
    return make_site(build_wait_seconds=BUILD_WAIT_SECONDS)


def fuzz_operation(operation: schemathesis.APIOperation, mode: GenerationMode, site: WebSite,
                   real_article_id: str) -> None:
    """Raise on the first request (of at most EXAMPLES_PER_OPERATION) whose answer breaks a check."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def run(case: schemathesis.Case) -> None:
        path_parameters = case.path_parameters or {}
        if "article_id" in path_parameters and len(str(path_parameters["article_id"])) % 2 == 0:
            path_parameters["article_id"] = real_article_id
        if case.path == "/api/auth/revoke":
            # A token of its own, so revoking it does not sign the other requests out.
            token = site.publisher.accounts.create_token(site.users["reviewer"])
        else:
            token = site.token("reviewer")
        headers = {"Authorization": f"Bearer {token}"}
        if case.headers and "authorization" in {k.lower() for k in case.headers}:
            headers = {}  # schemathesis sends an Authorization header of its own: keep it
        case.call_and_validate(headers=headers)

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_answers_as_its_spec_says(fuzz_site: WebSite, mode: GenerationMode) -> None:
    with client_for(fuzz_site) as client:  # runs the lifespan: the builder starts (and keeps running)
        asked = client.post("/api/articles", json={"question": "Should adults be screened for colorectal cancer?"},
                            headers=fuzz_site.auth("clinician"))
        assert asked.status_code == 201, asked.text
        real_article_id = asked.json()["id"]
        schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_site.app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 12, [op.label for op in operations]
        failures: dict[str, str] = {}
        nothing_invalid: list[str] = []
        for operation in operations:
            try:
                fuzz_operation(operation, mode, fuzz_site, real_article_id)
            except Unsatisfiable:
                # Negative mode, and every input the operation takes is valid (GET /api/health, any string as an id).
                nothing_invalid.append(operation.label)
            except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001  (report every operation's failure)
                failures[operation.label] = str(failure)[:3000]
    assert len(nothing_invalid) <= len(operations) // 2, nothing_invalid  # most operations were really fuzzed
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
