"""The values that flow along the data path, from article to cited answer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol, cast

from rag.errors import QuestionError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

REFUSAL = "The articles don't say."


def dated(published: str, inferred: bool) -> str:
    """A date as a reader should see it: "2022-12-19", "2022-12-19 (inferred)" or "date unknown"."""
    if not published:
        return "date unknown"
    return f"{published} (inferred)" if inferred else published


QUOTE_MARKS = "\"“”„‘’‚«»「」"  # a quote that starts or ends with one of these is shown as it is


def quoted(quote: str) -> str:
    """The quote in quotation marks, unless it begins or ends with one of its own (a quoted
    speech): then as it is, so no mark is doubled."""
    text = quote.strip()
    if text and (text[0] in QUOTE_MARKS or text[-1] in QUOTE_MARKS):
        return text
    return f"“{text}”"


class Dated:
    """`dated` and `to_dict`, for a dataclass record of an article with its `published` date and
    whether it was inferred."""

    published: str
    date_inferred: bool

    @property
    def dated(self) -> str:
        """The date as a reader should see it: "2022-12-19 (inferred)", or "date unknown"."""
        return dated(self.published, self.date_inferred)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able, with `dated` (a property `asdict` would drop)."""
        return {**asdict(cast("DataclassInstance", self)), "dated": self.dated}


@dataclass(frozen=True)
class Article:
    """One cleaned article. `text` is the article's full source text; `body` lists the
    (start, end) spans of `text` that survive cleaning, so every chunk is an exact slice."""

    id: str
    text: str
    title: str = ""
    outlet: str = ""
    published: str = ""  # ISO date (YYYY-MM-DD) or "" when unknown
    url: str = ""
    source: str = ""  # where it was read from (path, or path#line for JSONL)
    body: tuple[tuple[int, int], ...] = ()
    date_inferred: bool = False  # `published` inferred from the text's dated references


@dataclass(frozen=True)
class Chunk:
    """A passage of an article: `text == article.text[start:end]`."""

    id: str
    article_id: str
    text: str
    start: int
    end: int
    title: str = ""
    outlet: str = ""
    published: str = ""
    url: str = ""
    date_inferred: bool = False


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its fused retrieval score (higher is better)."""

    chunk: Chunk
    score: float


@dataclass(frozen=True)
class Citation(Dated):
    """One `[number]` marker in an answer and the passage it points at.

    `start`/`end` locate the passage in the article's source text; `quote_start`/`quote_end`
    locate the sentence inside it that supports the claim. `verified` is False when the
    support check could not confirm the claim: show such citations as unverified."""

    number: int
    article_id: str
    title: str
    outlet: str
    published: str
    url: str
    passage: str
    start: int
    end: int
    quote: str
    quote_start: int
    quote_end: int
    verified: bool
    support: float
    date_inferred: bool = False  # `published` was inferred from the article's text


@dataclass(frozen=True)
class Excerpt(Dated):
    """A sentence of an article shown beside a refusal, not as an answer: the one the articles
    come closest with. No claim rests on it, so it is no `Citation` and has no marker. `start`/
    `end` locate it in the article's source text."""

    article_id: str
    title: str
    outlet: str
    published: str
    url: str
    quote: str
    start: int
    end: int
    date_inferred: bool = False


