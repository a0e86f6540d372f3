"""How people type: slips mended before a question is searched (rag.spelling), into a function
word or a word the articles use, never into a guess that changes what is asked; British spellings
finding American articles (rag.text.terms)."""

from __future__ import annotations

from rag import Rag
from rag.embed import vocabulary
from rag.spelling import mend

VOCABULARY = frozenset("about where her the minsk visit trip detained retained chat chatter well were "
                       "talks widen open two".split())
ARTICLES = {"minsk", "visit", "trip", "retain", "chatter", "talk", "widen", "open", "two"}  # the "index"'s terms


def known(term: str) -> bool:
    return term in ARTICLES


def test_a_slip_becomes_the_function_word_or_article_word_it_was_one_edit_from() -> None:
    assert mend("what were the talks mostly abuot", known, VOCABULARY) == "what were the talks mostly about"
    assert mend("wher did they go", known, VOCABULARY) == "where did they go"  # a letter left out, not "her"
    assert mend("Teh visit to mnisk", known, VOCABULARY) == "The visit to minsk"
    assert mend("what were the tallks about", known, VOCABULARY) == "what were the talks about"  # a letter twice


def test_a_contraction_typed_without_its_apostrophe_gets_it_back_unless_it_is_a_word() -> None:
    assert mend("whats the kremlin say theyll do", known, VOCABULARY) == "what's the kremlin say they'll do"
    assert mend("well, were they there", known, VOCABULARY) == "well, were they there"


def test_english_words_names_and_short_strings_are_left_alone() -> None:
    # "detained" is English: the articles not having it is a reason to refuse, not to guess "retained"
    assert mend("how many were detained", known, VOCABULARY) == "how many were detained"
    assert mend("what did they chatted about", known, VOCABULARY) == "what did they chatted about"  # a verb form
    assert mend("per the nyt, did jinping come", known, VOCABULARY) == "per the nyt, did jinping come"
    # no mistyped letter is tried, and short strings become only function words: names stay names
    assert mend("did biden or opec or the wto say", known, VOCABULARY) == "did biden or opec or the wto say"
    assert mend("did Mnisk or OPCE say", known, VOCABULARY) == "did Mnisk or OPCE say"  # capitalised: a name


def test_a_question_with_slips_is_answered_and_the_mended_question_is_what_was_searched(seed_rag: Rag) -> None:
    res = seed_rag.answer("acording to reuters, what day does lukashenkos china trip strat")
    assert not res.refused and "Tuesday" in res.text.split(" [", 1)[0], res.text
    assert res.query.startswith("according to reuters") and "start" in res.query
    assert mend("acording", seed_rag.keyword.knows, vocabulary()) == "according"


def test_a_question_in_british_spelling_finds_the_american_article(seed_rag: Rag) -> None:
    res = seed_rag.answer("what percentage of its defence and security commitments did lukashenko claim belarus had met")
    assert "100 percent" in res.text.split(" [", 1)[0], res.text
