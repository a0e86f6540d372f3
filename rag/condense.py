"""Follow-up questions, made standalone for retrieval.

"What did she call for in Munich?" retrieves nothing useful on its own. The condensed query
adds what the conversation was about. Two condensers share one protocol:
- `KeywordCondenser` (no model): when the question leans on the conversation (a pronoun or
  a vague reference, or very few content words), it appends the content words of the
  previous question and only the names and numbers of the previous answer. A whole answer
  sentence would outweigh the follow-up itself: "Since when was that his first visit?" after
  an answer about a visit's date then retrieves the sentence that answered, not the one that
  says "first visit since 2019". Both BM25 and the embedding tolerate a keyword tail well.
- `LLMCondenser`: asks the chat model to rewrite the question with prompts/condense.txt,
  falling back to the keyword condenser if the model's rewrite is empty or runs on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol

import prompts
from rag.text import terms, words
from rag.verify import MARKER

History = Sequence[tuple[str, str]]

ANAPHORA = re.compile(
    r"\b(he|she|it|they|him|her|them|his|hers|its|their|theirs|that|this|those|these|there|then|"
    r"the same|the other|such|former|latter)\b", re.I,
)


class Condenser(Protocol):
    def condense(self, question: str, history: History) -> str: ...


class KeywordCondenser:
    def condense(self, question: str, history: History) -> str:
        if not history or not _needs_context(question):
            return question
        last_q, last_a = history[-1]
        context = last_q.split() + _names_and_numbers(MARKER.sub("", last_a))
        seen = set(words(question))
        cleaned = (w.strip(PUNCTUATION) for w in context)
        extra = [w for w in dict.fromkeys(cleaned) if _keep(w, seen)]
        return f"{question} {' '.join(extra)}".strip()


NAME_OR_NUMBER = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]+|\b\d[\d,.:/-]*\b")


def _names_and_numbers(answer: str) -> list[str]:
    """Capitalised words that do not start a sentence, and numbers."""
    return NAME_OR_NUMBER.findall(answer.strip())


def _needs_context(question: str) -> bool:
    return bool(ANAPHORA.search(question)) or len(terms(question)) < 3


PUNCTUATION = ".,;:!?\"'()[]“”‘’"


def _keep(word: str, seen: set[str]) -> bool:
    return bool(word) and bool(terms(word)) and word.lower() not in seen


class LLMCondenser:
    def __init__(self, complete: Callable[[list[dict[str, str]]], str]) -> None:
        self.complete = complete
        self.fallback = KeywordCondenser()

    def condense(self, question: str, history: History) -> str:
        if not history:
            return question
        turns = "\n".join(f"User: {q}\nAssistant: {MARKER.sub('', a)}" for q, a in history[-3:])
        message = prompts.text("condense").format(history=turns, question=question)
        rewritten = self.complete([{"role": "user", "content": message}]).strip().splitlines()
        first = rewritten[0].strip() if rewritten else ""
        if not first or len(first) > 3 * len(question) + 200:
            return self.fallback.condense(question, history)
        return first
