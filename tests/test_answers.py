"""The answers people judge us by (issue 11), on the real index of the built-in articles:
the answer first, summaries from several articles, follow-ups resolved from the conversation,
and the two kinds of "no". The question kinds come from eval/kinds.jsonl."""

from __future__ import annotations

import numpy as np
import pytest

from rag import REFUSAL, Rag
from rag.condense import referents
from rag.evidence import (
    EARLIER,
    SEQUEL,
    SentenceRanker,
    anchor_bylines,
    article_order,
    asking_sentence,
    category_terms,
    counts,
    designates,
    diversify,
    echoes_quote,
    expected_type,
    follow_on,
    has_type,
    holds_quote,
    is_synthesis,
    people,
    restating,
    scene_terms,
    source_words,
    spelled_otherwise,
    tidy,
    type_bonus,
)
from rag.extractive import (
    ExtractiveGenerator,
    model_beside,
    opens_quote,
    quoted_next,
    restates,
    standout,
    whole_quote,
)
from rag.judge import (
    Event,
    _adverb,
    _is_name,
    attested,
    contradicted_day,
    contradicted_doer,
    contradicted_figure,
    contradicted_nationality,
    contradicted_place,
    denied_premise,
    judge,
    kept_silent,
    misquoted_words,
    opposite_said,
    premise,
    quotes_asked,
    says_the_rest,
    spelled_out,
    stands_for,
    unheard_designations,
    unheard_speaker,
)
from rag.text import terms, words
from rag.types import Candidate, Chunk, Passage

from .conftest import SHARED, questions

KINDS = {q["id"]: q for q in questions(SHARED / "eval" / "kinds.jsonl")}


def first_sentence(text: str) -> str:
    return text.split(" [", 1)[0]


def test_a_when_question_gets_the_date_in_its_first_sentence(seed_rag: Rag) -> None:
    res = seed_rag.answer(KINDS["k01"]["question"])
    assert "19 December" in first_sentence(res.text), res.text
    assert res.citations[0].article_id == KINDS["k01"]["doc"] and res.citations[0].verified


def test_a_follow_up_is_rewritten_into_the_question_a_person_would_ask(seed_rag: Rag) -> None:
    k = KINDS["k02"]
    res = seed_rag.answer(k["question"], [tuple(h) for h in k["history"]])
    assert res.query == "What weapons did Putin and Lukashenko discuss in Minsk?"


@pytest.mark.parametrize("qid", ["k03", "k04"])
def test_a_summary_draws_cited_sentences_from_several_articles(seed_rag: Rag, qid: str) -> None:
    res = seed_rag.answer(KINDS[qid]["question"])
    verified = [c for c in res.citations if c.verified]
    assert not res.refused and len(verified) >= 2 and len({c.article_id for c in verified}) >= 2, res.text


@pytest.mark.parametrize("qid", ["k05", "k06"])
def test_an_off_corpus_or_false_premise_question_is_refused_and_says_which_no(seed_rag: Rag, qid: str) -> None:
    res = seed_rag.answer(KINDS[qid]["question"])
    assert res.text == REFUSAL and res.citations == [] and res.refused
    assert res.refusal == "not_answered" and res.note  # the topic is there, the answer is not


def test_a_question_about_nothing_in_the_articles_is_no_evidence(seed_rag: Rag) -> None:
    res = seed_rag.answer("What is the recipe for sourdough bread?")
    assert res.refused and res.refusal in {"no_evidence", "not_answered"} and res.note
    nothing = seed_rag.answer("What is the boiling point of liquid nitrogen on Neptune?")
    assert nothing.refusal == "no_evidence" and nothing.closest == []  # nothing near to show


@pytest.mark.parametrize("qid", ["k05", "k06"])
def test_a_not_answered_refusal_shows_its_closest_passage_without_citing_it(seed_rag: Rag, qid: str) -> None:
    res = seed_rag.answer(KINDS[qid]["question"])
    assert res.text == REFUSAL and res.citations == [] and len(res.closest) == 2
    for near in res.closest:
        chunk = next(c for c in seed_rag.article_chunks(near.article_id) if c.start <= near.start and near.end <= c.end)
        assert chunk.text[near.start - chunk.start:near.end - chunk.start] == near.quote  # located in its article
    assert [c["quote"] for c in res.to_dict()["closest"]] == [c.quote for c in res.closest]
    assert res.to_dict()["citations"] == [] and "Closest passage (not taken as an answer)" in str(res)


def test_a_paraphrased_question_refused_still_shows_the_sentence_that_answers_it(seed_rag: Rag) -> None:
    """Set 17: the articles say "political opposition ... in exile, jail or silence", the question
    "mostly abroad, locked up or keeping quiet": no shared word to answer on, but the reader sees it."""
    res = seed_rag.answer("Per EU Reporter, which section of Belarusian society is now mostly abroad, "
                          "locked up or keeping quiet?")
    shown = res.text if not res.refused else " ".join(c.quote for c in res.closest)
    assert "opposition" in shown, res


def test_each_sentence_citing_one_passage_highlights_its_own_support(seed_rag: Rag) -> None:
    res = seed_rag.answer(KINDS["k03"]["question"])
    quotes = [(c.article_id, c.quote_start) for c in res.citations]
    assert len(quotes) == len(set(quotes))  # one citation per supporting sentence
    for c in res.citations:
        assert f"[{c.number}]" in res.text


# -- the logic, without the index ---------------------------------------------------------------

def test_tidy_drops_datelines_connectives_and_contrasting_clauses_but_never_changes_words() -> None:
    assert tidy("VALDMERE, March 14, 2023 — The council voted to close the bridge.", "What did the council vote?") \
        == "The council voted to close the bridge."
    assert tidy("Feb 24 (Reuters) - Belarus said it would not join.", "What did Belarus say?") == \
        "Belarus said it would not join."
    assert tidy("Meanwhile, Lukashenko said it was ready.", "What did Lukashenko say?") == "Lukashenko said it was ready."
    assert tidy("Putin was in Minsk for the first visit since 2019, but did not mention the war.",
                "Since when was that Putin's first visit?") == "Putin was in Minsk for the first visit since 2019."


def test_a_when_question_prefers_a_calendar_day_and_not_another_year() -> None:
    q = "When did Putin visit Minsk in December 2022?"
    assert expected_type(q) == "date"
    assert type_bonus("Putin met Lukashenko on Monday (19 December).", "date", q) > 0
    assert type_bonus("It was the first visit since 2019.", "date", q) < 0
    earlier = "When was Putin's previous visit to Belarus before December 2022?"
    assert type_bonus("It was his first visit since June 2019.", "date", earlier) > 0
    assert type_bonus("He arrived on Monday (19 December).", "date", earlier) < 0


def test_under_what_condition_wants_a_conditional() -> None:
    q = "Under what condition would Belarus join the war, according to Lukashenko?"
    assert expected_type(q) == "condition"
    only_if = "He announced that Belarus would only join the war if attacked."
    allowed = "Lukashenko allowed Russian forces to cross into Ukraine from Belarus."
    assert has_type(only_if, "condition", q) and not has_type(allowed, "condition", q)
    assert type_bonus(only_if, "condition", q) > type_bonus(allowed, "condition", q) == 0


def test_how_long_wants_a_duration_not_any_number() -> None:
    q = "How long before the first anniversary of the invasion did Putin and Lukashenko meet in Moscow?"
    assert has_type("A week before the anniversary, Putin and Lukashenko met in Moscow.", "quantity", q)
    assert not has_type("They met with 3 ministers in Moscow.", "quantity", q)
    assert has_type("He traveled to Russia for a two-day meeting.", "quantity", "how long did the summit run")
    assert has_type("On the one-year anniversary of the war, he said ...", "quantity", "how long had the war gone on")
    assert not has_type("He was 68 years old.", "quantity", "how long did he rule")
    assert has_type("He was 68 years old.", "quantity", "how many years old is he")


def test_the_first_visit_since_a_date_answers_when_the_last_one_before_was() -> None:
    """News says "the last visit before" as "the first visit since June 2019"; a sentence about
    something else that only has a weekday and a "last week" is not as good an answer."""
    q = "When was the last time Putin had visited Belarus before the December trip?"
    run_on = "After Mr. Putin visited Belarus last week, Lukashenko traveled to Russia, starting on Monday."
    since = "This will be Putin’s first visit to Belarus since June 2019."
    assert type_bonus(since, "date", q) > type_bonus(run_on, "date", q) > 0
    assert type_bonus(since, "date", "When did Putin visit Minsk in December 2022?") <= 0  # not measuring back


def test_what_date_wants_a_day_of_a_month_not_a_weekday_alone() -> None:
    q = "what date did putin arrive in minsk"
    day = "Putin met his Belarusian counterpart on Monday (19 December) to celebrate closer ties."
    weekday = "Lukashenko traveled to Russia for a two-day meeting, starting on Monday."
    assert type_bonus(day, "date", q) > type_bonus(weekday, "date", q) > 0
    assert type_bonus(weekday, "date", "when did lukashenko travel to russia") == type_bonus(day, "date", q)


def test_what_plane_is_answered_by_the_sentence_naming_its_model() -> None:
    q = "what plane did lukashenko say belarus is ready to start producing"
    assert designates("They are ready to start production of the Su-25 aircraft.", q)
    assert designates("He promised nuclear-capable Iskander-M tactical rocket systems.", "what missiles did he promise")
    assert not designates("Belarus was ready to start manufacturing Russian attack planes.", q)
    assert not designates("Is the Su-25 ready?", "when will belarus build the su-25")


