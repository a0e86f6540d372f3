"""Typing slips in a question, mended before it is searched: "what were the talks mostly abuot"
asks about "about", "acording to bloomberg" means "according", "theyll" is "they'll". Unmended,
such a word matches no article, and a question with a word no article uses is refused as being
about something else (`rag.evidence.judge`): a typo turned an answerable question into "The
articles don't say."

Only a word that is neither English (the embedding model's vocabulary) nor in any indexed
article is touched, and only into a word one edit away that is a common function word or in
the articles: "detained" stays "detained" even if no article has it (the articles not saying is
then the right answer), "retained" is never guessed for it. Names are left to the judge, which
knows them by their closeness to the articles' names (`KeywordIndex.resembles`)."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from functools import lru_cache

import lemminflect

from rag.text import STOPWORDS, forms, terms

TOKEN = re.compile(r"(?<![\w’'-])[A-Za-z]+(?![\w’'-])")


def mend(question: str, known: Callable[[str], bool], vocabulary: frozenset[str]) -> str:
    """`question` with each slip replaced by the word it most likely meant (case kept)."""
    return TOKEN.sub(lambda m: _mend_word(m.group(), known, vocabulary), question)


def _mend_word(word: str, known: Callable[[str], bool], vocabulary: frozenset[str]) -> str:
    w = word.lower()
    if w in vocabulary or w in STOPWORDS or len(w) < 3:
        return word
    if restored := contractions(vocabulary).get(w):
        return _like(word, restored)
    if lemminflect.getAllLemmas(w) or any(map(known, forms(w))):
        return word  # an English word's form ("chatted"), or in the articles ("Tikhanovskaya")
    meant = _likeliest(w, known, vocabulary)
    return _like(word, meant) if meant else word


def _likeliest(w: str, known: Callable[[str], bool], vocabulary: frozenset[str]) -> str:
    """The word one edit from `w` that is a function word or in the articles: a function word
    first ("abuot" -> "about"), then by the commonest slips: two letters swapped ("Minks" ->
    "Minsk"), one left out ("wher" -> "where", not "her"), one mistyped, one too many. Three
    letters or fewer: only a swap ("teh" -> "the"), since nearly every short string is one edit
    from some word ("nyt" is not "not")."""
    swaps = _swaps(w)
    candidates = swaps if len(w) <= 3 else one_edit(w)
    fitting = [c for c in candidates if c in vocabulary and (c in STOPWORDS or all(map(known, terms(c))))]
    slip = {1: 1, 0: 2, -1: 3}  # by the length the meant word has over the typed one

    def likelihood(c: str) -> tuple[bool, int, str]:
        return c not in STOPWORDS, 0 if c in swaps else slip[len(c) - len(w)], c

    return min(fitting, key=likelihood, default="")


@lru_cache(maxsize=2)
def contractions(vocabulary: frozenset[str]) -> dict[str, str]:
    """Contractions typed without the apostrophe ("theyll", "whats", "wasnt"), unless that is a
    word of its own ("well", "were", "its")."""
    return {w.replace("'", ""): w for w in STOPWORDS if "'" in w and w.replace("'", "") not in vocabulary}


def _like(typed: str, word: str) -> str:
    return word[:1].upper() + word[1:] if typed[:1].isupper() else word


def _swaps(w: str) -> set[str]:
    return {w[:i] + w[i + 1] + w[i] + w[i + 2:] for i in range(len(w) - 1)}


def one_edit(w: str) -> set[str]:
    """Every string one deletion, swap of neighbours, replacement or insertion from `w`."""
    splits = [(w[:i], w[i:]) for i in range(len(w) + 1)]
    deleted = {a + b[1:] for a, b in splits if b}
    replaced = {a + c + b[1:] for a, b in splits if b for c in string.ascii_lowercase}
    inserted = {a + c + b for a, b in splits for c in string.ascii_lowercase}
    return deleted | _swaps(w) | replaced | inserted
