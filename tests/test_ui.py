"""The UI's pure helpers: HTML rendering (escaping!), filters, auth, and launch defaults."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from rag.errors import GeneratorUnavailable, QuestionError, RagError
from rag.types import Answer, ArticleInfo, Citation, IndexReport
from ui import render

PASSAGE = 'Intro sentence. Belarus <script>alert(1)</script> depends on "Russia" for fuel & security. Tail.'


def citation(number: int = 1, verified: bool = True, **over: Any) -> Citation:
    start = 100
    quote = 'Belarus <script>alert(1)</script> depends on "Russia" for fuel & security.'
    q0 = start + PASSAGE.index(quote)
    fields: dict[str, Any] = dict(
        number=number, article_id="a<1>.txt", title="Title <img src=x onerror=alert(1)>", outlet="Outlet & Co",
        published="2022-12-19", url="https://example.org/a?x=1&y=2", passage=PASSAGE, start=start,
        end=start + len(PASSAGE), quote=quote, quote_start=q0, quote_end=q0 + len(quote), verified=verified,
        support=0.9,
    )
    fields.update(over)
    return Citation(**fields)


def cdict(**kw: Any) -> dict[str, Any]:
    return asdict(citation(**kw))


# -- answer text --------------------------------------------------------------------------------------------

def test_answer_markers_become_links_and_text_is_escaped() -> None:
    html = render.answer_html("Fuel <b>and</b> security [1]. More [2?]. Unknown [7].",
                              [cdict(number=1), cdict(number=2, verified=False)], turn=3)
    assert '<a class="cite" href="#src-3-1" title="Source 1">[1]</a>' in html
    assert 'class="cite cite-unverified" href="#src-3-2"' in html and "[2?]</a>" in html
    assert "unverified" in html.split('href="#src-3-2"')[1].split("</a>")[0]
    assert "&lt;b&gt;and&lt;/b&gt;" in html and "<b>" not in html
    assert "Unknown [7]." in html and "#src-3-7" not in html  # no source: left as text


def test_citation_unverified_in_data_is_marked_even_without_question_mark() -> None:
    html = render.answer_html("Claim [1].", [cdict(number=1, verified=False)], turn=1)
    assert "cite-unverified" in html and "[1?]" in html


def test_answer_html_keeps_line_breaks_and_escapes_quotes() -> None:
    html = render.answer_html('a "b"\nc', [], turn=1)
    assert html == "a &quot;b&quot;<br>c"


def test_streaming_html_is_escaped() -> None:
    assert "&lt;img" in render.streaming_html("<img src=x onerror=alert(1)>")


# -- sources panel ------------------------------------------------------------------------------------------

def test_passage_marks_the_quote_inside_the_passage_and_escapes_everything() -> None:
    html = render.passage_html(cdict())
    assert html.startswith("Intro sentence. <mark class=\"quote\">Belarus &lt;script&gt;alert(1)&lt;/script&gt;")
    assert "&quot;Russia&quot; for fuel &amp; security.</mark> Tail." in html
    assert "<script>" not in html


def test_passage_falls_back_to_finding_the_quote_when_offsets_do_not_fit() -> None:
    html = render.passage_html(cdict(quote_start=0, quote_end=5))
    assert '<mark class="quote">Belarus &lt;script&gt;' in html
    plain = render.passage_html(cdict(quote_start=0, quote_end=5, quote="not there"))
    assert "<mark" not in plain and "Intro sentence." in plain


def test_source_card_escapes_metadata_and_marks_verification() -> None:
    ok = render.source_card(cdict(number=2), turn=4)
    assert 'id="src-4-2"' in ok and "verified</span>" in ok
    assert "Title &lt;img src=x onerror=alert(1)&gt;" in ok and "<img" not in ok
    assert "Outlet &amp; Co · 2022-12-19" in ok
    assert 'href="https://example.org/a?x=1&amp;y=2"' in ok
    assert "a&lt;1&gt;.txt" in ok
    bad = render.source_card(cdict(number=1, verified=False, url="javascript:alert(1)"), turn=1)
    assert "src-unverified" in bad and "badge-warn" in bad and ">unverified<" in bad
    assert "javascript:" not in bad


def test_sources_html_newest_turn_open_errors_skipped_refusal_says_no_sources() -> None:
    turns = [
        {"question": "q1 <i>", "answer": "A [1].", "citations": [cdict(number=1)], "refused": False},
        {"question": "q2", "answer": "boom", "citations": [], "error": True},
        {"question": "q3", "answer": "The articles don't say.", "citations": [], "refused": True},
    ]
    html = render.sources_html(turns)
    assert html.index('id="turn-3"') < html.index('id="turn-1"')
    assert '<details class="turn" id="turn-3" open>' in html
    assert '<details class="turn" id="turn-1">' in html
    assert 'id="turn-2"' not in html
    assert "q1 &lt;i&gt;" in html
    assert "No sources" in html
    assert "Sources appear here" in render.sources_html([])


def test_chat_messages_and_history() -> None:
    turns = [
        {"question": "<q>", "answer": "A [1].", "citations": [cdict(number=1)], "refused": False, "meta": "x · 1 s"},
        {"question": "bad", "answer": "No model <here>", "citations": [], "error": True},
        {"question": "q3", "answer": "The articles don't say.", "citations": [], "refused": True},
    ]
    msgs = render.chat_messages(turns)
    assert [m["role"] for m in msgs] == ["user", "assistant"] * 3
    assert msgs[0]["content"] == "&lt;q&gt;"
    assert 'href="#src-1-1"' in msgs[1]["content"] and "x · 1 s" in msgs[1]["content"]
    assert "rag-error" in msgs[3]["content"] and "No model &lt;here&gt;" in msgs[3]["content"]
    assert "do not answer this" in msgs[5]["content"]
    assert render.history_pairs(turns) == [("<q>", "A [1]."), ("q3", "The articles don't say.")]


def test_meta_line() -> None:
    line = render.meta_line([cdict(number=1), cdict(number=2, verified=False)], "extractive", 1.234)
    assert line == "extractive · 1.2 s · 2 sources · 1 unverified"


def test_answer_payload_is_json_able() -> None:
    import json

    ans = Answer("A [1].", [citation()], query="q", generator="extractive", timings={"total": 1.23456})
    payload = render.answer_payload("Q?", ans)
    assert json.loads(json.dumps(payload))["citations"][0]["quote"].startswith("Belarus")
    assert payload["refused"] is False and payload["timings"] == {"total": 1.2346}
    assert render.answer_payload("Q?", Answer("The articles don't say.", [], refused=True))["refused"] is True


# -- corpus panel -------------------------------------------------------------------------------------------

def test_articles_table_escapes_and_counts() -> None:
    arts = [ArticleInfo("x<1>.txt", "<script>t</script>", "O&O", "2022-01-01", 3), ArticleInfo("b.txt", "", "", "", 1)]
    html = render.articles_html(arts)
    assert "&lt;script&gt;t&lt;/script&gt;" in html and "<script>" not in html
    assert "O&amp;O" in html and "x&lt;1&gt;.txt" in html and "2 articles" in html
    assert "No articles" in render.articles_html([])
    assert render.outlet_choices(arts) == [render.ANY_OUTLET, "O&O"]
    assert render.article_choices(arts)[1] == ("b.txt (b.txt)", "b.txt")


def test_index_summary_hides_server_paths() -> None:
    report = IndexReport(added=3, articles=1, errors=("/tmp/gradio/abc123/garbage.txt: looks like a binary file",))
    text = render.index_summary(report)
    assert text.startswith("Indexed 1 article: 3 passages added")
    assert "garbage.txt: looks like a binary file" in text and "/tmp/gradio" not in text
    assert render.index_summary(IndexReport(errors=("x.txt: bad",))) == "Nothing was indexed. Skipped: x.txt: bad"


def test_friendly_error() -> None:
    assert render.friendly_error(QuestionError("The question is empty.")) == "The question is empty."
    assert "make llm" in render.friendly_error(GeneratorUnavailable("Run `make llm`."))
    msg = render.friendly_error(KeyError("secret internals"))
    assert "KeyError" in msg and "secret" not in msg and "Traceback" not in msg


# -- settings -----------------------------------------------------------------------------------------------

def test_parse_filters() -> None:
    f = render.parse_filters("Bloomberg", "2022-12-01", " 2022-12-31 ")
    assert (f.outlet, f.date_from, f.date_to) == ("Bloomberg", date(2022, 12, 1), date(2022, 12, 31))
    assert render.parse_filters(render.ANY_OUTLET, "", None).is_empty()
    with pytest.raises(RagError, match="YYYY-MM-DD"):
        render.parse_filters("", "19 Dec 2022", "")
    with pytest.raises(RagError, match="after"):
        render.parse_filters("", "2023-01-01", "2022-01-01")


# -- launch: safe defaults ----------------------------------------------------------------------------------

def test_auth_pair() -> None:
    from ui.app import auth_pair

    assert auth_pair(None) is None and auth_pair("") is None
    assert auth_pair("ed:s3c:ret") == ("ed", "s3c:ret")
    for bad in ("nocolon", ":pw", "user:"):
        with pytest.raises(RagError):
            auth_pair(bad)


class FakeRag:
    """Just enough of `Rag` to build the Blocks (no model, no index)."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    def articles(self) -> list[ArticleInfo]:
        return [ArticleInfo("a.txt", "A", "Outlet", "2022-12-19", 2)]


@pytest.mark.filterwarnings("ignore::UserWarning:gradio.*")
def test_launch_binds_localhost_and_reads_auth_from_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import gradio as gr

    from rag import Settings
    from ui import app

    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RAG_UI_AUTH", "editor:hunter2")
    seen: dict[str, Any] = {}
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: seen.update(kw))
    demo = app.launch(rag=FakeRag(Settings()))  # type: ignore[arg-type]
    assert seen["server_name"] == "127.0.0.1" and seen["server_port"] == 7860
    assert seen["auth"] == ("editor", "hunter2") and seen["share"] is False
    assert isinstance(demo, gr.Blocks)
    # only the documented API endpoints are public
    api = {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"}
    assert api == {"ask", "articles"}

    monkeypatch.delenv("RAG_UI_AUTH")
    app.launch(host="0.0.0.0", port=9999, rag=FakeRag(Settings()))  # type: ignore[arg-type]
    assert seen["server_name"] == "0.0.0.0" and seen["server_port"] == 9999 and seen["auth"] is None
