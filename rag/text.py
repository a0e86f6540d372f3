"""Words, numbers and sentences: the one tokenizer shared by keyword search, the extractive
generator and citation verification, so all three agree on what "the same word" means."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import lemminflect
import Stemmer

# breame's own `get_american_spelling` is a lookup in this table; the table is read directly
from breame.data.spelling_constants import BRITISH_ENGLISH_SPELLINGS as AMERICAN

STOPWORDS = frozenset(
    ["a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "aren't", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "can't", "cannot", "could", "couldn't", "did", "didn't", "do", "does", "doesn't", "doing", "don't", "down", "during", "each", "few", "for", "from", "further", "had", "hadn't", "has", "hasn't", "have", "haven't", "having", "he", "he'd", "he'll", "he's", "her", "here", "here's", "hers", "herself", "him", "himself", "his", "how", "how's", "i", "i'd", "i'll", "i'm", "i've", "if", "in", "into", "is", "isn't", "it", "it's", "its", "itself", "let's", "me", "more", "most", "mustn't", "my", "myself", "no", "nor", "not", "of", "off", "on", "once", "only", "or", "other", "ought", "our", "ours", "ourselves", "out", "over", "own", "same", "shan't", "she", "she'd", "she'll", "she's", "should", "shouldn't", "so", "some", "such", "than", "that", "that's", "the", "their", "theirs", "them", "themselves", "then", "there", "there's", "these", "they", "they'd", "they'll", "they're", "they've", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "wasn't", "we", "we'd", "we'll", "we're", "we've", "were", "weren't", "what", "what's", "when", "when's", "where", "where's", "which", "while", "who", "who's", "whom", "why", "why's", "with", "won't", "would", "wouldn't", "you", "you'd", "you'll", "you're", "you've", "your", "yours", "yourself", "yourselves", "also", "according", "said", "says", "say", "tell", "told"]
)

WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?|\$?\d[\d,.]*%?")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")

# A sentence ends at . ! ? (plus closing quotes) followed by space and an opening capital,
# quote or digit, but not after an initial ("Vladimir V. Putin") or a common abbreviation.
# Citation markers right after the end belong to the sentence they follow ("solved.” [1]").
_SENTENCE_END = re.compile(
    r"[.!?]+[\"”’')\]]*(?:\s*\[\d+(?:\s*,\s*\d+)*\??\])*(?=\s+[\"“‘'(\[]?[A-Z0-9])|\n+"
)
_ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|St|Gen|Sen|Rep|Gov|Lt|Col|Jr|Sr|Prof|No|Inc|Co|Corp|Ltd|vs|U\.S|U\.N|"
    r"U\.K|E\.U|Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec)|\b[A-Z])\.$"
)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-cased words and numbers, possessives folded ("Putin's" -> "putin"), typographic
    apostrophes made plain ("shouldn’t" is the stopword "shouldn't")."""
    return [re.sub(r"'s$", "", w.lower().replace("’", "'")) for w in WORD.findall(text)]


def terms(text: str) -> list[str]:
    """Stemmed content words: the unit of keyword search and of support checks. A British
    spelling counts as the American one: "defence commitments" finds "defense agreements"."""
    content = [AMERICAN.get(w, w) for w in words(text) if w not in STOPWORDS and w.strip("$%,.")]
    stems: list[str] = _stemmer().stemWords([w.rstrip(".,") for w in content])  # PyStemmer has no stubs
    return stems


# "Belarusian state news agency", "Russian troops": a nationality describing the noun after it.
DEMONYM = re.compile(r"^[A-Z][a-z]+(?:an|ese|ish|ic)$")
# Capitalised words, with the small words a name's acronym skips between them ("Commonwealth
# of Independent States" is CIS; "and" joins two names more often than it is inside one)
_NAME_RUN = re.compile(r"[A-Z][\w’'-]*(?:\s+(?:(?:of|the|for|on|in|de)\s+)*[A-Z][\w’'-]*)+")
ACRONYM_WORDS = 6  # the most words an acronym stands for


