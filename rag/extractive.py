"""The extractive generator: no language model. It answers with the passage sentences that
best answer the question, the answering one first, each tidied (no dateline, no clause about
something else) and cited; it refuses when none answers. Deterministic and instant.

A summary or comparison gets one sentence from each of several articles instead."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from rag.evidence import (
    SentenceRanker,
    asking_sentence,
    asks_for_credit,
    category_terms,
    designates,
    echoes_quote,
    expected_type,
    first_per_article,
    has_type,
    holds_quote,
    tidy,
    type_bonus,
)
from rag.text import is_credit, sentences, terms
from rag.types import REFUSAL, Candidate, Passage, Prompt

# Words for a measure itself, not for what is measured: "what percentage" asks for a number.
MEASURES = frozenset(terms("percentage percent share proportion number amount total figure rate level count sum"))
# "how many dollars' worth of business": money asked, which "$43 billion" gives without saying "dollars"
MONEY = frozenset(terms("dollar dollars euro euros pound pounds rouble roubles ruble rubles yuan money cash worth value"))
CURRENCY = re.compile(r"[$€£¥]\s?\d|\b\d[\d,.]*\s*(?:billion|million|thousand)?\s*(?:dollars|euros|pounds|roubles|rubles|yuan)\b")
ANCHOR = 0.4  # share of the question's (IDF-weighted) focus words around an answer sentence
# ... or this share, for the best sentence when it is STANDOUT ahead of the next: "How many Russian
# warplanes were moved into Belarus the week before the Minsk summit?" is about "Last week, three
# Russian warplanes ... were sent to Belarus", whose neighbours never say "Minsk summit"
STANDOUT, STANDOUT_ANCHOR = 0.12, 0.25
# A sentence this similar to the question means what it asks, in other words: "how many russian
# soldiers ... ready for a major offensive" is answered by "Russia had 200,000 troops ready for a
# major offensive", though it never says "soldiers"
SAME_MEANING = 0.7
NEARLY = 0.05  # a typed answer this close to the best sentence is the answer, not the best one's neighbour
SYNTHESIS_ARTICLES = 5  # sentences in a summary: one per article, best articles first
SYNTHESIS_FLOOR = 0.2  # an article's best sentence must reach this (and half the best) to be in a summary


class ExtractiveGenerator:
    """Picks the passage sentences that best answer the question and cites each one.

    Sentences are ranked by `rag.evidence.SentenceRanker` (question words with their context,
    embedding similarity, and a bonus for the kind of answer asked for: a calendar date for
    "when"). The best must reach `threshold` and hold the kind of thing asked for; below it,
    the honest answer is a refusal."""

    name = "extractive"

    def __init__(self, idf: Callable[[str], float], embed: Callable[[list[str]], np.ndarray],
                 threshold: float = 0.35, max_sentences: int = 2) -> None:
        self.ranker = SentenceRanker(idf, embed)
        self.threshold, self.max_sentences = threshold, max_sentences

    def stream(self, prompt: Prompt) -> Iterator[str]:
        chosen = self.select(prompt)
        if not chosen:
            yield REFUSAL
            return
        yield " ".join(f"{tidy(c.text, prompt.question)} [{c.passage}]" for c in chosen)

    def select(self, prompt: Prompt) -> list[Candidate]:
        if prompt.synthesis:
            ranked = prompt.evidence or self.ranker.rank(prompt.question, prompt.passages, per_article=3)
            summary = synthesis(ranked, prompt.passages)
            if len(summary) >= 2:
                return summary
        ranked = prompt.evidence or self.ranker.rank(prompt.question, prompt.passages)
        return self.fact(prompt.question, ranked, prompt.passages)

    def fact(self, question: str, ranked: list[Candidate], passages: Sequence[Passage] = ()) -> list[Candidate]:
        """The best answering sentence, then one more when it is nearly as good or is the
        best one's neighbour (the sentence that says where, after the one that says when).
        An answer must stand among most of what the question is about (`ANCHOR`): "How much
        gas does Belarus import?" is not answered by a trade figure that never says gas or
        import, however well its number fits."""
        chosen = self._fact(question, ranked, passages)
        # "who dreads a takeover?" answered by "They fear ...": the sentence before says who they are
        if chosen and WHO.search(asking_sentence(question)) and (naming := named_before(chosen[0], ranked)):
            return [naming, *chosen]
        return chosen

    def _fact(self, question: str, ranked: list[Candidate], passages: Sequence[Passage]) -> list[Candidate]:
        kind = expected_type(question)
        # "how much *gas*" must be about gas; "what percentage" is answered by "100 percent"
        counted = category_terms(question) - MEASURES if kind == "quantity" else set()
        credit = asks_for_credit(question)  # only a byline says who wrote it
        on_topic = [c for c in ranked if c.score >= self.threshold and (c.near >= ANCHOR or standout(c, ranked)
                                                                         or restates(c, ranked)
                                                                         or holds_quote(c.text, question)
                                                                         or echoes_quote(c.text, question))
                    and (not counted or counted & set(terms(c.text)) or c.similarity >= SAME_MEANING
                         or (counted <= MONEY and CURRENCY.search(c.text)))
                    and (not credit or is_credit(c.text))]
        # the question quotes a phrase: the sentence that says it is the one asked about
        good = sorted((c for c in on_topic if has_type(c.text, kind, question)), key=lambda c: not echoes_quote(c.text, question))
        pointed = bool(good) and echoes_quote(good[0].text, question)
        # a sentence that answers and is nearly as good beats the best one and its neighbour
        if on_topic and not pointed and (not good or good[0].score < on_topic[0].score - NEARLY) and \
                (pair := continued(on_topic[0], passages, kind, question)):
            return pair  # the sentence most about the question, then the one that answers it
        if not good:
            return []
        best = whole_quote(good[0], passages)
        if words_next := quoted_next(best, passages, question):
            return [best, words_next]
        if named := model_beside(best, good, question):
            return sorted([best, named], key=lambda c: c.position)
        extra = [c for c in good[1:] if c.text not in best.text and 2 * c.own >= best.own and (
            c.score >= best.score - 0.15 or (c.passage == best.passage and abs(c.position - best.position) == 1
                                            and c.score >= best.score - 0.25))]
        return [best, *extra[: self.max_sentences - 1]]


WHO = re.compile(r"\bwho(?:m|se)?\b", re.IGNORECASE)  # a question asking for a person
# A sentence whose subject is a pronoun: "They fear a creeping Russian annexe" does not say who
PRONOUN_FIRST = re.compile(r"^\W*(?:They|He|She|We)\b")


def named_before(best: Candidate, ranked: list[Candidate]) -> Candidate | None:
    """The sentence before `best` in its passage, when `best` answers a who-question with "they" or
    "he": "who dreads a creeping Russian takeover" is answered by "The majority of Belarus' political
    opposition is now in exile ... They fear a creeping Russian annexe", not by the second alone."""
    if not PRONOUN_FIRST.match(best.text):
        return None
    return next((c for c in ranked if c.passage == best.passage and c.position == best.position - 1), None)