def test_the_best_sentence_meaning_what_the_question_asks_answers_without_its_rarer_words() -> None:
    best = Candidate(1, "He promised to supply Belarus with Iskander-M systems.", 0.6, near=0.03, similarity=0.72)
    other = Candidate(2, "Minsk and Moscow have a joint military unit.", 0.4, near=0.3, similarity=0.67)
    assert restates(best, [best, other]) and not restates(other, [best, other])
    assert not restates(Candidate(1, "x", 0.6, similarity=0.6), [Candidate(1, "x", 0.6, similarity=0.6)])


def test_synthesis_questions_and_answer_categories_are_recognised() -> None:
    assert is_synthesis("Summarise how relations developed between December and February.")
    assert is_synthesis("How did the December meeting differ from the February one?")
    assert is_synthesis("Give me a rundown of the meetings.") and is_synthesis("How do the outlets describe it?")
    assert is_synthesis("Based on these articles, what role has Belarus played?")
    assert is_synthesis("Pull together what the coverage says about the gas deal")
    assert is_synthesis("What do the reports say about the jets?") and not is_synthesis("What did he say about jets?")
    assert is_synthesis("Has his position stayed the same?") and is_synthesis("what did the US say vs Ukraine")
    assert not is_synthesis("When did Putin visit Minsk?") and not is_synthesis("Who won, according to the articles?")
    assert category_terms("What weapons did they discuss?") == {"weapon"}
    assert category_terms("How many Su-25 jets has Belarus delivered?") >= {"jet"}


def test_judge_refuses_a_question_about_a_word_no_article_uses_but_knows_word_forms() -> None:
    ranked = [Candidate(1, "They watched the World Cup final.", 0.6, similarity=0.3)]
    known = {"world", "cup", "final", "drove", "watch"}.__contains__
    verdict = judge("Who won the World Cup final?", ranked, known)
    assert not verdict.answerable and verdict.refusal == "not_answered"
    verdict = judge("What did the fans chant at the World Cup final?", ranked, known)  # the missing words are asked about
    assert not verdict.answerable and "chant" in verdict.note
    assert judge("Where did they drive to watch the final?", ranked, known).answerable  # drive ~ drove
    assert judge("Anything?", [Candidate(1, "x", 0.1)], known).refusal == "no_evidence"


def test_judge_needs_less_similar_evidence_to_refuse_over_a_common_word_than_over_a_name() -> None:
    """A missing name or number is strong evidence of another topic; a missing common word is
    usually paraphrase ("naval", "performed"); an adverb ("roughly") never counts."""
    ranked = [Candidate(1, "About 20,000 troops took part in the exercises.", 0.6, similarity=0.59)]
    known = {"troop", "exercis", "took", "part", "mani"}.__contains__
    assert judge("How many naval troops took part in the exercises?", ranked, known).answerable
    verdict = judge("How many troops did Xi send to the exercises?", ranked, known)
    assert not verdict.answerable and "Xi" in verdict.note
    far = [Candidate(1, "About 20,000 troops took part.", 0.6, similarity=0.4)]
    assert not judge("How many naval troops took part in the exercises?", far, known).answerable
    assert judge("Roughly how many troops took part in the exercises?", far, known).answerable
    # ... unless the sentence says every other word of the question: the missing one is paraphrase
    said = [Candidate(1, "About 20,000 troops took part in the exercises.", 0.6, similarity=0.5)]
    assert judge("How many naval troops took part in the exercises?", said, known).answerable


def test_a_name_typed_in_lowercase_is_a_name_no_article_mentions() -> None:
    """"xi jinping" has no capital letter, but "jinping" is no English word nor one letter from
    one: a name, so the question is about someone the articles never mention. A misspelled
    common word the articles do not use is not a name."""
    from rag.embed import vocabulary

    ranked = [Candidate(1, "Putin and Lukashenko agreed on many issues.", 0.6, similarity=0.6)]
    known = {"agre", "lukashenko", "visit", "beij", "putin"}.__contains__
    verdict = judge("what did xi jinping and lukashenko agree on during his visit", ranked, known,
                    vocabulary=vocabulary())
    assert not verdict.answerable and "jinping" in verdict.note
    assert judge("what did putin and lukashenko agree on during his visit", ranked, known,
                 vocabulary=vocabulary()).answerable
    assert judge("what did putin and lukashenko finaly agree on", ranked, known, vocabulary=vocabulary()).answerable
    assert judge("what did xi jinping and lukashenko agree on", ranked, known).answerable  # no vocabulary: as before


def test_who_wrote_it_is_answered_by_the_byline_and_only_by_one(seed_rag: Rag) -> None:
    """The credit line is kept as text to cite; it answers questions about the article itself and
    nothing else (its date is when the story was filed, not when the visit happened)."""
    res = seed_rag.answer("Who wrote the Bloomberg article on Putin's rare visit to Belarus?")
    assert "Benjamin Harvey" in res.text and res.citations[0].article_id == "002_eaf04aac8d9af5c0.txt", res.text
    assert seed_rag.answer("who wrote the article about lukashenko and the anniversary call").refused
    assert "Harvey" not in seed_rag.answer("When did Putin visit Minsk in December 2022?").text


def test_a_source_the_question_names_and_an_acronym_the_passages_spell_out_are_not_unknown_words() -> None:
    """Outlets are seldom named in their own text, and "CIS" is written out in full there."""
    assert source_words("according to the timeslive article, when did he go?") == {"timeslive"}
    assert source_words("Who reported from Munich for the Washington Post story?") == {"washington", "post"}
    assert source_words("what did the washington think tank say?") == set()
    context = "Leaders of the Commonwealth of Independent States met in St. Petersburg."
    assert spelled_out("CIS", context) and not spelled_out("CIS", "the cis") and not spelled_out("UN", context)
    ranked = [Candidate(1, "Putin ordered the February 24 invasion of Ukraine.", 0.7, similarity=0.5)]
    known = {"putin", "order", "invas", "ukrain", "date", "leader", "meet"}.__contains__
    assert judge("According to the TimesLIVE article, what date did Putin order the invasion?", ranked, known).answerable
    assert not judge("What date did Putin order the TimesLIVE invasion?", ranked, known).answerable
    assert judge("Where did the CIS leaders meet?", ranked, known, context).answerable
    assert not judge("Where did the CIS leaders meet?", ranked, known).answerable
    # the outlet of a passage found, however the question names it
    for question in ("When did TimesLIVE say Putin ordered the invasion?", "What date did the NYT say Putin ordered the invasion?"):
        assert not judge(question, ranked, known).answerable
        assert judge(question, ranked, known, "The New York Times", outlets={"TimesLIVE (Bloomberg)"}).answerable


def test_a_capital_standing_for_its_government_is_not_an_unknown_word() -> None:
    """News writes "Washington and Brussels" for the US and the EU."""
    ranked = [Candidate(1, "The US and EU have backed exiled opposition leader Sviatlana Tsikhanouskaya.", 0.7,
                        similarity=0.4)]
    known = {"exil", "opposit", "leader", "back"}.__contains__
    question = "who's the exiled opposition leader that washington and brussels are backing"
    assert judge(question, ranked, known, ranked[0].text).answerable
    assert not judge(question, ranked, known, "The leaders of Russia and Belarus met.").answerable
    assert stands_for("Brussels", "the European Union") and not stands_for("Brussels", "the US")
    assert not stands_for("Gomel", "Belarus")  # not a capital known to stand for a government


def test_a_fact_said_in_other_words_is_answered(seed_rag: Rag) -> None:
    """"soldiers" is the question's word for the article's "troops": the sentence means what
    it asks, so the count it gives answers it, though the counted word is not there."""
    res = seed_rag.answer("how many russian soldiers did ukraine's top general say were ready for a major offensive")
    assert not res.refused and "200,000" in first_sentence(res.text), res.text
    assert seed_rag.answer("How much gas does Belarus import from Russia each year?").refused


def test_a_why_question_names_the_event_it_takes_for_granted() -> None:
    lukashenko = frozenset({"lukashenko"})
    assert premise("Why did Lukashenko send Belarusian troops into Ukraine?") == \
        Event("send", "", frozenset({"belarusian", "troop", "ukrain"}), lukashenko)
    assert premise("why did lukashenko call off his china visit") == \
        Event("call", "off", frozenset({"china", "visit"}), lukashenko)
    assert premise("why do people in belarus support lukashenko").verb == "support"  # "people" is the subject
    assert premise("why did ukraine's top general warn of an offensive").verb == "warn"  # not "top"
    # agreeing or deciding to do it takes the doing for granted; wanting or refusing to does not
    assert premise("Why did Lukashenko agree at the Moscow meeting to send troops?") == \
        Event("send", "", frozenset({"troop"}), lukashenko)
    assert premise("Why did Lukashenko agree at the February 2023 Moscow meeting to send troops?") == \
        Event("send", "", frozenset({"troop"}), lukashenko)  # where and when the agreeing was come in between
    assert premise("why did he want to join the war") is None
    # no event to check: a generic verb, one leading into another, two verbs in a row (which is the
    # event is a guess), a noun after a determiner, not a "why did" question
    for question in ("why did he say that", "Why does Lukashenko keep meeting Putin", "why did russia cut gas to europe",
                     "why did ned price say it was ironic", "why did the head of ukraine's intelligence think so",
                     "What did Putin sign?", "Why was the trip short?"):
        assert premise(question) is None, question


