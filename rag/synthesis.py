"""Which questions ask for a synthesis: a summary, a comparison, how something changed.

Such a question is answered from several articles (rag.extractive.synthesis), every other from
the sentence that states the answer. Cue phrases (`rag.evidence.is_synthesis`: "summarise",
"compare", "walk me through") say so for the phrasings seen; a new phrasing is caught by a
logistic regression over the question's sentence embedding, trained on the project's labelled
question sets (`scripts/train_synthesis.py`, weights in `synthesis.json`). Its threshold keeps
it from taking a plain question for a summary (leave-one-set-out precision 0.98, recall 0.88):
a summary in reply to "when did they meet" hides the date.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from rag.evidence import is_synthesis
from rag.text import is_caption, is_credit, sentences, terms
from rag.types import Candidate, Passage

WEIGHTS = Path(__file__).with_name("synthesis.json")


@functools.cache
def _weights(path: Path) -> dict[str, object]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


class SynthesisDetector:
    """`detector(question)`: whether `question` asks for a synthesis. The learned half needs the
    embedding model it was trained with (`model`, the embedder's name); with another embedder
    (an embedding server's model) only the cue phrases decide."""

    def __init__(self, embed: Callable[[Sequence[str]], np.ndarray], model: str, weights: Path = WEIGHTS) -> None:
        trained = _weights(weights)
        self._embed = embed
        self._usable = trained["model"] == model
        self._w = np.asarray(trained["weights"], dtype=np.float32)
        self._b = float(trained["intercept"])  # type: ignore[arg-type]
        self.threshold = float(trained["threshold"])  # type: ignore[arg-type]

    def __call__(self, question: str) -> bool:
        return is_synthesis(question) or (self._usable and self.probability(question) >= self.threshold)

    def probability(self, question: str) -> float:
        """The model's probability that `question` asks for a synthesis."""
        return float(1 / (1 + np.exp(-(self._embed([question])[0] @ self._w + self._b))))


# The words of a request for the collection's gist, with no subject of its own: "What are these
# articles about?", "Give me an overview of the stories", "tl;dr".
OVERVIEW_TERMS = frozenset(terms(
    "give tell show me us an overview summary summarise summarize sum up gist rundown recap digest brief briefly "
    "briefing tl dr tldr main key points highlights takeaways headlines article articles report reports story "
    "stories coverage news piece pieces source sources document documents collection everything all say says "
    "cover covers covered here these those whole short version quick quickly big picture"))
COLLECTION_TERMS = frozenset(terms("article articles report reports story stories coverage news piece pieces "
                                   "source sources document documents collection everything tl dr tldr headlines"))
LEAD_WORDS = 8  # an article's first sentence this long opens its story (not a dateline or a credit line)
LEAD_SCORE = 1.0  # an overview's sentence is chosen for where it stands, not for words shared with the question


def asks_overview(question: str, synthesis: bool) -> bool:
    """A request for the gist of the articles themselves, about no subject: answered with each
    article's opening sentence, as a newspaper's front page does. A synthesis question
    (`synthesis`) of overview words only, or one naming the collection ("what's the news here?")."""
    asked = set(terms(question))
    return bool(asked) and asked <= OVERVIEW_TERMS and (synthesis or bool(asked & COLLECTION_TERMS))


def opening(text: str) -> str | None:
    """The first sentence of `text` that opens a story: long enough to say something, and neither
    a credit line ("16 December 2022 - 13:59 By Benjamin Harvey", which can be a passage of its
    own) nor in a photo's caption ("Lukashenko, left, and Putin during an earlier visit. Putin is
    to visit ... File photo.": the paragraph is the caption)."""
    for paragraph in text.split("\n"):
        said = [s for _, _, s in sentences(paragraph)]
        found = next((s for s in said if len(s.split()) >= LEAD_WORDS and not is_credit(s)), None)
        if found and not any(map(is_caption, said)):
            return found
    return None


def leads(passages: Sequence[Passage]) -> list[Candidate]:
    """The opening sentence of each passage: what an overview cites, each as good as the others
    (`LEAD_SCORE`)."""
    return [Candidate(number, first, LEAD_SCORE) for number, p in enumerate(passages, 1) if (first := opening(p.chunk.text))]
