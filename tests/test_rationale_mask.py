"""Adjudicators' rationales are committed with their decisions; the words of the units are not.
A quoted run of three or more of the article's words becomes "[…]" (invented texts here)."""
from warvoices.annotation.ls_adjudication import mask_quotes

ARTICLE = "The minister said the convoy reached the city at dawn. Officials welcomed it."


def test_a_quoted_run_of_the_article_is_masked_and_the_rule_kept():
    got = mask_quotes("T1: 'said the convoy reached' is content, not topic", [ARTICLE])
    assert got == "T1: '[…]' is content, not topic"


def test_two_shared_words_or_other_words_stay():
    assert mask_quotes("S8: 'the convoy' is not loaded", [ARTICLE]) == "S8: 'the convoy' is not loaded"
    assert mask_quotes("E3: aid delivery counts as humanitarian", [ARTICLE]) == \
        "E3: aid delivery counts as humanitarian"


def test_runs_are_matched_case_insensitively_and_across_sentences_of_the_article():
    got = mask_quotes("A6: at DAWN. Officials welcomed: a reference back", [ARTICLE])
    assert got == "A6: […]: a reference back"