@dataclass
class Answer:
    """What `answer()` returns. `citations` is in marker order and empty on a refusal."""

    text: str
    citations: list[Citation]
    passages: list[Passage] = field(default_factory=list, repr=False)  # a REPL shows the answer, not all of them
    query: str = ""  # the standalone query actually searched (after condensation)
    refused: bool = False
    # Why it refused: "no_evidence" (nothing in the articles is about the question),
    # "not_answered" (passages are about it, none answers it) or "empty_index" (no articles
    # indexed: `note` says how to add some); "" when it answered. "corrected" is not a refusal:
    # the question rests on a figure the articles give otherwise, and `text` says what they say.
    refusal: str = ""
    note: str = ""  # one plain sentence for the reader, e.g. which asked-about word no article uses
    generator: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    scope: TimeScope | None = None  # the as-of date and the time the question was read as asking about
    # On a "not_answered" refusal, the passage sentences ranked best as an answer, best first: shown
    # under the refusal for the reader to judge. The articles often answer in words the question does
    # not use (a paraphrase the refusal cannot see), and then one of them holds the answer; never cited.
    closest: list[Excerpt] = field(default_factory=list)

    def __str__(self) -> str:
        """What `print(answer(...))` shows: the text, a note, and one line per cited source
        (the dataclass's own repr would print every passage retrieved)."""
        sources = [f"[{c.number}] {c.title or c.article_id} ({', '.join(filter(None, [c.outlet, c.dated]))})"
                   f"{'' if c.verified else ' (unverified)'}" for c in self.citations]
        lines = [self.text, *([self.note] if self.note else [])]
        for c in self.closest:  # beside the refusal, not a source
            lines.append(f"Closest passage (not taken as an answer): {quoted(c.quote)} ({c.title or c.article_id})")
        return "\n".join([*lines, *([""] + sources if sources else [])])

    def to_dict(self) -> dict[str, Any]:
        """The answer as JSON-able data: what `/ask` and `rag ask --json` return."""
        scope = self.scope or TimeScope()
        return {
            "answer": self.text,
            "refused": bool(self.refused or not self.citations),
            "refusal": self.refusal,  # "no_evidence", "not_answered", "empty_index" or "corrected" (see above)
            "note": self.note,
            "citations": [c.to_dict() for c in self.citations],
            "closest": [c.to_dict() for c in self.closest],  # shown beside a refusal, never cited
            "scope": {"as_of": scope.as_of.isoformat() if scope.as_of else None,
                      "prefer": [d.isoformat() for d in scope.prefer] if scope.prefer else None},
            "query": self.query,
            "generator": self.generator,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


@dataclass(frozen=True)
class IndexReport:
    """What `index()` or `remove()` did.

    Articles: `articles` were read (for `remove()`: taken out); of those, `new` were not in the
    index before and `updated` replaced an older version; the rest were already current.
    Chunks (passages): `added` were embedded and written, `unchanged` were already stored and
    kept, `removed` were deleted (an updated article's stale chunks, or a removed article's)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    articles: int = 0
    errors: tuple[str, ...] = ()
    new: int = 0

    def __add__(self, other: IndexReport) -> IndexReport:
        return IndexReport(
            self.added + other.added,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.removed + other.removed,
            self.articles + other.articles,
            self.errors + other.errors,
            self.new + other.new,
        )

    def summary(self) -> str:
        """One plain paragraph for a person (the CLI and the UI print this)."""
        if self.articles:
            text = (f"Indexed {_plural(self.articles, 'article')}: {_plural(self.added, 'passage')} added, "
                    f"{self.unchanged} unchanged, {self.removed} removed ({self.new} new, "
                    f"{_plural(self.updated, 'updated article')}).")
        else:
            text = "Nothing was indexed."
        return text + (" Skipped: " + "; ".join(self.errors) if self.errors else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class Filters:
    """Optional restrictions on retrieval. Dates are inclusive; articles without a known
    date are excluded as soon as a date bound is given. `as_of` excludes articles published
    after it but keeps undated ones (an "as of" question, not a date filter)."""

    article_ids: tuple[str, ...] = ()
    outlet: str = ""
    date_from: date | None = None
    date_to: date | None = None
    as_of: date | None = None

    def __post_init__(self) -> None:
        """The same checks for the API, the CLI and the UI: a filter that cannot match is an
        error saying so, not a silent "The articles don't say."."""
        if isinstance(self.article_ids, str) or not all(isinstance(a, str) for a in self.article_ids):
            raise QuestionError(f"article_ids must be a tuple of article ids; got {self.article_ids!r}.")
        for name in ("date_from", "date_to", "as_of"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, date):
                raise QuestionError(f"{name} must be a date (YYYY-MM-DD); got {value!r}.")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise QuestionError(f"The date range is empty: from {self.date_from} is after to {self.date_to}. "
                                "Swap the two dates.")

    @classmethod
    def parse(cls, outlet: str | None = "", since: str | None = "", until: str | None = "",
              article_ids: tuple[str, ...] = ()) -> Filters:
        """Filters from text as typed (a form, a command line): dates as YYYY-MM-DD, blanks ignored."""
        return cls(article_ids, (outlet or "").strip(), parse_day(since, "from"), parse_day(until, "to"))

    def is_empty(self) -> bool:
        return not (self.article_ids or self.outlet or self.date_from or self.date_to or self.as_of)


def parse_day(text: str | None, which: str) -> date | None:
    """A date typed as YYYY-MM-DD ("" or None: no date); `which` names the field in the error."""
    if not text or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise QuestionError(f"The '{which}' date {text.strip()!r} is not a date; write it as YYYY-MM-DD, "
                            "e.g. 2023-02-01.") from None


@dataclass(frozen=True)
class TimeScope:
    """When a question is asked and what time it asks about. Articles published after `as_of`
    are not used (undated ones are); `prefer` is the range the question's own time words name
    ("in December 2022", "last week"), which retrieval favours without excluding the rest;
    without one, the days just before `now`."""

    as_of: date | None = None
    prefer: tuple[date, date] | None = None
    now: date | None = None  # the day recency counts from: `as_of`, else today


@dataclass(frozen=True)
class ArticleInfo(Dated):
    """An indexed article as listed for the corpus panel and `rag list`."""

    id: str
    title: str
    outlet: str
    published: str
    chunks: int
    date_inferred: bool = False


@dataclass
class Candidate:
    """A sentence of a retrieved passage, scored as an answer to the question."""

    passage: int  # 1-based passage number
    text: str
    score: float
    own: float = 0.0  # IDF-weighted share of the question's focus terms in the sentence itself
    # the IDF-weighted share of the question's anchor words (focus words other than dates, the
    # answer category and words no passage uses) in the sentence, the two before, the one after
    # and its article's title
    near: float = 0.0
    similarity: float = 0.0  # embedding cosine similarity to the question
    position: int = 0  # sentence index within its passage (0 = first)


@dataclass(frozen=True)
class Prompt:
    """The question, the numbered passages, their ranked sentences (`evidence`, best first),
    and the chat messages rendered from prompts/ for a language model."""

    question: str
    passages: list[Passage]
    messages: list[dict[str, str]] = field(default_factory=list)
    evidence: list[Candidate] = field(default_factory=list)
    synthesis: bool = False  # a summary or comparison: answer from several articles


class Generator(Protocol):
    name: str

    def stream(self, prompt: Prompt) -> Iterator[str]: ...