def test_who_did_it_takes_its_event_for_granted_when_the_verb_is_a_specific_past_tense() -> None:
    """"Who won the World Cup final?" takes for granted that some article tells a win; "who leads",
    "who was", "who said" and "who wrote" ask about a role, a state, a quote or a byline."""
    assert premise("who won the world cup final that putin and lukashenko talked about") == \
        Event("win", "", frozenset({"world", "cup", "final"}))
    assert premise("Who called off the trip?") == Event("call", "off", frozenset({"trip"}))
    for question in ("who leads the belarusian opposition", "who was the defence minister", "Who said it was ironic?",
                     "who wrote the bloomberg piece", "Who is Tikhanovskaya?", "who had the final say"):
        assert premise(question) is None, question
    ranked = [Candidate(1, "They turned their attention to Sunday's World Cup soccer final.", 0.6, similarity=0.41)]
    verdict = judge("Who won the World Cup final?", ranked, lambda term: True)
    assert verdict.refusal == "not_answered" and "“win”" in verdict.note


def test_judge_refuses_an_untold_event_and_corrects_a_denied_one_only_when_the_best_telling_denies_it() -> None:
    known = {"lukashenko", "cancel", "trip", "china", "visit", "call", "troop", "send"}.__contains__
    question = "why did lukashenko cancel his trip to china"
    told = Candidate(1, "Lukashenko cancelled his trip to China after falling ill.", 0.7, similarity=0.6)
    denied = Candidate(2, "After the cancelled trip, Lukashenko has not visited China since.", 0.6, similarity=0.6)
    assert judge(question, [told, denied], known).answerable  # the best telling affirms it
    verdict = judge(question, [denied, told], known)
    assert verdict.refusal == "corrected" and verdict.correction is denied
    untold = judge(question, [Candidate(1, "Lukashenko will visit China on Tuesday.", 0.7, similarity=0.6)], known)
    assert untold.refusal == "not_answered" and "“cancel”" in untold.note
    # "called it a success" does not tell "call off"; the evidence restating the question does
    success = [Candidate(1, "Lukashenko called his China visit a success.", 0.7, similarity=0.6)]
    assert judge("why did lukashenko call off his china visit", success, known).refusal == "not_answered"
    success[0].similarity = 0.8
    assert judge("why did lukashenko call off his china visit", success, known).answerable
    # restated in other words, but one of the best denies it in other words too: corrected
    question = "why did lukashenko agree to send belarusian troops into ukraine"
    ally = Candidate(1, "Lukashenko is a close ally and let Russian forces attack Ukraine from Belarus.", 0.6, similarity=0.76)
    resisted = Candidate(2, "Lukashenko has resisted any pressure to deploy his own troops to Ukraine.", 0.5, similarity=0.6)
    verdict = judge(question, [ally, resisted], known)
    assert verdict.refusal == "corrected" and verdict.correction is resisted
    assert judge(question, [ally], known).answerable


def test_a_why_question_about_something_that_never_happened_is_refused_or_corrected(seed_rag: Rag) -> None:
    """The articles must tell the event before they can say why it happened."""
    cancelled = seed_rag.answer("why did putin cancel his december trip to minsk")
    assert cancelled.refusal == "not_answered" and "says that this happened" in cancelled.note, cancelled.note
    sent = seed_rag.answer("Why did Lukashenko send Belarusian troops into Ukraine?")
    # "... holding back from sending his own military to join the fight", the best sentence telling it
    assert sent.refusal == "corrected" and "sending" in sent.text and sent.citations, sent.text
    # told in other words ("have sanctioned"): answered
    slap = seed_rag.answer("Why did the US and the EU slap sanctions on Lukashenko's government?")
    assert not slap.refused and "aiding Russia" in slap.text, slap.text


def test_a_question_naming_the_outlet_is_answered_from_that_outlet(seed_rag: Rag) -> None:
    """The built-in articles' outlets come from their sidecar files (rag/corpus/*.meta.json):
    "Jerusalem" is in no article's text."""
    res = seed_rag.answer("In the Reuters copy on the Jerusalem Post, why is Lukashenko said to be beholden to Putin?")
    assert not res.refused and "2020" in res.text and res.citations[0].outlet == "The Jerusalem Post (Reuters)"


def test_judge_refuses_a_name_no_article_spells_even_nearly_whatever_the_similarity() -> None:
    ranked = [Candidate(1, "Lukashenko would start a three-day visit to China on Tuesday.", 0.7, similarity=0.8)]
    known = {"lukashenko", "visit", "china", "agre"}.__contains__
    near = {"lukashneko": True, "jinp": False, "xi": False}.__getitem__
    verdict = judge("What did Lukashenko and Xi Jinping agree on in China?", ranked, known, "", near)
    assert not verdict.answerable and "Jinping" in verdict.note
    assert judge("Where is Lukashneko going to visit?", ranked, known, "", near).answerable  # a typo


def test_a_question_built_on_a_wrong_figure_is_refused_with_the_figure_the_articles_give() -> None:
    said = "Putin said bilateral trade hit a record of more than $43 billion last year."
    assert contradicted_figure("Why did trade fall to $20 billion last year?", said) == "$43 billion"
    assert contradicted_figure("Why was it his first visit in ten years?", "his first visit in more than three years") \
        == "three years"
    assert contradicted_figure("Did trade reach $43 billion?", said) == ""
    # the sentence giving the figure may rank below one more like the question
    ranked = [Candidate(1, "Putin and Lukashenko discussed trade last year.", 0.8, similarity=0.9),
              Candidate(2, said, 0.7, similarity=0.8)]
    verdict = judge("Why did trade fall to $20 billion last year?", ranked, lambda term: True)
    assert verdict.refusal == "corrected" and verdict.correction is ranked[1]
    assert contradicted_figure("Were 3 jets sent?", "three jets were sent") == ""
    assert contradicted_figure("How many troops?", "20,000 troops") == "" and contradicted_figure("since 2019?", said) == ""
    verdict = judge("Why did trade fall to $20 billion last year?", [Candidate(1, said, 0.8, similarity=0.9)],
                    lambda term: True)
    assert not verdict.answerable and "$43 billion" in verdict.note


def test_a_question_placing_an_event_elsewhere_is_corrected_with_the_place_the_articles_give() -> None:
    moscow = "The leaders of Russia and Belarus, Vladimir Putin and Alexander Lukashenko, met in Moscow on Friday."
    ranked = [Candidate(1, moscow, 0.6, similarity=0.6)]
    asked = "What did Putin and Lukashenko agree on when they met in Kyiv in February 2023?"
    assert contradicted_place(asked, moscow, ranked, "the Ukrainian capital, Kyiv") == "met in Moscow"
    verdict = judge(asked, ranked, lambda term: True, "the Ukrainian capital, Kyiv")
    assert verdict.refusal == "corrected" and "met in Moscow" in verdict.note
    # the place it says, no place (a date, "in person"), another meeting some sentence tells there
    assert contradicted_place("what did they agree when they met in moscow", moscow, ranked, "") == ""
    assert contradicted_place("did they agree when they met in person", moscow, ranked, "") == ""
    assert contradicted_place("when they met in february", moscow, ranked, "") == ""
    minsk = Candidate(2, "Putin met Lukashenko in Minsk on Monday.", 0.5)
    assert contradicted_place("what did they say when they met in minsk", moscow, [*ranked, minsk], "Minsk") == ""


def test_a_wrong_place_is_corrected_with_the_cited_place_the_articles_give(seed_rag: Rag) -> None:
    res = seed_rag.answer("What did Putin and Lukashenko discuss when they met in Kyiv in February 2023?")
    assert res.refusal == "corrected" and res.text.startswith("The articles give a different place"), res.text
    assert "met in Moscow" in res.citations[0].quote and res.citations[0].verified, res.text


def test_a_question_giving_an_event_to_the_wrong_person_is_corrected_with_who_the_articles_say() -> None:
    context = ("Belarusian President Alexander Lukashenko said he would go to Moscow. Landlocked Belarus said "
               "nothing. At the Munich Security Conference, the exiled opposition leader, Svetlana Tikhanovskaya, "
               "called for a coalition. Mr. Putin listened. Trade in Belarus grew.")
    assert people(context) == {"lukashenko": "Alexander Lukashenko", "tikhanovskaya": "Svetlana Tikhanovskaya",
                               "putin": "Putin"}  # not Belarus, a place something is in
    munich = Candidate(1, "At the Munich Security Conference, the exiled opposition leader, Svetlana Tikhanovskaya, "
                          "called for a coalition.", 0.6)
    ranked = [munich, Candidate(1, "Belarusian President Alexander Lukashenko said he would go to Moscow.", 0.5)]
    asked = "What did Lukashenko say in his speech at the Munich Security Conference?"
    assert contradicted_doer(asked, ranked, context) == ("Svetlana Tikhanovskaya", munich)
    verdict = judge(asked, ranked, lambda term: True, context)
    assert verdict.refusal == "corrected" and "Tikhanovskaya" in verdict.note and verdict.correction is munich
    # the person asked about, spelled another way; a sentence putting them there; no place; no person
    assert contradicted_doer("What did Tsikhanouskaya say at Munich?", ranked, context) is None
    there = Candidate(2, "Lukashenko was at the Munich Security Conference too.", 0.4)
    assert contradicted_doer(asked, [*ranked, there], context) is None
    assert contradicted_doer("What did Lukashenko say?", ranked, context) is None
    assert contradicted_doer("What was said at the Munich Security Conference?", ranked, context) is None


