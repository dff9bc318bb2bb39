"""Ingest and search at scale on synthetic MEDLINE: one command, figures as JSON (docs/benchmarks.md, "Ingest at scale").

    python bench/bench_ingest_scale.py --sizes 10000,100000 --out-dir /tmp/scale --json /tmp/scale.json
    python bench/bench_ingest_scale.py --sizes 1000000 --medline /tmp/medline-100k /tmp/medline-900k ...
    python bench/bench_ingest_scale.py --vectors-only --vector-sizes 1000000 --out-dir /tmp/scale
    python bench/bench_ingest_scale.py --vectors-only --vector-sizes 1000000 --ann-connectivity 32 \
        --ann-expansion-add 128 --ann-expansions 128,256,512 --out-dir /tmp/scale

For each size N:

1. **citations**: N synthetic citations from ``bench/gen_medline.py`` (or the ``.xml.gz`` files under
   ``--medline`` folders, in name order, up to N citations), generated before the clock starts;
2. **lexical stage**: ``Curbside.ingest_medline`` into a fresh data directory with an empty embedding cache:
   parse, library upserts, the metadata store and the BM25 index (vectors: none, since the cache is empty).
   Reports citations a second, the size on disk per million citations (library, metadata, tantivy) and the
   peak RSS of the ingest (``resource.getrusage`` of a child process that runs only the ingest);
3. **search latency**: p50/p95 of ``Curbside.search`` (BM25, k=10) over BioASQ dev questions, after one
   warm-up query;
4. **vectors**: search latency over N x (passages per citation) **synthetic** unit vectors (clustered around
   topic centres, like passage embeddings; real ones would take days to embed here), exact and with the usearch
   HNSW index (int8), its build time and recall@10 against exact search on held-out synthetic queries
   (``--ann-expansions 128,256,512`` times each ``ann_expansion_search``, a search-time setting, on the same
   built graph; ``--ann-connectivity`` and ``--ann-expansion-add`` set the build's);
5. **embedding** (once): the model's rate on a sample of the library's own passage texts (``--embed-sample``),
   model loading excluded, extrapolated to all the passages: an estimate, not a run.

Machine load matters on a shared machine: the load average before and after each stage is reported.
"""

from __future__ import annotations

import argparse
import multiprocessing
import gzip
import importlib.util
import json
import os
import re
import resource
import shutil
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def _gen_medline():
    spec = importlib.util.spec_from_file_location("gen_medline", ROOT / "bench" / "gen_medline.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_medline"] = module
    spec.loader.exec_module(module)
    return module


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def folder_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {"p50_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2), "n": len(ordered)}


def citation_files(folders: list[Path], n: int, work: Path, seed: int) -> list[Path]:
    """Files holding the first ``n`` citations: from ``folders`` (whole files; the last one cut to size if
    need be) or freshly generated into ``work``."""
    if not folders:
        out = work / f"medline-{n}"
        if not out.is_dir():
            _gen_medline().generate(out, n, seed=seed, level=1)
        return sorted(out.glob("*.xml.gz"))
    files: list[Path] = []
    total = 0
    for path in sorted(p for folder in folders for p in folder.glob("*.xml.gz")):
        if total >= n:
            break
        with gzip.open(path, "rt", encoding="utf-8") as f:
            count = sum(line.startswith("<PubmedArticle>") for line in f)
        if total + count > n:  # cut this file to the citations still wanted
            cut = work / f"cut-{n}-{path.name}"
            _cut(path, cut, n - total)
            path, count = cut, n - total
        files.append(path)
        total += count
    return files


def _cut(source: Path, dest: Path, keep: int) -> None:
    seen = 0
    with gzip.open(source, "rt", encoding="utf-8") as src, gzip.open(dest, "wt", encoding="utf-8", compresslevel=1) as out:
        for line in src:
            if line.startswith("<PubmedArticle>"):
                seen += 1
            if seen > keep and not line.startswith("</PubmedArticleSet>"):
                continue
            out.write(line)


def bioasq_questions(limit: int) -> list[str]:
    path = SHARED / "eval" / "bioasq" / "questions_dev.jsonl"
    with path.open(encoding="utf-8") as rows:
        return [json.loads(row)["question"] for _i, row in zip(range(limit), rows)]


def lexical_stage(files: list[Path], data_dir: Path, n: int) -> dict:
    from curbside.engine import Curbside

    if data_dir.exists():
        shutil.rmtree(data_dir)
    engine = Curbside.open(data_dir)
    before = load()
    started = time.monotonic()
    cpu_started, children_started = time.process_time(), _children_cpu()
    last = [started]

    def progress(message: str) -> None:
        if time.monotonic() - last[0] > 30:
            last[0] = time.monotonic()
            print(f"    {message}", file=sys.stderr)

    result = engine.ingest_medline(files, progress=progress)
    seconds = time.monotonic() - started
    counts = result.manifest.counts
    index = data_dir / "index"
    sizes = {"library_mb": folder_mb(data_dir / "library.sqlite"), "metadata_mb": folder_mb(index / "metadata.sqlite"),
             "tantivy_mb": folder_mb(index / "tantivy")}
    engine.close()
    return {
        "citations": n, "documents": counts["documents"], "passages": counts["passages"],
        "library": result.library.to_dict() if result.library else None,
        "seconds": round(seconds, 1), "citations_per_s": round(n / seconds, 1),
        "disk_mb": {k: round(v, 1) for k, v in sizes.items()},
        "disk_gb_per_million_citations": {k.removesuffix("_mb"): round(v / n * 1e6 / 1e3, 2) for k, v in sizes.items()},
        "peak_rss_mb": peak_rss_mb(), "load_before": before, "load_after": load(),
        # the parse and vocabulary workers (child processes of this one): the largest of their peaks
        "peak_rss_workers_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "cpu_s": {"ingest_process": round(time.process_time() - cpu_started, 1),
                  "workers": round(_children_cpu() - children_started, 1)},
        # CPU of the ingest and its workers a citation: what the load changes least (n cores give at most
        # n / this many citations a millisecond)
        "cpu_ms_per_citation": round((time.process_time() - cpu_started + _children_cpu() - children_started)
                                     / n * 1000, 3),
    }


