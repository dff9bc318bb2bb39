"""MeSH descriptor names (``mesh/mesh_descriptors_*.tsv``: ``descriptor_ui``, ``preferred_name``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from curbside.corpus.documents import IngestReport
from curbside.errors import IngestError


@dataclass(frozen=True, slots=True, order=True)
class MeshName:
    ui: str  # "D008171"
    name: str  # preferred name as MeSH writes it ("Lung Diseases, Interstitial")


def natural_order(name: str) -> str:
    """"Interstitial Lung Diseases" from the inverted "Lung Diseases, Interstitial".

    Only a name with exactly one ", " is turned; "1,2-Dipalmitoyl..." and multi-comma names are left alone.
    """
    if name.count(",") != 1 or ", " not in name:
        return name
    head, tail = name.split(", ")
    if not head.strip() or not tail.strip():
        return name
    return f"{tail.strip()} {head.strip()}"


def load_mesh_names(path: Path, report: IngestReport) -> list[MeshName]:
    """The descriptors of a MeSH TSV, in file order; malformed rows are reported and skipped."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"MeSH file {path} does not exist. Check --corpus-dir.")
    names: list[MeshName] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8", errors="replace") as handle:
        header = handle.readline().rstrip("\r\n").split("\t")
        if header[:2] != ["descriptor_ui", "preferred_name"]:
            report.problem(str(path), 1, f"expected header 'descriptor_ui<TAB>preferred_name', got {header}")
            return []
        for number, line in enumerate(handle, start=2):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) < 2 or not fields[0].strip() or not fields[1].strip():
                report.problem(str(path), number, "expected 'descriptor_ui<TAB>preferred_name'")
                continue
            ui, name = fields[0].strip(), fields[1].strip()
            if ui in seen:
                report.problem(str(path), number, f"duplicate descriptor {ui}; kept the first")
                continue
            seen.add(ui)
            names.append(MeshName(ui, name))
    return names