def test_a_wrong_person_is_corrected_with_the_cited_person_the_articles_give(seed_rag: Rag) -> None:
    res = seed_rag.answer("What did Lukashenko say in his speech at the Munich Security Conference?")
    assert res.refusal == "corrected" and "Tikhanovskaya" in res.text.split(":")[0], res.text
    assert "Tikhanovskaya" in res.citations[0].quote and res.citations[0].verified, res.text
    res = seed_rag.answer("What did Putin say at the news conference in Minsk?")  # he was there: not corrected
    assert res.refusal != "corrected", res.text


def test_a_question_repeating_a_quotation_is_about_it_whatever_common_word_it_paraphrases(seed_rag: Rag) -> None:
    said = 'Asked about the comment, he said that it should be viewed as the "heights of irony".'
    assert quotes_asked("who called the remark the heights of irony", said)
    assert not quotes_asked("who called the remark ironic", said)  # one word of it is not the quotation
    assert not quotes_asked("what was the remark", 'He said it was "ironic".')
    res = seed_rag.answer("which US official called Putin's 'not a takeover' remark the heights of irony")
    assert not res.refused and "Ned Price" in first_sentence(res.text), res.text


def test_a_reaction_is_answered_with_the_quotation_that_follows_the_report_of_it(seed_rag: Rag) -> None:
    text = ('Lukashenko dismissed reports of a plan. "Don\'t listen to this nonsense. It was created to divide us," '
            'he was quoted as saying. Separately, he went to China.')
    passage = Passage(Chunk("c1", "a", text, 0, len(text)), 1.0)
    best = Candidate(1, "Lukashenko dismissed reports of a plan.", 0.6, position=0)
    quoted = quoted_next(best, [passage], "How did Lukashenko react to the reports?")
    assert quoted is not None and quoted.text == text[text.index('"'):text.index(" Separately")]  # all of it
    for question in ("What did she call for?", "How long did the call last?", "When did he go? how did he react"):
        assert quoted_next(best, [passage], question) is None, question
    res = seed_rag.answer("how did lukashenko react to reports russia had a plan to absorb belarus by 2030")
    assert "nonsense and chatter" in res.text and all(c.verified for c in res.citations), res.text


def test_a_which_model_question_gets_the_sentence_naming_the_model_beside_the_one_naming_its_kind(
        seed_rag: Rag) -> None:
    kind = Candidate(1, "Belarus was ready to start manufacturing Russian attack planes.", 0.8, position=0)
    model = Candidate(1, "They are ready to start production of the Su-25 aircraft.", 0.6, position=1)
    elsewhere = Candidate(2, "Russia promised Iskander-M systems.", 0.7, position=1)
    assert model_beside(kind, [kind, elsewhere, model], "which attack plane is Belarus ready to build") is model
    assert model_beside(model, [model, kind], "which attack plane is Belarus ready to build") is None  # it names one
    assert model_beside(kind, [kind, model], "is Belarus ready to build planes") is None  # no category asked
    res = seed_rag.answer("which attack plane did lukashenko say belarus was ready to start building")
    assert "Su-25" in res.text and all(c.verified for c in res.citations), res.text


def test_a_sentence_opening_a_quotation_carries_the_rest_of_it(seed_rag: Rag) -> None:
    assert opens_quote("Lukashenko replied: “It would be better if you didn’t watch it.")
    assert opens_quote('He said: "It would be better.') and not opens_quote('It\'s a matter for policy alignment."')
    assert not opens_quote("He said “yes” twice.") and not opens_quote('He said "yes" twice.')
    text = "Lukashenko replied: “It would be better if you didn’t watch it. You would probably get upset.” Putin smiled."
    passage = Passage(Chunk("c1", "a", text, 0, len(text)), 1.0)
    best = Candidate(1, "Lukashenko replied: “It would be better if you didn’t watch it.", 0.6, position=0)
    assert whole_quote(best, [passage]).text == text[: text.index(" Putin")]
    res = seed_rag.answer("Why did Lukashenko tell Putin he'd have been better off not watching his press conference?")
    assert "get upset" in res.text and all(c.verified for c in res.citations), res.text


def test_what_someone_did_counts_for_more_than_where_it_was(seed_rag: Rag) -> None:
    assert scene_terms("What did Lukashenko thank Putin for at the St. Petersburg summit?") == \
        {"st", "petersburg", "summit"}
    # where or when is what these ask; a who-question's scene is who was there
    for question in ("Where did they meet in December?", "what date did putin arrive in minsk",
                     "Who spoke at the Munich Security Conference?"):
        assert scene_terms(question) == set(), question
    res = seed_rag.answer("What did Lukashenko thank Putin for at the St. Petersburg summit?")
    assert "final agreement on many issues" in res.text, res.text  # second still: the first has all the scene


def test_a_common_word_no_article_uses_is_paraphrase_when_the_best_sentence_says_the_rest(seed_rag: Rag) -> None:
    said = "Tikhanovskaya, on Friday called for an international coalition of countries."
    assert says_the_rest("where did tikhanovskaya make her appeal for a coalition of countries", ["appeal"], said)
    assert not says_the_rest("what was her appeal for a coalition of countries", ["appeal"], said)  # what: the thing
    assert not says_the_rest("where did tikhanovskaya make her appeal for a coalition in asia", ["appeal"], said)
    # who said it is the source, which the sentence need not name ("He thanked Putin and promised ...")
    iskander = "He promised to supply Belarus with Iskander-M systems to protect itself from the West."
    assert says_the_rest("Why does Belarus need the Iskander-M systems, according to Lukashenko?", ["need"], iskander)
    res = seed_rag.answer("Why does Belarus need the Iskander-M systems, according to Lukashenko?")
    assert not res.refused and "threat of the West" in res.text, res.text


def test_a_wrong_figure_is_corrected_with_the_cited_figure_the_articles_give(seed_rag: Rag) -> None:
    res = seed_rag.answer("Why did Putin say trade between Russia and Belarus fell to $20 billion last year?")
    assert res.refusal == "corrected" and not res.refused and res.text.startswith("The articles give a different figure")
    assert "$43 billion" in res.citations[0].quote and res.citations[0].verified, res.text


def test_a_question_whose_event_the_articles_say_did_not_happen_is_corrected(seed_rag: Rag) -> None:
    said = "Putin was in Minsk for the first visit since 2019, but did not mention the conflict in Ukraine at a news conference."
    assert denied_premise("What did Putin say about the war in Ukraine at the news conference?", said) \
        == "not mention the conflict in Ukraine at"
    # asking about the denial itself, a yes/no question, words the denial does not touch, a quote
    assert denied_premise("Why did Putin not mention Ukraine?", said) == ""
    assert denied_premise("Did Putin mention Ukraine?", said) == ""
    assert denied_premise("Where did Putin speak?", said) == ""
    assert denied_premise("What did he dismiss as chatter?", "“Don't listen to this chatter,” he said.") == ""
    # a relative clause tells about the subject, not the event asked about
    china = "China, which has refrained from criticizing its invasion of Ukraine, published a ceasefire proposal."
    assert denied_premise("What was in China's ceasefire proposal for Ukraine?", china) == ""
    # "has yet to" says it has not happened
    assert denied_premise("What statement did the Kremlin provide about the call?",
                          "The Kremlin has yet to provide any statement about the conversation.") \
        == "has yet to provide any statement about the conversation"
    res = seed_rag.answer("What did Putin say about the war in Ukraine at the Minsk news conference in December?")
    assert res.refusal == "corrected" and res.text.startswith("The articles say otherwise:"), res.text
    assert "did not mention the conflict in Ukraine" in res.citations[0].quote and res.citations[0].verified


def test_what_year_needs_a_year_and_what_percentage_is_answered_by_percent() -> None:
    assert not has_type("Putin travelled to Belarus on Monday.", "date", "In what year did he travel?")
    assert has_type("Putin last travelled to Belarus in June 2019.", "date", "In what year did he travel?")
    # "how old" asks for an age: "more than three years ago" holds a number, not an age
    assert not has_type("His first visit in more than three years.", "quantity", "How old is Putin?")
    assert has_type("The 68-year-old leader spoke.", "quantity", "How old is Lukashenko?")
    assert has_type("Putin, 70, spoke.", "quantity", "how old is putin")
    passage = Passage(Chunk("c1", "a", "Belarus had fulfilled 100 percent of its defence agreements.", 0, 60,
                            title="T"), 1.0)
    gen = ExtractiveGenerator(lambda term: 1.0, _embed)
    ranked = gen.ranker.rank("What percentage of its defence agreements has Belarus fulfilled?", [passage])
    assert gen.fact("What percentage of its defence agreements has Belarus fulfilled?", ranked)


def test_the_next_sentence_answers_when_the_one_about_the_question_gives_no_date() -> None:
    text = "Zaluzhniy said Russia had troops ready for a major offensive. It is more likely to come in spring."
    passage = Passage(Chunk("c1", "a", text, 0, len(text), title="T"), 1.0)
    gen = ExtractiveGenerator(lambda term: 1.0, _embed)
    question = "When is a major Russian offensive most likely, according to Zaluzhniy?"
    chosen = gen.fact(question, gen.ranker.rank(question, [passage]), [passage])
    assert [c.position for c in chosen] == [0, 1]


