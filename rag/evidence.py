"""Evidence for an answer: the passage sentences that bear on a question, ranked, and the
prompt that hands them to a language model.

`SentenceRanker` is shared by the extractive generator (which answers with the best
sentences) and the language-model path (which reads only them: `excerpts`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import prompts
from rag.text import STOPWORDS, sentences, terms, words
from rag.types import REFUSAL, Passage, Prompt


def render(question: str, passages: list[Passage], excerpts: dict[int, str] | None = None) -> Prompt:
    """Fill prompts/answer_*.txt with the numbered passages (title, outlet and date each).
    With `excerpts` (passage number -> text), only those passages appear, under their own
    numbers, with only that text: see `excerpts()`."""
    texts = excerpts if excerpts is not None else {i: p.chunk.text for i, p in enumerate(passages, start=1)}
    blocks = "\n\n".join(_passage_block(n, passages[n - 1], text) for n, text in sorted(texts.items()))
    user = prompts.text("answer_user").format(passages=blocks, question=question, refusal=REFUSAL)
    messages = [{"role": "system", "content": prompts.text("answer_system")}, {"role": "user", "content": user}]
    return Prompt(question, passages, messages)


def _passage_block(number: int, passage: Passage, text: str) -> str:
    chunk = passage.chunk
    source = ", ".join(x for x in (chunk.outlet, chunk.published) if x)
    return prompts.text("passage").format(
        number=number, title=chunk.title or chunk.article_id,
        source_line=f" ({source})" if source else "", text=text,
    )


def excerpts(candidates: list[Candidate], passages: list[Passage], limit: int) -> dict[int, str]:
    """The `limit` best-ranked sentences, grouped under their passage numbers and kept in
    their order in the passage. A small model given whole passages mostly refused (10 of 14
    answerable dev questions); the sentences that bear on the question, drawn from eight
    passages, make a prompt about as long as four whole passages. Citations are still
    verified against the whole passage."""
    best = sorted(candidates, key=lambda c: c.score, reverse=True)[:limit]
    chosen: dict[int, list[str]] = {}
    for c in best:
        chosen.setdefault(c.passage, []).append(c.text)
    return {n: " ".join(sorted(set(sents), key=passages[n - 1].chunk.text.find)) for n, sents in chosen.items()}


# -- extractive ------------------------------------------------------------------------------

DATE_WORDS = re.compile(
    r"\b(19|20)\d{2}\b|\b(January|February|March|April|May|June|July|August|September|October|"
    r"November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|"
    r"today|tomorrow|tonight|ago|last (week|month|year)|next (week|month|year))\b", re.I,
)
QUANTITY = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|"
                      r"million|billion|dozen|percent|half|twice)\b", re.I)


WH = re.compile(r"\b(what|which|who|whom|whose|when|where|why|how)\b", re.I)
CALENDAR = re.compile(r"^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|"
                      r"April|May|June|July|August|September|October|November|December)", re.I)


def expected_type(question: str) -> str:
    """What kind of answer the question asks for ("date", "quantity", "name" or "any"),
    judged by its first question word: "How did Putin describe X when asked" asks for a
    description, not a date."""
    q = question.lower()
    first = WH.search(q)
    if not first:
        return "any"
    rest = q[first.start():]
    if re.match(r"when\b|what (year|date|day|month|time)\b", rest) or re.search(r"\bsince when\b", q):
        return "date"
    if re.match(r"how (many|much|long|old|far)\b|what (percentage|number|amount)\b", rest):
        return "quantity"
    if re.match(r"(who|whom|whose)\b", rest):
        return "name"
    return "any"


def has_type(sentence: str, kind: str, question: str) -> bool:
    if kind == "date":  # "until Belarus is free" answers "when will the war be over" too
        return bool(DATE_WORDS.search(sentence) or re.search(r"\b(until|after|before|once)\b", sentence, re.I))
    if kind == "quantity":
        return bool(QUANTITY.search(sentence))
    if kind == "name":
        asked = set(words(question))
        # A capitalised word the question does not contain, other than a sentence-initial
        # function word ("They ...") or a weekday or month.
        return any(t[0].isupper() and not CALENDAR.match(t) and not set(words(t)) <= asked | STOPWORDS
                   for t in re.findall(r"[\w’'-]+", sentence))
    return True


SEMANTIC_POOL = 12  # sentences re-scored by embedding similarity


@dataclass
class Candidate:
    passage: int  # 1-based passage number
    text: str
    score: float


class SentenceRanker:
    """Scores the sentences of the passages as answers to a question: the IDF-weighted share
    of the question's content words a sentence contains (with its passage's title and the
    sentence before it as context), then, for the lexically best SEMANTIC_POOL, blended with
    embedding similarity to the question."""

    def __init__(self, idf: Callable[[str], float], embed: Callable[[list[str]], np.ndarray]) -> None:
        self.idf, self.embed = idf, embed

    def rank(self, question: str, passages: list[Passage]) -> list[Candidate]:
        q_terms = set(terms(question))
        if not q_terms:
            return []
        weights = {t: self.idf(t) for t in q_terms}
        total = sum(weights.values())
        rows: list[tuple[int, str, float]] = []
        for number, passage in enumerate(passages, start=1):
            sents = [s for _, _, s in sentences(passage.chunk.text)]
            title_terms = set(terms(passage.chunk.title))
            for i, sent in enumerate(sents):
                own = set(terms(sent))
                context = own | title_terms | set(terms(sents[i - 1] if i else ""))
                covered = sum(w for t, w in weights.items() if t in own) * 0.75 + sum(
                    w for t, w in weights.items() if t in context) * 0.25
                rows.append((number, sent, covered / total))
        # Embedding every sentence is the slow part; only the lexically plausible ones compete.
        rows = sorted(rows, key=lambda r: r[2], reverse=True)[:SEMANTIC_POOL]
        if not rows:
            return []
        sims = self.embed([question, *[r[1] for r in rows]])
        similarity = sims[1:] @ sims[0]
        return [Candidate(n, s, 0.6 * cov + 0.4 * float(sim)) for (n, s, cov), sim in zip(rows, similarity, strict=True)]
