"""Curbside's retrieval against the plain baselines it is built from, on BioASQ, in one run.

Over the same corpus (``corpus.jsonl``) and questions (``questions_dev.jsonl``), and scored by the same
rule, this measures:

- ``plain_bm25``: tantivy BM25 over one document per PMID (title, when the record has one, and its
  snippets, in one field), English stemming, the question's words as they are (no query processing);
- ``plain_dense``: all-MiniLM-L6-v2 as bundled (whatever model the index uses), one vector per PMID (the text Curbside embeds for a BioASQ passage:
  title or its stand-in, section, all snippets; 128 tokens), cosine to the question as asked;
- ``plain_rrf``: reciprocal-rank fusion of those two lists (k = 60, equal weights, 100 each);
- ``curbside_bm25`` and ``curbside_hybrid``: ``Curbside.search`` on the BioASQ index of ``--data-dir``
  (its settings: the default preset unless ``--preset``), the top ``--depth`` passages collapsed to
  documents at their best passage, as ``curbside eval retrieval`` does.

Scoring: binary relevance over the top ``--k`` documents (nDCG, recall, MRR). The headline rule scores
each question against its gold PMIDs that the corpus holds (``gold_in_corpus``); ``all_gold`` also
counts gold PMIDs the corpus lacks (what ``curbside eval retrieval`` reports), which no system can
retrieve and which lowers every figure. Ratios are to ``plain_bm25`` in the same run and by the same rule.

The dev questions are split once into a tuning part and a report part by whole BioASQ batches
(``src/curbside/retrieval/data/bioasq_dev_split.json``: seed and rule, checked on every run; the
encoder of the ``tuned`` preset is trained on the tuning part only); figures are given for
both parts and for the whole. ``--ablations`` adds one row per retrieval setting changed on its own.

Embeddings come from (and go to) ``DATA_DIR/cache/embeddings.sqlite``, so vectors are computed once.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/eval_retrieval_baselines.py --data-dir /tmp/bioasq-data \\
        --corpus ../shared/eval/bioasq/corpus.jsonl --questions ../shared/eval/bioasq/questions_dev.jsonl
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from curbside.corpus.documents import IngestReport
from curbside.corpus.loaders.bioasq import load_bioasq
from curbside.engine import Curbside, validate_question
from curbside.evaluation.metrics import mean, ndcg_at_k, ratio, recall_at_k, reciprocal_rank, unique_in_order
from curbside.retrieval.finetune import SPLIT_FILE, read_split
from curbside.retrieval.plain import PlainBM25
from curbside.retrieval.dense import Embedder, EmbeddingCache, embed_with_cache
from curbside.retrieval.index import embedding_text
from curbside.retrieval.search import Searcher
from curbside.settings import EmbeddingSettings, RetrievalSettings, load_settings
from curbside.understanding import understand

METRICS = ("ndcg@10", "recall@10", "mrr@10")
RULES = ("gold_in_corpus", "all_gold")

# One retrieval setting changed at a time from the settings searched (see RetrievalSettings).
ABLATIONS: dict[str, dict[str, Any]] = {
    "no expansions": {"expansion_kinds": []},
    "spelling expansions only": {"expansion_kinds": ["spelling"]},
    "all expansions": {"expansion_kinds": ["abbreviation", "brand", "mesh", "spelling"]},
    "no MeSH/expansion phrases": {"phrase_boost": 0.0},
    "phrases boosted 2": {"phrase_boost": 2.0},
    "keep stopwords (filler words)": {"stopwords": False},
    "drop stopwords": {"stopwords": True},
    "hyphenated words split": {"split_compounds": True},
    "hyphenated words as phrases": {"split_compounds": False},
    "fields equal (title 1, section 1)": {"title_boost": 1.0, "section_boost": 1.0},
    "title 1.5, section 1.2": {"title_boost": 1.5, "section_boost": 1.2},
    "no title field": {"title_boost": 0.0},
    "no section field": {"section_boost": 0.0},
    "dense query = question as asked": {"dense_query": "question"},
    "dense query = question + expansions": {"dense_query": "search_text"},
    "fusion: reciprocal rank": {"fusion": "rrf"},
    "fusion: learned": {"fusion": "learned"},
    "fuse per passage": {"fuse_documents": False},
    "fuse per document": {"fuse_documents": True},
    "rrf k 20": {"rrf_k": 20},
    "rrf k 60": {"rrf_k": 60},
    "rrf k 100": {"rrf_k": 100},
    "lexical weight 0.7": {"lexical_weight": 0.7},
    "lexical weight 1.3": {"lexical_weight": 1.3},
    "candidates 50": {"lexical_candidates": 50, "dense_candidates": 50},
    "candidates 200": {"lexical_candidates": 200, "dense_candidates": 200},
}


# ---------------------------------------------------------------- plain baselines


def rrf(lists: Sequence[Sequence[str]], k: int = 60) -> list[str]:
    fused: dict[str, float] = {}
    for ranked in lists:
        for rank, doc in enumerate(ranked, start=1):
            fused[doc] = fused.get(doc, 0.0) + 1.0 / (k + rank)
    return [doc for doc, _s in sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))]


class CachedEmbedder:
    """An :class:`Embedder` whose every text goes through the data directory's embedding cache."""

    def __init__(self, embedder: Embedder, cache: EmbeddingCache) -> None:
        self.embedder = embedder
        self.cache = cache
        self.model_id = embedder.model_id
        self.settings = embedder.settings

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        return embed_with_cache(self.embedder, list(texts), self.cache)