def test_the_sentence_before_gives_the_date_when_the_one_about_the_question_holds_only_the_asked_year() -> None:
    text = ("Putin met his Belarusian counterpart on Monday (19 December) to celebrate closer ties. "
            "Putin was in Minsk for the first visit since 2019. Russian forces used Belarus in February.")
    passage = Passage(Chunk("c1", "a", text, 0, len(text), title="T"), 1.0)
    gen = ExtractiveGenerator(lambda term: 1.0, _embed)
    question = "what date did putin arrive in minsk for his first visit since 2019"
    assert not has_type("Putin was in Minsk for the first visit since 2019.", "date", question)
    best = Candidate(1, "Putin was in Minsk for the first visit since 2019.", 0.6, near=1.0, position=1)
    assert [c.position for c in gen.fact(question, [best], [passage])] == [0, 1]
    # the one before only with a calendar date: "until ..." answers "when will", not "when did"
    text = "He refused to give details until his government had discussed it. He thanked Putin."
    passage = Passage(Chunk("c2", "b", text, 0, len(text), title="T"), 1.0)
    best = Candidate(1, "He thanked Putin.", 0.6, near=1.0, position=1)
    assert gen.fact("When did Russia move nuclear weapons into Belarus?", [best], [passage]) == []


def _embed(texts: list[str]) -> np.ndarray:
    """Bag-of-words vectors: enough similarity for the rules under test, no model."""
    vocab = sorted({w for t in texts for w in t.lower().split()})
    rows = np.array([[t.lower().split().count(w) for w in vocab] for t in texts], dtype=float)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)


def test_diversify_puts_each_articles_best_passage_first() -> None:
    def p(article: str, n: int) -> Passage:
        return Passage(Chunk(f"{article}{n}", article, "t", 0, 1), 1.0)

    ranked = [p("a", 1), p("a", 2), p("a", 3), p("b", 1), p("c", 1), p("b", 2)]
    assert [x.chunk.id for x in diversify(ranked, 4)] == ["a1", "b1", "c1", "a2"]


def test_a_follow_ups_own_words_count_more_than_those_the_conversation_added() -> None:
    """"With whose help?" after a turn about Su-25 warplanes: the sentence with "help" answers it,
    not the one repeating the last turn's words."""
    text = "Lukashenko said Belarus is ready to make Su-25 warplanes. It would need help from Russia, he said."
    passage = Passage(Chunk("c1", "a", text, 0, len(text), title="T"), 1.0)
    ranker = ExtractiveGenerator(lambda term: 1.0, _embed).ranker
    query = "With whose help? Lukashenko Belarus Su-25 warplanes"

    def own(asked: str) -> dict[str, float]:
        return {c.text[:5]: c.own for c in ranker.rank(query, [passage], asked=asked)}

    plain, weighted = own(""), own("With whose help?")
    assert plain["Lukas"] > plain["It wo"] and weighted["It wo"] > plain["It wo"] > 0
    assert weighted["Lukas"] < plain["Lukas"]
    # a name put for a pronoun is what the question is about: not weighed down
    resolved = ranker.rank("Did Lukashenko need help?", [passage], asked="Did he need help?")
    assert resolved == ranker.rank("Did Lukashenko need help?", [passage])


def test_a_follow_up_asking_what_came_next_gets_the_sentence_after_the_last_answer(seed_rag: Rag) -> None:
    """"What did Lukashenko say back?": the reply is reported right after what it replies to, and
    the line the last answer quoted is not the answer again."""
    said = "At their joint appearance, Putin opened by saying: “Thank you for agreeing to come.” [1]"
    res = seed_rag.answer("What did Lukashenko say back?", history=[("How did Putin greet Lukashenko in Moscow?", said)])
    assert "could not agree" in res.text and "agreeing to come" not in res.text, res.text
    rows = [Candidate(1, "At their joint appearance, Putin opened by saying: “Thank you for agreeing to come.”", 0.6, position=3),
            Candidate(1, "Lukashenko answered at once.", 0.4, position=4), Candidate(2, "Other news.", 0.5, position=4)]
    follow_on(rows, said, "And then what did he say next?")
    assert [round(r.score, 2) for r in rows] == [0.3, 0.7, 0.5]
    follow_on(rows, said, "When was that?")  # not a question about what followed: unchanged
    assert [round(r.score, 2) for r in rows] == [0.3, 0.7, 0.5]


def test_what_came_next_is_found_in_the_next_passage_of_the_article_and_from_an_answer_in_other_words() -> None:
    """The reply may open the next passage retrieved from the same article; and the last answer,
    a model's or one typed, may say the sentence it gave in other words."""
    text = ("Lukashenko said Belarus was ready to start production of the Su-25 aircraft. "
            "We are ready to produce these with technological support from Russia, he said. Other news.")
    cut = text.index("We are")
    first = Passage(Chunk("c1", "a", text[:cut], 0, cut, title="T"), 1.0)
    second = Passage(Chunk("c2", "a", text[cut:], cut, len(text), title="T"), 0.9)
    rows = [Candidate(1, "Lukashenko said Belarus was ready to start production of the Su-25 aircraft.", 0.6, position=0),
            Candidate(2, "We are ready to produce these with technological support from Russia, he said.", 0.4, position=0),
            Candidate(2, "Other news.", 0.45, position=1)]
    said = "He said Belarus was ready to start producing Su-25 attack aircraft [1]."
    follow_on(rows, said, "With whose help?", article_order([first, second]))
    assert [round(r.score, 2) for r in rows] == [0.3, 0.7, 0.65]


def test_a_story_s_lead_sets_the_scene_for_its_later_sentences() -> None:
    """"What weapons did they discuss in Minsk?": the lead says the talks were in Minsk; the
    sentence naming the weapons, far down the story, never repeats it."""
    lead = "Putin was in Minsk for talks with Lukashenko."
    later = "He promised to supply Belarus with Iskander-M rocket systems."
    other = "Ukraine watched the border."
    passages = [Passage(Chunk("c1", "a", lead, 0, len(lead), title="T"), 1.0),
                Passage(Chunk("c2", "a", later, 2000, 2000 + len(later), title="T"), 0.9),
                Passage(Chunk("c3", "b", other, 2000, 2000 + len(other), title="T"), 0.8)]
    rows = SentenceRanker(lambda term: 1.0, _embed).rank("What weapons did they discuss in Minsk?", passages)
    near = {r.text: r.near for r in rows}
    assert near[later] == 1.0 and near[other] == 0.0


def test_a_byline_answers_who_wrote_the_story_the_question_names(seed_rag: Rag) -> None:
    """The byline shares no word with the question: it is anchored by its article, or by the
    outlet the question names."""
    res = seed_rag.answer("Who is the author of the TimesLIVE article on Putin's Belarus visit?")
    assert "Benjamin Harvey" in res.text and res.citations[0].outlet == "TimesLIVE (Bloomberg)", res.text
    byline = "16 December 2022 - 13:59 By Benjamin Harvey"
    passages = [Passage(Chunk(f"c{n}", article, "x", 0, 1, outlet=outlet), 1.0)
                for n, (article, outlet) in enumerate([("a", "TimesLIVE (Bloomberg)"), ("a", "TimesLIVE (Bloomberg)"), ("b", "")])]
    rows = [Candidate(1, byline, 1.0, near=0.0), Candidate(2, "Putin will visit Minsk.", 0.5, near=0.6),
            Candidate(3, "Other news.", 0.4, near=0.9)]
    anchor_bylines(rows, passages, "Who wrote the story about Putin's visit?")
    assert rows[0].near == 0.6  # its article's best, not another article's
    anchor_bylines(rows, passages, "Who wrote the Washington Times story?")  # another outlet
    assert rows[0].near == 0.6
    anchor_bylines(rows, passages, "Who wrote the TimesLIVE story?")
    assert rows[0].near == 1.0


def test_an_outlet_the_question_names_says_where_not_what_so_it_need_not_be_near_the_answer(seed_rag: Rag) -> None:
    res = seed_rag.answer("reuters says lukashenko is heading to china - what day does the trip start")
    assert "Tuesday" in first_sentence(res.text), res.text


def test_a_date_in_another_month_than_the_one_asked_about_is_another_event() -> None:
    asked = "What date did Putin meet Lukashenko in Minsk last December?"
    caption = "Lukashenko attends a meeting in Minsk, Belarus November 30, 2020"
    assert type_bonus(caption, "date", asked) < 0 < type_bonus("Putin met him on Monday (19 December).", "date", asked)
    # measuring back from December, an earlier month is the answer
    assert type_bonus("He last visited in June 2019.", "date", "When did he visit before the December trip?") > 0


def test_a_year_at_the_end_of_a_sentence_is_no_count_and_share_and_name_questions_are_typed() -> None:
    crackdown = "The first visit since the crackdown on protesters after disputed elections in 2020."
    assert not has_type(crackdown, "quantity", "How many protesters were detained?")
    assert expected_type("What share of the vote did Lukashenko get?") == "quantity"
    assert expected_type("what's the name of the alliance") == "name"
    assert expected_type("In which season did he think the offensive would start?") == "date"  # "in spring"


def test_a_question_for_the_holder_of_a_role_wants_a_person_named_beside_it() -> None:
    for q in ("which chinese leader did lukashenko meet", "whats the name of belarus's defence minister",
              "Who is the exiled opposition leader?", "which kremlin official called the claims stupid"):
        assert expected_type(q) == "person", q
    for q in ("what kind of leader is lukashenko", "what did the leader say", "who met putin"):
        assert expected_type(q) != "person", q
    asked = "which chinese leader was lukashenko supposed to meet"
    assert not has_type("The state news agency Belta said Lukashenko would start a visit to China.", "person", asked)
    assert not has_type("He met leaders from the Commonwealth of Independent States.", "person", asked)  # no person
    assert has_type("When Ned Price, spokesperson for the US State Department, was asked", "person",
                    "which US official mocked it")
    peskov = "Dmitry Peskov of the Kremlin, speaking to Russian media agencies before the meeting, said"
    assert has_type(peskov, "person", "which kremlin official called the claims stupid")  # a word of the question
    assert not has_type(peskov, "person", "what is the name of belarus's defence minister")
    assert not has_type("President Vladimir Putin said", "person", "which president is vladimir putin")  # asked
    # a credit line names who wrote it
    assert has_type("16 December 2022 - 13:59 By Benjamin Harvey", "person", "Who is the author of the article?")


