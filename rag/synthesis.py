"""Which questions ask for a synthesis: a summary, a comparison, how something changed.

Such a question is answered from several articles (rag.extractive.synthesis), every other from
the sentence that states the answer. Cue phrases (`rag.evidence.is_synthesis`: "summarise",
"compare", "walk me through") say so for the phrasings seen; a new phrasing is caught by a
logistic regression over the question's sentence embedding, trained on the project's labelled
question sets (`scripts/train_synthesis.py`, weights in `synthesis.json`). Its threshold keeps
it from taking a plain question for a summary (leave-one-set-out precision 0.98, recall 0.90):
a summary in reply to "when did they meet" hides the date.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from rag.evidence import is_synthesis

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
