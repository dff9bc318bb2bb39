"""Learned fusion: a logistic model over cheap per-passage features replaces reciprocal-rank fusion.

Reciprocal-rank fusion throws the scores away. With the scores kept, a passage that BM25 finds at rank 40
with a very high cosine, or one both lists rank moderately, can be told apart from one that only a
near-tie put high. The model reads, for every passage in either candidate list:

- ``lexical``: its BM25 score over the list's best (0 when BM25 did not return it);
- ``lexical_absent``: 1 when BM25 did not return it;
- ``cosine``: its cosine to the query vector (computed exactly, also for passages only BM25 found);
- ``cosine_gap``: the best candidate's cosine minus its own;
- ``cosine_absent``: 1 when the passage has no vector;
- ``lexical_rrf`` and ``dense_rrf``: 1 / (k + rank) in each list (0 when absent), the RRF terms;
- ``coverage``: the share of the question's content words (weighted by idf) that the passage (its title,
  section and text) contains; ``title_coverage`` the same over the document's title, ``bigram_coverage`` the
  share of the question's adjacent word pairs found adjacent in the passage;
- ``document_*``: the same evidence gathered over all candidate passages of the passage's document (its best
  lexical score and cosine, log(1 + its number of candidate passages), its coverage, the sum of its RRF terms),
  since documents, not passages, are what a reader is given; ``document_missing_idf`` is the idf of the
  rarest question word that none of the document's candidate passages holds, over the question's largest idf
  (0 when it holds them all): a document that lacks the question's one rare word (a gene, a drug) is rarely
  the answer, however much of the rest it covers;
- ``coverage_squared`` and ``lexical_times_cosine``: two non-linear terms;
- and each of those standardised within the query's candidates (``*_z``): how the passage stands against the
  other candidates of the same question, which raw scores (a cosine of 0.6 is high for one question and low
  for another) cannot say.

Its weights are data (``retrieval/data/fusion_weights.json``), one entry per embedding model, since
cosines differ between models. They are fitted by ``curbside train fusion`` on the tuning part of the
BioASQ dev split (:mod:`curbside.evaluation.fusion_training`), in seconds; the file records the command.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from curbside.corpus.text import tokenize

SCORE_FEATURES: tuple[str, ...] = (
    "lexical",
    "lexical_absent",
    "cosine",
    "cosine_gap",
    "cosine_absent",
    "lexical_rrf",
    "dense_rrf",
)
TEXT_FEATURES: tuple[str, ...] = (
    "coverage",
    "title_coverage",
    "bigram_coverage",
    "document_lexical",
    "document_cosine",
    "document_passages",
    "document_coverage",
    "document_rrf",
    "document_missing_idf",
    "coverage_squared",
    "lexical_times_cosine",
)
RAW_FEATURES = SCORE_FEATURES + TEXT_FEATURES
FEATURES: tuple[str, ...] = RAW_FEATURES + tuple(f"{name}_z" for name in RAW_FEATURES)
WEIGHTS_FILE = Path(__file__).parent / "data" / "fusion_weights.json"


@dataclass(frozen=True)
class FusionModel:
    weights: tuple[float, ...]
    bias: float
    rrf_k: int

    def score(self, features: np.ndarray) -> np.ndarray:
        """The model's log-odds for each row of ``features`` (columns in :data:`FEATURES` order)."""
        return features @ np.asarray(self.weights, dtype=np.float64) + self.bias


@dataclass(frozen=True)
class CandidateText:
    """What the text features read of one candidate passage: its document and its words (of the document's
    title, the section heading and the text), tokenised once; passages never change within an index."""

    doc_key: int
    words: frozenset[str]
    title_words: frozenset[str]
    joined: str  # " word word ... ": adjacent word pairs are found by substring, without a set of pairs

    @classmethod
    def read(cls, doc_key: int, title: str | Sequence[str], text: str) -> CandidateText:
        """``title`` as text, or already tokenised (a document's passages share it)."""
        title_tokens = tokenize(title) if isinstance(title, str) else list(title)
        tokens = title_tokens + tokenize(text)
        return cls(doc_key, frozenset(tokens), frozenset(title_tokens), f" {' '.join(tokens)} ")


def _idf_weights(terms: Sequence[str], idf: Callable[[str], float]) -> dict[str, float]:
    return {term: idf(term) for term in dict.fromkeys(terms)}


def candidate_features(
    lexical: Sequence[tuple[int, float]],
    dense: Sequence[tuple[int, float]],
    cosines: Mapping[int, float],
    rrf_k: int,
    *,
    query_terms: Sequence[str] = (),
    texts: Mapping[int, CandidateText] | None = None,
    idf: Callable[[str], float] | None = None,
) -> tuple[list[int], np.ndarray]:
    """The union of both candidate lists (BM25's order first) and its feature matrix (:data:`FEATURES`).

    ``texts`` holds each candidate's document and words; without it the text features are 0."""
    keys = list(dict.fromkeys([key for key, _s in lexical] + [key for key, _s in dense]))
    lex = {key: (rank, score) for rank, (key, score) in enumerate(lexical, start=1)}
    den = {key: rank for rank, (key, _s) in enumerate(dense, start=1)}
    best_lexical = max((s for _k, s in lexical), default=0.0) or 1.0
    best_cosine = max(cosines.values(), default=0.0)
    raw = np.zeros((len(keys), len(RAW_FEATURES)), dtype=np.float64)
    for i, key in enumerate(keys):
        found = lex.get(key)
        cosine = cosines.get(key)
        raw[i, : len(SCORE_FEATURES)] = (
            found[1] / best_lexical if found else 0.0,
            0.0 if found else 1.0,
            cosine if cosine is not None else 0.0,
            best_cosine - cosine if cosine is not None else 0.0,
            0.0 if cosine is not None else 1.0,
            1.0 / (rrf_k + found[0]) if found else 0.0,
            1.0 / (rrf_k + den[key]) if key in den else 0.0,
        )
    if texts is not None and keys:
        _text_features(raw, keys, query_terms, texts, idf or (lambda _t: 1.0))
    spread = raw.std(axis=0)
    spread[spread == 0] = 1.0
    standardised = (raw - raw.mean(axis=0)) / spread
    return keys, np.hstack([raw, standardised])


