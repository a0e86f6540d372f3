"""The synthesis detector: cue phrases, and a model of the question's embedding for phrasings
no cue knows (rag.synthesis; trained by scripts/train_synthesis.py); and the overview that
answers "what are these articles about?"."""

from __future__ import annotations

import json
from datetime import date

import pytest

from rag import Rag
from rag.embed import OnnxEmbedder
from rag.evidence import is_synthesis
from rag.synthesis import WEIGHTS, SynthesisDetector, asks_overview, opening

PLAIN = ["When did Putin visit Minsk?", "How many Su-25 jets will Belarus build?", "Who met Lukashenko in St Petersburg?",
         "Why did Lukashenko praise Russia?", "Where did the two leaders meet in February?",
         "What did Putin say about the West?", "Who won the World Cup final?", "And what did he say after that?"]
NEW_PHRASING = "What's the short version of the Putin and Lukashenko meetings?"  # no cue phrase says "summary" here


@pytest.fixture(scope="module")
def embedder() -> OnnxEmbedder:  # the real embedding model: tests using it are marked `model`
    return OnnxEmbedder()


@pytest.mark.model
def test_a_summary_asked_in_words_no_cue_knows_is_recognised(embedder: OnnxEmbedder) -> None:
    detector = SynthesisDetector(embedder.embed, embedder.name)
    assert not is_synthesis(NEW_PHRASING) and detector(NEW_PHRASING)
    assert detector("Summarise the meetings.")  # a cue alone is enough


@pytest.mark.model
def test_a_plain_question_is_never_taken_for_a_summary(embedder: OnnxEmbedder) -> None:
    # a summary in reply to "when did they meet" would hide the date
    detector = SynthesisDetector(embedder.embed, embedder.name)
    assert not any(map(detector, PLAIN)), [q for q in PLAIN if detector(q)]


@pytest.mark.model
def test_with_another_embedding_model_only_the_cues_decide(embedder: OnnxEmbedder) -> None:
    detector = SynthesisDetector(embedder.embed, "some-server-model")
    assert not detector(NEW_PHRASING) and detector("Summarise the meetings.")


def test_the_weights_say_what_they_were_trained_on() -> None:
    trained = json.loads(WEIGHTS.read_text())
    assert trained["model"] == OnnxEmbedder.name and len(trained["weights"]) == OnnxEmbedder.dim
    assert "heldout17" in trained["left_out"] and 0.5 <= trained["threshold"] < 1  # the blind set stays out


def test_a_new_phrasing_gets_a_summary_from_several_articles(seed_rag: Rag) -> None:
    res = seed_rag.answer(NEW_PHRASING)
    verified = [c for c in res.citations if c.verified]
    # a plain answer is the best sentence and its neighbour: one or two articles at most
    assert not res.refused and len({c.article_id for c in verified}) >= 3, res.text


@pytest.mark.parametrize("asked", ["What are these articles about?", "Give me an overview of the articles.",
                                   "Summarise these articles.", "tl;dr?", "What's the news here?",
                                   "What is the gist of these reports?"])
def test_a_request_for_the_gist_of_the_articles_themselves_is_an_overview(asked: str) -> None:
    assert asks_overview(asked, synthesis=True) and asks_overview(asked, is_synthesis(asked))


def test_a_summary_about_a_subject_is_no_overview() -> None:
    assert not asks_overview("Summarise the Su-25 news", synthesis=True)  # a subject: its own summary
    assert not asks_overview("What did the reports say about gas?", synthesis=True)
    assert not asks_overview("When did Putin visit Minsk?", synthesis=False)
    assert not asks_overview("???", synthesis=True)  # no words at all


def test_a_story_opens_after_its_credit_line_and_its_photo_caption() -> None:
    text = ("16 December 2022 - 13:59 By Benjamin Harvey\n"
            "President Lukashenko, left, of Belarus, and President Putin during an earlier visit. Putin is to visit "
            "his war ally on Monday for talks on their alliance. File photo.\n"
            "Russian President Vladimir Putin is to travel to Belarus on Monday in his first visit in three years.")
    assert opening(text) == "Russian President Vladimir Putin is to travel to Belarus on Monday in his first visit in three years."
    assert opening("Short line.\nToo short too.") is None


def test_what_the_articles_are_about_is_each_ones_opening_sentence(seed_rag: Rag) -> None:
    # it was "The articles don't say.": the question names no subject for sentences to match
    res = seed_rag.answer("What are these articles about?")
    verified = [c for c in res.citations if c.verified]
    assert not res.refused and len({c.article_id for c in verified}) == len(seed_rag.articles()) == 5, res.text
    for c in verified:
        assert c.quote == opening("\n".join(ch.text for ch in seed_rag.article_chunks(c.article_id))), c.quote
    assert "Putin is to travel to Belarus on Monday" in res.text and ", left," not in res.text


def test_an_overview_as_of_a_day_leaves_out_later_articles(seed_rag: Rag) -> None:
    res = seed_rag.answer("Give me an overview of the articles.", as_of=date(2022, 12, 20))
    assert not res.refused and {c.published for c in res.citations} <= {"2022-12-16", "2022-12-19"}, res.text
