"""What the UI does, as plain functions: typed values in, typed values out, no Gradio.

`ui/app.py` lays the page out and wires each event to one of these, turning their results into
Gradio updates and toasts; everything here runs in a test without a server or a browser.

Errors: a `RagError` is the user's to fix, and is shown as its own message. Anything else is a
bug: `failure` logs it with its traceback, and the user reads only that something went wrong (a
guess at the cause, such as "history must be pairs", would send them the wrong way).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from rag import generators, types
from rag.errors import QuestionError, RagError
from rag.settings import Settings
from rag.types import Answer, ArticleInfo, Chunk, Filters, IndexReport
from ui import render
from ui.render import Message
from ui.turns import Conversation, Turn, history_pairs

log = logging.getLogger("newsrag.ui")

SOMETHING_WENT_WRONG = ("Something went wrong; the error was logged. The conversation and the index are unchanged; "
                        "try again.")
HISTORY_SHAPE = "history must be a list of [question, answer] pairs of text"
UPLOADS = "Choose one or more files to upload first (.txt, .md, .html or .jsonl)."
Pairs = Sequence[tuple[str, str]]
Progress = Callable[[int, int | None, str], None]  # (articles done, articles in all if known, what is happening)


class TextStream(Protocol):
    """An answer being written (`rag.AnswerStream`): iterate for the text, then read `answer`."""

    @property
    def generator_name(self) -> str: ...

    @property
    def answer(self) -> Answer: ...

    def __iter__(self) -> Iterator[str]: ...


class Backend(Protocol):
    """What the UI uses of `rag.Rag`; any object with these members can stand in for it."""

    settings: Settings

    def stream(self, question: str, history: Pairs | None = ..., *, k: int | None = ...,
               filters: Filters | None = ..., generator: str | None = ..., as_of: date | None = ...) -> TextStream: ...

    def index(self, paths: Sequence[str], progress: Callable[[int, str], None] | None = ...) -> IndexReport: ...

    def remove(self, article_ids: Sequence[str]) -> IndexReport: ...

    def articles(self) -> list[ArticleInfo]: ...

    def article_chunks(self, article_id: str) -> list[Chunk]: ...


class BadRequest(RagError):
    """An API client sent a value of the wrong shape (the page itself never does)."""


# -- errors ---------------------------------------------------------------------------------------

def message_for(err: RagError) -> str:
    """A RagError's message as the user reads it, without the server's temporary folders."""
    return render.short_paths(str(err))


def failure(err: Exception, action: str) -> str:
    """The message for an error at the UI's edge. A RagError says what to do; anything else is a
    bug, logged here with its traceback, and the user gets a generic message."""
    if isinstance(err, RagError):
        return message_for(err)
    log.error("%s failed", action, exc_info=err)
    return SOMETHING_WENT_WRONG


# -- what the page and the API send ---------------------------------------------------------------

def parse_day(value: str | None, label: str) -> date | None:
    """A YYYY-MM-DD field ("" = none); a malformed date raises QuestionError naming the field."""
    return types.parse_day(value, label)


def parse_filters(outlet: str | None, since: str | None, until: str | None) -> Filters:
    """Filters from the settings panel, checked by the library (`Filters.parse`), so the UI,
    the CLI and the API give the same message for a malformed or reversed date."""
    chosen = "" if not outlet or outlet == render.ANY_OUTLET else outlet
    return Filters.parse(chosen, since, until)


def parse_k(value: object) -> int | None:
    """Passages to retrieve; None or "" is the configured default. Any other number is passed on,
    0 included: the pipeline says which numbers it takes (0 is not quietly the default)."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():  # the page's slider sends 5.0
        return int(value)
    raise BadRequest(f"Bad request: k (passages to retrieve) must be a whole number; got {preview(value)}.")


def parse_history(value: object) -> list[tuple[str, str]]:
    """The `history` an API client sent to /ask: [[question, answer], ...] of earlier turns (None
    or [] for none). Checked here, where it is read, so a malformed one is a BadRequest naming the
    turn that is wrong, and an error inside answering is never taken for one."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise BadRequest(f"Bad request: {HISTORY_SHAPE}; got {preview(value)}.")
    return [history_pair(item, n) for n, item in enumerate(value, start=1)]


def history_pair(item: object, n: int) -> tuple[str, str]:
    if isinstance(item, list | tuple) and len(item) == 2 and all(isinstance(x, str) for x in item):
        return str(item[0]), str(item[1])
    raise BadRequest(f"Bad request: {HISTORY_SHAPE}; turn {n} is {preview(item)}.")


def preview(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


@dataclass(frozen=True)
class AskOptions:
    """How to answer, parsed and checked: what `Rag.stream` takes besides the question."""

    k: int | None = None  # None: the configured default
    generator: str | None = None  # None: the configured one
    filters: Filters = field(default_factory=Filters)
    as_of: date | None = None


@dataclass(frozen=True)
class AskFields:
    """The Settings panel's fields as the page sends them; /ask takes the same arguments."""

    k: object = None
    generator: str | None = ""
    outlet: str | None = ""
    since: str | None = ""
    until: str | None = ""
    as_of: str | None = ""

    def parse(self) -> AskOptions:
        """The options, or a RagError that names the field to fix."""
        return AskOptions(parse_k(self.k), self.generator or None, parse_filters(self.outlet, self.since, self.until),
                          parse_day(self.as_of, "as of"))