def test_a_role_no_passage_names_a_person_for_is_refused(seed_rag: Rag) -> None:
    res = seed_rag.answer("which chinese leader was lukashenko supposed to meet on his 3 day china trip")
    assert res.refused and not res.citations, res.text


def test_a_sentence_far_ahead_of_the_rest_answers_though_the_question_paraphrases_its_neighbours(seed_rag: Rag) -> None:
    res = seed_rag.answer("How many Russian warplanes were moved into Belarus the week before the Minsk summit?")
    assert "three Russian warplanes" in first_sentence(res.text), res.text
    best, close = Candidate(1, "a", 0.9, near=0.3), Candidate(2, "b", 0.85, near=0.9)
    assert standout(best, [best, Candidate(2, "b", 0.5)]) and not standout(best, [best, close])


@pytest.mark.parametrize("more", ["about what?", "tell me more"])
def test_a_follow_up_asking_for_more_gets_what_the_article_says_next_not_the_same_sentence(seed_rag: Rag, more: str) -> None:
    asked = "did lukashenko speak with putin on the anniversary of the invasion?"
    first = seed_rag.answer(asked)
    res = seed_rag.answer(more, [(asked, first.text)])
    assert "various topics" in first_sentence(res.text) and "various topics" not in first.text, res.text


def test_a_sentence_that_only_restates_the_question_gives_way_to_the_one_after_it(seed_rag: Rag) -> None:
    res = seed_rag.answer("putin said it wasnt a takeover - so what did he say it was")
    assert "policy alignment" in first_sentence(res.text), res.text
    rows = [Candidate(1, "It is not a takeover.", 0.8, own=1.0, position=3), Candidate(1, "It's policy.", 0.3, position=4)]
    restating(rows, "so what did he say it was, if not a takeover?")
    assert rows[1].score > rows[0].score


def test_may_and_march_as_verbs_name_no_month_and_last_december_measures_nothing_back() -> None:
    rally = "They rallied on August 16, 2020."
    assert type_bonus(rally, "date", "when did protesters march in minsk?") > 0
    assert type_bonus(rally, "date", "what happened in march?") < 0
    assert not EARLIER.search("when did they meet last december") and EARLIER.search("the last time before december")


def test_restating_leaves_yes_or_no_questions_and_only_bare_requests_for_more_are_sequels() -> None:
    rows = [Candidate(1, "Putin said he would visit Belarus.", 0.8, own=1.0, position=0),
            Candidate(1, "The trip was his first since 2019.", 0.5, position=1)]
    restating(rows, "Did Putin say when he would visit Belarus?")
    assert [r.score for r in rows] == [0.8, 0.5]
    assert SEQUEL.search("with whose help?") and not SEQUEL.search("on what date?")
    assert counts("Nine. In 2020. 1,000.") == ["nine", "1,000"]


def test_how_long_ago_asks_when_and_a_year_ago_answers_it(seed_rag: Rag) -> None:
    asked = "How long ago, according to the Washington Post, did Putin use forces based in Belarus to try to take Kyiv?"
    assert expected_type(asked) == "date" and expected_type("how long did the call last?") == "quantity"
    assert has_type("A year ago, Putin used Russian forces stationed in Belarus.", "date", asked)
    res = seed_rag.answer(asked)
    assert "A year ago" in first_sentence(res.text) and res.citations[0].verified, res.text


def test_a_quotation_the_question_repeats_with_who_said_it_gives_way_to_the_next_sentence(seed_rag: Rag) -> None:
    assert words("shouldn’t overlook") == ["shouldn't", "overlook"] and terms("shouldn’t") == []
    asked = "Why does Tikhanovskaya say Belarus shouldn't be overlooked right now?"
    rows = [Candidate(1, "“Belarus shouldn’t be overlooked,” Tikhanovskaya said.", 0.7, own=0.5, position=0),
            Candidate(1, "“It’s important for our regional European security.", 0.3, position=1)]
    restating(rows, asked)
    assert rows[1].score > rows[0].score
    res = seed_rag.answer(asked)
    assert "European security" in first_sentence(res.text), res.text


def test_a_person_of_the_wrong_nationality_is_corrected_with_the_one_the_articles_give(seed_rag: Rag) -> None:
    told = Candidate(1, "Valery Zaluzhniy (the top Ukrainian general) told the Economist that Russia had "
                        "200,000 troops ready.", 0.8, own=0.8)
    asked = "Who was the Belarusian general who told the Economist Russia had 200,000 troops ready?"
    assert contradicted_nationality(asked, [told], told.text) == ("Ukrainian general", told)
    assert contradicted_nationality(asked.replace("Belarusian", "Ukrainian"), [told], told.text) is None
    assert contradicted_nationality(asked, [told], told.text + " A Belarusian general said so.") is None
    assert contradicted_nationality(asked, [Candidate(1, told.text, 0.8, own=0.2)], told.text) is None  # another act
    res = seed_rag.answer(asked)
    assert res.refusal == "corrected" and "Ukrainian general" in res.text and res.citations[0].verified, res.text


def test_an_act_told_of_someone_else_does_not_attest_the_question_s_premise(seed_rag: Rag) -> None:
    asked = "Why did Ned Price praise Putin's statement that Russia wasn't trying to take over Belarus?"
    event = premise(asked)
    assert event is not None and event.verb == "praise" and event.doers == {"ned", "price"}
    named = {"price": "Ned Price", "lukashenko": "Lukashenko", "putin": "Putin"}
    other = Candidate(1, "Lukashenko once called Putin an older brother, but later praised Russia's statement.", 0.5)
    pronoun = Candidate(1, "He praised Putin's statement.", 0.5)
    assert attested(event, [other, pronoun], named) == [pronoun]
    assert attested(event, [other], {}) == [other]  # nobody known: no one to tell it of
    res = seed_rag.answer(asked)
    assert res.refused and not res.citations, res.text


def test_a_single_surname_that_speaks_is_a_person_but_not_what_is_said_of_or_a_common_word() -> None:
    context = "In Moscow, Lukashenko said Belarus was ready. Lukashenko has said Armenia can’t avoid it. " \
              "Critics said so. “We agree,” said Peskov. The gas price fell."
    assert people(context) == {"lukashenko": "Lukashenko", "peskov": "Peskov"}
    price = Candidate(1, "The price of gas for Belarus fell.", 0.9)
    about = Candidate(1, "In Moscow, Lukashenko said that Belarus was ready to build attack planes.", 0.8)
    named = f"{context} When Ned Price, spokesperson for the US State Department, was asked, he spoke."
    asked = "What did Ned Price say about Belarus building jets?"
    assert contradicted_doer(asked, [price, about], named) == ("Lukashenko", about)
    assert contradicted_doer("Who at the State Department mocked Lukashenko's claim about Belarus?", [price, about],
                             named) is None  # a who-question asks who acted


def test_what_someone_said_is_answered_by_the_sentence_saying_they_have_said_nothing(seed_rag: Rag) -> None:
    silent = Candidate(1, "The Kremlin has yet to provide any statement about the conversation.", 0.5)
    other = Candidate(1, "Lukashenko said he held a long conversation with Putin.", 0.6)
    said = Candidate(1, "The Kremlin said the two leaders will focus on integration.", 0.6)
    asked = "what did the kremlin eventually say about the long putin-lukashenko phone call?"
    assert kept_silent(asked, [other, silent]) is silent
    assert kept_silent("And what did the Kremlin say the two would focus on?", [said, silent]) is None
    assert kept_silent("has the kremlin said anything about it?", [other, silent]) is None  # "yet to" answers it
    far = Candidate(1, "A channel linked to Lukashenko's press service quoted him, without giving details.", 0.6)
    assert kept_silent("What secret did Lukashenko tell reporters?", [far]) is None
    res = seed_rag.answer(asked)
    assert res.refusal == "corrected" and "yet to provide" in res.text and res.citations[0].verified, res.text


def test_a_short_last_answer_is_not_given_again_when_the_follow_up_asks_what_came_next() -> None:
    said = "He replied: “As if I could not agree” [1]."
    rows = [Candidate(1, "Lukashenko answered: “As if I could not agree.”", 0.8, position=8),
            Candidate(1, "“Well, we are all busy people,” Putin said.", 0.5, position=9)]
    follow_on(rows, said, "what did putin say next?")
    assert rows[1].score > rows[0].score


def test_when_someone_says_a_thing_will_happen_asks_for_a_time_to_come_or_what_it_waits_for(seed_rag: Rag) -> None:
    asked = "when does she say the war will be over?"
    history = [("Who is the exiled Belarusian opposition leader in the Washington Post piece?",
                "That's Svetlana Tikhanovskaya, who spoke at the Munich Security Conference [1].")]
    res = seed_rag.answer(asked, history)
    assert "free and democratic" in first_sentence(res.text), res.text
    assert has_type("The war will not be over until Belarus is free and democratic.", "date", asked)
    assert not has_type("Tikhanovskaya on Friday called for a coalition of countries.", "date", asked)
    assert has_type("Putin is to travel to Belarus on Monday.", "date", "when will putin travel to belarus?")
    assert has_type("It is more likely to come in spring.", "date", "when would the offensive come?")
    # a past event the question describes with "would" is not a time to come
    assert has_type("He held a news conference on Thursday.", "date",
                    "when did lukashenko hold the press conference where he said belarus would only fight if attacked")


