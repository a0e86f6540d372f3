"""What the UI's events do (`ui/handlers.py`), without Gradio, a server or a browser: parsing what
the page and API clients send, the chat's steps, errors at the UI's edge, and the Articles tab.

A scripted backend plays `Rag` where a test is about the steps; where it is about the real
contracts (an empty index, an upload, a removal), a real `Rag` runs on the package's test doubles
(rag.testing: no model, no Chroma)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from rag import REFUSAL, Rag, Settings
from rag.errors import GeneratorUnavailable, IngestError, ModelServerError, QuestionError, RagError
from rag.testing import HashEmbedder, MemoryStore
from rag.types import Answer, ArticleInfo, Chunk, Citation, IndexReport
from tests.ui_helpers import Elements, dataset
from ui import handlers, render
from ui.handlers import AskFields, BadRequest, ChatView
from ui.turns import Turn, history_pairs

BRIDGE = ("Test Gazette: Brindlecombe opens its Quorra footbridge\n\nThe Quorra footbridge in the fictional town of "
          "Brindlecombe opened on 14 May 2031 after a ceremony led by harbour master Ottoline Varga.\n")


def citation(number: int = 1, verified: bool = True) -> Citation:
    passage = "Belarus depends on Russia for fuel."
    return Citation(number, "a.txt", "Title", "Outlet", "2022-12-19", "", passage, 0, len(passage), passage, 0,
                    len(passage), verified, 0.9)


class ScriptedStream:
    """A `ui.handlers.TextStream`: these pieces, then `answer` (or `error`, raised mid-answer)."""

    def __init__(self, pieces: Sequence[str], answer: Answer, error: Exception | None = None) -> None:
        self.pieces, self._answer, self.error = pieces, answer, error
        self.done = False

    @property
    def generator_name(self) -> str:
        return "scripted"

    @property
    def answer(self) -> Answer:
        assert self.done, "read before the stream was finished"
        return self._answer

    def __iter__(self) -> Iterator[str]:
        yield from self.pieces
        if self.error:
            raise self.error
        self.done = True


class ScriptedRag:
    """A `ui.handlers.Backend` that answers each question from a script: a stream, or an error
    raised when it is asked. Records what each question was asked with."""

    def __init__(self, tmp: Path, script: dict[str, ScriptedStream | Exception]) -> None:
        self.settings = Settings(data_dir=tmp)
        self.script = script
        self.asked: list[tuple[str, list[tuple[str, str]], dict[str, Any]]] = []
        self.library = [ArticleInfo("a.txt", "A title", "Outlet", "2022-12-19", 2)]

    def stream(self, question: str, history: Sequence[tuple[str, str]] | None = (), **options: Any) -> ScriptedStream:
        self.asked.append((question, list(history or ()), options))
        outcome = self.script[question]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def index(self, paths: Sequence[str], progress: Any = None) -> IndexReport:
        raise IngestError("/tmp/gradio/123/x.txt: no such file")

    def remove(self, article_ids: Sequence[str]) -> IndexReport:
        raise RuntimeError("the store fell over")

    def articles(self) -> list[ArticleInfo]:
        return self.library

    def article_chunks(self, article_id: str) -> list[Chunk]:
        raise RuntimeError("the store fell over")


def answered(text: str, *citations: Citation, **fields: Any) -> ScriptedStream:
    """A stream that writes `text` in two pieces, split at its first space."""
    head, _, tail = text.partition(" ")
    return ScriptedStream([head + " ", tail], Answer(text, list(citations), **fields))


def real_rag(tmp: Path) -> Rag:
    """A real `Rag` on the package's test doubles: an empty index, no model, no Chroma."""
    return Rag(Settings(data_dir=tmp), embedder=HashEmbedder(), store=MemoryStore())


# -- what the page and API clients send -----------------------------------------------------------------------

def test_parse_filters() -> None:
    f = handlers.parse_filters("Bloomberg", "2022-12-01", " 2022-12-31 ")
    assert (f.outlet, f.date_from, f.date_to) == ("Bloomberg", date(2022, 12, 1), date(2022, 12, 31))
    assert handlers.parse_filters(render.ANY_OUTLET, "", None).is_empty()
    with pytest.raises(RagError, match="YYYY-MM-DD"):
        handlers.parse_filters("", "19 Dec 2022", "")
    with pytest.raises(RagError, match="after"):
        handlers.parse_filters("", "2023-01-01", "2022-01-01")