def standout(candidate: Candidate, ranked: list[Candidate]) -> bool:
    """Whether `candidate` is the best sentence, far ahead of the next, and among a fair share
    of what the question is about: the question's other words are paraphrased, not missing."""
    return candidate is ranked[0] and candidate.near >= STANDOUT_ANCHOR and \
        (len(ranked) == 1 or candidate.score - ranked[1].score >= STANDOUT)


def restates(candidate: Candidate, ranked: list[Candidate]) -> bool:
    """Whether `candidate` is the best sentence and means what the question asks (SAME_MEANING),
    in other words: "promised ... to supply Belarus with Iskander-M systems" answers "what missile
    systems did Putin pledge to provide", though none of the question's rarer words is near it."""
    return candidate is ranked[0] and candidate.similarity >= SAME_MEANING


def continued(best: Candidate, passages: Sequence[Passage], kind: str, question: str) -> list[Candidate]:
    """The sentence about the question, and a neighbour that gives the kind of answer asked for
    when it does not: one of the next two ("Zaluzhniy told the Economist that Russia had 200,000
    troops ready for a major offensive. This could be from the east, the south, or Belarus. It is
    more likely to come in spring." answers "when"), or the one before ("Putin met his Belarusian
    counterpart on Monday (19 December) ... Putin was in Minsk for the first visit since 2019."),
    the one with the better answer of that kind first, in reading order."""
    if not 0 < best.passage <= len(passages):
        return []
    texts = [text for _, _, text in sentences(passages[best.passage - 1].chunk.text)]
    around = [p for p in (best.position + 1, best.position + 2) if p < len(texts)]
    fitting = [p for p in around if has_type(texts[p], kind, question)]
    # the one before only with a calendar date: "until his government had discussed it" is no "when"
    if best.position > 0 and type_bonus(texts[best.position - 1], kind, question) > 0:
        fitting.append(best.position - 1)
    if not fitting:
        return []
    position = max(fitting, key=lambda p: type_bonus(texts[p], kind, question))  # the first of equals
    pair = [best, Candidate(best.passage, texts[position], best.score, position=position)]
    return sorted(pair, key=lambda c: c.position)


# "How did Lukashenko react to reports ...?", "What did he call them?": asks for someone's own words
WORDS_ASKED = re.compile(r"\b(?:how|what)\s+(?:did|does|do|has|have)\s+[^?]{0,60}?\b(?:react|respond|reply|answer|call|"
                         r"describe|dismiss)\b(?!\s+(?:for|on|off|in)\b)", re.IGNORECASE)  # not "call for", a call
