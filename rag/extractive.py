"""The extractive generator: no language model; answers with the passage sentences that
best answer the question, each cited, and refuses when none does. Deterministic and instant."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from rag.evidence import Candidate, SentenceRanker, expected_type, has_type
from rag.types import REFUSAL, Passage, Prompt


class ExtractiveGenerator:
    """Picks the passage sentences that best answer the question and cites each one.

    A sentence scores by the IDF-weighted share of the question's content words it contains
    (with its passage's title and neighbouring sentence as context) and by embedding
    similarity to the question. It must also contain the kind of thing asked for (a date for
    "when", a number for "how many"). Below the threshold, the honest answer is a refusal."""

    name = "extractive"

    def __init__(self, idf: Callable[[str], float], embed: Callable[[list[str]], np.ndarray],
                 threshold: float = 0.35, max_sentences: int = 2) -> None:
        self.ranker = SentenceRanker(idf, embed)
        self.threshold, self.max_sentences = threshold, max_sentences

    def stream(self, prompt: Prompt) -> Iterator[str]:
        chosen = self.select(prompt.question, prompt.passages)
        if not chosen:
            yield REFUSAL
            return
        yield " ".join(f"{c.text} [{c.passage}]" for c in chosen)

    def select(self, question: str, passages: list[Passage]) -> list[Candidate]:
        candidates = self.candidates(question, passages)
        kind = expected_type(question)
        good = [c for c in candidates if c.score >= self.threshold and has_type(c.text, kind, question)]
        good.sort(key=lambda c: c.score, reverse=True)
        if not good:
            return []
        best = good[0]
        # A second sentence only when it is nearly as good: more text is not a better answer.
        extra = [c for c in good[1:] if c.score >= best.score - 0.25 and c.text != best.text]
        return [best, *extra[: self.max_sentences - 1]]

    def candidates(self, question: str, passages: list[Passage]) -> list[Candidate]:
        return self.ranker.rank(question, passages)