def test_parse_day_for_the_as_of_field() -> None:
    assert handlers.parse_day(" 2022-12-17 ", "as of") == date(2022, 12, 17)
    assert handlers.parse_day("", "as of") is None and handlers.parse_day(None, "as of") is None
    with pytest.raises(RagError, match=r"The 'as of' date '17/12/2022' is not a date; write it as YYYY-MM-DD"):
        handlers.parse_day("17/12/2022", "as of")
    with pytest.raises(RagError, match="not a date"):
        handlers.parse_day("2022-02-30", "as of")


@pytest.mark.parametrize(("value", "k"), [(None, None), ("", None), (5, 5), (5.0, 5), (0, 0), (-5, -5)])
def test_k_is_passed_on_and_only_none_means_the_default(value: object, k: int | None) -> None:
    assert handlers.parse_k(value) == k  # 0 and -5 get the pipeline's "between 1 and 50", not the default


@pytest.mark.parametrize("value", ["5", 5.5, True, float("nan"), float("inf"), [5]])
def test_k_that_is_not_a_whole_number_is_a_bad_request(value: object) -> None:
    with pytest.raises(BadRequest, match="k .* must be a whole number"):
        handlers.parse_k(value)


def test_history_is_checked_where_it_is_read() -> None:
    assert handlers.parse_history(None) == [] and handlers.parse_history([]) == []
    assert handlers.parse_history([["q", "a"], ("q2", "a2")]) == [("q", "a"), ("q2", "a2")]
    for bad, where in [([["q", "a"], ["only a question"]], "turn 2 is ['only a question']"),
                       ([["q", "a", "b"]], "turn 1"), ([["q", None]], "turn 1 is ['q', None]"),
                       ("q: a", "got 'q: a'"), ({"q": "a"}, "got {'q': 'a'}")]:
        with pytest.raises(BadRequest, match=r"^Bad request: history must be a list of \[question, answer\] pairs"):
            handlers.parse_history(bad)
        with pytest.raises(BadRequest, match=re.escape(where)):
            handlers.parse_history(bad)


def test_a_long_bad_value_is_cut_in_the_message() -> None:
    with pytest.raises(BadRequest) as raised:
        handlers.parse_history([["x" * 10_000]])
    assert len(str(raised.value)) < 200


def test_ask_fields_parse_into_options() -> None:
    options = AskFields(5.0, "extractive", "Bloomberg", "2022-12-01", "", "2022-12-17").parse()
    assert (options.k, options.generator, options.filters.outlet, options.as_of) == (
        5, "extractive", "Bloomberg", date(2022, 12, 17))
    assert AskFields().parse() == handlers.AskOptions()  # all empty: the configured defaults
    with pytest.raises(RagError, match="'as of' date"):
        AskFields(as_of="tomorrow").parse()


# -- errors at the UI's edge -----------------------------------------------------------------------------------

def test_a_rag_error_is_shown_as_its_message_and_a_bug_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="newsrag.ui"):
        assert handlers.failure(QuestionError("The question is empty."), "answering") == "The question is empty."
        assert "make llm" in handlers.failure(GeneratorUnavailable("Run `make llm`."), "answering")
        assert not caplog.records
        message = handlers.failure(KeyError("secret internals"), "answering")
    assert message == handlers.SOMETHING_WENT_WRONG and "secret" not in message and "KeyError" not in message
    (record,) = caplog.records
    assert record.getMessage() == "answering failed" and record.exc_info and record.exc_info[0] is KeyError


def test_messages_do_not_show_the_servers_temporary_folders() -> None:
    assert handlers.message_for(IngestError("/tmp/gradio/ab12/x.txt: no text")) == "x.txt: no text"


# -- the /ask endpoint -----------------------------------------------------------------------------------------

def test_ask_returns_the_answer_as_json_able_data(tmp_path: Path) -> None:
    import json

    rag = ScriptedRag(tmp_path, {"Q?": answered("A [1].", citation(), query="Q", generator="extractive",
                                               timings={"total": 1.23456})})
    payload = json.loads(json.dumps(handlers.ask(rag, "Q?", [["q0", "a0"]], AskFields(k=3, outlet="Outlet"))))
    assert payload["question"] == "Q?" and payload["answer"] == "A [1]." and payload["refused"] is False
    assert payload["citations"][0]["quote"].startswith("Belarus") and payload["timings"] == {"total": 1.2346}
    assert payload["scope"] == {"as_of": None, "prefer": None}
    ((_, history, options),) = rag.asked
    assert history == [("q0", "a0")] and options["k"] == 3 and options["filters"].outlet == "Outlet"


