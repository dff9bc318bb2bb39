"""Data flows one way: a module never imports a layer above its own (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "curbside"

# Lowest first. A module may import its own layer and any layer below it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "settings"),
    ("vocabulary",),
    ("corpus",),
    ("understanding",),
    ("retrieval",),
    ("evidence",),
    ("writing",),
    ("engine",),
    ("articles", "evaluation"),
    ("web", "cli", "__init__", "__main__"),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
# Text primitives (normalise, tokenise, sentence spans) that every layer reads, vocabulary included. They
# import nothing of Curbside's, so they count as the bottom layer wherever they live.
FOUNDATION = {"corpus.text"}
RANK.update({name: 0 for name in FOUNDATION})


def _layer(module_path: Path) -> str:
    parts = module_path.relative_to(PACKAGE).with_suffix("").parts
    dotted = ".".join(parts)
    return dotted if dotted in FOUNDATION else parts[0]


def _imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    layers: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "curbside":
                names = [f"curbside.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "curbside" and len(parts) > 1:
                dotted = ".".join(parts[1:3])
                layers.add(dotted if dotted in FOUNDATION else parts[1])
    return layers


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def test_foundation_modules_import_nothing_of_curbside() -> None:
    for name in FOUNDATION:
        path = PACKAGE.joinpath(*name.split(".")).with_suffix(".py")
        assert not _imported_layers(path), f"{name} must stay free of Curbside imports to sit at the bottom"


def test_every_layer_is_ranked() -> None:
    tops = {_layer(p) for p in MODULES}
    assert tops <= set(RANK), f"add {sorted(tops - set(RANK))} to LAYERS"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_upward_import(path: Path) -> None:
    own = RANK[_layer(path)]
    upward = sorted(layer for layer in _imported_layers(path) if layer in RANK and RANK[layer] > own)
    assert not upward, f"{path.relative_to(PACKAGE)} imports {upward}, a layer above its own"
