"""Statistics in result sentences: p-values, intervals, estimates, and the statistical asides that the
patient view removes."""

from __future__ import annotations

from curbside.evidence.statistics import (
    STATISTIC_AFTER_CLAUSE,
    STATISTIC_IN_BRACKETS,
    find_intervals,
    find_p_values,
    marked_not_significant,
    normalise_text,
    ratio_estimate_direction,
    table_row_p_values,
    value_pair_direction,
)


def test_p_values_and_intervals_are_parsed() -> None:
    values = [(p.op, p.value, p.significant) for p in find_p_values("p = 0.03; P<.001; p > 0.05; p\u2009=\u20090.40; P = 2 x 10-5")]
    assert values == [("=", 0.03, True), ("<", 0.001, True), (">", 0.05, False), ("=", 0.40, False), ("=", 2e-5, True)]
    assert find_p_values("test for interaction p = 0.02") == []
    (ratio,) = find_intervals("hazard ratio 0.79 (95% CI 0.66 to 0.95)")
    assert (ratio.null, ratio.significant, ratio.direction) == (1.0, True, "decreased")
    (difference,) = find_intervals("mean difference -3.2 (95% CI -5.1 to -1.3)")
    assert (difference.null, difference.significant, difference.direction) == (0.0, True, "decreased")
    (crossing,) = find_intervals("OR 1.7, 95% CI: 0.9-3.0")
    assert crossing.significant is False


def test_normalise_text_folds_unicode_numbers_and_operators() -> None:
    assert normalise_text("p\u2009=\u20090\u00b703, \u22120.4, &lt; 0.05, \u2264 2") == "p = 0.03, -0.4, < 0.05, <= 2"


def test_a_table_row_closing_on_a_bare_p_value() -> None:
    (row,) = table_row_p_values("MCMQ 51.03\u00b13.39 49.13\u00b13.15 0.03")
    assert (row.op, row.value, row.significant) == ("=", 0.03, True)
    assert table_row_p_values("Scores were 51.03 and 49.13 0.03") == []  # a sentence, not a row


def test_not_significant_marks() -> None:
    assert marked_not_significant("(ns)") and marked_not_significant("p = ns")
    assert not marked_not_significant("p = 0.03")


def test_ratio_estimates_and_value_pairs_give_a_direction() -> None:
    assert ratio_estimate_direction("hr 0.79 (95% ci 0.66-0.95)") == "decreased"
    assert ratio_estimate_direction("odds ratio of 1.8") == "increased"
    assert ratio_estimate_direction("rr 1") is None and ratio_estimate_direction("mortality fell") is None
    assert value_pair_direction("80% vs 56%") == "increased"
    assert value_pair_direction("5.9 mg compared with 6.9 mg") == "decreased"
    assert value_pair_direction("5% vs 5%") is None


def test_statistical_asides_are_matched_and_findings_are_not() -> None:
    assert STATISTIC_IN_BRACKETS.sub("", "Mortality fell (HR 0.79; 95% CI 0.66 to 0.95)") == "Mortality fell ()"
    assert STATISTIC_IN_BRACKETS.sub("", "(Odds ratio 1.2, n = 74; aORs 0.8)") == "()"
    # The word "or" is no odds ratio, and the numbers that carry a finding stay.
    assert STATISTIC_IN_BRACKETS.search("aspirin or placebo (18% vs 33%)") is None
    # Outside brackets, only a statistic trailing a clause after a comma or semicolon.
    assert STATISTIC_AFTER_CLAUSE.sub("", "Mortality fell, p = 0.03. Odds Ratio 1.2 stays") == "Mortality fell. Odds Ratio 1.2 stays"
