"""The UI's HTML (`ui/render.py`: escaping!) and the app (`ui/app.py`): layout, launch defaults, the API's
error edge. What each event does is tested in tests/test_ui_handlers.py."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from rag import REFUSAL, Settings
from rag.errors import QuestionError, RagError
from rag.types import Answer, ArticleInfo, Chunk, Citation, Excerpt, IndexReport, TimeScope
from tests.ui_helpers import Elements
from ui import app, handlers, render
from ui.turns import Turn

PASSAGE = 'Intro sentence. Belarus <script>alert(1)</script> depends on "Russia" for fuel & security. Tail.'


def citation(number: int = 1, verified: bool = True, **over: Any) -> Citation:
    start = 100
    quote = 'Belarus <script>alert(1)</script> depends on "Russia" for fuel & security.'
    q0 = start + PASSAGE.index(quote)
    fields: dict[str, Any] = {
        "number": number, "article_id": "a<1>.txt", "title": "Title <img src=x onerror=alert(1)>",
        "outlet": "Outlet & Co", "published": "2022-12-19", "url": "https://example.org/a?x=1&y=2",
        "passage": PASSAGE, "start": start, "end": start + len(PASSAGE), "quote": quote, "quote_start": q0,
        "quote_end": q0 + len(quote), "verified": verified, "support": 0.9,
    }
    fields.update(over)
    return Citation(**fields)


# -- answer text --------------------------------------------------------------------------------------------

def test_answer_markers_become_links_and_text_is_escaped() -> None:
    html = render.answer_html("Fuel <b>and</b> security [1]. More [2?]. Unknown [7].",
                              [citation(number=1), citation(number=2, verified=False)], turn=3)
    assert '<a class="cite" href="#src-3-1" title="Source 1">[1]</a>' in html
    assert 'class="cite cite-unverified" href="#src-3-2"' in html and "[2?]</a>" in html
    assert "unverified" in html.split('href="#src-3-2"')[1].split("</a>")[0]
    assert "&lt;b&gt;and&lt;/b&gt;" in html and "<b>" not in html
    assert "Unknown [7]." in html and "#src-3-7" not in html  # no source: left as text


def test_citation_unverified_in_data_is_marked_even_without_question_mark() -> None:
    html = render.answer_html("Claim [1].", [citation(number=1, verified=False)], turn=1)
    assert "cite-unverified" in html and "[1?]" in html


def test_answer_html_keeps_line_breaks_and_escapes_quotes() -> None:
    html = render.answer_html('a "b"\nc', [], turn=1)
    assert html == "a &quot;b&quot;<br>c"


def test_streaming_html_is_escaped() -> None:
    assert "&lt;img" in render.streaming_html("<img src=x onerror=alert(1)>")


# -- sources panel ------------------------------------------------------------------------------------------

def test_passage_marks_the_quote_inside_the_passage_and_escapes_everything() -> None:
    html = render.passage_html(citation())
    assert html.startswith("Intro sentence. <mark class=\"quote\">Belarus &lt;script&gt;alert(1)&lt;/script&gt;")
    assert "&quot;Russia&quot; for fuel &amp; security.</mark> Tail." in html
    assert "<script>" not in html


def test_passage_falls_back_to_finding_the_quote_when_offsets_do_not_fit() -> None:
    html = render.passage_html(citation(quote_start=0, quote_end=5))
    assert '<mark class="quote">Belarus &lt;script&gt;' in html
    plain = render.passage_html(citation(quote_start=0, quote_end=5, quote="not there"))
    assert "<mark" not in plain and "Intro sentence." in plain


def test_source_card_escapes_metadata_and_marks_verification() -> None:
    ok = render.source_card(citation(number=2), turn=4)
    assert 'id="src-4-2"' in ok and "verified</span>" in ok
    assert "Title &lt;img src=x onerror=alert(1)&gt;" in ok and "<img" not in ok
    bad = render.source_card(citation(number=1, verified=False, url="javascript:alert(1)"), turn=1)
    assert "src-unverified" in bad and "badge-warn" in bad and ">unverified<" in bad
    assert "javascript:" not in bad and not Elements(bad).find("a", "src-link")


def test_source_card_shows_title_outlet_date_and_a_safe_link() -> None:
    card = Elements(render.source_card(citation(number=2), turn=4))
    text = " ".join(card.text.split())
    assert text.startswith("[2] Title <img src=x onerror=alert(1)> verified")
    assert "Outlet & Co · 2022-12-19 · example.org ↗" in text
    assert "a<1>.txt" not in card.text  # the id (often a hashed file name) is not shown when there is a title
    (link,) = card.find("a", "src-link")
    assert link["href"] == "https://example.org/a?x=1&y=2" and link["target"] == "_blank"
    assert "noopener" in link["rel"].split()
    (title,) = card.find("a", "src-open")
    assert title["data-article"] == "a<1>.txt" and "a<1>.txt" in title["title"]


@pytest.mark.parametrize(("over", "shown"), [
    ({"date_inferred": True}, "Outlet & Co · 2022-12-19 (inferred)"),
    ({"published": "", "outlet": ""}, "outlet unknown · date unknown"),
    ({"published": ""}, "Outlet & Co · date unknown"),
])
def test_source_card_says_how_the_date_is_known(over: dict[str, Any], shown: str) -> None:
    c = citation(**over)
    assert shown in Elements(render.source_card(c, turn=1)).text
    assert c.dated in shown  # the same words as the API's Citation.dated


def test_source_card_falls_back_to_the_id_only_without_a_title() -> None:
    untitled = Elements(render.source_card(citation(title="", url=""), turn=1))
    assert untitled.find("a", "src-open") and "a<1>.txt" in untitled.text and not untitled.find("a", "src-link")


def test_source_card_attributes_cannot_be_broken_out_of() -> None:
    hostile = 'x" onclick="alert(1)" data-x="'
    card = Elements(render.source_card(citation(article_id=hostile, quote=hostile, title=hostile,
                                             url='https://e.org/"onmouseover="alert(1)'), turn=1))
    (opener,) = card.find("a", "src-open")
    assert opener["data-article"] == hostile and opener["data-quote"] == hostile
    assert not any(k.startswith("on") or k == "data-x" for _, attrs in card.elements for k in attrs)


def test_dated_matches_citation_dated() -> None:
    for published, inferred in [("2022-12-19", False), ("2022-12-19", True), ("", False)]:
        shown = Elements(render.date_html(published, inferred)).text
        assert shown == citation(published=published, date_inferred=inferred).dated


# -- the whole article --------------------------------------------------------------------------------------

ARTICLE = ("Headline\n\nFirst <script>x()</script> paragraph. It goes on.\n\nPhoto: a caption the cleaner dropped\n\n"
           "Second paragraph holds the quoted sentence. And more.\nThird line.")


def article_chunks(spans: list[tuple[int, int]], **meta: Any) -> list[Chunk]:
    fields: dict[str, Any] = {"title": "T <b>1</b>", "outlet": "O&O", "published": "2022-12-19",
                              "date_inferred": True, "url": "https://example.org/t"}
    fields.update(meta)
    return [Chunk(f"c{a}", "t.txt", ARTICLE[a:b], a, b, **fields) for a, b in spans]


def span_of(text: str) -> tuple[int, int]:
    at = ARTICLE.index(text)
    return at, at + len(text)


def test_stored_runs_merge_overlapping_and_touching_chunks() -> None:
    first, cut = span_of("First <script>x()</script> paragraph. It goes on."), ARTICLE.index("It goes")
    second = span_of("Second paragraph holds the quoted sentence. And more.")
    chunks = article_chunks([(cut - 5, first[1]), first, (second[0], second[0] + 10), (second[0] + 10, second[1])])
    assert render.stored_runs(chunks) == [(first[0], ARTICLE[first[0]:first[1]]),
                                          (second[0], ARTICLE[second[0]:second[1]])]


def test_article_view_shows_the_whole_text_escaped_with_the_cited_span_marked() -> None:
    first = span_of("First <script>x()</script> paragraph. It goes on.")
    second = span_of("Second paragraph holds the quoted sentence. And more.")
    third = span_of("Third line.")
    quote = "Second paragraph holds the quoted sentence."
    html = render.article_view(article_chunks([third, first, second]), second, span_of(quote), quote)
    view = Elements(html)
    assert not view.find("script") and not view.find("b") and "<script>x()</script>" in view.text
    assert view.text.startswith("T <b>1</b>O&O · 2022-12-19 (inferred) · example.org ↗t.txt")
    # the text in order: the headline and the caption were not stored, so they show as "…";
    # the whitespace between two stored passages is kept as line breaks
    assert view.text.endswith("…\n\nFirst <script>x()</script> paragraph. It goes on.\n\n…\n\n"
                              "Second paragraph holds the quoted sentence. And more.\nThird line."
                              "… " + render.GAP_NOTE)
    assert html.count('<mark class="art-quote">') == 1
    assert '<mark class="art-quote">Second paragraph holds the quoted sentence.</mark>' in html
    assert '<span class="art-passage"> And more.</span>' in html  # the rest of the cited passage
    assert view.find("a", "src-link")[0]["rel"] == "noopener noreferrer"


def test_article_view_when_the_article_changed_or_is_gone() -> None:
    chunks = article_chunks([span_of("Second paragraph holds the quoted sentence. And more.")])
    quote = "the quoted sentence."
    moved = render.article_view(chunks, (0, 5), (0, 5), quote)  # the offsets of an older version
    assert "re-indexed" in moved and f'<mark class="art-quote">{quote}</mark>' in moved
    gone = render.article_view(chunks, (0, 5), (0, 5), "a sentence it no longer has")
    assert "no longer in this article" in gone and "<mark" not in gone
    assert "no longer in the index" in render.article_view([], (0, 5), (0, 5), quote)


def test_article_view_never_shows_the_hash_id_as_title_when_there_is_one() -> None:
    chunks = article_chunks([span_of("Third line.")])
    assert Elements(render.article_view(chunks, (0, 0), (0, 0), "")).find("h2")
    untitled = render.article_view(article_chunks([span_of("Third line.")], title=""), (0, 0), (0, 0), "")
    assert '<h2 class="art-title" id="nr-article-title">t.txt</h2>' in untitled


def test_sources_html_newest_turn_open_errors_skipped_refusal_says_no_sources() -> None:
    turns = (
        Turn("q1 <i>", Answer("A [1].", [citation(number=1)])),
        Turn("q2", error="boom"),
        Turn("q3", Answer(REFUSAL, [], refused=True)),
    )
    html = render.sources_html(turns)
    assert html.index('id="turn-3"') < html.index('id="turn-1"')
    assert '<details class="turn" id="turn-3" open>' in html
    assert '<details class="turn" id="turn-1">' in html
    assert 'id="turn-2"' not in html
    assert "q1 &lt;i&gt;" in html
    assert "No sources" in html and "src-closest" not in html
    assert "Sources appear here" in render.sources_html(())


def test_a_refusal_lists_its_closest_passages_as_not_cited_cards_that_open_the_article() -> None:
    near = Excerpt("a<1>.txt", "Title <b>", "Outlet & Co", "2022-12-19", "javascript:alert(1)", "Putin & co. met.", 120, 136)
    html = render.sources_html((Turn("q", Answer(REFUSAL, [], refused=True, refusal="not_answered", closest=[near])),))
    assert "No sources" in html and html.count('class="src-closest"') == 1 and 'class="src"' not in html
    assert 'data-article="a&lt;1&gt;.txt" data-start="120" data-end="136" data-quote-start="120" data-quote-end="136"' in html
    assert ">Title &lt;b&gt;</a>" in html and "not cited" in html and "Putin &amp; co. met." in html
    assert "javascript:" not in html  # no link to an unsafe original


def test_chat_messages() -> None:
    turns = (
        Turn("<q>", Answer("A [1].", [citation(number=1)], query="<q>", generator="x"), seconds=1.04),
        Turn("bad", error="No model <here>"),
        Turn("q3", Answer(REFUSAL, [], refused=True, query="q3 condensed")),
    )
    msgs = render.chat_messages(turns)
    assert [m["role"] for m in msgs] == ["user", "assistant"] * 3
    assert msgs[0]["content"] == "&lt;q&gt;"
    assert 'href="#src-1-1"' in msgs[1]["content"] and "x · 1.0 s · 1 source<" in msgs[1]["content"]
    assert "Searched for" not in msgs[1]["content"]  # the query is the question itself
    assert "rag-error" in msgs[3]["content"] and "No model &lt;here&gt;" in msgs[3]["content"]
    assert "do not answer this" in msgs[5]["content"] and "Searched for: “q3 condensed”" in msgs[5]["content"]


def test_a_refusal_shows_its_closest_passage_escaped_and_not_as_a_source() -> None:
    near = [Excerpt("a<1>.txt", "Title <b>", "Outlet & Co", "2022-12-19", "", '“Belarus <script>x</script>,” he said.', 5, 40),
            Excerpt("b.txt", "", "", "", "", "Second & last.", 0, 14)]
    html = render.assistant_html(Turn("q", Answer(REFUSAL, [], refused=True, refusal="not_answered", closest=near)), 1)
    assert "Closest passages (not taken as an answer)" in html and "&lt;script&gt;" in html and "<script>" not in html
    assert "““" not in html and "Title &lt;b&gt;, Outlet &amp; Co, 2022-12-19" in html and html.count("<li>") == 2
    assert "“Second &amp; last.” <span class=\"rag-closest-source\">(b.txt, date unknown)</span>" in html
    assert 'class="cite' not in html and "No sources are shown" in html
    assert "Closest passage" not in render.assistant_html(Turn("q", Answer(REFUSAL, [], refused=True)), 1)


def test_a_turn_whose_citations_all_failed_is_shown_as_a_refusal() -> None:
    turn = Turn("q", Answer("Something.", []))  # not marked refused, but nothing supports it
    assert turn.refused and "No sources are shown" in render.assistant_html(turn, 1)
    assert not Turn("q", error="x").refused and not Turn("q", Answer("A [1].", [citation()])).refused


def test_meta_line() -> None:
    ans = Answer("A [1] [2?].", [citation(number=1), citation(number=2, verified=False)], generator="extractive")
    assert render.meta_line(ans, 1.234) == "extractive · 1.2 s · 2 sources · 1 unverified"
    as_of = Answer("x", [], generator="extractive", scope=TimeScope(date(2022, 12, 17)))
    assert render.meta_line(as_of, None) == "extractive · as of 2022-12-17"


def test_refusal_shows_the_answers_note() -> None:
    note = ("No article in the date range is about this question. "
            "The date filter left out 3 articles with no known date.")
    turn = Turn("q", Answer(REFUSAL, [], refused=True, refusal="no_evidence", note=note + " <i>"))
    bubble = render.chat_messages((turn,))[1]["content"]
    assert "Nothing in the indexed articles is about this question." in bubble
    assert note + " &lt;i&gt;" in bubble


# -- corpus panel -------------------------------------------------------------------------------------------

def test_articles_table_escapes_and_counts() -> None:
    arts = [ArticleInfo("x<1>.txt", "<script>t</script>", "O&O", "2022-01-01", 3), ArticleInfo("b.txt", "", "", "", 1)]
    html = render.articles_html(arts)
    assert "<td><span class=\"src-date\">date unknown</span></td>" in html
    assert "&lt;script&gt;t&lt;/script&gt;" in html and "<script>" not in html
    assert "O&amp;O" in html and "x&lt;1&gt;.txt" in html and "2 articles" in html
    assert "No articles" in render.articles_html([])
    assert render.outlet_choices(arts) == [render.ANY_OUTLET, "O&O"]
    assert render.article_choices(arts)[1] == ("b.txt (b.txt)", "b.txt")
    inferred = render.articles_html([ArticleInfo("c.txt", "C", "", "2022-12-19", 2, date_inferred=True)])
    assert ">2022-12-19 (inferred)</span>" in inferred and "inferred from the dates" in inferred


def test_index_summary_hides_server_paths() -> None:
    report = IndexReport(added=3, articles=1, errors=("/tmp/gradio/abc123/garbage.txt: looks like a binary file",))
    text = render.index_summary(report)
    assert text.startswith("Indexed 1 article: 3 passages added")
    assert "garbage.txt: looks like a binary file" in text and "/tmp/gradio" not in text
    assert render.index_summary(IndexReport(errors=("x.txt: bad",))) == "Nothing was indexed. Skipped: x.txt: bad"


def test_an_empty_index_says_how_to_add_articles() -> None:
    empty = Elements(render.articles_html([])).text
    assert "the index is empty" in empty and "Add some below" in empty and "rag index PATH" in empty


def test_removal_prompt_names_the_article_and_what_removing_costs() -> None:
    prompt = Elements(render.removal_prompt(ArticleInfo("x<1>.txt", "<b>Bridge</b> opens", "O", "", 3))).text
    assert prompt.startswith("Remove <b>Bridge</b> opens (x<1>.txt) from the index? This deletes its 3 passages")


# -- the app: layout, events, launch ---------------------------------------------------------------------------

class FakeRag:
    """Just enough of `Rag` (a `ui.handlers.Backend`) to build the Blocks: no model, no index.
    Answering raises `error`, as a broken backend would."""

    def __init__(self, settings: Settings, error: Exception | None = None) -> None:
        self.settings = settings
        self.error = error or TypeError("'NoneType' object is not iterable")

    def articles(self) -> list[ArticleInfo]:
        return [ArticleInfo("a.txt", "A", "Outlet", "2022-12-19", 2)]

    def article_chunks(self, article_id: str) -> list[Chunk]:
        return []

    def stream(self, question: str, history: Any = (), **options: Any) -> Any:
        raise self.error

    answer = stream  # what /ask called before the UI was split into layout and handlers

    def index(self, paths: Any, progress: Any = None) -> IndexReport:
        raise self.error

    def remove(self, article_ids: Any) -> IndexReport:
        raise self.error


def endpoint(demo: gr.Blocks, name: str) -> Callable[..., Any]:
    fn = next(f.fn for f in demo.fns.values() if f.api_name == name and f.api_visibility == "public")
    assert fn is not None
    return fn


def triggers(demo: gr.Blocks, handler: str) -> set[tuple[str | None, str]]:
    """The (elem_id, event) pairs that run the event handler named `handler`."""
    return {(demo.blocks[block].elem_id, event) for f in demo.fns.values() if f.name == handler
            for block, event in f.targets if block in demo.blocks}


def test_ask_endpoint_reports_an_internal_error_as_one_and_logs_it(tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    """Issue 14, defect 6: a TypeError inside answering reached API clients as "Bad request: ...
    history must be a list of [question, answer] pairs"; it is a bug: logged, and reported as one."""
    ask = endpoint(app.build_app(FakeRag(Settings(data_dir=tmp_path))), "ask")
    with caplog.at_level(logging.ERROR, logger="newsrag.ui"), pytest.raises(gr.Error) as raised:
        ask("When did Putin visit Minsk?", [], 5, "", "", "", "", "")
    assert raised.value.message == handlers.SOMETHING_WENT_WRONG
    assert "history" not in raised.value.message and "Bad request" not in raised.value.message
    (record,) = [r for r in caplog.records if r.name == "newsrag.ui"]
    assert record.exc_info and record.exc_info[0] is TypeError and "/ask" in record.getMessage()