def test_ask_checks_the_history_before_answering(tmp_path: Path) -> None:
    rag = ScriptedRag(tmp_path, {})
    with pytest.raises(BadRequest, match="turn 1"):
        handlers.ask(rag, "Where?", [["only a question"]], AskFields())
    assert rag.asked == []


def test_list_articles(tmp_path: Path) -> None:
    assert handlers.list_articles(ScriptedRag(tmp_path, {})) == [
        {"id": "a.txt", "title": "A title", "outlet": "Outlet", "published": "2022-12-19", "chunks": 2,
         "date_inferred": False}]


# -- the chat ---------------------------------------------------------------------------------------------------

def test_start_shows_the_question_at_once_and_leaves_an_empty_one_to_respond() -> None:
    view = handlers.start("Where <b>?", (Turn("q0", Answer("a0", [])),))
    assert view.messages is not None and len(view.messages) == 4 and view.question == ""
    assert view.messages[2]["content"] == "Where &lt;b&gt;?" and "Waiting…" in view.messages[3]["content"]
    assert handlers.start("  ", ()) == ChatView()  # nothing changes on the page


def test_respond_steps_from_searching_to_the_finished_turn(tmp_path: Path) -> None:
    rag = ScriptedRag(tmp_path, {"Q?": answered("Fuel and security [1].", citation(), generator="scripted")})
    steps = list(handlers.respond(rag, "Q?", (), AskFields(k=4.0)))
    shown = [s.messages[-1]["content"] for s in steps if s.messages]
    assert "Searching the articles…" in shown[0] and "Writing the answer (scripted)…" in shown[1]
    assert shown[2] == 'Fuel <span class="typing">▍</span>'  # the text as it arrives
    assert shown[3] == 'Fuel and security [1].<span class="typing">▍</span>'  # linked once it is verified
    assert all(s.turns is None and s.sources is None for s in steps[:-1])  # nothing is kept until it is done
    final = steps[-1]
    assert final.turns is not None and final.sources is not None and final.question is None and not final.warning
    (turn,) = final.turns
    assert turn.answer is not None and turn.answer.text == "Fuel and security [1]." and turn.seconds is not None
    assert 'href="#src-1-1"' in shown[-1] and 'id="src-1-1"' in final.sources
    assert rag.asked[0][2]["k"] == 4


def test_while_the_local_model_reads_the_articles_the_chat_says_so(tmp_path: Path) -> None:
    rag = ScriptedRag(tmp_path, {"Q?": answered("Fuel [1].", citation(), generator="scripted")})
    rag.warming_up = True  # type: ignore[attr-defined]  # Rag.warm_up running in the background
    shown = [s.messages[-1]["content"] for s in handlers.respond(rag, "Q?", (), AskFields()) if s.messages]
    assert "is reading the articles for the first time" in shown[1]
    assert handlers.writing_status(rag, "extractive") == "Writing the answer (extractive)…"  # waits for nothing


def test_a_follow_up_is_asked_with_the_answered_turns_only(tmp_path: Path) -> None:
    rag = ScriptedRag(tmp_path, {"Where?": answered("In Minsk [1].", citation())})
    turns = (Turn("Who met?", Answer("Putin and Lukashenko [1].", [citation()])), Turn("Why?", error="down"))
    final = list(handlers.respond(rag, "Where?", turns, AskFields()))[-1]
    assert rag.asked[0][1] == [("Who met?", "Putin and Lukashenko [1].")] == history_pairs(turns)
    assert final.turns is not None and len(final.turns) == 3


def test_a_question_error_keeps_the_conversation_and_gives_the_text_back(tmp_path: Path) -> None:
    rag = ScriptedRag(tmp_path, {"": QuestionError("The question is empty. Type a question about the articles.")})
    before = (Turn("q0", Answer("a0", [])),)
    (view,) = handlers.respond(rag, "", before, AskFields())  # no "Searching…" for an empty question
    assert view.turns == before and view.question == "" and view.warning.startswith("The question is empty")
    assert view.messages == render.chat_messages(before) and view.sources is None


@pytest.mark.parametrize(("error", "shown"), [
    (ModelServerError("The model server did not answer within 2 s."), "did not answer within 2 s"),
    (TypeError("'NoneType' object is not iterable"), handlers.SOMETHING_WENT_WRONG),
])
def test_an_error_becomes_a_turn_that_says_what_went_wrong(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                          error: Exception, shown: str) -> None:
    rag = ScriptedRag(tmp_path, {"Q?": ScriptedStream(["Half an ans"], Answer("", []), error=error)})
    with caplog.at_level(logging.ERROR, logger="newsrag.ui"):
        final = list(handlers.respond(rag, "Q?", (), AskFields()))[-1]
    assert final.turns is not None
    (turn,) = final.turns
    assert turn.answer is None and shown in turn.error and final.warning == turn.error
    assert final.messages is not None and "rag-error" in final.messages[-1]["content"]
    assert final.sources is None  # the last answer's sources stay as they were
    assert bool(caplog.records) == (not isinstance(error, RagError))  # only a bug is logged, with its traceback


