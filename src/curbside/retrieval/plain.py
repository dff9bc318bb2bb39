"""A plain BM25 over one text per document: the baseline Curbside's retrieval is measured against.

Tantivy, English stemming, no query processing: the question's words as they are, each a term. Used by
``bench/eval_retrieval_baselines.py`` (the baseline row) and by :mod:`curbside.retrieval.finetune`
(hard negatives for training the encoder): one definition for both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import tantivy

_WORD = re.compile(r"[^\W_]+")


class PlainBM25:
    """BM25 over ``(doc_id, text)`` pairs, built in ``folder`` (a fresh, empty folder)."""

    def __init__(self, documents: Iterable[tuple[str, str]], folder: Path) -> None:
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("doc_id", stored=True, tokenizer_name="raw")
        builder.add_text_field("text", stored=False, tokenizer_name="en_stem")
        self.index = tantivy.Index(builder.build(), path=str(folder))
        writer = self.index.writer(200_000_000, 1)
        for doc_id, text in documents:
            writer.add_document(tantivy.Document(doc_id=doc_id, text=text))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()

    def search(self, question: str, n: int) -> list[str]:
        """The best ``n`` document ids, best first (ties by id, so runs repeat exactly)."""
        words = _WORD.findall(question)
        if not words:
            return []
        query = self.index.parse_query(" ".join(f'"{w}"' for w in words), ["text"])
        hits = [
            (score, self.searcher.doc(address)["doc_id"][0])
            for score, address in self.searcher.search(query, limit=n).hits
        ]
        hits.sort(key=lambda h: (-h[0], h[1]))
        return [doc_id for _s, doc_id in hits]