def test_ask_endpoint_reports_a_rag_error_and_a_bad_history_as_what_they_are(tmp_path: Path,
                                                                              caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(data_dir=tmp_path)
    ask = endpoint(app.build_app(FakeRag(settings, QuestionError("The question is empty."))), "ask")
    with caplog.at_level(logging.ERROR), pytest.raises(gr.Error, match="The question is empty"):
        ask("", [], 5, "", "", "", "", "")
    with pytest.raises(gr.Error, match=r"Bad request: history must be a list of \[question, answer\] pairs.*turn 2"):
        ask("Where?", [["q", "a"], ["only a question"]], 5, "", "", "", "", "")
    with pytest.raises(gr.Error, match="'as of' date 'yesterday' is not a date"):
        ask("Where?", [], 5, "", "", "", "", "yesterday")
    assert not caplog.records  # the caller's mistakes are not logged as server faults
    articles = endpoint(app.build_app(FakeRag(settings)), "articles")
    assert articles() == [{"id": "a.txt", "title": "A", "outlet": "Outlet", "published": "2022-12-19", "chunks": 2,
                           "date_inferred": False}]


def test_removing_an_article_takes_a_confirmation(tmp_path: Path) -> None:
    demo = app.build_app(FakeRag(Settings(data_dir=tmp_path)))
    assert triggers(demo, "ask_to_remove") == {("remove-btn", "click")}  # the first click only asks
    assert triggers(demo, "remove_article") == {("remove-confirm-btn", "click")}
    assert triggers(demo, "cancel_removal") == {("remove-cancel-btn", "click"), ("remove-choice", "change")}


def test_the_app_uses_the_shared_rag_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import rag

    shared = FakeRag(Settings(data_dir=tmp_path))
    monkeypatch.setattr(rag, "_default", shared)
    articles = endpoint(app.build_app(), "articles")
    assert articles()[0]["id"] == "a.txt"


def test_auth_pair() -> None:
    from ui.app import auth_pair

    assert auth_pair(None) is None and auth_pair("") is None
    assert auth_pair("ed:s3c:ret") == ("ed", "s3c:ret")
    for bad in ("nocolon", ":pw", "user:"):
        with pytest.raises(RagError):
            auth_pair(bad)


@pytest.mark.filterwarnings("ignore::UserWarning:gradio.*")
def test_launch_binds_localhost_and_reads_auth_from_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RAG_UI_AUTH", "editor:hunter2")
    seen: dict[str, Any] = {}
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: seen.update(kw))
    demo = app.launch(rag=FakeRag(Settings()))
    assert seen["server_name"] == "127.0.0.1" and seen["server_port"] == 7860
    assert seen["auth"] == ("editor", "hunter2") and seen["share"] is False
    assert isinstance(demo, gr.Blocks)
    # only the documented API endpoints are public
    api = {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"}
    assert api == {"ask", "articles"}

    monkeypatch.delenv("RAG_UI_AUTH")
    app.launch(host="0.0.0.0", port=9999, rag=FakeRag(Settings()))
    assert seen["server_name"] == "0.0.0.0" and seen["server_port"] == 9999 and seen["auth"] is None