# '"Don't listen to this nonsense and chatter. ...," he was quoted as saying.': the words of the one before
QUOTE_OF_IT = re.compile(r"^[“\"]\s*\w")


def quoted_next(best: Candidate, passages: Sequence[Passage], question: str) -> Candidate | None:
    """For a question asking for someone's words, the sentence after the one reporting what they
    did, when it quotes them ("Lukashenko dismissed media reports that ... . “Don't listen to this
    nonsense and chatter,” he was quoted as saying."): the answer is in their words."""
    if not WORDS_ASKED.search(question.split("?")[0]) or not 0 < best.passage <= len(passages):
        return None
    texts = [text for _, _, text in sentences(passages[best.passage - 1].chunk.text)]
    after = best.position + 1
    if after >= len(texts) or not QUOTE_OF_IT.search(texts[after]):
        return None
    return whole_quote(Candidate(best.passage, texts[after], best.score, position=after), passages)


QUOTE_SENTENCES = 3  # the sentences a quotation may run on for


def whole_quote(best: Candidate, passages: Sequence[Passage]) -> Candidate:
    """`best`, with the rest of a quotation it opens and does not close ("Lukashenko replied: “It
    would be better if you didn’t watch it. You would probably get upset.”"): the reason is in the
    words after the full stop; or with the start of one it closes ("You would probably get
    upset.”" is Lukashenko's, which the sentence opening the quotation says)."""
    if not (opens_quote(best.text) or closes_quote(best.text)) or not 0 < best.passage <= len(passages):
        return best
    text = passages[best.passage - 1].chunk.text
    spans = list(sentences(text))
    if not 0 <= best.position < len(spans) or spans[best.position][2] != best.text:
        return best
    first: int | None
    last: int | None
    if closes_quote(best.text):  # only to say who speaks: an unattributed opening would bury the answer
        first = next((i for i in range(best.position - 1, max(best.position - QUOTE_SENTENCES, -1), -1)
                      if opens_quote(spans[i][2])), None)
        first = first if first is not None and SPEAKER_OPENS.search(spans[first][2]) else None
        last = best.position
    else:
        first = best.position
        last = next((i for i in range(best.position + 1, min(best.position + QUOTE_SENTENCES, len(spans)))
                     if re.search(r"[”\"]", spans[i][2])), None)
    if first is None or last is None:
        return best
    whole = text[spans[first][0]:spans[last][1]]
    return Candidate(best.passage, whole, best.score, position=best.position, similarity=best.similarity,
                     near=best.near, own=best.own)


# "Lukashenko replied: “It would be better ...": who speaks, before the quotation opens
SPEAKER_OPENS = re.compile(r"\b[A-Z][\w’'.-]+\s+(?:said|says|replied|answered|added|told\s+\w+|asked)\s*[:,]?\s*[“\"]")


def closes_quote(text: str) -> bool:
    """Whether `text` closes a quotation an earlier sentence opened: more ” than “."""
    return text.count("”") > text.count("“")


def opens_quote(text: str) -> bool:
    """Whether `text` opens a quotation it does not close: more “ than ”, or a last straight
    quote that opens (after a space or a colon, before a word), not one closing a quotation
    an earlier sentence opened ("It's a matter for policy alignment.")."""
    if "“" in text or "”" in text:
        return text.count("“") > text.count("”")
    last = text.rfind('"')
    return last >= 0 and text.count('"') % 2 == 1 and (last == 0 or text[last - 1] in " :(") and \
        last + 1 < len(text) and not text[last + 1].isspace()


def model_beside(best: Candidate, ranked: list[Candidate], question: str) -> Candidate | None:
    """For "which attack plane", the sentence beside the best that names the model ("the Su-25
    aircraft") when the best names only the kind ("ready to start manufacturing Russian attack
    planes"): the two together answer it."""
    if not category_terms(question) or designates(best.text, question):
        return None
    return next((c for c in ranked if c.passage == best.passage and abs(c.position - best.position) == 1
                 and designates(c.text, question)), None)


def synthesis(ranked: list[Candidate], passages: list[Passage]) -> list[Candidate]:
    """Each article's best sentence, for the best SYNTHESIS_ARTICLES articles, in the order the
    articles were published (when all their dates are known) so a summary reads as a story."""
    floor = max(SYNTHESIS_FLOOR, ranked[0].score / 2) if ranked else SYNTHESIS_FLOOR
    chosen = first_per_article([c for c in ranked if c.score >= floor], passages, 1)[:SYNTHESIS_ARTICLES]
    dates = [passages[c.passage - 1].chunk.published for c in chosen]
    if all(dates):
        chosen = [c for _, c in sorted(zip(dates, chosen, strict=True), key=lambda pair: pair[0])]
    return chosen
