"""Pure functions shared by the evaluations: ranking metrics and text-overlap rules.

Nothing here touches an index or a model, so every rule the evaluations report can be unit-tested on
hand-computed examples (``tests/unit/test_evaluation.py``).

Ranking metrics take a ranked list of document ids and a set of relevant (gold) ids. Relevance is
binary. Duplicate ids in a ranking count once, at their first position (see :func:`unique_in_order`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from curbside.corpus.text import content_tokens, normalize

# --- rankings ------------------------------------------------------------------------------------


def unique_in_order(ids: Iterable[str]) -> list[str]:
    """``ids`` without repeats, each at its first position (passages collapsed to their documents)."""
    seen: set[str] = set()
    out: list[str] = []
    for item in ids:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def _gold_set(gold: Iterable[str]) -> set[str]:
    gold_set = set(gold)
    if not gold_set:
        raise ValueError("a ranking metric needs at least one relevant id")
    return gold_set


def recall_at_k(ranked: Sequence[str], gold: Iterable[str], k: int) -> float:
    """Share of the gold ids found in the first ``k`` distinct ids of ``ranked``."""
    gold_set = _gold_set(gold)
    top = unique_in_order(ranked)[:k]
    return sum(1 for d in top if d in gold_set) / len(gold_set)


def dcg_at_k(ranked: Sequence[str], gold: Iterable[str], k: int) -> float:
    """Binary discounted cumulative gain: sum of 1/log2(rank + 1) over relevant ids in the top ``k``."""
    gold_set = set(gold)
    top = unique_in_order(ranked)[:k]
    return sum(1.0 / math.log2(rank + 1) for rank, d in enumerate(top, start=1) if d in gold_set)


def ndcg_at_k(ranked: Sequence[str], gold: Iterable[str], k: int) -> float:
    """DCG@k divided by the DCG of an ideal ranking (all gold ids first, at most ``k`` of them)."""
    gold_set = _gold_set(gold)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(gold_set), k) + 1))
    return dcg_at_k(ranked, gold_set, k) / ideal


def first_relevant_rank(ranked: Sequence[str], gold: Iterable[str]) -> int | None:
    """1-based rank of the first gold id among the distinct ids of ``ranked``; None when absent."""
    gold_set = set(gold)
    for rank, d in enumerate(unique_in_order(ranked), start=1):
        if d in gold_set:
            return rank
    return None


def reciprocal_rank(ranked: Sequence[str], gold: Iterable[str], k: int | None = None) -> float:
    """1/rank of the first gold id; 0 when it is not in the first ``k`` distinct ids (or at all, k=None)."""
    rank = first_relevant_rank(ranked, _gold_set(gold))
    if rank is None or (k is not None and rank > k):
        return 0.0
    return 1.0 / rank


def mrr_at_k_label(k: int) -> str:
    """The metric's name in reports: ``mrr@10``."""
    return f"mrr@{k}"


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean; 0.0 for no values (an empty evaluation reports zeros, not an error)."""
    return sum(values) / len(values) if values else 0.0


def ratio(a: float, b: float) -> float | None:
    """``a / b``, or None when ``b`` is zero (a ratio to a zero baseline is undefined)."""
    return a / b if b else None


# --- text overlap --------------------------------------------------------------------------------


def match_text(text: str) -> str:
    """Text for substring matching: normalised (NFKC, dashes, quotes, whitespace) and lower-cased."""
    return normalize(text).lower()


def token_containment(part: str, whole: str) -> float:
    """Share of the distinct content tokens of ``part`` that also occur in ``whole`` (0 if ``part`` has none).

    Content tokens are lower-cased words without stopwords (:func:`curbside.corpus.text.content_tokens`).
    """
    need = set(content_tokens(part))
    if not need:
        return 0.0
    have = set(content_tokens(whole))
    return len(need & have) / len(need)


def jaccard(a: str, b: str) -> float:
    """Jaccard similarity of the content-token sets of ``a`` and ``b`` (0 when both are empty)."""
    sa, sb = set(content_tokens(a)), set(content_tokens(b))
    union = sa | sb
    return len(sa & sb) / len(union) if union else 0.0


# PubMedQA: does a quote reproduce (part of) the abstract's conclusion?
QUOTE_MIN_CONTENT_TOKENS = 3
QUOTE_OVERLAP_THRESHOLD = 0.6
QUOTE_OVERLAP_RULE = (
    "a quote counts as quoting the conclusion when its doc_id (or its reference's PMID) is the question's PMID "
    "and either (a) its text, normalised and lower-cased, is a substring of the normalised LONG_ANSWER, or "
    f"(b) at least {QUOTE_OVERLAP_THRESHOLD:.0%} of its distinct content tokens occur in the LONG_ANSWER; "
    f"quotes with fewer than {QUOTE_MIN_CONTENT_TOKENS} content tokens never count"
)


def quote_overlaps(quote: str, conclusion: str, threshold: float = QUOTE_OVERLAP_THRESHOLD) -> bool:
    """The PubMedQA rule (:data:`QUOTE_OVERLAP_RULE`), without the PMID check."""
    if len(set(content_tokens(quote))) < QUOTE_MIN_CONTENT_TOKENS:
        return False
    if match_text(quote) in match_text(conclusion):
        return True
    return token_containment(quote, conclusion) >= threshold


# K-QA: is a must-have statement covered by one sentence of the article?
STATEMENT_CONTAINMENT_THRESHOLD = 0.6


def statement_contained(statement: str, sentence: str, threshold: float = STATEMENT_CONTAINMENT_THRESHOLD) -> bool:
    """At least ``threshold`` of the statement's distinct content tokens occur in ``sentence``."""
    return token_containment(statement, sentence) >= threshold


def best_containment(statement: str, sentences: Sequence[str]) -> tuple[float, int | None]:
    """The highest :func:`token_containment` of ``statement`` in any one sentence, and that sentence's index."""
    best, where = 0.0, None
    for i, sentence in enumerate(sentences):
        value = token_containment(statement, sentence)
        if value > best:
            best, where = value, i
    return best, where
