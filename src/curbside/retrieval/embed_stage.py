"""The embedding stage (``curbside embed``): vectors for the library's passages that the cache lacks.

Lexical indexing and embedding are separate stages. An ingest (``ingest medline`` and the others) writes the
documents into the library and rebuilds the index at once, attaching only the vectors already in the embedding
cache (``DATA_DIR/cache/embeddings.sqlite``); BM25 answers for everything else. This stage then embeds what
is missing, in one process, in N worker processes on this machine, or on a Ray cluster, and finally rebuilds
the index with the vectors attached (:func:`curbside.retrieval.index.refresh_index` with ``embed=False``).

What is embedded is what the index build would embed (:func:`curbside.retrieval.index.embedding_text`): title,
section and text for the document types of ``embedding.embed_doc_types`` (guidelines, studies, labels), a short
header (title and section) for the rest (patient information), each distinct text once. Embedding is the slow
stage on CPU (tens of passages a second on 2 cores; docs/benchmarks.md), which is why it can run later, in
parallel, and elsewhere.

Resumable: the texts are sent in batches and every batch's vectors are committed to the cache as soon as it
comes back, by this process alone (the only writer of the SQLite file). A killed run keeps its committed
batches; the next run asks the cache again and embeds only what is still missing. Because the cache is keyed
by model and text, vectors made on a cluster and on this machine are interchangeable: a run can move between
them (copy ``cache/embeddings.sqlite`` along, or run the driver where the data directory is).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from curbside.corpus.library import Library
from curbside.errors import ConfigurationError
from curbside.retrieval.dense import Embedder, EmbeddingCache
from curbside.retrieval.index import embedding_text, refresh_index, seed_library_from_index
from curbside.settings import EmbeddingSettings, Settings

Progress = Callable[[str], None]
CHUNK_TEXTS = 2048  # texts looked up in the cache at a time while the library is read
BATCH_TEXTS = 256  # texts a worker embeds before its vectors are committed
RAY_WINDOW = 50_000  # texts handed to Ray at a time (the driver never holds the whole missing list)


@dataclass
class EmbedResult:
    """What one run of the stage did."""

    texts: int  # distinct texts the library's passages need
    cached_before: int  # of those, already in the cache when the run started
    embedded: int  # embedded and committed by this run
    backend: str  # "process", "workers" or "ray"
    workers: int
    seconds: float
    vectors: int  # vectors in the index afterwards
    texts_per_second: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def iter_missing(data_dir: Path, settings: Settings, cache: EmbeddingCache, model_id: str,
                 counts: dict[str, int], chunk: int = CHUNK_TEXTS) -> Iterator[list[tuple[bytes, str]]]:
    """Chunks of (cache key, text) that the library needs and the cache lacks, each distinct text once, in
    library order. ``counts`` gets the totals ("texts", "cached") as the library is read."""
    full_types = set(settings.embedding.embed_doc_types)
    seen: set[bytes] = set()
    pending: list[tuple[bytes, str]] = []

    def flush() -> list[tuple[bytes, str]]:
        known = cache.get_many([key for key, _text in pending])
        counts["cached"] += len(known)
        return [(key, text) for key, text in pending if key not in known]

    with Library(data_dir) as library:
        seed_library_from_index(library, data_dir)
        for doc in library.iter_documents():
            full = str(doc.doc_type) in full_types
            for passage in doc.passages:
                text = embedding_text(doc, passage.section, passage.text, full)
                key = EmbeddingCache.key(model_id, text)
                if key in seen:
                    continue
                seen.add(key)
                counts["texts"] += 1
                pending.append((key, text))
                if len(pending) >= chunk:
                    missing = flush()
                    pending = []
                    if missing:
                        yield missing
        if pending:
            missing = flush()
            if missing:
                yield missing


def _batches(chunks: Iterator[list[tuple[bytes, str]]], size: int) -> Iterator[list[tuple[bytes, str]]]:
    for chunk in chunks:
        for start in range(0, len(chunk), size):
            yield chunk[start : start + size]


# --- worker processes -----------------------------------------------------------------------------------

_worker_embedder: Embedder | None = None


def _worker_init(settings: EmbeddingSettings) -> None:
    """Each worker loads the model once."""
    global _worker_embedder
    _worker_embedder = Embedder(settings)


def _worker_encode(batch: list[tuple[bytes, str]]) -> tuple[list[bytes], bytes]:
    assert _worker_embedder is not None
    vectors = _worker_embedder.encode([text for _key, text in batch])
    return [key for key, _text in batch], np.ascontiguousarray(vectors, dtype=np.float32).tobytes()


def _decoded(result: tuple[list[bytes], bytes]) -> tuple[list[bytes], np.ndarray]:
    keys, raw = result
    return keys, np.frombuffer(raw, dtype=np.float32).reshape(len(keys), -1)


def _threads_per_worker(workers: int) -> int:
    return max(1, (os.cpu_count() or 1) // workers)


# --- Ray ------------------------------------------------------------------------------------------------

class _RayEncoder:
    """A Ray Data ``map_batches`` UDF: one model per actor, on a GPU when the actor was given one."""

    def __init__(self, settings: EmbeddingSettings) -> None:
        self.embedder = Embedder(settings)
        try:
            import torch

            if torch.cuda.is_available():
                self.embedder.torch_model().to("cuda")
        except ImportError:  # pragma: no cover - torch is a dependency
            pass

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.embedder.encode([str(t) for t in batch["text"]])
        return {"key": batch["key"], "vector": vectors}


def _ray_batches(chunks: Iterator[list[tuple[bytes, str]]], settings: EmbeddingSettings, address: str,
                 workers: int, batch_size: int) -> Iterator[tuple[list[bytes], np.ndarray]]:
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - ray is installed with curbside's [ray] extra
        raise ConfigurationError("`curbside embed --ray` needs Ray: pip install 'ray[data]'.") from exc
    started_here = not ray.is_initialized()
    if started_here:
        if address == "local":
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False)
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
    try:
        gpus = int(ray.cluster_resources().get("GPU", 0))
        actors = max(1, gpus) if gpus else max(1, min(workers, int(ray.cluster_resources().get("CPU", 1))))
        for window in _windows(chunks, RAY_WINDOW):
            dataset = ray.data.from_items([{"key": key, "text": text} for key, text in window])
            mapped = dataset.map_batches(
                _RayEncoder, fn_constructor_args=(settings,), batch_size=batch_size, concurrency=actors,
                num_gpus=1 if gpus else 0, num_cpus=0 if gpus else 1, batch_format="numpy",
            )
            for out in mapped.iter_batches(batch_size=batch_size, batch_format="numpy"):
                yield [bytes(k) for k in out["key"]], np.asarray(out["vector"], dtype=np.float32)
    finally:
        if started_here:
            ray.shutdown()


def _windows(chunks: Iterator[list[tuple[bytes, str]]], size: int) -> Iterator[list[tuple[bytes, str]]]:
    window: list[tuple[bytes, str]] = []
    for chunk in chunks:
        window.extend(chunk)
        if len(window) >= size:
            yield window
            window = []
    if window:
        yield window


# --- the stage ------------------------------------------------------------------------------------------

def run_embed_stage(data_dir: Path, settings: Settings, *, workers: int = 1, ray_address: str | None = None,
                    batch_size: int = BATCH_TEXTS, attach: bool = True, progress: Progress | None = None,
                    max_batches: int | None = None) -> EmbedResult:
    """Embed the library's passages that have no vector in the cache, then (``attach``) rebuild the index
    with them. ``workers`` processes (each loading the model once), or Ray Data on ``ray_address`` ("local"
    starts a local Ray runtime of ``workers`` CPUs). ``max_batches`` stops after that many batches (tests)."""
    if not Library.exists(data_dir) and not (data_dir / "index" / "manifest.json").is_file():
        raise ConfigurationError(
            f"Nothing to embed in {data_dir}: no document library and no index. Ingest something first "
            f"(`curbside --data-dir {data_dir} ingest starter` or `ingest medline FILES`)."
        )
    if not settings.embedding.enabled:
        raise ConfigurationError("Embedding is turned off in these settings (the fast preset): nothing to embed.")
    if workers < 1:
        raise ConfigurationError("--workers must be at least 1.")
    say = progress or (lambda _message: None)
    started = time.monotonic()
    embedding = settings.embedding
    model_id = Embedder(embedding).model_id
    cache = EmbeddingCache(data_dir / "cache" / "embeddings.sqlite")
    counts = {"texts": 0, "cached": 0}
    embedded = batches_done = 0
    last = [0.0]

    def commit(keys: Sequence[bytes], vectors: np.ndarray) -> bool:
        nonlocal embedded, batches_done
        cache.put_many(list(zip(keys, vectors)))  # committed: a rerun after a kill starts after it
        embedded += len(keys)
        batches_done += 1
        now = time.monotonic()
        if now - last[0] > 15:
            last[0] = now
            rate = embedded / max(now - started, 1e-9)
            say(f"  embedded {embedded:,} texts ({rate:,.1f}/s); {counts['texts']:,} read so far")
        return max_batches is not None and batches_done >= max_batches

    missing = iter_missing(data_dir, settings, cache, model_id, counts)
    backend = "ray" if ray_address else ("workers" if workers > 1 else "process")
    say(f"Embedding the library's passages that lack a vector ({backend}, {workers} worker(s))")
    try:
        if ray_address:
            for keys, vectors in _ray_batches(missing, embedding, ray_address, workers, batch_size):
                if commit(keys, vectors):
                    break
        elif workers == 1:
            embedder = Embedder(embedding)
            for batch in _batches(missing, batch_size):
                if commit([k for k, _t in batch], embedder.encode([t for _k, t in batch])):
                    break
        else:
            per_worker = embedding.model_copy(update={"threads": embedding.threads or _threads_per_worker(workers)})
            context = multiprocessing.get_context("spawn")  # never fork a process that may hold torch threads
            with context.Pool(workers, initializer=_worker_init, initargs=(per_worker,)) as pool:
                # Batches are read and results committed in this thread (the library and the cache are SQLite
                # connections of this thread); at most two batches a worker are in flight.
                in_flight: deque[Any] = deque()
                stop = False
                for batch in _batches(missing, batch_size):
                    in_flight.append(pool.apply_async(_worker_encode, (batch,)))
                    while len(in_flight) >= 2 * workers and not stop:
                        stop = commit(*_decoded(in_flight.popleft().get()))
                    if stop:
                        break
                while in_flight and not stop:
                    stop = commit(*_decoded(in_flight.popleft().get()))
                pool.terminate()
        for _rest in missing:  # finish reading the library so the totals are whole (after max_batches)
            pass
    finally:
        cache.close()
    seconds = time.monotonic() - started
    say(f"Embedded {embedded:,} texts in {seconds:.0f} s; {counts['cached']:,} of {counts['texts']:,} were cached")
    vectors = 0
    if attach and (embedded or counts["texts"]):
        manifest = refresh_index(data_dir, settings, embed=False, progress=progress)
        vectors = int(manifest.counts.get("vectors", 0))
    return EmbedResult(
        texts=counts["texts"], cached_before=counts["cached"], embedded=embedded, backend=backend, workers=workers,
        seconds=round(seconds, 1), vectors=vectors,
        texts_per_second=round(embedded / seconds, 1) if seconds > 0 and embedded else 0.0,
    )

