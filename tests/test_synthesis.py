"""The synthesis detector: cue phrases, and a model of the question's embedding for phrasings
no cue knows (rag.synthesis; trained by scripts/train_synthesis.py)."""

from __future__ import annotations

import json

import pytest

from rag import Rag
from rag.embed import OnnxEmbedder
from rag.evidence import is_synthesis
from rag.synthesis import WEIGHTS, SynthesisDetector

PLAIN = ["When did Putin visit Minsk?", "How many Su-25 jets will Belarus build?", "Who met Lukashenko in St Petersburg?",
         "Why did Lukashenko praise Russia?", "Where did the two leaders meet in February?",
         "What did Putin say about the West?", "Who won the World Cup final?", "And what did he say after that?"]
NEW_PHRASING = "What's the short version of the Putin and Lukashenko meetings?"  # no cue phrase says "summary" here

pytestmark = pytest.mark.model  # the real embedding model


@pytest.fixture(scope="module")
def embedder() -> OnnxEmbedder:
    return OnnxEmbedder()


def test_a_summary_asked_in_words_no_cue_knows_is_recognised(embedder: OnnxEmbedder) -> None:
    detector = SynthesisDetector(embedder.embed, embedder.name)
    assert not is_synthesis(NEW_PHRASING) and detector(NEW_PHRASING)
    assert detector("Summarise the meetings.")  # a cue alone is enough


def test_a_plain_question_is_never_taken_for_a_summary(embedder: OnnxEmbedder) -> None:
    # a summary in reply to "when did they meet" would hide the date
    detector = SynthesisDetector(embedder.embed, embedder.name)
    assert not any(map(detector, PLAIN)), [q for q in PLAIN if detector(q)]


def test_with_another_embedding_model_only_the_cues_decide(embedder: OnnxEmbedder) -> None:
    detector = SynthesisDetector(embedder.embed, "some-server-model")
    assert not detector(NEW_PHRASING) and detector("Summarise the meetings.")


def test_the_weights_say_what_they_were_trained_on() -> None:
    trained = json.loads(WEIGHTS.read_text())
    assert trained["model"] == OnnxEmbedder.name and len(trained["weights"]) == OnnxEmbedder.dim
    assert "heldout15" in trained["left_out"] and 0.5 <= trained["threshold"] < 1


def test_a_new_phrasing_gets_a_summary_from_several_articles(seed_rag: Rag) -> None:
    res = seed_rag.answer(NEW_PHRASING)
    verified = [c for c in res.citations if c.verified]
    # a plain answer is the best sentence and its neighbour: one or two articles at most
    assert not res.refused and len({c.article_id for c in verified}) >= 3, res.text