def test_a_kind_of_thing_known_by_its_name_is_answered_only_by_a_name(seed_rag: Rag) -> None:
    asked = "What exhibition did Putin and Lukashenko go to see at the Russian Museum?"
    assert expected_type(asked) == "name" and expected_type("In which city were the talks held?") == "name"
    assert expected_type("what kind of military unit have they set up?") == "any"
    event = "On Tuesday morning, the Russian leader picked up Lukashenko and the two drove to an event at the Russian Museum."
    assert not has_type(event, "name", asked)
    assert has_type("They visited the “Peter the Great” exhibition.", "name", asked)
    assert not has_type("Last week, three warplanes were sent.", "name", "which air base did the warplanes come from?")
    called = "What were the military exercises near the border called?"
    assert expected_type(called) == "name" and expected_type("What did Lukashenko once call Putin?") == "any"
    assert not has_type("Exercises involving Russian and Belarusian troops took place.", "name", called)
    assert has_type("Russia and Belarus are allied in a “Union State”.", "name", "What is their alliance called?")
    res = seed_rag.answer(asked)
    assert res.refused and not res.citations, res.text


def test_a_sentence_spelling_out_the_acronym_asked_about_holds_it(seed_rag: Rag) -> None:
    res = seed_rag.answer("Where did Putin and Lukashenko hold their talks during the CIS summit?")
    assert not res.refused and "Commonwealth of Independent States" in res.text, res.text
    # two letters are not enough: "su-25" is no "Soviet Union"
    assert not seed_rag.answer("why does lukashenko think the su-25 is worth producing in belarus").refused


def test_the_date_a_question_measures_from_is_not_its_answer(seed_rag: Rag) -> None:
    asked = "what date did putin arrive in minsk for his first belarus visit since 2019"
    assert not has_type("This will be Putin’s first visit to Belarus since June 2019.", "date", asked)
    assert has_type("This will be Putin’s first visit to Belarus since June 2019.", "date", "since when had he not visited?")
    assert type_bonus("This is his first visit since June 2019.", "date", asked) <= 0
    res = seed_rag.answer(asked)
    assert "19 December" in first_sentence(res.text), res.text


def test_a_model_designation_no_passage_holds_is_not_answered(seed_rag: Rag) -> None:
    assert unheard_designations("was the plane an a-50?", "an early warning aircraft") == ["a-50"]
    assert unheard_designations("how many Su-25s did Belarus build?", "production of the Su-25 aircraft") == []
    assert unheard_designations("did it come in mid-2023, in 20 days?", "nothing") == []  # no designations
    res = seed_rag.answer("What model was the Russian early warning plane sent to Belarus, was it an A-50?")
    assert res.refused and not res.citations and "A-50" in res.note, res.text


def test_a_quotation_asked_with_one_word_changed_is_corrected_with_the_articles_words(seed_rag: Rag) -> None:
    told = Candidate(1, 'Lukashenko once called Putin an "older brother", but later praised Russia.', 0.5)
    asked = "Why did Lukashenko once call Putin his 'younger brother'?"
    assert misquoted_words(asked, [told], told.text) == ("older brother", told)
    assert misquoted_words("Why did he call Putin his 'older brother'?", [told], told.text) is None  # as said
    assert misquoted_words("Did Russia's 'plan' ever exist?", [told], told.text) is None  # one word: no quotation
    res = seed_rag.answer(asked)
    assert res.refusal == "corrected" and "older brother" in res.text and res.citations[0].verified, res.text


def test_what_someone_said_is_not_answered_by_sentences_that_never_name_them(seed_rag: Rag) -> None:
    named = {"tsikhanouskaya": "Sviatlana Tsikhanouskaya", "putin": "Vladimir Putin"}
    visit = Candidate(1, "Putin was in Minsk for the first visit since 2019.", 0.5)
    spoken = Candidate(1, "Tikhanovskaya said the war would not end soon.", 0.4)
    quoted = Candidate(1, "“It is over,” she said.", 0.4)
    asked = "What did Tsikhanouskaya say about Putin's December visit to Minsk?"
    assert unheard_speaker(asked, [visit], named) == "Sviatlana Tsikhanouskaya"
    assert unheard_speaker(asked, [visit, spoken], named) == ""  # the same person spelled another way
    assert unheard_speaker(asked, [visit, quoted], named) == ""  # "she" may be her
    assert unheard_speaker("What did Russia say about it?", [visit], named, "troops in Russia") == ""  # a place
    res = seed_rag.answer(asked)
    assert res.refused and not res.citations, res.text


def test_the_opposite_word_in_the_best_sentence_corrects_the_question(seed_rag: Rag) -> None:
    said = Candidate(1, "The institute said a new Russian invasion from Belarus is “unlikely” this winter.", 0.6)
    asked = "Why did the institute think a new Russian invasion from Belarus was very likely this winter?"
    assert opposite_said(asked, [said]) == ("unlikely", said)
    assert opposite_said(asked.replace("very likely", "unlikely"), [said]) is None
    assert opposite_said("Why was the invasion of Belarus likely?", [Candidate(1, "Spring is unlikely.", 0.6)]) is None
    named = Candidate(1, "Belarus joined the Commonwealth of Independent States with Russia.", 0.6)
    assert opposite_said("Why is Belarus dependent on Russia?", [named]) is None  # a name, not the opposite
    assert opposite_said("What impact did the Belarus Russia pact have?", [Candidate(1, "They signed a pact.", 0.6)]) is None
    res = seed_rag.answer("Why did the Institute for the Study of War think a fresh Russian invasion from Belarus "
                          "was very likely this winter?")
    assert res.refusal == "corrected" and "unlikely" in res.text, res.text


def test_a_day_of_the_month_no_passage_gives_is_corrected_with_the_day_they_give(seed_rag: Rag) -> None:
    met = "Putin met with his Belarusian counterpart on Monday (19 December) to celebrate closer ties."
    asked = "what did putin and lukashenko agree about gas when putin was in minsk on wednesday 21 december"
    assert contradicted_day(asked, met, met) == "19 December"
    assert contradicted_day(asked.replace("21", "19"), met, met) == ""
    assert contradicted_day(asked, met, met + " On 21 December they left.") == ""  # another day the articles give
    res = seed_rag.answer(asked)
    assert res.refusal == "corrected" and "19 December" in res.text, res.text


def test_what_date_wants_a_day_and_the_measure_of_a_thing_wants_a_number() -> None:
    asked = "on what date was the disputed 2020 belarus presidential election held"
    assert not has_type("Protests followed the disputed presidential elections in 2020.", "date", asked)
    assert has_type("The election was held on 9 August 2020.", "date", asked)
    assert expected_type("What's the range of the Iskander-M missiles?") == "quantity"
    assert expected_type("what is the population of minsk") == "quantity"
    assert not has_type("Putin promised nuclear-capable Iskander-M systems.", "quantity",
                        "What's the range of the Iskander-M missiles?")


def test_a_manner_adverb_no_article_uses_is_the_user_s_wording() -> None:
    assert not _adverb("mobilised") and _adverb("freshly") and not _adverb("early")


@pytest.mark.parametrize("asked", ["Walk me through how ties between Minsk and Moscow evolved", "what's the big picture here?",
                                   "what are the main takeaways about gas", "give me a quick rundown of the military side",
                                   "What do we know about the Su-25 plan?", "how does the NYT account stack up against Reuters?",
                                   "explain how lukashenko's survival is tied to putin, drawing on all the articles",
                                   "Describe how Belarus supports Russia's war", "can you break down the military ties?"])
def test_the_ways_people_ask_for_the_whole_story_are_synthesis_questions(asked: str) -> None:
    assert is_synthesis(asked)
    assert not is_synthesis("what did lukashenko say about the highlights of the talks")
    assert not is_synthesis("Explain why he went to Moscow")  # a why-question asked as a request


def test_where_wants_a_place_and_the_next_sentence_gives_it_when_the_best_does_not(seed_rag: Rag) -> None:
    asked = "Where did he think that offensive might come from?"
    assert expected_type(asked) == "place" and expected_type("From which directions could it come?") == "place"
    told = "Valery Zaluzhniy told the Economist that Russia had 200,000 troops ready for a major offensive."
    assert not has_type(told, "place", asked)
    assert has_type("This could be from the east, the south, or Belarus.", "place", asked)
    assert has_type("The Institute for the Study of War, a Washington-based research group, said so.", "place",
                    "where is that group based?")
    assert not has_type("They met on Monday.", "place", "where did they meet?")
    assert has_type("The ledgers were moved to the new reading room in April.", "place", "Where were the ledgers moved?")
    history = [("Who is Valery Zaluzhniy?", "He is Ukraine's top general; he told the Economist that Russia had "
                                           "200,000 troops ready for a major offensive [1].")]
    res = seed_rag.answer(asked, history)
    assert "east" in res.text and "south" in res.text, res.text


