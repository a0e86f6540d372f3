"""Follow-up questions, made standalone for retrieval and for the reader.

"What weapons did they discuss there?" retrieves nothing useful on its own. Two condensers
share one protocol:
- `KeywordCondenser` (no model): when the question leans on the conversation, it rewrites
  its references from the last turn's names: "they" -> "Putin and Lukashenko", "there" ->
  "in Minsk", "his" -> "Putin's", so the searched question reads as one a person would ask
  ("What weapons did Putin and Lukashenko discuss in Minsk?") and the UI can show it. What
  it cannot resolve ("that", "it", a question of two words) gets the last question's names
  and content words appended, and the last answer's names and numbers, not its whole sentence:
  that would outweigh the follow-up itself. A bare request for more ("With whose help?", "About
  what?") has nothing to outweigh: it gets the words of the answer's first sentence, so the
  passage that sentence came from, and what follows it, is found.
- `LLMCondenser`: asks the chat model to rewrite the question with prompts/condense.txt,
  falling back to the keyword condenser if the model's rewrite is empty or runs on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import lemminflect

import prompts
from rag.evidence import people
from rag.text import DEMONYM, STOPWORDS, sentences, terms, words
from rag.verify import MARKER

History = Sequence[tuple[str, str]]

ANAPHORA = re.compile(
    r"\b(he|she|it|they|him|her|them|his|hers|its|their|theirs|that|this|those|these|there|then|"
    r"the same|the other|such|former|latter)\b", re.IGNORECASE,
)
MONTH_OR_DAY = re.compile(r"^(January|February|March|April|May|June|July|August|September|October|November|"
                          r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)$")
# A name: capitalised words, with "St." and joining particles inside ("St. Petersburg").
NAME = re.compile(r"\b(?:St\.\s)?[A-Z][\w’'-]+(?:\s(?:of\s|de\s|St\.\s)?[A-Z][\w’'-]+)*")
# Capitalised at the start of a sentence or before a name, but no one "he" or "they" can mean:
# "They ...", "Even though Putin ...", "Mr. Putin" ("Mr" ends at its full stop)
NOT_NAMES = STOPWORDS | frozenset([
    "even", "however", "meanwhile", "although", "though", "still", "yet", "separately", "instead", "earlier", "later",
    "despite", "unlike", "speaking", "asked", "last", "next",
    "mr", "mrs", "ms", "dr", "gen", "sen", "rep", "gov", "lt", "col", "prof",
    # an answer's opening reply ("Yes. He said ..."): nobody "he" can mean
    "yes", "no", "yeah", "sure", "indeed", "true", "correct", "partly",
])
PLACE_CUE = re.compile(r"\b(?:in|at|to|from|near|visit|visited|visiting)\s+(?:the\s+)?$", re.IGNORECASE)


class Condenser(Protocol):
    def condense(self, question: str, history: History) -> str: ...


@dataclass
class Referents:
    """What the last turn was about: people (or groups), places and dates, first mention first."""

    people: list[str]
    places: list[str]
    dates: list[str]
    persons: list[str] = field(default_factory=list)  # those of `people` the text shows to be persons


class KeywordCondenser:
    def condense(self, question: str, history: History) -> str:
        if not history or not _needs_context(question):
            return question
        question = uncontract(question)
        rewritten = resolve(question, _last_turn(history))
        if _fully_resolved(question, rewritten):
            return rewritten
        last_q, last_a = history[-1]
        return _append(rewritten, last_q, last_a)

    def resolved(self, question: str, history: History) -> str | None:
        """The question with every reference replaced, or None when some ("that", "it", a
        bare "Why?") cannot be resolved from names alone."""
        question = uncontract(question)
        rewritten = resolve(question, _last_turn(history))
        return rewritten if _fully_resolved(question, rewritten) else None


def _fully_resolved(question: str, rewritten: str) -> bool:
    return rewritten != question and not re.search(r"\b(it|that|this|those|these)\b", rewritten, re.IGNORECASE)


def _last_turn(history: History) -> Referents:
    last_q, last_a = history[-1]
    text = f"{last_q} {MARKER.sub('', last_a)}"
    found = referents(text)
    # "Which opposition figure have the US and EU backed?": "she" is the answer's; after "Who is Ned Price?" "he" is
    # still Ned Price, whom the answer describes ("He is the spokesperson for the US State Department")
    if ASKED_WHO.search(last_q) and not DESCRIBE_WHO.match(last_q):
        answered = [name for name in referents(MARKER.sub("", last_a)).people if name in found.people]
        found.people = list(dict.fromkeys(answered + found.people))
    # "It says landlocked Belarus depends on Russia ... Lukashenko said": "he" is Lukashenko, not Belarus
    named = people(text)
    found.persons = [name for name in found.people if name.split()[-1].lower() in named]
    return found


DESCRIBE_WHO = re.compile(r"\W*(?:(?:and|so|but)\s+)?who(?:['’]s|\s+(?:is|was))\s+(?!(?:the|a|an|this|that|their|his|her)\b)",
                          re.IGNORECASE)  # "who is ned price", not "who is the head of state"
# The last question asked for a person, so the answer's first name is who "he" or "she" is next
ASKED_WHO = re.compile(r"^\W*(?:(?:and|so|but)\s+)?(?:who|whom)\b|\b(?:which|what)\s+(?:[\w’'-]+\s+){0,3}?"
                       r"(?:figure|leader|person|official|general|man|woman|politician|spokes\w+|minister|president|"
                       r"commander|journalist|reporter|author)\b", re.IGNORECASE)


def referents(text: str) -> Referents:
    found = Referents([], [], [])
    for match in NAME.finditer(text):
        name = match.group()
        parts = name.split()
        while parts and (parts[0].lower() in NOT_NAMES or MONTH_OR_DAY.match(parts[0]) or _only_describing(parts[0])):
            parts = parts[1:]  # "On Monday", "They", "Even", "Quite awkward": sentence-initial words, not names
        name = " ".join(parts)
        if not name or _describes(name, text, match.end()):
            continue
        kind = found.places if PLACE_CUE.search(text[: match.start()][-12:]) else found.people
        if name not in found.people + found.places:
            kind.append(name)
    found.dates = re.findall(r"\b(?:\d{1,2}\s)?(?:January|February|March|April|May|June|July|August|September|"
                             r"October|November|December)(?:\s\d{1,2}\b)?(?:,?\s\d{4})?|\b(?:19|20)\d{2}\b", text)
    return found


def _only_describing(word: str) -> bool:
    """An adverb or adjective and nothing else ("Quite", "Largely"), never someone "he" can mean."""
    kinds = set(lemminflect.getAllLemmas(word.lower()))
    return bool(kinds) and kinds <= {"ADV", "ADJ"}


LOWERCASE_NEXT = re.compile(r"\s+[a-z]")


def _describes(name: str, text: str, end: int) -> bool:
    """A one-word nationality followed (at `end` of `text`) by a lowercase word is an adjective,
    not someone "he" or "they" can mean."""
    return bool(DEMONYM.match(name)) and bool(LOWERCASE_NEXT.match(text, end))


CONTRACTED = {"ll": "will", "re": "are", "ve": "have"}  # not "'d": "would" or "had", by the verb after it


def uncontract(question: str) -> str:
    """"they'll" as "they will": a name put for the pronoun goes before the verb ("Putin and
    Lukashenko will"), not before "'ll" ("Putin'll")."""
    return re.sub(r"\b(he|she|it|they)['’](ll|re|ve)\b", lambda m: f"{m.group(1)} {CONTRACTED[m.group(2).lower()]}",
                  question, flags=re.IGNORECASE)


def resolve(question: str, ref: Referents) -> str:
    """Replace "they/them", "he/she/him", "his/her/their" and "there" by what they refer to."""
    group = " and ".join(ref.people[:2]) if ref.people else ""
    # "he" or "she" is a person, never "the US" or "the EU" a question named first
    one = next(iter(ref.persons), "") or next((name for name in ref.people if not name.isupper()), "")
    swaps = {
        r"\b(they|them)\b": group,
        r"\b(he|she|him)\b": one,
        r"\btheir\b": f"{group}’s" if group else "",
        r"\bhis\b": f"{one}’s" if one else "",
        r"\bher\b(?=\s+[a-z])": f"{one}’s" if one else "",
        r"\bher\b": one,
        r"\bthere\b": f"in {ref.places[0]}" if ref.places else "",
        r"\bthen\b": f"in {ref.dates[0]}" if ref.dates else "",
    }
    for pattern, replacement in swaps.items():
        if replacement:
            question = re.sub(pattern, replacement, question, flags=re.IGNORECASE)
    return question


def _append(question: str, last_q: str, last_a: str) -> str:
    """The last question's words and the last answer's names and numbers, after the question;
    all the words of the answer's first sentence after a bare request for more ("With whose
    help?", "About what?", "Why?"): it asks about what that sentence says, found by its words."""
    answer = YES_OR_NO.sub("", MARKER.sub("", last_a))
    first = _first_sentence(answer)
    bare = len(set(terms(question)) - ASKING_FOR_MORE) < BARE
    context = last_q.split() + (first.split() if bare else NAME_OR_NUMBER.findall(first))
    seen = set(words(question))
    cleaned = (w.strip(PUNCTUATION) for w in context)
    extra = [w for w in dict.fromkeys(cleaned) if _keep(w, seen)]
    return f"{question} {' '.join(extra)}".strip()


NAME_OR_NUMBER = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]+|\b\d[\d,.:/-]*\b")


YES_OR_NO = re.compile(r"^\s*(?:yes|no)\b[,.;:!]?\s*", re.IGNORECASE)  # "Yes, he said ...": not a word to search
BARE = 2  # a follow-up with fewer content terms asks only for more about the last answer
ASKING_FOR_MORE = frozenset(terms("whose whom kind sort exactly more else details"))  # "with what kind of help?"


def _first_sentence(answer: str) -> str:
    """The answer's first sentence: the one that answered; the rest of a long answer names
    other people and places."""
    return next((text for _, _, text in sentences(answer.strip())), "")


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
        """The keyword rewrite when it resolves every reference (instant); the model otherwise."""
        if not history or not _needs_context(question):
            return question
        if resolved := self.fallback.resolved(question, history):
            return resolved
        turns = "\n".join(f"User: {q}\nAssistant: {MARKER.sub('', a)}" for q, a in history[-3:])
        message = prompts.text("condense").format(history=turns, question=question)
        rewritten = self.complete([{"role": "user", "content": message}]).strip().splitlines()
        first = rewritten[0].strip() if rewritten else ""
        if not first or len(first) > 3 * len(question) + 200:
            return self.fallback.condense(question, history)
        return first