def test_a_bad_setting_is_a_warning_and_the_question_is_kept(tmp_path: Path) -> None:
    """Like an empty question: nothing was asked, so the chat is unchanged and the text stays."""
    final = list(handlers.respond(ScriptedRag(tmp_path, {}), "Q?", (), AskFields(as_of="17.12.2022")))[-1]
    assert final.turns == () and final.question == "Q?"
    assert final.warning and "'as of' date '17.12.2022' is not a date" in final.warning


def test_clear_starts_a_new_conversation() -> None:
    view = handlers.clear()
    assert view.messages == [] and view.turns == () and view.question == ""
    assert view.sources is not None and "Sources appear here" in view.sources


def test_an_empty_index_says_so_and_how_to_add_articles(tmp_path: Path) -> None:
    """Issue 14, defect 9, the UI's side: the pipeline's note reaches the chat and /ask."""
    rag = real_rag(tmp_path)
    final = list(handlers.respond(rag, "Who won the election?", (), AskFields()))[-1]
    assert final.turns is not None and final.turns[-1].refused
    bubble = final.messages[-1]["content"] if final.messages else ""
    assert REFUSAL.replace("'", "&#x27;") in bubble and "The index is empty." in bubble and "Articles tab" in bubble
    assert "The index is empty" in handlers.ask(rag, "Who won?", [], AskFields())["note"]
    assert "the index is empty" in handlers.corpus(rag).table


def test_generator_choices_offer_the_configured_one(tmp_path: Path) -> None:
    names, info = handlers.generator_choices(Settings(data_dir=tmp_path))
    assert "extractive" in names and "For openai" in info


# -- a source card's whole article ------------------------------------------------------------------------------

ARTICLE = ("Headline\n\nFirst <script>x()</script> paragraph. It goes on.\n\nPhoto: a caption the cleaner dropped\n\n"
           "Second paragraph holds the quoted sentence. And more.\nThird line.")


def span_of(text: str) -> tuple[int, int]:
    at = ARTICLE.index(text)
    return at, at + len(text)


class FakeStore:
    """The two reads `Rag.article_chunks` makes."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.by_id = {c.id: c for c in chunks}
        self.reads: list[int] = []

    def ids_of(self, article_id: str) -> set[str]:
        return {cid for cid, c in self.by_id.items() if c.article_id == article_id}

    def get(self, ids: list[str]) -> dict[str, Chunk]:
        self.reads.append(len(ids))
        return {i: self.by_id[i] for i in ids if i in self.by_id}


class StoreRag:
    """`Rag.article_chunks` itself, over a fake store."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    article_chunks = Rag.article_chunks


def test_article_html_reads_every_chunk_and_takes_the_cards_attributes(monkeypatch: pytest.MonkeyPatch) -> None:
    from rag import sync

    quote = "Second paragraph holds the quoted sentence."
    second = span_of(quote + " And more.")
    fields: dict[str, Any] = {"title": "T", "outlet": "O", "published": "", "date_inferred": False, "url": ""}
    chunks = [Chunk(f"c{a}", "t.txt", ARTICLE[a:b], a, b, **fields)
              for a, b in [span_of("Third line."), second, span_of("First <script>")]]
    rag = StoreRag(FakeStore(chunks))
    monkeypatch.setattr(sync, "READ_BATCH", 2)  # Rag.article_chunks reads through rag.sync.read_chunks
    page = {"article": "t.txt", "start": str(second[0]), "end": str(second[1]), "quote": quote,
            "quoteStart": str(second[0]), "quoteEnd": str(second[0] + len(quote))}  # as `title.dataset` sends them
    html = handlers.article_html(rag, page)  # type: ignore[arg-type]
    assert rag.store.reads == [2, 1]  # read in batches
    assert f'<mark class="art-quote">{quote}</mark>' in html
    assert "Third line." in html and "First &lt;script&gt;" in html
    # whatever the page sends, the answer is an article view (or "not indexed"), never an error
    odd = {"article": "t.txt", "start": "x", "quoteStart": None, "end": 1.5}
    assert "<mark" not in handlers.article_html(rag, odd)  # type: ignore[arg-type]
    assert "no longer in the index" in handlers.article_html(rag, {"article": "missing.txt"})  # type: ignore[arg-type]
    assert "no longer in the index" in handlers.article_html(rag, {})  # type: ignore[arg-type]
    assert "no longer in the index" in handlers.article_html(rag, "not a dict")  # type: ignore[arg-type]