def acronyms(text: str) -> list[str]:
    """The acronyms the names in `text` would have: "Commonwealth of Independent States" ->
    CIS, "European Union" -> EU, and within a longer run of capitalised words each run of three
    or more ("Chairman of the Board of the Eurasian Economic Commission Mikhail Myasnikovich"
    gives EEC), so that a question saying "CIS" finds, and is known to be about, a passage that
    spells it out."""
    found = []
    for run in _NAME_RUN.findall(text):
        caps = [w for w in run.split() if w[0].isupper() and w.lower() not in STOPWORDS]
        if 2 <= len(caps) <= ACRONYM_WORDS:
            found.append("".join(w[0] for w in caps))
        found += ["".join(w[0] for w in caps[i:j]) for i in range(len(caps))
                  for j in range(i + 3, min(len(caps), i + ACRONYM_WORDS) + 1)]
    return list(dict.fromkeys(found))


def numbers(text: str) -> set[str]:
    """Numbers as written, without separators: "$43 billion" -> {"43"}, "200,000" -> {"200000"}."""
    return {n.replace(",", "") for n in NUMBER.findall(text)}


def sentences(text: str, offset: int = 0) -> Iterator[tuple[int, int, str]]:
    """(start, end, sentence) for each sentence of `text`, spans shifted by `offset`."""
    start = 0
    for match in _SENTENCE_END.finditer(text):
        newline = match.group().startswith("\n")
        if not newline and _ABBREVIATION.search(text[start : match.start() + 1]):
            continue
        yield from _span(text, start, match.start() if newline else match.end(), offset)
        start = match.end()
    yield from _span(text, start, len(text), offset)


def _span(text: str, start: int, end: int, offset: int) -> Iterator[tuple[int, int, str]]:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        lead = len(piece) - len(piece.lstrip())
        begin = start + lead
        yield offset + begin, offset + begin + len(stripped), stripped


@lru_cache(maxsize=4096)
def forms(word: str) -> frozenset[str]:
    """The stemmed terms of a word's other forms ("won" -> win, wins, winning, ...): a stemmer
    does not join irregular forms, so "drive" would never match an article's "drove"."""
    lemmas = {lemma for found in lemminflect.getAllLemmas(word.lower()).values() for lemma in found}
    inflected = {w for lemma in lemmas for found in lemminflect.getAllInflections(lemma).values() for w in found}
    return frozenset(t for w in lemmas | inflected | {word} for t in terms(w))


# A photo caption: who stands where ("Lukashenko, left, of Belarus, and Putin"), or its credit.
CAPTION = re.compile(r",\s+(?:left|right|center|centre|second (?:left|right)|top|bottom)\s*,|"
                     r"\b(?:file photo|photo credit|getty images|ap photo)\b", re.IGNORECASE)


def is_caption(text: str) -> bool:
    """A photo caption's sentence (cleaning keeps one copy of a caption as body text)."""
    return bool(CAPTION.search(text))


def is_credit(text: str) -> bool:
    """An article's credit line: a byline ("By Jane Okafor, CNN"), with or without its date and
    time ("16 December 2022 - 13:59 By Benjamin Harvey"). Cleaning keeps the one before the lead
    as body text, so "who wrote it" and "when was it published" have a sentence to cite."""
    return len(text.split()) <= 12 and bool(re.search(r"(?:^|\s)By\s+[A-Z][\w.'’-]+\s+[A-Z]", text))


# A digest: one page of short items on many stories ("5 things to know for June 17: Jan. 6,
# Church shooting, Ukraine ...", "Ten Things You Need to Know Today: 17 June 2022", "Daily
# Briefing"). Not an explainer on one story ("What to know about Nancy Pelosi's visit",
# "Everything you need to know"), nor a live blog, which follows one story.
_COUNTED = r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty)"
DIGEST = re.compile(
    rf"\b{_COUNTED}\s+(?:must-know\s+)?(?:things|stories)\b(?:\s+you need)?\s+to know\b"
    r"(?!\s+(?:about|before|from|as|ahead|after|if|when)\b)|"  # "5 things to know before the Fed meeting": one story
    r"\b(?:daily|morning|evening|weekly) briefing\b|\bmust-know things\b", re.IGNORECASE)


def is_digest(title: str) -> bool:
    """Whether an article's title says it is a digest of many stories: it mentions a story in
    a line, where the story's own article tells it, so it is weak evidence for any one of them."""
    return DIGEST.search(title) is not None
