#!/usr/bin/env python
"""Build time and size of the starter index, built into a fresh data directory.

    python bench/bench_index.py --corpus-dir ../shared/corpus [--preset default] [--out-dir DIR] [--cold] [--keep]

Without --out-dir the index is built into a new temporary data directory (so the embedding cache,
``DATA_DIR/cache/embeddings.sqlite``, starts empty: a cold build) and removed afterwards unless --keep.
With --out-dir the index is built there and kept; if that folder already holds an embedding cache,
the build reuses it (a warm build) unless --cold, which builds into a fresh subfolder of --out-dir instead.
Prints JSON: wall-clock build time, documents, passages and vectors, the size on disk of each index
component (metadata.sqlite, tantivy/, vectors *.npy) and of the cache, whether the cache was warm, and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return 0


def cache_entries(path: Path) -> int:
    if not path.is_file():
        return 0
    try:
        with sqlite3.connect(path) as db:
            return int(db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])
    except sqlite3.Error:
        return 0


def peak_rss_mb(who: int) -> float:
    rss = resource.getrusage(who).ru_maxrss
    return rss / 1024 if sys.platform != "darwin" else rss / (1024 * 1024)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus-dir", type=Path, default=None, help="starter corpus (default: ../shared/corpus)")
    parser.add_argument("--preset", default="default", help="settings preset (default, fast, thorough)")
    parser.add_argument("--out-dir", type=Path, default=None, help="data directory to build into (kept)")
    parser.add_argument("--cold", action="store_true", help="never reuse an embedding cache: build into a fresh folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args()

    from curbside.engine import Curbside
    from curbside.retrieval.index import index_dir

    temporary = args.out_dir is None or args.cold
    if args.out_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="curbside-bench-index-"))
    elif args.cold:
        args.out_dir.mkdir(parents=True, exist_ok=True)
        data_dir = Path(tempfile.mkdtemp(prefix="cold-", dir=args.out_dir))
    else:
        data_dir = args.out_dir
        data_dir.mkdir(parents=True, exist_ok=True)
    cache_path = data_dir / "cache" / "embeddings.sqlite"
    cached_before = cache_entries(cache_path)

    cb = Curbside.open(data_dir, preset=args.preset)
    started = time.perf_counter()
    result = cb.ingest_starter(args.corpus_dir, progress=lambda m: print(m, file=sys.stderr))
    wall = time.perf_counter() - started
    cb.close()

    folder = index_dir(data_dir)
    vectors = sum(size_of(p) for p in folder.glob("*.npy"))
    components = {
        "metadata.sqlite": size_of(folder / "metadata.sqlite"),
        "tantivy/": size_of(folder / "tantivy"),
        "vectors (*.npy)": vectors,
    }
    total = size_of(folder)
    counts = result.manifest.counts
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 0
    report = {
        "data_dir": str(data_dir),
        "data_dir_kept": not (temporary and not args.keep),
        "preset": args.preset,
        "corpus_snapshot": result.manifest.corpus_snapshot,
        "build_seconds_wall": round(wall, 1),
        "build_seconds_manifest": result.manifest.build_seconds,
        "documents": counts.get("documents"),
        "passages": counts.get("passages"),
        "vectors": counts.get("vectors"),
        "full_passage_vectors": counts.get("full_passage_vectors"),
        "documents_by_source": result.documents_by_source,
        "problems": len(result.problems),
        "index_mb": {name: round(b / 1e6, 1) for name, b in components.items()} | {"total index/": round(total / 1e6, 1)},
        "embedding_cache": {
            "warm": cached_before > 0,
            "entries_before": cached_before,
            "entries_after": cache_entries(cache_path),
            "mb": round(size_of(cache_path) / 1e6, 1),
        },
        "peak_rss_mb": round(peak_rss_mb(resource.RUSAGE_SELF), 1),
        "cpu_cores": cores,
        "machine": f"{platform.machine()} {platform.system()} {platform.release()}",
    }
    print(json.dumps(report, indent=2))
    if temporary and not args.keep:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
