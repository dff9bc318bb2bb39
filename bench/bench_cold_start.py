"""Cold start: wall time of N fresh `curbside ask` processes (default and fast presets), with baselines.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_cold_start.py --data-dir /tmp/starter-data

Each run is a new process (`python -m curbside --data-dir D --preset P ask Q`), so it pays every import,
the index and lexicon loading and the query encoder, as a shell user does. Baselines measured in the same
run: `python -c pass` (the interpreter) and `python -c "import torch"` (what the torch query path pays
before it loads the model). Says which query encoder the index's data directory has: "onnx" when
`cache/onnx/` holds a ready export (built at ingest, or by `python -m curbside.retrieval.dense DATA_DIR`),
else "torch". `--torch-data-dir` also times the default preset against a data directory without one.
Prints JSON: median and max seconds per case, and whether the default preset's median is under 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

QUESTIONS = [
    "Should adults aged 50 to 75 be screened for colorectal cancer?",
    "What is the first-line treatment for hypertension in adults?",
    "Does aspirin prevent cardiovascular events in older adults?",
    "Is metformin safe in chronic kidney disease?",
    "Should pregnant women be screened for gestational diabetes?",
]


def _time(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return elapsed


def _summary(times: list[float]) -> dict[str, float | int]:
    return {"n": len(times), "median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3)}


def _encoder(data_dir: Path) -> str:
    from curbside.retrieval.dense import onnx_dir, onnx_encoder_ready
    from curbside.retrieval.index import Manifest, index_dir
    from curbside.settings import EmbeddingSettings

    manifest = Manifest.read(index_dir(data_dir) / "manifest.json")
    settings = EmbeddingSettings.model_validate(manifest.settings["embedding"])
    return "onnx" if onnx_encoder_ready(onnx_dir(data_dir, settings), settings) else "torch"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="a data directory with a built index")
    parser.add_argument("--torch-data-dir", type=Path, default=None,
                        help="optional: the same index without an ONNX encoder, timed with the default preset")
    parser.add_argument("--n", type=int, default=5, help="fresh processes per case (default 5)")
    args = parser.parse_args()

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    py = sys.executable
    cases: dict[str, list[list[str]]] = {
        "python -c pass": [[py, "-c", "pass"]],
        "python -c 'import torch'": [[py, "-c", "import torch"]],
    }
    for preset in ("default", "fast"):
        cases[f"ask --preset {preset}"] = [
            [py, "-m", "curbside", "--data-dir", str(args.data_dir), "--preset", preset, "ask", q] for q in QUESTIONS
        ]
    if args.torch_data_dir:
        cases["ask --preset default (torch query encoder)"] = [
            [py, "-m", "curbside", "--data-dir", str(args.torch_data_dir), "--preset", "default", "ask", q]
            for q in QUESTIONS
        ]
    # One untimed run per ask case first, so the OS file cache is warm for every timed one alike.
    for name, cmds in cases.items():
        if name.startswith("ask"):
            _time(cmds[0], env)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for i in range(args.n):  # interleaved, so a busy moment on the machine hits every case alike
        for name, cmds in cases.items():
            times[name].append(_time(cmds[i % len(cmds)], env))
    results = {name: _summary(t) for name, t in times.items()}
    default = results["ask --preset default"]["median_s"]
    print(json.dumps({
        "data_dir": str(args.data_dir),
        "query_encoder": _encoder(args.data_dir),
        "results": results,
        "default_median_under_3s": default < 3.0,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_1min": round(os.getloadavg()[0], 2)},
    }, indent=2))


if __name__ == "__main__":
    main()