def _text_features(
    raw: np.ndarray,
    keys: Sequence[int],
    query_terms: Sequence[str],
    texts: Mapping[int, CandidateText],
    idf: Callable[[str], float],
) -> None:
    """Fill the :data:`TEXT_FEATURES` columns of ``raw`` in place (vectorised over documents: this runs on
    every search)."""
    column = {name: RAW_FEATURES.index(name) for name in RAW_FEATURES}
    weights = _idf_weights(query_terms, idf)
    words = list(weights)
    weight = np.array([weights[term] for term in words], dtype=np.float64)
    total = float(weight.sum()) or 1.0
    pair_texts = [f" {a} {b} " for a, b in set(zip(query_terms, query_terms[1:]))]
    # Which question words each candidate holds (in its text, in its title): one row per candidate.
    holds = np.zeros((len(keys), len(words)), dtype=bool)
    holds_in_title = np.zeros((len(keys), len(words)), dtype=bool)
    document_of = np.empty(len(keys), dtype=np.int64)
    documents: dict[int, int] = {}
    for i, key in enumerate(keys):
        text = texts[key]
        holds[i] = [term in text.words for term in words]
        holds_in_title[i] = [term in text.title_words for term in words]
        document_of[i] = documents.setdefault(text.doc_key, len(documents))
        if pair_texts:
            raw[i, column["bigram_coverage"]] = sum(pair in text.joined for pair in pair_texts) / len(pair_texts)
    raw[:, column["coverage"]] = holds @ weight / total
    raw[:, column["title_coverage"]] = holds_in_title @ weight / total
    n = len(documents)
    lexical, cosine = raw[:, column["lexical"]], raw[:, column["cosine"]]
    best_lexical = np.full(n, -np.inf)
    np.maximum.at(best_lexical, document_of, lexical)
    best_cosine = np.full(n, -np.inf)
    np.maximum.at(best_cosine, document_of, cosine)
    document_holds = np.zeros((n, len(words)), dtype=bool)
    np.logical_or.at(document_holds, document_of, holds)
    document_coverage = document_holds @ weight / total
    largest = float(weight.max(initial=0.0)) or 1.0
    document_missing = np.where(document_holds, 0.0, weight).max(axis=1, initial=0.0) / largest
    rrf = raw[:, column["lexical_rrf"]] + raw[:, column["dense_rrf"]]
    raw[:, column["document_lexical"]] = best_lexical[document_of]
    raw[:, column["document_cosine"]] = best_cosine[document_of]
    raw[:, column["document_passages"]] = np.log1p(np.bincount(document_of, minlength=n))[document_of]
    raw[:, column["document_coverage"]] = document_coverage[document_of]
    raw[:, column["document_rrf"]] = np.bincount(document_of, weights=rrf, minlength=n)[document_of]
    raw[:, column["document_missing_idf"]] = document_missing[document_of]
    raw[:, column["coverage_squared"]] = raw[:, column["coverage"]] ** 2
    raw[:, column["lexical_times_cosine"]] = lexical * cosine


def fit_logistic(
    features: np.ndarray, labels: np.ndarray, *, l2: float = 1e-3, iterations: int = 50
) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method: deterministic, no dependency, converges in a
    few steps for a handful of features. Fitted on standardised features (so the penalty weighs each
    feature alike, whatever its scale), returned as weights of the raw features."""
    mean = features.mean(axis=0)
    std = features.std(axis=0)
    std[std == 0] = 1.0  # a constant feature (e.g. no passage without a vector) keeps weight 0
    x = np.hstack([(features - mean) / std, np.ones((len(features), 1))])
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2 * len(x))
    penalty[-1] = 0.0  # the bias is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (p - labels) + penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    weights = w[:-1] / std
    return weights, float(w[-1] - weights @ mean)


@cache
def _weights_file(path: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return dict(data.get("models", {}))


def fusion_model(model_name: str, path: Path = WEIGHTS_FILE) -> FusionModel | None:
    """The fitted model for an embedding model (its ``Embedder.model_id``), or None when none was fitted for it."""
    entry = _weights_file(path).get(model_name)
    if entry is None:
        return None
    weights = entry["weights"]
    assert isinstance(weights, dict)
    if set(weights) != set(FEATURES):
        return None  # fitted on another feature set: refit (`curbside train fusion`)
    return FusionModel(
        weights=tuple(float(weights[name]) for name in FEATURES),
        bias=float(entry["bias"]),  # type: ignore[arg-type]
        rrf_k=int(entry["rrf_k"]),  # type: ignore[call-overload]
    )