def search_latency(data_dir: Path, questions: list[str]) -> dict:
    from curbside.engine import Curbside

    engine = Curbside.open(data_dir)
    engine.search(questions[0], 10, mode="bm25")  # opens the index
    samples = []
    for question in questions:
        started = time.perf_counter()
        engine.search(question, 10, mode="bm25")
        samples.append((time.perf_counter() - started) * 1000)
    engine.close()
    return {"bm25_search": percentiles(samples), "load_after": load()}


def clustered_unit_vectors(n: int, seed: int, clusters: int = 2000, dim: int = 384, step: int = 100_000) -> np.ndarray:
    centres = np.random.default_rng(1).standard_normal((clusters, dim)).astype(np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    rng = np.random.default_rng(seed)
    for start in range(0, n, step):
        m = min(step, n - start)
        block = centres[rng.integers(clusters, size=m)] + 0.9 * rng.standard_normal((m, dim), dtype=np.float32)
        out[start : start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def vector_stage(n_vectors: int, work: Path, queries: int = 100, expansions: list[int] | None = None,
                 build: dict | None = None) -> dict:
    """Exact against HNSW (int8) search over ``n_vectors`` synthetic vectors. ``build``: EmbeddingSettings ann_*
    overrides for the HNSW build; ``expansions``: ann_expansion_search values timed on the same built index (a
    search-time setting), each with its recall@10 against exact search."""
    from curbside.retrieval.dense import ANN_FILE, VectorIndex
    from curbside.settings import EmbeddingSettings

    settings = EmbeddingSettings(ann_min_vectors=1, **(build or {}))
    vectors = clustered_unit_vectors(n_vectors, seed=2)
    keys = np.arange(n_vectors, dtype=np.int64)
    asked = clustered_unit_vectors(queries, seed=3)
    folder = work / f"vectors-{n_vectors}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.monotonic()
    VectorIndex(vectors, keys).save(folder, settings)
    build_s = time.monotonic() - started
    del vectors
    approximate = VectorIndex.load(folder)
    exact = VectorIndex(approximate.vectors, approximate.keys)
    out: dict = {"vectors": n_vectors, "ann_build_s": round(build_s, 1), "ann_mb": round(folder_mb(folder / ANN_FILE), 1),
                 "vectors_mb": round(folder_mb(folder / "vectors.npy"), 1),
                 "ann_build": {"dtype": settings.ann_dtype, "connectivity": settings.ann_connectivity,
                               "expansion_add": settings.ann_expansion_add},
                 "load_after_build": load()}

    def timed(index: VectorIndex) -> tuple[dict, list[set[int]]]:
        index.search(asked[0], 10)
        samples, found = [], []
        for query in asked:
            started = time.perf_counter()
            hits = index.search(query, 10)
            samples.append((time.perf_counter() - started) * 1000)
            found.append({k for k, _ in hits})
        return percentiles(samples), found

    out["exact"], truth = timed(exact)
    out["ann"] = []
    for expansion in expansions or [settings.ann_expansion_search]:
        approximate.ann.expansion_search = expansion
        latency, found = timed(approximate)
        recall = sum(len(f & t) for f, t in zip(found, truth)) / (10 * len(asked))
        # the same graph walk, all its `expansion` candidates rescored exactly (where `search` rescores 3 x k)
        wide, samples = [], []
        for query in asked:
            started = time.perf_counter()
            rows = np.asarray(approximate.ann.search(query, expansion).keys, dtype=np.int64)
            wide.append({k for k, _ in approximate._ranked(rows, approximate.vectors[rows] @ query, 10)})
            samples.append((time.perf_counter() - started) * 1000)
        wide_recall = sum(len(f & t) for f, t in zip(wide, truth)) / (10 * len(asked))
        out["ann"].append({"expansion_search": expansion, **latency, "recall_at_10": round(recall, 4),
                           "all_candidates_rescored": {**percentiles(samples), "recall_at_10": round(wide_recall, 4)},
                           "load": load()})
        print(f"   {n_vectors:,} vectors, expansion_search {expansion}: {out['ann'][-1]}", file=sys.stderr)
    default = next((row for row in out["ann"] if row["expansion_search"] == settings.ann_expansion_search), out["ann"][0])
    out["ann_i8"] = {k: default[k] for k in ("p50_ms", "p95_ms", "n")}
    out["recall_at_10"] = default["recall_at_10"]
    out["peak_rss_mb_after"] = peak_rss_mb()
    out["load_after"] = load()
    del approximate, exact
    shutil.rmtree(folder, ignore_errors=True)
    return out


def embedding_sample(data_dir: Path, sample: int) -> dict:
    from curbside.corpus.library import Library
    from curbside.retrieval.dense import Embedder
    from curbside.retrieval.index import embedding_text
    from curbside.settings import EmbeddingSettings

    settings = EmbeddingSettings()
    texts: list[str] = []
    passages = documents = 0
    with Library(data_dir) as library:
        for doc in library.iter_documents():
            documents += 1
            for passage in doc.passages:
                passages += 1
                if len(texts) < sample:
                    texts.append(embedding_text(doc, passage.section, passage.text, True))
            if len(texts) >= sample:
                break
    embedder = Embedder(settings)
    started = time.monotonic()
    embedder.encode(texts[:8])
    load_s = time.monotonic() - started
    started = time.monotonic()
    embedder.encode(texts)
    rate = len(texts) / (time.monotonic() - started)
    per_citation = passages / max(documents, 1)
    return {"sample_texts": len(texts), "model_load_s": round(load_s, 1), "texts_per_s": round(rate, 1),
            "passages_per_citation": round(per_citation, 2), "torch_threads": settings.threads or "default",
            "estimate_hours_per_million_citations": round(1e6 * per_citation / rate / 3600, 1),
            "load_after": load()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="citation counts, comma-separated")
    parser.add_argument("--vector-sizes", default=None, help="vector counts for the vector stage (default: passages)")
    parser.add_argument("--medline", type=Path, nargs="*", default=[], help="folders of pre-generated .xml.gz files")
    parser.add_argument("--out-dir", type=Path, default=Path("/tmp/curbside-scale"))
    parser.add_argument("--queries", type=int, default=100, help="BioASQ questions timed per size")
    parser.add_argument("--embed-sample", type=int, default=256, help="texts embedded for the rate (0: skip)")
    parser.add_argument("--skip-vectors", action="store_true")
    parser.add_argument("--vectors-only", action="store_true",
                        help="only the vector stage, for each of --vector-sizes (no citations, no ingest)")
    parser.add_argument("--keep", action="store_true", help="keep each size's data directory")
    parser.add_argument("--ann-expansions", default=None,
                        help="ann_expansion_search values to time on each built HNSW index (default: the setting's)")
    parser.add_argument("--ann-connectivity", type=int, default=None, help="HNSW build: links per vector")
    parser.add_argument("--ann-expansion-add", type=int, default=None, help="HNSW build: candidates while adding")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sizes = [int(s) for s in args.sizes.split(",")]
    vector_sizes = [int(s) for s in args.vector_sizes.split(",")] if args.vector_sizes else None
    expansions = [int(s) for s in args.ann_expansions.split(",")] if args.ann_expansions else None
    build = {k: v for k, v in (("ann_connectivity", args.ann_connectivity),
                               ("ann_expansion_add", args.ann_expansion_add)) if v is not None}
    args.out_dir.mkdir(parents=True, exist_ok=True)
    questions = bioasq_questions(args.queries)
    results: dict = {"cores": os.cpu_count(), "load_at_start": load(), "sizes": []}
    if args.vectors_only:
        results["vectors"] = [vector_stage(n, args.out_dir, expansions=expansions, build=build)
                              for n in vector_sizes or sizes]
        sizes = []
    for i, n in enumerate(sorted(sizes)):
        print(f"== {n:,} citations", file=sys.stderr)
        started = time.monotonic()
        files = citation_files(args.medline, n, args.out_dir, args.seed)
        row: dict = {"citations": n, "files": len(files), "prepare_s": round(time.monotonic() - started, 1)}
        data_dir = args.out_dir / f"data-{n}"
        # in a child process of its own, so its peak RSS is the ingest's alone
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
            row["lexical"] = child.submit(lexical_stage, files, data_dir, n).result()
        print(f"   lexical: {row['lexical']['citations_per_s']}/s", file=sys.stderr)
        row["search"] = search_latency(data_dir, questions)
        if args.embed_sample and i == 0:
            results["embedding"] = embedding_sample(data_dir, args.embed_sample)
        if not args.skip_vectors:
            n_vectors = vector_sizes[i] if vector_sizes else row["lexical"]["passages"]
            row["vectors"] = vector_stage(n_vectors, args.out_dir, expansions=expansions, build=build)
        results["sizes"].append(row)
        print(json.dumps(row), file=sys.stderr)
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    results["peak_rss_mb"] = peak_rss_mb()
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