def open_stream(rag: Backend, question: str, history: Pairs, options: AskOptions) -> TextStream:
    """Retrieve now; the text is written as the stream is read."""
    return rag.stream(question, history, k=options.k, filters=options.filters, generator=options.generator,
                      as_of=options.as_of)


# -- the /ask and /articles endpoints -------------------------------------------------------------

def ask(rag: Backend, question: str, history: object, fields: AskFields) -> dict[str, Any]:
    """The /ask endpoint: `Answer.to_dict()` and the question. Raises RagError (BadRequest for a
    malformed history or k) with the message the client should see."""
    pairs, options = parse_history(history), fields.parse()
    stream = open_stream(rag, question, pairs, options)
    for _ in stream:  # the endpoint returns the whole answer at once
        pass
    return answer_payload(question, stream.answer)


def answer_payload(question: str, ans: Answer) -> dict[str, Any]:
    return {"question": question, **ans.to_dict()}


def list_articles(rag: Backend) -> list[dict[str, Any]]:
    """The /articles endpoint: [{id, title, outlet, published, chunks, date_inferred}, ...]."""
    return [asdict(a) for a in rag.articles()]


# -- the chat -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChatView:
    """The Ask tab after one step. A part left None stays as it is on the page."""

    messages: list[Message] | None = None  # the Chatbot
    sources: str | None = None  # the Sources panel
    turns: Conversation | None = None  # the session's conversation (its gr.State)
    question: str | None = None  # the question box
    warning: str = ""  # shown as a toast


def pending(turns: Conversation, question: str, status: str) -> list[Message]:
    """The chat with the question asked and a status line where the answer will be."""
    return render.chat_messages(turns) + [render.user_message(question), render.status_message(status)]


def start(question: str, turns: Conversation) -> ChatView:
    """Runs as soon as Ask is pressed (no queue): show the question and clear the box while the
    answer waits its turn. An empty question is left to `respond`, which reports it."""
    if not question.strip():
        return ChatView()
    return ChatView(pending(turns, question, "Waiting…"), question="")


def respond(rag: Backend, question: str, turns: Conversation, fields: AskFields) -> Iterator[ChatView]:
    """Answer in the chat, step by step: searching, the text as it is written, then the finished
    turn with its sources. A QuestionError leaves the conversation as it was and gives the text
    back; any other error becomes a turn that says what went wrong, and the next question works."""
    started = time.perf_counter()
    if question.strip():
        yield ChatView(pending(turns, question, "Searching the articles…"))
    try:
        answer = yield from written(rag, question, turns, fields)
    except QuestionError as err:  # nothing was asked
        yield ChatView(render.chat_messages(turns), turns=turns, question=question, warning=message_for(err))
        return
    except Exception as err:  # noqa: BLE001 - the chat's edge: `failure` logs a bug; the chat shows a message
        yield failed(turns, Turn(question, error=failure(err, "answering")))
        return
    yield finished(turns + (Turn(question, answer, seconds=time.perf_counter() - started),))


def written(rag: Backend, question: str, turns: Conversation, fields: AskFields) -> Generator[ChatView, None, Answer]:
    """Retrieve, then show the answer's text as it arrives; returns the verified answer, whose
    text may differ (sentences attributed to sources, unsupported ones dropped)."""
    stream = open_stream(rag, question, history_pairs(turns), fields.parse())
    shown = render.chat_messages(turns) + [render.user_message(question)]  # rendered once, not per piece
    yield ChatView(shown + [render.status_message(writing_status(rag, stream.generator_name))])
    raw = ""
    for piece in stream:
        raw += piece
        yield ChatView(shown + [render.assistant_message(render.streaming_html(raw))])
    return stream.answer


def writing_status(rag: Backend, generator: str) -> str:
    """While the answer is written; a local model reading the articles for the first time after
    it was installed or they changed (`Rag.warm_up`) takes minutes, and the first question
    waits for it: say so, instead of a status that looks stuck."""
    if getattr(rag, "warming_up", False) and generators.is_language_model(generator):
        return (f"The local model ({generator}) is reading the articles for the first time: a few minutes on a "
                "laptop CPU, once (it keeps what it read for later starts). The answer follows…")
    return f"Writing the answer ({generator})…"


def finished(turns: Conversation) -> ChatView:
    return ChatView(render.chat_messages(turns), render.sources_html(turns), turns)


