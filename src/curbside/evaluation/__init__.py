"""Evaluations on public question sets: each takes a :class:`curbside.Curbside` and a file, returns a result.

- :func:`curbside.evaluation.retrieval.evaluate_retrieval`: BioASQ, hybrid search against BM25
  (recall@10, nDCG@10, MRR@10 over gold PMIDs);
- :func:`curbside.evaluation.pubmedqa.evaluate_pubmedqa`: does the article quote the abstract's own conclusion;
- :func:`curbside.evaluation.kqa.evaluate_kqa`: how many physicians' must-have statements an article covers;
- :func:`curbside.evaluation.consult.evaluate_consult`: consult questions written from the starter corpus: the
  expected source in the bottom line, honest abstentions, no off-population or superseded source.

All of them run the same loop (:class:`curbside.evaluation.runner.EvaluationLoop`: limit, score each
question on the engine, record rejected questions as problems, time the run) over a question file read
by :mod:`curbside.evaluation.files` (unusable records become :class:`~curbside.evaluation.files.EvalProblem`).
The rules they apply are pure functions in :mod:`curbside.evaluation.metrics`. The CLI
(``curbside eval ...``) only formats the results; ``docs/benchmarks.md`` records the figures.
"""