def test_a_failed_read_is_shown_in_the_dialog(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="newsrag.ui"):
        html = handlers.article_html(ScriptedRag(tmp_path, {}), {"article": "a.txt"})
    assert html == f'<div class="art-missing">{render.esc(handlers.SOMETHING_WENT_WRONG)}</div>' and caplog.records


def test_article_view_of_a_real_answer_and_the_corpus_dates(seed_rag: Rag) -> None:
    """The built-in corpus, really indexed: the card's attributes open the cited article with the
    passage marked, and the Articles table says how each date is known."""
    c = seed_rag.answer("What is landlocked Belarus dependent on Russia for?").citations[0]
    (opener,) = Elements(render.source_card(c, turn=1)).find("a", "src-open")
    html = handlers.article_html(seed_rag, dataset(opener))
    view = Elements(html)
    assert f'<mark class="art-quote">{render.esc(c.quote)}</mark>' in html
    assert c.passage in view.text and view.find("h2")[0] and c.title in view.text
    chunks = seed_rag.article_chunks(c.article_id)
    assert len(chunks) > 1 and all(ch.text in view.text for ch in chunks)  # the whole stored article

    expected = {"000": "2023-02-24 (inferred)", "001": "2022-12-27 (inferred)", "002": "2022-12-16",
                "003": "2022-12-19 (inferred)", "004": "2023-02-17 (inferred)"}
    articles = seed_rag.articles()
    assert sorted(a.id[:3] for a in articles) == sorted(expected)
    for a in articles:
        row = Elements(render.articles_html([a])).text
        assert expected[a.id[:3]] in row and (a.id[:3] != "002") == ("(inferred)" in row), row


# -- the Articles tab -------------------------------------------------------------------------------------------

def test_upload_nothing_chosen(tmp_path: Path) -> None:
    view = handlers.add_files(ScriptedRag(tmp_path, {}), [], lambda *_: None)
    assert view.warning == handlers.UPLOADS and not view.status and view.choices == [("A title (a.txt)", "a.txt")]


def test_upload_that_fails_says_nothing_was_indexed_and_why(tmp_path: Path) -> None:
    view = handlers.add_files(ScriptedRag(tmp_path, {}), ["/tmp/gradio/123/x.txt"], lambda *_: None)
    assert view.status == "x.txt: nothing was indexed. x.txt: no such file" and view.warning == "x.txt: no such file"


def test_upload_index_ask_and_remove_with_a_confirmation(tmp_path: Path) -> None:
    rag, progress = real_rag(tmp_path / "data"), []
    path = tmp_path / "bridge.txt"
    path.write_text(BRIDGE)
    view = handlers.add_files(rag, [str(path)], lambda *step: progress.append(step))
    assert view.status.startswith("bridge.txt: Indexed 1 article: 1 passage added") and view.info == view.status
    assert progress == [(0, 1, "Indexing"), (1, 1, "Indexed bridge.txt")]
    assert view.choices == [("Test Gazette: Brindlecombe opens its Quorra footbridge (bridge.txt)", "bridge.txt")]
    final = list(handlers.respond(rag, "When did the Quorra footbridge open?", (), AskFields()))[-1]
    assert final.turns is not None and "14 May 2031" in final.turns[-1].citations[0].quote

    asked = handlers.ask_to_remove(rag, "bridge.txt")
    assert asked.article_id == "bridge.txt" and "Quorra footbridge" in asked.prompt and not asked.warning
    assert [a.id for a in rag.articles()] == ["bridge.txt"]  # asking removes nothing
    removed = handlers.remove_article(rag, asked.article_id)
    assert removed.status == "Removed bridge.txt." and rag.articles() == [] and removed.choices == []


def test_removal_needs_a_choice_and_reports_failures(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rag = ScriptedRag(tmp_path, {})
    assert handlers.ask_to_remove(rag, None).warning == "Choose an article to remove first."
    assert handlers.ask_to_remove(rag, "gone.txt") == handlers.Removal(warning="gone.txt is no longer in the index.")
    assert handlers.remove_article(rag, "").warning == "Choose an article to remove first."
    with caplog.at_level(logging.ERROR, logger="newsrag.ui"):
        failed = handlers.remove_article(rag, "a.txt")
    assert failed.warning == handlers.SOMETHING_WENT_WRONG and not failed.status and caplog.records
