"""Typing slips in a question, mended before it is searched: "what were the talks mostly abuot"
asks about "about", "acording to bloomberg" means "according", "theyll" is "they'll". Unmended,
such a word matches no article, and a question with a word no article uses is refused as being
about something else (`rag.judge.judge`): a typo turned an answerable question into "The
articles don't say."

Only a word that is neither English (the embedding model's vocabulary) nor in any indexed
article is touched, and only into a word one edit away that is a common function word or in
the articles: "detained" stays "detained" even if no article has it (the articles not saying is
then the right answer), "retained" is never guessed for it. Names are left as typed (a
capitalised word, an acronym, and no mistyped letter is tried: "biden" is not "widen"); the judge
knows a misspelt name by its closeness to the articles' names (`KeywordIndex.resembles`)."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from functools import lru_cache

import lemminflect

from rag.text import STOPWORDS, forms, terms

TOKEN = re.compile(r"(?<![\w’'-])[A-Za-z]+(?![\w’'-])")


def mend(question: str, known: Callable[[str], bool], vocabulary: frozenset[str]) -> str:
    """`question` with each slip replaced by the word it most likely meant (case kept). A
    capitalised word is a name ("Biden", "OPEC") unless it opens the question ("Teh ...")."""
    first = TOKEN.search(question)

    def fix(match: re.Match[str]) -> str:
        word = match.group()
        opening = first is not None and match.start() == first.start()
        name = word.isupper() or (word[:1].isupper() and not opening)
        return word if name else _mend_word(word, known, vocabulary)

    return TOKEN.sub(fix, question)


def _mend_word(word: str, known: Callable[[str], bool], vocabulary: frozenset[str]) -> str:
    """`word`, or the word it is a slip for when it is neither English nor in the articles."""
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
    """The one word `w` is a slip for, among English words that are function words or in the
    articles: a function word first ("abuot" -> "about"), then by the commonest slips (`_slips`).
    Empty when two fit equally well. A mistyped letter is not tried: it turns names into words
    ("biden" -> "widen", "opec" -> "open"). Three letters or fewer: only into a function word
    ("teh" -> "the"), since nearly every short string is a slip for some word ("wto" is not "two")."""
    ranked: dict[tuple[bool, int], set[str]] = {}
    for rank, candidates in enumerate(_slips(w)):
        for c in candidates & vocabulary:
            if c in STOPWORDS or (len(w) > 3 and all(map(known, terms(c)))):
                ranked.setdefault((c not in STOPWORDS, rank), set()).add(c)
    best = ranked[min(ranked)] if ranked else set()
    return next(iter(best)) if len(best) == 1 else ""


def _slips(w: str) -> list[set[str]]:
    """What `w` may have been meant as, the commonest slip first: two letters swapped
    ("strat"), one left out ("wher", "acording"), one typed twice ("tallks")."""
    doubled = {w[:i] + w[i + 1:] for i in range(len(w) - 1) if w[i] == w[i + 1]}
    return [_swaps(w), _inserted(w), doubled]


@lru_cache(maxsize=2)
def contractions(vocabulary: frozenset[str]) -> dict[str, str]:
    """Contractions typed without the apostrophe ("theyll", "whats", "wasnt"), unless that is a
    word of its own ("well", "were", "its")."""
    return {w.replace("'", ""): w for w in STOPWORDS if "'" in w and w.replace("'", "") not in vocabulary}


def _like(typed: str, word: str) -> str:
    """`word` capitalised as `typed` was."""
    return word[:1].upper() + word[1:] if typed[:1].isupper() else word


def _swaps(w: str) -> set[str]:
    """Every string two neighbouring letters of `w` swapped."""
    return {w[:i] + w[i + 1] + w[i] + w[i + 2:] for i in range(len(w) - 1)}


def _inserted(w: str) -> set[str]:
    """Every string one letter longer than `w`: the words a letter left out of `w` may have been."""
    return {w[:i] + c + w[i:] for i in range(len(w) + 1) for c in string.ascii_lowercase}


def one_edit(w: str) -> set[str]:
    """Every string one deletion, swap of neighbours, replacement or insertion from `w`."""
    deleted = {w[:i] + w[i + 1:] for i in range(len(w))}
    replaced = {w[:i] + c + w[i + 1:] for i in range(len(w)) for c in string.ascii_lowercase}
    return deleted | _swaps(w) | replaced | _inserted(w)
