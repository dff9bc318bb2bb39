"""The ONNX query encoder matches the torch model, is used only when ready, and the ask path imports no torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from curbside.retrieval.dense import (
    ONNX_CHECK_TEXTS,
    Embedder,
    build_onnx_encoder,
    onnx_dir,
    onnx_encoder_ready,
)
from curbside.settings import EmbeddingSettings


def test_the_ask_path_imports_neither_torch_nor_sentence_transformers() -> None:
    code = (
        "import sys; import curbside.cli.main, curbside.engine, curbside.retrieval.search, curbside.retrieval.dense; "
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers', 'onnxruntime') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_without_an_export_the_embedder_uses_torch(tmp_path: Path) -> None:
    settings = EmbeddingSettings()
    assert not onnx_encoder_ready(onnx_dir(tmp_path, settings), settings)
    assert Embedder(settings, onnx_folder=onnx_dir(tmp_path, settings)).backend == "torch"
    assert Embedder(settings).backend == "torch"


@pytest.mark.slow
def test_the_onnx_export_matches_torch_and_is_cached(tmp_path: Path) -> None:
    settings = EmbeddingSettings()
    folder = build_onnx_encoder(tmp_path, settings)
    assert folder == onnx_dir(tmp_path, settings) and onnx_encoder_ready(folder, settings)
    built = (folder / "model.onnx").stat().st_mtime_ns
    assert build_onnx_encoder(tmp_path, settings) == folder  # cached: not exported again
    assert (folder / "model.onnx").stat().st_mtime_ns == built

    texts = [*ONNX_CHECK_TEXTS, "Does vitamin D supplementation prevent fractures in older adults?", "β-blocker"]
    onnx = Embedder(settings, onnx_folder=folder)
    torch = Embedder(settings)
    assert onnx.backend == "onnx" and torch.backend == "torch"
    a, b = onnx.encode(texts), torch.encode(texts)
    assert a.shape == b.shape == (len(texts), 384) and a.dtype == np.float32
    assert float((a * b).sum(axis=1).min()) >= 0.999
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    single = np.vstack([onnx.encode([t]) for t in texts])  # padding in a batch changes nothing
    assert float((single * a).sum(axis=1).min()) >= 0.9999

    # An export made for another max length (or model files) is not used.
    other = settings.model_copy(update={"max_seq_length": 64})
    assert not onnx_encoder_ready(folder, other)
