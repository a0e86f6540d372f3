"""The UI's pure helpers: HTML rendering (escaping!), filters, auth, and launch defaults."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from rag import Rag
from rag.errors import GeneratorUnavailable, QuestionError, RagError
from rag.types import Answer, ArticleInfo, Chunk, Citation, IndexReport, TimeScope
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
    return render.citation_dict(citation(**kw))


class Elements(HTMLParser):
    """The elements (tag, attributes) and the visible text of an HTML fragment, as a browser reads them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text_parts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def find(self, tag: str, cls: str = "") -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and (not cls or cls in a.get("class", "").split())]


def dataset(attrs: dict[str, str]) -> dict[str, str]:
    """What the page's `title.dataset` holds: data-quote-start -> quoteStart, values as strings."""
    def camel(name: str) -> str:
        head, *rest = name.split("-")
        return head + "".join(part.capitalize() for part in rest)

    return {camel(k[5:]): v for k, v in attrs.items() if k.startswith("data-")}


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
    bad = render.source_card(cdict(number=1, verified=False, url="javascript:alert(1)"), turn=1)
    assert "src-unverified" in bad and "badge-warn" in bad and ">unverified<" in bad
    assert "javascript:" not in bad and not Elements(bad).find("a", "src-link")


def test_source_card_shows_title_outlet_date_and_a_safe_link() -> None:
    card = Elements(render.source_card(cdict(number=2), turn=4))
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
    assert shown in Elements(render.source_card(render.citation_dict(c), turn=1)).text
    assert c.dated in shown  # the same words as the API's Citation.dated


def test_source_card_falls_back_to_the_id_only_without_a_title() -> None:
    untitled = Elements(render.source_card(cdict(title="", url=""), turn=1))
    assert untitled.find("a", "src-open") and "a<1>.txt" in untitled.text and not untitled.find("a", "src-link")


def test_source_card_attributes_cannot_be_broken_out_of() -> None:
    hostile = 'x" onclick="alert(1)" data-x="'
    card = Elements(render.source_card(cdict(article_id=hostile, quote=hostile, title=hostile,
                                             url='https://e.org/"onmouseover="alert(1)'), turn=1))
    (opener,) = card.find("a", "src-open")
    assert opener["data-article"] == hostile and opener["data-quote"] == hostile
    assert not any(k.startswith("on") or k == "data-x" for _, attrs in card.elements for k in attrs)


def test_dated_matches_citation_dated() -> None:
    for published, inferred in [("2022-12-19", False), ("2022-12-19", True), ("", False)]:
        assert render.dated(published, inferred) == citation(published=published, date_inferred=inferred).dated


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


