"""Brand to generic drug names from Drugs@FDA (``drugsatfda.zip``, table ``Products.txt``).

Used to recognise "Plaquenil" in a question as hydroxychloroquine. Generic names drop the salt
("hydroxychloroquine sulfate" -> "hydroxychloroquine") and the biosimilar suffix
("rituximab-abbs" -> "rituximab"), since the literature names the active moiety: the rule and its words
are the vocabulary's (:func:`curbside.vocabulary.drugs.generic_name`).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from curbside.corpus.documents import IngestReport
from curbside.errors import IngestError
from curbside.vocabulary.drugs import generic_name

__all__ = ["COLUMNS", "DrugName", "PRODUCTS_TABLE", "generic_name", "load_drug_names"]

PRODUCTS_TABLE = "Products.txt"
COLUMNS = (
    "ApplNo", "ProductNo", "Form", "Strength", "ReferenceDrug", "DrugName", "ActiveIngredient", "ReferenceStandard"
)

# "EPOGEN/PROCRIT" is two brands of one product; "1.5/30" is a strength.
_BRAND_SPLIT = re.compile(r"(?<=[a-z])\s*/\s*(?=[a-z])")


@dataclass(frozen=True, slots=True, order=True)
class DrugName:
    brand: str  # lower-cased brand name ("plaquenil")
    generic: str  # lower-cased active moiety ("hydroxychloroquine"); combinations joined by " and "


def _words(name: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", name)) - {"and", "with"}


def load_drug_names(path: Path, report: IngestReport) -> list[DrugName]:
    """Sorted, de-duplicated brand/generic pairs from the Drugs@FDA zip (rows naming no brand are skipped)."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"Drugs@FDA file {path} does not exist. Check --corpus-dir.")
    where = f"{path}/{PRODUCTS_TABLE}"
    try:
        with zipfile.ZipFile(path) as archive:
            raw = archive.read(PRODUCTS_TABLE)
    except KeyError as exc:
        raise IngestError(f"{path} has no {PRODUCTS_TABLE}; is it the Drugs@FDA download?") from exc
    except (zipfile.BadZipFile, OSError) as exc:
        raise IngestError(f"Could not read {path} as a zip file: {exc}") from exc
    lines = raw.decode("utf-8", errors="replace").splitlines()
    if not lines:
        report.problem(where, 0, "empty table")
        return []
    header = lines[0].split("\t")
    try:
        brand_at, ingredient_at = header.index("DrugName"), header.index("ActiveIngredient")
    except ValueError:
        report.problem(where, 1, f"header lacks DrugName/ActiveIngredient: {header}")
        return []
    names: set[DrugName] = set()
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) <= max(brand_at, ingredient_at):
            report.problem(where, number, f"expected {len(header)} tab-separated columns, got {len(fields)}")
            continue
        ingredient = " ".join(fields[ingredient_at].lower().split())
        generic = generic_name(ingredient)
        if not generic:
            continue
        for brand in _BRAND_SPLIT.split(" ".join(fields[brand_at].lower().split())):
            brand = brand.strip()
            # A "brand" naming the generic itself ("HEPARIN SODIUM", "LISINOPRIL AND HYDROCHLOROTHIAZIDE",
            # "MICONAZOLE 7") is no brand.
            if not brand or brand == ingredient or _words(generic) <= _words(brand):
                continue
            names.add(DrugName(brand, generic))
    return sorted(names)