def test_the_sentence_that_asks_sets_the_kind_and_a_quotation_it_repeats_anchors_the_answer(seed_rag: Rag) -> None:
    asked = ("When Putin thanked him for agreeing to come, Lukashenko shot back 'As if I could not agree.' "
             "Why might he feel he had no choice, going by the Washington Post?")
    assert asking_sentence(asked).startswith("Why might") and expected_type(asked) == "any"
    assert expected_type("when did Mr. Putin visit?") == "date"  # "Mr." ends no sentence
    replied = "Lukashenko, whose country is heavily reliant on Moscow, answered: “As if I could not agree.”"
    assert holds_quote(replied, asked) and not holds_quote("Putin said: “Thank you for agreeing to come.”", asked)
    res = seed_rag.answer(asked)
    assert "reliant" in first_sentence(res.text), res.text


def test_a_name_transliterated_another_way_in_another_article_is_the_name_asked_about(seed_rag: Rag) -> None:
    munich = Passage(Chunk("c1", "a1", "At the Munich Security Conference, Svetlana Tikhanovskaya called for a coalition. "
                                       "Russian troops stayed.", 0, 90), 1.0)
    assert spelled_otherwise({"tsikhanouskaya", "russia", "munich"}, [munich]) == {"tikhanovskaya": "tsikhanouskaya"}
    history = [("who leads the belarusian opposition in exile", "Sviatlana Tsikhanouskaya [1].")]
    res = seed_rag.answer("what did she say at munich", history)
    assert "Munich" in res.text, res.text


def test_how_often_wants_a_frequency_and_how_many_a_count_or_a_rough_one() -> None:
    often = "How often does the Munich Security Conference take place?"
    assert expected_type(often) == "frequency"
    assert has_type("At the annual Munich Security Conference in Germany", "frequency", often)
    assert has_type("Putin and Lukashenko met many times this year", "frequency", "how often had they met?")
    assert not has_type("Putin was in Minsk on Monday.", "frequency", often)
    assert not has_type("At the time, Putin was in Minsk.", "frequency", often)
    assert has_type("For years, Lukashenko has sought to balance relations.", "quantity", "how long has he tried that?")
    exercises = "Does EU Reporter say how many exercises Minsk and Moscow have held together?"
    assert has_type("They also held many exercises.", "quantity", exercises)
    assert not has_type("They met many times this year.", "quantity", "how many protesters were detained in minsk?")
    assert not has_type("Trade hit a record of more than $43 billion.", "quantity", "By what percentage did trade grow?")
    assert has_type("Belarus fulfilled 100 percent of its agreements.", "quantity", "what percentage did it fulfil?")
    assert expected_type("It is in the Amur region. Whereabouts in Russia is that?") == "place"
    assert expected_type("what about the other direction, how often does lukashenko go to russia?") == "frequency"
    assert expected_type("what about the gas deal?") == "any"


@pytest.mark.parametrize("asked", ["Round up what happens in these stories when the leaders face the press",
                                   "List the commitments that came out of the Putin–Lukashenko encounters"])
def test_a_round_up_or_a_list_across_the_stories_is_a_synthesis_question(asked: str) -> None:
    assert is_synthesis(asked)


def test_a_quoted_remark_attests_who_said_it_and_go_out_and_announce_is_the_announcing(seed_rag: Rag) -> None:
    res = seed_rag.answer("Who came out with 'Well, we are all busy people' during the joint appearance in Moscow?")
    assert "Putin" in res.text and not res.refused, res.text
    event = premise("why did lukashenko go out on thursday and announce belarus would only join the war if attacked?")
    assert event is not None and event.verb == "announce" and event.doers == {"lukashenko"}


def test_a_fraction_against_the_percentage_the_articles_give_is_corrected(seed_rag: Rag) -> None:
    said = "Lukashenko said that Belarus had fulfilled “100 percent” of its defense and security agreements."
    asked = "Why did the Kremlin say Belarus had met only half of its defence and security commitments?"
    assert contradicted_figure(asked, said) == "100 percent"
    assert contradicted_figure(asked.replace("only half", "all"), said) == ""
    res = seed_rag.answer(asked)
    assert res.refusal == "corrected" and "100 percent" in res.text, res.text


def test_a_hyphenated_name_no_article_spells_is_unknown_and_a_sentence_start_is_no_name() -> None:
    ranked = [Candidate(1, "Putin and Lukashenko met in Moscow on Friday.", 0.6, similarity=0.7)]
    known = {"putin", "lukashenko", "met", "moscow", "friday", "meet", "kremlin", "novo", "where", "exactli"}.__contains__
    verdict = judge("where in moscow did putin and lukashenko meet, the kremlin or novo-ogaryovo?", ranked, known,
                    resembles=lambda term: False, vocabulary=frozenset({"where", "moscow", "meet", "novo"}))
    assert not verdict.answerable and "novo-ogaryovo" in verdict.note
    assert _is_name("Minsk", "Where is it? In Minsk?") and not _is_name("Whereabouts", "It is far. Whereabouts is it?")


# -- session 19: set 15's failures, each a class of question ------------------------------------------

def test_a_sentence_saying_a_quoted_phrase_with_words_between_is_the_one_asked_about(seed_rag: Rag) -> None:
    assert echoes_quote("Belarus would only join the war if attacked.", "his 'only if attacked' line")
    assert not echoes_quote("Only a few said the war, if it comes, would see Belarus attacked by many.", "his 'only if attacked' line")
    res = seed_rag.answer("which day did lukashenko lay out his 'only if attacked' position?")  # "lay", "position": paraphrase
    assert not res.refused and "Thursday" in first_sentence(res.text), res.text


def test_in_recent_weeks_says_how_long() -> None:
    asked = "how long have those military moves near the ukrainian border been going on per the nyt copy?"
    assert has_type("In recent weeks, a series of military activities in Belarus took place.", expected_type(asked), asked)
    assert not has_type("A series of military activities took place recently.", expected_type(asked), asked)


def test_the_parts_of_an_article_are_no_sign_of_another_topic(seed_rag: Rag) -> None:
    res = seed_rag.answer("The subheading on the Jerusalem Post article: what has Lukashenko allowed Russian forces to do?")
    assert not res.refused and "attack Ukraine" in res.text, res.text
    # "heading" stems to "head": "the head of Ukraine's military intelligence" stays a word to look for
    assert "head" not in set(terms("subheading header headline")) & {"head"}


@pytest.mark.parametrize(("asked", "said"), [
    ("Why does the Moscow-based Institute for the Study of War expect no attack from Belarus this winter?",
     "The articles say “Washington-based”:"),  # where a group is based
    ("Reuters says the US and EU recognised Belarus's 2020 election result, so why do they back Tsikhanouskaya?",
     "refused to recognise"),  # a claim stated before the question is taken for granted like one asked
    ("Why did Russia send a dozen warplanes to Belarus before Putin's trip?", "“three Russian warplanes”"),
    ("What did Ned Price tell Russian media agencies before the Minsk meeting?", "The articles tell this of Dmitry Peskov:"),
])
def test_a_premise_the_best_evidence_says_otherwise_is_corrected(seed_rag: Rag, asked: str, said: str) -> None:
    res = seed_rag.answer(asked)
    assert res.refusal == "corrected" and said in res.text, res.text


def test_a_price_asked_wants_a_number_and_a_reaction_asked_wants_who_reacted(seed_rag: Rag) -> None:
    assert seed_rag.answer("what's the discounted price belarus pays russia for oil?").refused  # "at a discounted price"
    res = seed_rag.answer("How did Tsikhanouskaya react to Putin's December visit to Minsk?")
    assert res.refused and "Tsikhanouskaya" in res.note, res.note


def test_why_something_matters_takes_no_event_for_granted() -> None:
    assert premise("why does the economic side matter so much to belarus?") is None
    assert premise("why did putin cancel his december trip to minsk?") is not None


def test_yes_opening_an_answer_is_nobody_he_can_mean(seed_rag: Rag) -> None:
    assert referents("did lukashenko talk to putin? Yes. He said the two had spoken.").people == []
    history = [("did lukashenko talk to putin around the one-year mark of the invasion?",
                ("Yes. He said the two of them had spoken for a long time the night before on various topics, "
                 "without giving details [1]."))]
    res = seed_rag.answer("who did he tell that to, though?", history)
    assert "Yes" not in res.query and "reporters" in res.text, (res.query, res.text)


# -- session 19: set 16's failures ----------------------------------------------------------------------

def test_money_asked_is_answered_by_a_sum(seed_rag: Rag) -> None:
    res = seed_rag.answer("how many dollars' worth of trade did Russia and Belarus do last year, according to Putin?")
    assert "$43 billion" in res.text, res.text  # "$43 billion" never says "dollars" or "worth"


def test_a_who_question_answered_by_they_gets_the_sentence_saying_who(seed_rag: Rag) -> None:
    res = seed_rag.answer("who dreads a creeping Russian takeover of Belarus, according to EU Reporter?")
    assert "opposition" in first_sentence(res.text) and "They fear" in res.text, res.text


def test_the_end_of_a_quotation_comes_with_the_words_that_open_it(seed_rag: Rag) -> None:
    res = seed_rag.answer("In the Washington Post story, which of the two men tells the other he'd \"probably get upset\"?")
    assert res.text.startswith("Lukashenko replied:"), res.text


def test_a_claim_stated_with_any_reporting_verb_is_taken_for_granted(seed_rag: Rag) -> None:
    res = seed_rag.answer("Bloomberg insists the US and EU recognised the 2020 election result, so why do they back "
                          "Tsikhanouskaya?")
    assert res.refusal == "corrected" and "refused to recognise" in res.text, res.text
    assert is_synthesis("Reconstruct Lukashenko's travel calendar from these articles")