def document_vectors(corpus_path: Path, embedder: CachedEmbedder) -> tuple[list[str], np.ndarray]:
    """One unit vector per PMID: the text Curbside embeds for a BioASQ passage, with all the snippets."""
    report = IngestReport()
    pmids: list[str] = []
    texts: list[str] = []
    for doc in load_bioasq(corpus_path, report, passage_chars=1200):
        pmids.append(doc.doc_id)
        passages = doc.passages
        texts.append(embedding_text(doc, passages[0].section, "\n\n".join(p.text for p in passages), True))
    return pmids, embedder.encode(texts)


# ---------------------------------------------------------------- scoring


def score(ranked: Sequence[str], gold: Sequence[str], k: int) -> dict[str, float]:
    return {
        f"ndcg@{k}": ndcg_at_k(ranked, gold, k),
        f"recall@{k}": recall_at_k(ranked, gold, k),
        f"mrr@{k}": reciprocal_rank(ranked, gold, k),
    }


def summarise(
    runs: dict[str, dict[str, list[str]]],
    questions: Sequence[dict[str, Any]],
    part_of: dict[str, str],
    in_corpus: set[str],
    k: int,
) -> dict[str, Any]:
    """rule -> part -> system -> metric (mean), with ratios to plain_bm25 under ``ratios``."""
    out: dict[str, Any] = {}
    for rule in RULES:
        by_part: dict[str, Any] = {}
        for part in ("tuning", "report", "all"):
            chosen = [q for q in questions if part == "all" or part_of[q["id"]] == part]
            table: dict[str, dict[str, float]] = {}
            for system, ranked in runs.items():
                rows = []
                for q in chosen:
                    gold = q["gold_pmids"] if rule == "all_gold" else [p for p in q["gold_pmids"] if p in in_corpus]
                    if gold:
                        rows.append(score(ranked[q["id"]], gold, k))
                table[system] = {m: round(mean([r[m] for r in rows]), 4) for m in rows[0]} if rows else {}
            base = table.get("plain_bm25", {})
            ratios = {
                system: {m: (round(r, 3) if (r := ratio(v, base.get(m, 0.0))) is not None else None) for m, v in t.items()}
                for system, t in table.items()
            }
            by_part[part] = {"questions": len(chosen), "metrics": table, "ratios_to_plain_bm25": ratios}
        out[rule] = by_part
    return out