def failed(turns: Conversation, turn: Turn) -> ChatView:
    """A turn that got an error message instead of an answer. The Sources panel stays as it was:
    the error has no sources, and the last answer's stay open."""
    turns += (turn,)
    return ChatView(render.chat_messages(turns), None, turns, warning=turn.error)


def clear() -> ChatView:
    return ChatView([], render.sources_html(()), (), "")


def generator_choices(settings: Settings) -> tuple[list[str], str]:
    """The Generator menu: the generators that can answer here (and the configured one in any
    case, so the default can be chosen again), and an info line that says how to get the others."""
    names = [e.name for e in generators.usable(settings)]
    names += [settings.generator] if settings.generator not in names else []
    offered = " ".join(f"{n}: {generators.get(n).description}" for n in names if n in generators.REGISTRY)
    others = " ".join(f"For {n}: {reason}" for n, reason in generators.missing(settings).items() if n not in names)
    return names, f"{offered} {others}".strip()


# -- a source card's whole article ----------------------------------------------------------------

def article_html(rag: Backend, request: object) -> str:
    """The article view for the data-* attributes of a source card's title (`render.opener_html`).
    They come from the page, so anything unexpected means "nothing to mark", never an error; a
    failed read is shown in the dialog instead of the article."""
    fields: Mapping[Any, Any] = request if isinstance(request, Mapping) else {}
    try:
        chunks = rag.article_chunks(str(fields.get("article") or ""))
    except Exception as err:  # noqa: BLE001 - the dialog's edge: `failure` logs a bug
        return f'<div class="art-missing">{render.esc(failure(err, "reading the article"))}</div>'
    span = (offset(fields, "start"), offset(fields, "end"))
    quote_span = (offset(fields, "quoteStart"), offset(fields, "quoteEnd"))
    return render.article_view(chunks, span, quote_span, str(fields.get("quote") or ""))


def offset(fields: Mapping[Any, Any], name: str) -> int:
    """A character offset from the page; -1 (matches nothing) when it is not a number."""
    value = fields.get(name)
    try:
        return int(value) if isinstance(value, int | str) else -1
    except ValueError:
        return -1


# -- the Articles tab -----------------------------------------------------------------------------

@dataclass(frozen=True)
class CorpusView:
    """The Articles tab, and the Outlet menu (which lists the indexed outlets), after one step."""

    table: str
    choices: list[tuple[str, str]]  # the Remove menu: (label, article id)
    outlets: list[str]
    status: str = ""  # the line under the table: what the last upload or removal did
    info: str = ""  # toasts
    warning: str = ""


def corpus(rag: Backend, status: str = "", *, info: str = "", warning: str = "") -> CorpusView:
    arts = rag.articles()
    return CorpusView(render.articles_html(arts), render.article_choices(arts), render.outlet_choices(arts),
                      status, info, warning)


def add_files(rag: Backend, paths: Sequence[str], progress: Progress) -> CorpusView:
    """Index uploaded files. The status names the files and says what was indexed, and what was
    skipped and why (a toast too: a warning when something was skipped)."""
    if not paths:
        return corpus(rag, warning=UPLOADS)
    names = ", ".join(Path(p).name for p in paths)
    total = None if any(p.lower().endswith((".jsonl", ".jsonl.gz")) for p in paths) else len(paths)  # JSONL: many
    progress(0, total, "Indexing")
    try:
        report = rag.index(paths, progress=lambda n, article_id: progress(n, total, f"Indexed {article_id}"))
    except Exception as err:  # noqa: BLE001 - the upload's edge: `failure` logs a bug
        message = failure(err, "indexing")
        return corpus(rag, f"{names}: nothing was indexed. {message}", warning=message)
    summary = f"{names}: {render.index_summary(report)}"
    return corpus(rag, summary, warning=summary) if report.errors else corpus(rag, summary, info=summary)


@dataclass(frozen=True)
class Removal:
    """The step between "Remove from index" and the removal: which article, and what to ask."""

    article_id: str = ""  # "" = nothing waits for confirmation
    prompt: str = ""  # HTML: the question the user confirms
    warning: str = ""


def ask_to_remove(rag: Backend, article_id: str | None) -> Removal:
    """The first click names the article and asks; nothing is removed until it is confirmed."""
    if not article_id:
        return Removal(warning="Choose an article to remove first.")
    found = [a for a in rag.articles() if a.id == article_id]
    if not found:
        return Removal(warning=f"{article_id} is no longer in the index.")
    return Removal(article_id, render.removal_prompt(found[0]))


def remove_article(rag: Backend, article_id: str) -> CorpusView:
    """The confirmed removal."""
    if not article_id:
        return corpus(rag, warning="Choose an article to remove first.")
    try:
        rag.remove([article_id])
    except Exception as err:  # noqa: BLE001 - the Articles tab's edge: `failure` logs a bug
        return corpus(rag, warning=failure(err, "removing"))
    return corpus(rag, f"Removed {article_id}.", info=f"Removed {article_id} from the index.")