class FakeStore:
    """The two reads the article view makes."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.by_id = {c.id: c for c in chunks}
        self.reads: list[int] = []

    def ids_of(self, article_id: str) -> set[str]:
        return {cid for cid, c in self.by_id.items() if c.article_id == article_id}

    def get(self, ids: list[str]) -> dict[str, Chunk]:
        self.reads.append(len(ids))
        return {i: self.by_id[i] for i in ids if i in self.by_id}


def test_article_html_reads_every_chunk_and_takes_the_cards_attributes(monkeypatch: pytest.MonkeyPatch) -> None:
    from rag import pipeline
    from ui import app

    quote = "Second paragraph holds the quoted sentence."
    second = span_of(quote + " And more.")
    rag = FakeRag(None)
    rag.store = FakeStore(article_chunks([span_of("Third line."), second, span_of("First <script>")]))
    monkeypatch.setattr(pipeline, "READ_BATCH", 2)
    card = cdict(article_id="t.txt", start=second[0], end=second[1], quote=quote, quote_start=second[0],
                 quote_end=second[0] + len(quote))
    (opener,) = Elements(render.source_card(card, turn=1)).find("a", "src-open")
    html = app.article_html(rag, dataset(opener))  # type: ignore[arg-type]
    assert rag.store.reads == [2, 1]  # read in batches
    assert f'<mark class="art-quote">{quote}</mark>' in html
    assert "Third line." in html and "First &lt;script&gt;" in html
    # whatever the page sends, the answer is an article view (or "not indexed"), never an error
    odd = {"article": "t.txt", "start": "x", "quoteStart": None}
    assert "<mark" not in app.article_html(rag, odd)  # type: ignore[arg-type]
    assert "no longer in the index" in app.article_html(rag, {"article": "missing.txt"})  # type: ignore[arg-type]
    assert "no longer in the index" in app.article_html(rag, {})  # type: ignore[arg-type]


def test_article_view_of_a_real_answer_and_the_corpus_dates(seed_rag: Rag) -> None:
    """The built-in corpus, really indexed: the card's attributes open the cited article with the
    passage marked, and the Articles table says how each date is known."""
    from ui import app

    ans = seed_rag.answer("What is landlocked Belarus dependent on Russia for?")
    c = render.citation_dict(ans.citations[0])
    (opener,) = Elements(render.source_card(c, turn=1)).find("a", "src-open")
    html = app.article_html(seed_rag, dataset(opener))
    view = Elements(html)
    assert f'<mark class="art-quote">{render.esc(c["quote"])}</mark>' in html
    assert c["passage"] in view.text and view.find("h2")[0] and c["title"] in view.text
    chunks = seed_rag.article_chunks(c["article_id"])
    assert len(chunks) > 1 and all(ch.text in view.text for ch in chunks)  # the whole stored article

    expected = {"000": "date unknown", "001": "date unknown", "002": "2022-12-16", "003": "2022-12-19 (inferred)",
                "004": "date unknown"}
    articles = seed_rag.articles()
    assert sorted(a.id[:3] for a in articles) == sorted(expected)
    for a in articles:
        row = Elements(render.articles_html([a])).text
        assert expected[a.id[:3]] in row and (a.id[:3] == "003") == ("(inferred)" in row), row


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
    assert render.meta_line([], "extractive", None, date(2022, 12, 17)) == "extractive · as of 2022-12-17"


def test_refusal_shows_the_answers_note() -> None:
    note = ("No article in the date range is about this question. "
            "The date filter left out 3 articles with no known date.")
    turn = {"question": "q", "answer": "The articles don't say.", "citations": [], "refused": True,
            "refusal": "no_evidence", "note": note + " <i>"}
    bubble = render.chat_messages([turn])[1]["content"]
    assert "Nothing in the indexed articles is about this question." in bubble
    assert note + " &lt;i&gt;" in bubble


def test_answer_payload_is_json_able() -> None:
    import json

    ans = Answer("A [1].", [citation()], query="q", generator="extractive", timings={"total": 1.23456})
    payload = render.answer_payload("Q?", ans)
    assert json.loads(json.dumps(payload))["citations"][0]["quote"].startswith("Belarus")
    assert payload["refused"] is False and payload["timings"] == {"total": 1.2346}
    assert render.answer_payload("Q?", Answer("The articles don't say.", [], refused=True))["refused"] is True


def test_answer_payload_has_the_scope_and_how_each_date_is_known() -> None:
    import json

    scope = TimeScope(date(2022, 12, 17), (date(2022, 12, 1), date(2022, 12, 31)))
    ans = Answer("A [1].", [citation(date_inferred=True)], scope=scope)
    payload = json.loads(json.dumps(render.answer_payload("Q?", ans)))
    assert payload["scope"] == {"as_of": "2022-12-17", "prefer": ["2022-12-01", "2022-12-31"]}
    c = payload["citations"][0]
    assert c["date_inferred"] is True and c["dated"] == "2022-12-19 (inferred)"
    assert render.answer_payload("Q?", Answer("x", []))["scope"] == {"as_of": None, "prefer": None}
    assert Answer("x", [], scope=TimeScope()).to_dict()["scope"] == {"as_of": None, "prefer": None}


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


def test_parse_day_for_the_as_of_field() -> None:
    assert render.parse_day(" 2022-12-17 ", "'as of'") == date(2022, 12, 17)
    assert render.parse_day("", "'as of'") is None and render.parse_day(None, "'as of'") is None
    with pytest.raises(RagError, match=r"The 'as of' date '17/12/2022' is not a date; use YYYY-MM-DD"):
        render.parse_day("17/12/2022", "'as of'")
    with pytest.raises(RagError, match="not a date"):
        render.parse_day("2022-02-30", "'as of'")


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
        self.store: Any = None

    def articles(self) -> list[ArticleInfo]:
        return [ArticleInfo("a.txt", "A", "Outlet", "2022-12-19", 2)]

    article_chunks = Rag.article_chunks  # the real reads, over the fake store


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