# ---------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="a data directory holding a BioASQ index")
    parser.add_argument("--corpus", type=Path, default=Path("../shared/eval/bioasq/corpus.jsonl"))
    parser.add_argument("--questions", type=Path, default=Path("../shared/eval/bioasq/questions_dev.jsonl"))
    parser.add_argument("--split", type=Path, default=SPLIT_FILE)
    parser.add_argument("--part", choices=("all", "tuning", "report"), default="all", help="which questions to search")
    parser.add_argument("--preset", default=None, help="settings preset for the Curbside runs")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=JSON",
                        help="a retrieval setting for the Curbside runs, e.g. --set rrf_k=30 (repeatable)")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--depth", type=int, default=100, help="passages collapsed to documents, as eval retrieval")
    parser.add_argument("--limit", type=int, default=None, help="first N questions of the part (quick checks)")
    parser.add_argument("--ablations", action="store_true", help="also one run per entry of ABLATIONS")
    parser.add_argument("--grid", action="append", default=[], metavar="NAME=JSON_LIST",
                        help="search every combination of these retrieval settings (repeatable), e.g. "
                        "--grid rrf_k=[20,60]; how the defaults were tuned, on --part tuning")
    parser.add_argument("--modes", default="bm25,hybrid", help="Curbside modes run for --ablations and --grid")
    parser.add_argument("--out", type=Path, default=None, help="write the full JSON here")
    args = parser.parse_args(argv)
    started = time.monotonic()

    corpus = [json.loads(line) for line in args.corpus.open(encoding="utf-8") if line.strip()]
    in_corpus = {r["pmid"] for r in corpus}
    questions = [json.loads(line) for line in args.questions.open(encoding="utf-8") if line.strip()]
    part_of = read_split(args.split, questions)
    if args.part != "all":
        questions = [q for q in questions if part_of[q["id"]] == args.part]
    questions = questions[: args.limit] if args.limit else questions
    k = args.k
    depth = max(args.depth, k)

    overrides = {name: json.loads(value) for name, value in (item.split("=", 1) for item in args.set)}
    settings = load_settings(preset=args.preset, data_dir=args.data_dir, retrieval=overrides or None)
    cb = Curbside(settings)
    cache = EmbeddingCache(args.data_dir / "cache" / "embeddings.sqlite")
    # The plain dense baseline is always the bundled MiniLM, whatever model the index was built with.
    embedder = CachedEmbedder(Embedder(EmbeddingSettings(max_seq_length=128)), cache)
    cb.index.embedder = CachedEmbedder(cb.index.embedder, cache)  # type: ignore[assignment]  # query vectors too
    timings: dict[str, float] = {}

    def clock(name: str, fn: Callable[[], Any]) -> Any:
        t = time.monotonic()
        value = fn()
        timings[name] = timings.get(name, 0.0) + time.monotonic() - t
        return value

    runs: dict[str, dict[str, list[str]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        plain = clock("plain_bm25_build", lambda: PlainBM25(
            ((r["pmid"], " ".join([r.get("title") or "", *(r.get("snippets") or [])]).strip()) for r in corpus), Path(tmp)
        ))
        runs["plain_bm25"] = {
            q["id"]: clock("plain_bm25", lambda q=q: plain.search(q["question"], 100))
            for q in questions
        }
    pmids, doc_vectors = clock("plain_dense_vectors", lambda: document_vectors(args.corpus, embedder))
    query_vectors = clock("plain_dense", lambda: embedder.encode([q["question"] for q in questions]))
    scores = query_vectors @ doc_vectors.T
    runs["plain_dense"] = {}
    for q, row in zip(questions, scores):
        top = np.argsort(-row, kind="stable")[:100]
        runs["plain_dense"][q["id"]] = [pmids[i] for i in top]
    runs["plain_rrf"] = {q["id"]: rrf([runs["plain_bm25"][q["id"]], runs["plain_dense"][q["id"]]]) for q in questions}

    base = cb.searcher
    understood = {
        q["id"]: understand(
            validate_question(q["question"], settings.max_question_chars), lexicon=base.lexicon, speller=base.speller
        )
        for q in questions
    }

    def curbside_run(name: str, searcher: Searcher, mode: str) -> dict[str, list[str]]:
        return {
            q["id"]: unique_in_order(
                h.document.doc_id for h in clock(name, lambda q=q: searcher.search(understood[q["id"]], depth, mode=mode))
            )
            for q in questions
        }

    runs["curbside_bm25"] = curbside_run("curbside_bm25", base, "bm25")
    runs["curbside_hybrid"] = curbside_run("curbside_hybrid", base, "hybrid")
    ablation_rows: dict[str, dict[str, Any]] = {}
    current = base.settings.model_dump()
    changes: dict[str, dict[str, Any]] = {}
    if args.ablations:
        changes.update(ABLATIONS)
    grid = [(name, json.loads(values)) for name, values in (item.split("=", 1) for item in args.grid)]
    for combination in itertools.product(*(values for _name, values in grid)) if grid else ():
        change = dict(zip((name for name, _v in grid), combination))
        changes[", ".join(f"{key}={json.dumps(value)}" for key, value in change.items())] = change
    for name, change in changes.items():
        if all(current.get(key) == (tuple(v) if isinstance(v, list) else v) for key, v in change.items()):
            continue  # the settings searched already: that row is curbside_bm25 / curbside_hybrid
        variant = copy.copy(base)
        variant.settings = RetrievalSettings.model_validate({**current, **change})
        ablation_rows[name] = change
        for mode in args.modes.split(","):
            runs[f"{mode} | {name}"] = curbside_run(f"{mode} | {name}", variant, mode)
        print(f"  {name}: done ({time.monotonic() - started:.0f} s)", file=sys.stderr)
    cache.close()

    result = {
        "corpus": str(args.corpus),
        "questions_file": str(args.questions),
        "part_searched": args.part,
        "questions": len(questions),
        "split": json.loads(args.split.read_text(encoding="utf-8")),
        "k": k,
        "depth_passages": depth,
        "curbside_settings": {"preset": settings.preset, "retrieval": cb.searcher.settings.model_dump(mode="json")},
        "ablations": ablation_rows,
        "rules": {
            "gold_in_corpus": "each question scored against its gold PMIDs present in the corpus (the headline rule)",
            "all_gold": "every gold PMID counted, present or not (the rule of `curbside eval retrieval`)",
        },
        "scores": summarise(runs, questions, part_of, in_corpus, k),
        "seconds": round(time.monotonic() - started, 1),
        "seconds_per_query": {name: round(t / max(len(questions), 1), 4) for name, t in timings.items()},
    }
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
