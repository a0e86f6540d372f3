"""The chat UI in a real browser (Debian chromium via Playwright), against the real server
started as `python -m rag.cli ui` on a free port with a throwaway RAG_DATA_DIR.

Screenshots of every step go to test-artifacts/. Set NEWSRAG_UPDATE_SCREENSHOT=1 to also
refresh docs/screenshot.png (the README picture) from the first test.
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ui_helpers import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    ask,
    last_answer,
    screenshot,
    ui_server,
    upload,
    user_messages,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Debian chromium is not installed at {CHROMIUM}"),
    pytest.mark.timeout(600),
]

TIMINGS: list[dict[str, float]] = []

BRIDGE_ARTICLE = """Test Gazette: Brindlecombe opens its Quorra footbridge

Brindlecombe, 2031-05-14. This is a made-up article written for newsrag's UI tests.

The Quorra footbridge in the fictional town of Brindlecombe opened on 14 May 2031 after a ceremony led by \
harbour master Ottoline Varga. The footbridge is 212 metres long and is painted teal.

The town council said the Quorra footbridge cost 9.4 million crowns and took three years to build.
"""

XSS_ARTICLE = """Test Gazette: Quillmere council opens <b>harbour</b> archive

Quillmere, 2031-04-02. This is a made-up test article for newsrag's UI tests.

The Quillmere harbour archive <script>window.__xss=1</script> holds exactly 4,812 ledgers from the old salt trade.

Archivists said the ledgers <img src=x onerror="window.__xss=2"> were moved to the new reading room in April.
"""

# a JSONL article: title, outlet, date and url come from its fields (the title is hostile)
FERRY_ARTICLE = {
    "title": 'Quillmere ferry <img src=x onerror="window.__xss=3"> log',
    "outlet": "Test Gazette",
    "published": "2031-05-02",
    "url": "https://example.org/ferry?a=1&b=2",
    "text": "This is a made-up test article for newsrag's UI tests.\n\n"
            "The Quillmere ferry Maribelle carried exactly 1,377 passengers on its first crossing to Ostrand.\n\n"
            "The crossing took forty minutes in calm weather.",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with ui_server(tmp_path_factory.mktemp("ui-data")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser: Any, url: str) -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#chat")
    page.wait_for_selector("#question textarea")
    return page


@pytest.fixture
def page(browser: Any, server: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    page = open_page(browser, server)
    yield page
    screenshot(page, f"last-{request.node.name}")  # the final state, for diagnosing failures
    page.context.close()


def choose(page: Any, label: str, option: str) -> None:
    page.locator("#settings").get_by_label(label).click()
    page.get_by_role("option", name=option, exact=True).click()
    page.wait_for_function(
        "([l, o]) => [...document.querySelectorAll('#settings input')].some("
        "(i) => i.getAttribute('aria-label') === l && i.value === o)", arg=[label, option], timeout=5000)


def page_width(page: Any) -> int:
    return int(page.evaluate("() => Math.round(document.querySelector('.gradio-container').getBoundingClientRect().width)"))


def aria_labels(page: Any) -> list[str]:
    """The chat messages' aria-labels, once the page has relabelled them (it does so once a frame)."""
    page.wait_for_function("""() => [...document.querySelectorAll('#chat [data-testid][aria-label]')].every(
        (m) => /^(Question|Answer): /.test(m.getAttribute('aria-label')))""", timeout=5000)
    return [str(label) for label in page.locator("#chat [data-testid][aria-label]").evaluate_all(
        "(ms) => ms.map((m) => m.getAttribute('aria-label'))")]


def assert_no_traceback(page: Any) -> None:
    content = page.content()
    assert "Traceback" not in content
    assert 'File "/' not in content


def timed_ask(page: Any, question: str) -> dict[str, float]:
    t = ask(page, question)
    TIMINGS.append(t)
    return t


# -- tests ---------------------------------------------------------------------------------------------------


def test_first_open_shows_examples_and_title(page: Any) -> None:
    assert page.title() == "newsrag — cited answers from your news articles"
    for q in ("When did Putin visit Minsk in December 2022?", "What is landlocked Belarus dependent on Russia for?"):
        assert page.locator("#chat").get_by_text(q).count() == 1
    # the corpus tab lists the five seed articles; the page keeps its width across the tabs
    width = page_width(page)
    page.get_by_role("tab", name="Articles").click()
    rows = page.locator("#nr-corpus table.corpus tbody tr")
    rows.first.wait_for(timeout=10_000)
    assert rows.count() >= 5
    assert "The Washington Post" in page.locator("#nr-corpus").inner_text()
    # each date as a reader should read it: given, or inferred (from the text, or in a sidecar file)
    dates = {row.locator(".a-id").inner_text()[:3]: row.locator("td").nth(2).inner_text() for row in rows.all()}
    assert {k: dates.get(k) for k in ("000", "001", "002", "003", "004")} == {
        "000": "2023-02-24 (inferred)", "001": "2022-12-27 (inferred)", "002": "2022-12-16",
        "003": "2022-12-19 (inferred)", "004": "2023-02-17 (inferred)"}
    assert page_width(page) == width
    screenshot(page, "01-first-open")
    # an example question runs when clicked
    page.get_by_role("tab", name="Ask").click()
    assert page_width(page) == width
    page.locator("#chat").get_by_text("What is landlocked Belarus dependent on Russia for?").click()
    page.locator("#chat [data-testid=bot] .rag-meta").wait_for(timeout=60_000)
    assert "fuel" in last_answer(page)


def test_answer_citation_click_and_follow_up(page: Any) -> None:
    timed_ask(page, "What is landlocked Belarus dependent on Russia for?")
    answer = last_answer(page)
    assert "security" in answer and "fuel" in answer
    cite = page.locator("#chat [data-testid=bot] a.cite").first
    assert cite.inner_text().startswith("[1")
    href = cite.get_attribute("href")
    assert href == "#src-1-1"
    screenshot(page, "02-answer")

    cite.click()
    card = page.locator("#src-1-1")
    page.wait_for_function("() => document.querySelector('#src-1-1').classList.contains('src-active')", timeout=5000)
    assert card.is_visible()
    assert "security and fuel" in card.locator("mark.quote").inner_text()
    assert "Lukashenko and Putin Affirm Their Close Ties" in card.inner_text()
    assert "VERIFIED" in card.locator(".badge").inner_text().upper()
    assert page.url.endswith("/")  # the click highlighted the source instead of navigating
    screenshot(page, "03-citation-clicked")
    # a screen reader reads each message as the text it shows, not its HTML
    question, reply = aria_labels(page)
    assert question == "Question: What is landlocked Belarus dependent on Russia for?"
    assert reply.startswith("Answer: Landlocked Belarus is dependent on Russia for security and fuel")
    assert "[1]" in reply and "<" not in reply and "class=" not in reply

    timed_ask(page, "When did Putin visit Minsk in December 2022?")
    first = last_answer(page)
    assert "19 December" in first.split("[1]")[0], first  # the date, in the answer's first sentence
    # a follow-up that only makes sense with the conversation: asked alone it retrieves an
    # unrelated passage (see test_sessions_keep_separate_conversations)
    timed_ask(page, "What did Tikhanovskaya call for in Munich?")
    assert "coalition of countries" in last_answer(page)
    timed_ask(page, "Where was she speaking?")
    follow_up = last_answer(page)
    assert "Munich Security Conference" in follow_up, follow_up
    assert len(user_messages(page)) == 4
    labels = aria_labels(page)  # every message, the ones written since too
    assert len(labels) == 8 and not any("<" in label for label in labels)
    # the sources panel shows the newest turn open, older turns collapsed but reachable
    assert page.locator("#nr-sources details.turn").count() == 4
    assert page.locator("#nr-sources details.turn[open]").count() == 1
    page.locator("#chat a.cite[href^='#src-1-']").first.click()  # a marker in the first answer
    page.wait_for_function("() => document.querySelector('#turn-1').open", timeout=5000)
    screenshot(page, "04-follow-up")
    if os.environ.get("NEWSRAG_UPDATE_SCREENSHOT"):
        page.locator("#chat a.cite[href^='#src-4-']").first.click()
        page.wait_for_timeout(800)
        page.evaluate("() => window.scrollTo(0, 0)")
        page.wait_for_timeout(300)
        page.screenshot(path=str(ROOT / "docs" / "screenshot.png"), clip={"x": 0, "y": 0, "width": 1400, "height": 920})

    page.click("#clear-btn")
    page.wait_for_function("() => document.querySelectorAll('#chat [data-testid=user]').length === 0", timeout=5000)
    assert "Sources appear here" in page.locator("#nr-sources").inner_text()
    # a fresh conversation: the follow-up no longer has its context
    timed_ask(page, "Where was she speaking?")
    assert len(user_messages(page)) == 1
    assert "Munich Security Conference" not in last_answer(page)
    assert_no_traceback(page)


def test_refusal_shows_no_sources(page: Any) -> None:
    timed_ask(page, "What is the boiling point of liquid nitrogen on Neptune?")
    answer = last_answer(page)
    assert "The articles don't say." in answer
    assert "Nothing in the indexed articles is about this question." in answer  # which "no" it is
    assert page.locator("#chat a.cite").count() == 0
    assert page.locator("#nr-sources .src").count() == 0
    assert "No sources" in page.locator("#nr-sources").inner_text()
    assert "Closest passage" not in answer  # nothing near to show
    screenshot(page, "05-refusal")
    # passages about the topic, none answering: the closest is shown as such, still no source and no marker
    timed_ask(page, "Who won the 2022 World Cup final?")
    answer = last_answer(page)
    assert "The articles don't say." in answer and "Closest passages (not taken as an answer)" in answer
    assert "World Cup" in page.locator("#chat .rag-closest").last.inner_text()
    assert page.locator("#chat a.cite").count() == 0 and page.locator("#nr-sources .src").count() == 0
    cards = page.locator("#turn-2 .src-closest")  # in the sources panel too, each saying it is not cited
    assert cards.count() == 2 and "not cited" in cards.first.inner_text().lower()
    screenshot(page, "05c-closest")
    dialog = open_article(page, ":nth-match(#turn-2 .src-closest, 1)")  # the article, at that sentence
    assert "World Cup" in dialog.locator("mark.art-quote").inner_text()
    dialog.locator("#nr-article-close").click()


def open_article(page: Any, card: str) -> Any:
    """Click the title on source card `card` and wait for the whole article in the dialog."""
    page.locator(f"{card} a.src-open").click()
    dialog = page.locator("#nr-article[open]")
    dialog.locator(".art-text").wait_for(timeout=10_000)
    return dialog


def test_source_card_and_the_whole_article(page: Any) -> None:
    timed_ask(page, "What is landlocked Belarus dependent on Russia for?")
    card = page.locator("#src-1-1")
    text = card.inner_text()
    title = "Lukashenko and Putin Affirm Their Close Ties Without Mention of Ukraine"
    assert card.locator("a.src-open").inner_text() == title
    assert "News7F (The New York Times) · 2022-12-27 (inferred)" in card.locator(".src-meta").inner_text()
    assert "001_a956fa66d3677f6c" not in text  # the title, not the hashed file name
    assert card.locator("a.src-link").count() == 0  # no url for this article, so no link

    dialog = open_article(page, "#src-1-1")
    assert dialog.locator("h2").inner_text() == title
    quote = dialog.locator("mark.art-quote")
    assert quote.count() == 1 and "security and fuel" in quote.inner_text()
    whole = dialog.locator(".art-text").inner_text()
    # the whole stored article: passages far from the cited one, but not the site footer cleaning dropped
    assert "President Vladimir V. Putin of Russia and Aleksandr G. Lukashenko" in whole
    assert "The Institute for the Study of War" in whole
    assert "News7F: Update the world" not in whole
    assert whole.index("Aleksandr G. Lukashenko") < whole.index("security and fuel") < whole.index("Study of War")
    # the marked sentence is scrolled into the dialog's view
    assert page.evaluate("""() => {
        const box = document.getElementById('nr-article').getBoundingClientRect();
        const mark = document.querySelector('#nr-article mark.art-quote').getBoundingClientRect();
        return mark.top >= box.top && mark.bottom <= box.bottom;
    }""")
    screenshot(page, "05a-whole-article")
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.getElementById('nr-article').open", timeout=5000)

    # an inferred date says so on the card and in the article view
    timed_ask(page, "When did Putin visit Minsk in December 2022?")
    card = page.locator("#src-2-1")
    assert "EU Reporter · 2022-12-19 (inferred)" in card.locator(".src-meta").inner_text()
    dialog = open_article(page, "#src-2-1")
    assert "Putin and Lukashenko dwell on co-operation, not Ukraine war" in dialog.locator("h2").inner_text()
    assert "2022-12-19 (inferred)" in dialog.locator(".art-meta").inner_text()
    assert "19 December" in dialog.locator("mark.art-quote").inner_text()
    page.click("#nr-article-close")
    page.wait_for_function("() => !document.getElementById('nr-article').open", timeout=5000)
    assert_no_traceback(page)


def test_as_of_and_date_filter_settings(page: Any) -> None:
    question = "When did Putin visit Minsk in December 2022?"
    page.locator("#settings > button").first.click()
    as_of = page.locator("#settings").get_by_label("As of (YYYY-MM-DD)")
    as_of.fill("2022-12-17")
    ask(page, question)
    # as of 17 December, the EU Reporter article (19 December, inferred) did not exist yet
    assert page.locator("#src-1-1").count() == 1
    assert page.locator("#turn-1 a.src-open[data-article^='003_']").count() == 0
    assert page.locator("#turn-1 a.src-open[data-article^='002_']").count() >= 1
    assert "as of 2022-12-17" in page.locator("#chat .rag-meta").last.inner_text()
    as_of.fill("")
    ask(page, question)  # the same question today does use it
    assert page.locator("#turn-2 a.src-open[data-article^='003_']").count() >= 1
    assert "as of" not in page.locator("#chat .rag-meta").last.inner_text()

    as_of.fill("17.12.2022")  # a warning saying how to write it; the question stays, the chat is unchanged
    turns = len(user_messages(page))
    page.fill("#question textarea", question)
    page.click("#ask-btn")
    page.get_by_text("'as of' date '17.12.2022' is not a date; write it as YYYY-MM-DD").first.wait_for(timeout=10_000)
    page.wait_for_timeout(500)
    assert len(user_messages(page)) == turns
    as_of.fill("")

    # a date filter: every built-in article has a date (sidecar files), so none is left out unsaid
    page.locator("#settings").get_by_label("Published from").fill("2022-12-01")
    ask(page, "What is the boiling point of liquid nitrogen on Neptune?")
    refusal = last_answer(page)
    assert "The articles don't say." in refusal and "no known date" not in refusal
    page.locator("#settings").get_by_label("Published from").fill("")
    assert_no_traceback(page)
    screenshot(page, "05b-as-of")


def test_upload_ask_and_remove(page: Any, tmp_path: Path) -> None:
    article = tmp_path / "test-gazette-bridge.txt"
    article.write_text(BRIDGE_ARTICLE)
    width = page_width(page)
    status = upload(page, article)
    assert "Indexed 1 article" in status and "added" in status
    corpus = page.locator("#nr-corpus").inner_text()
    assert "Brindlecombe opens its Quorra footbridge" in corpus
    assert page_width(page) == width  # the table grew; the page did not change width
    screenshot(page, "06-uploaded")

    page.get_by_role("tab", name="Ask").click()
    timed_ask(page, "When did the Quorra footbridge in Brindlecombe open?")
    assert "14 May 2031" in last_answer(page)
    page.locator("#chat [data-testid=bot] a.cite").first.click()
    active = page.locator("#nr-sources .src.src-active")
    active.wait_for(timeout=5000)
    assert "Test Gazette" in active.inner_text()
    assert "Brindlecombe opens its Quorra footbridge" in active.inner_text()
    assert active.locator("a.src-open").get_attribute("data-article") == "test-gazette-bridge.txt"
    screenshot(page, "07-uploaded-cited")

    # remove it again: the first click asks, Cancel keeps it, "Yes, remove it" removes it
    page.get_by_role("tab", name="Articles").click()
    confirm = page.locator("#nr-confirm")
    assert not confirm.is_visible()
    for answer in ("#remove-cancel-btn", "#remove-confirm-btn"):
        page.locator("#remove-choice input").click()
        page.get_by_role("option", name="test-gazette-bridge.txt", exact=False).click()
        page.click("#remove-btn")
        confirm.wait_for(state="visible", timeout=10_000)
        assert "Remove Test Gazette: Brindlecombe opens its Quorra footbridge (test-gazette-bridge.txt)" in \
            confirm.inner_text()
        assert "Quorra" in page.locator("#nr-corpus").inner_text()  # asking removed nothing
        screenshot(page, "07a-remove-asks")
        page.click(answer)
        confirm.wait_for(state="hidden", timeout=10_000)
    page.locator("#nr-status-text", has_text="Removed test-gazette-bridge.txt").wait_for(timeout=30_000)
    assert "Quorra" not in page.locator("#nr-corpus").inner_text()
    assert page_width(page) == width


def test_bad_upload_is_reported(page: Any, tmp_path: Path) -> None:
    bad = tmp_path / "garbage.txt"
    bad.write_bytes(b"\x00\x01\x02binary\x00" * 50)
    status = upload(page, bad)
    assert "Nothing was indexed" in status and "binary" in status and "garbage.txt" in status
    assert str(tmp_path) not in status  # no server paths
    assert page.locator("#nr-corpus table.corpus tbody tr").count() >= 5  # the index is intact
    assert_no_traceback(page)
    screenshot(page, "08-bad-upload")


def test_article_markup_is_inert(page: Any, tmp_path: Path) -> None:
    article = tmp_path / "xss-article.txt"
    article.write_text(XSS_ARTICLE)
    assert "Indexed 1 article" in upload(page, article)
    assert "<b>harbour</b>" in page.locator("#nr-corpus").inner_text()  # the title, as text
    page.get_by_role("tab", name="Ask").click()

    timed_ask(page, "How many ledgers does the Quillmere harbour archive hold?")
    timed_ask(page, "Where were the Quillmere ledgers moved?")
    page.locator("#chat [data-testid=bot] a.cite").last.click()
    page.wait_for_timeout(300)
    sources = page.locator("#nr-sources").inner_text()
    chat = page.locator("#chat").inner_text()
    assert '<img src=x onerror="window.__xss=2">' in sources
    assert '<img src=x onerror="window.__xss=2">' in chat
    assert "<b>harbour</b>" in sources
    page.locator("#nr-sources summary").last.click()  # open the first turn's sources too
    assert "<script>window.__xss=1</script>" in page.locator("#nr-sources").inner_text()
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert page.locator("#nr-sources img, #nr-sources script, #chat img[src=x]").count() == 0
    screenshot(page, "09-markup-inert")

    # the whole article: the title and every line as text
    dialog = open_article(page, "#src-1-1")
    assert "<b>harbour</b>" in dialog.locator("h2").inner_text()
    whole = dialog.locator(".art-text").inner_text()
    assert "<script>window.__xss=1</script>" in whole and '<img src=x onerror="window.__xss=2">' in whole
    assert page.locator("#nr-article img, #nr-article script, #nr-article b").count() == 0
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    page.keyboard.press("Escape")


def test_uploaded_article_card_shows_its_fields_and_links_to_the_original(page: Any, tmp_path: Path) -> None:
    article = tmp_path / "ferry.jsonl"
    article.write_text(json.dumps(FERRY_ARTICLE) + "\n")
    assert "Indexed 1 article" in upload(page, article)
    page.get_by_role("tab", name="Ask").click()
    timed_ask(page, "How many passengers did the Quillmere ferry Maribelle carry on its first crossing?")
    assert "1,377" in last_answer(page)
    card = page.locator("#src-1-1")
    assert card.locator("a.src-open").inner_text() == FERRY_ARTICLE["title"]  # as text
    assert "Test Gazette · 2031-05-02 · example.org ↗" in card.locator(".src-meta").inner_text()
    link = card.locator("a.src-link")
    assert link.get_attribute("href") == FERRY_ARTICLE["url"] and link.get_attribute("target") == "_blank"
    assert "noopener" in (link.get_attribute("rel") or "").split()
    dialog = open_article(page, "#src-1-1")
    assert dialog.locator("h2").inner_text() == FERRY_ARTICLE["title"]
    assert dialog.locator("a.src-link").get_attribute("href") == FERRY_ARTICLE["url"]
    assert "1,377 passengers" in dialog.locator("mark.art-quote").inner_text()
    assert page.locator("#nr-sources img, #nr-article img").count() == 0
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    screenshot(page, "09a-uploaded-card")


def test_errors_are_readable_and_keep_the_conversation(page: Any) -> None:
    timed_ask(page, "What is landlocked Belarus dependent on Russia for?")
    # empty question: a warning, nothing added to the chat
    page.fill("#question textarea", "   ")
    page.click("#ask-btn")
    page.get_by_text("The question is empty").first.wait_for(timeout=10_000)
    page.wait_for_timeout(500)
    assert len(user_messages(page)) == 1
    screenshot(page, "10-empty-question")

    # the model server is down (nothing listens at RAG_OPENAI_BASE_URL): a readable message in the chat
    page.locator("#settings > button").first.click()
    choose(page, "Generator", "openai")
    ask(page, "What did Tikhanovskaya call for in Munich?")
    error = page.locator("#chat .rag-error").last.inner_text()
    assert "Could not answer" in error and "model server" in error, error
    # a bad date filter, back on the extractive generator: like an empty question, a warning that
    # says how to write the date (Filters.parse's message), the question kept, nothing added to the chat
    choose(page, "Generator", "extractive")
    page.locator("#settings").get_by_label("Published from").fill("19 Dec 2022")
    page.fill("#question textarea", "When did Putin visit Minsk in December 2022?")
    page.click("#ask-btn")
    page.get_by_text("YYYY-MM-DD").first.wait_for(timeout=10_000)
    page.wait_for_timeout(500)
    assert len(user_messages(page)) == 2
    page.locator("#settings").get_by_label("Published from").fill("")
    # the conversation goes on: errors are not part of the history
    ask(page, "What did Tikhanovskaya call for in Munich?")
    assert "coalition of countries" in last_answer(page)
    assert len(user_messages(page)) == 3
    # the first answer and its sources are still there
    assert "fuel" in page.locator("#chat [data-testid=bot]").first.inner_text()
    assert page.locator("#src-1-1").count() == 1
    assert_no_traceback(page)
    screenshot(page, "11-errors")
    page.locator("#chat a.cite[href='#src-1-1']").click()
    assert page.locator("#src-1-1.src-active").count() == 1


def test_sessions_keep_separate_conversations(browser: Any, server: str) -> None:
    a, b = open_page(browser, server), open_page(browser, server)
    try:
        ask(a, "What did Tikhanovskaya call for in Munich?")
        ask(b, "When did Putin visit Minsk in December 2022?")
        ask(a, "Where was she speaking?")
        ask(b, "Where was she speaking?")
        assert user_messages(a) == ["What did Tikhanovskaya call for in Munich?", "Where was she speaking?"]
        assert user_messages(b) == ["When did Putin visit Minsk in December 2022?", "Where was she speaking?"]
        # each follow-up used its own session's history
        assert "Munich Security Conference" in last_answer(a)
        assert "Munich Security Conference" not in last_answer(b)
        assert "Tikhanovskaya" not in b.locator("#nr-sources").inner_text()
        screenshot(a, "12-session-a")
        screenshot(b, "12-session-b")
    finally:
        a.context.close()
        b.context.close()


@pytest.mark.filterwarnings("ignore::DeprecationWarning:gradio_client.*")
def test_gradio_client_ask_endpoint(server: str) -> None:
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(server, verbose=False)
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert "/ask" in endpoints

    q1 = "When did Putin visit Minsk in December 2022?"
    res = client.predict(q1, [], 5, "", "", "", "", api_name="/ask")
    assert not res["refused"] and res["citations"]
    c = res["citations"][0]
    assert {"number", "title", "outlet", "published", "passage", "quote", "verified", "date_inferred"} <= set(c)
    assert c["quote"] in c["passage"]
    assert (c["article_id"][:3], c["date_inferred"], c["dated"]) == ("003", True, "2022-12-19 (inferred)")
    assert res["scope"] == {"as_of": None, "prefer": ["2022-12-01", "2022-12-31"]}
    # as of 17 December 2022 the EU Reporter article (19 December) is not used
    before = client.predict(q1, [], 5, "", "", "", "", "2022-12-17", api_name="/ask")
    assert before["citations"] and not any(c["article_id"].startswith("003_") for c in before["citations"])
    assert before["scope"]["as_of"] == "2022-12-17"
    assert all(c["published"] <= "2022-12-17" for c in before["citations"])
    with pytest.raises(AppError, match=r"The 'as of' date 'yesterday' is not a date; write it as YYYY-MM-DD"):
        client.predict(q1, [], 5, "", "", "", "", "yesterday", api_name="/ask")
    assert "19 December" in res["answer"] and res["refusal"] == "" and res["query"] == q1
    q2 = "What did Tikhanovskaya call for in Munich?"
    a2 = client.predict(q2, api_name="/ask")["answer"]
    follow = client.predict("Where was she speaking?", [[q2, a2]], api_name="/ask")
    assert "Munich Security Conference" in follow["answer"]
    alone = client.predict("Where was she speaking?", [], api_name="/ask")
    assert "Munich Security Conference" not in alone["answer"]
    outlet_only = client.predict(q1, [], 3, "extractive", "TimesLIVE (Bloomberg)", "", "", api_name="/ask")
    assert outlet_only["citations"] and all(c["outlet"] == "TimesLIVE (Bloomberg)" for c in outlet_only["citations"])
    with pytest.raises(AppError, match="question is empty"):
        client.predict("", api_name="/ask")
    articles = client.predict(api_name="/articles")
    assert len(articles) >= 5 and {"id", "title", "outlet", "published", "chunks", "date_inferred"} <= set(articles[0])


def test_report_timings() -> None:
    """Not a check: writes the click-to-first-text and click-to-finished medians for the report."""
    if not TIMINGS:
        pytest.skip("no timed questions ran")
    ARTIFACTS.mkdir(exist_ok=True)
    summary = {
        "questions": len(TIMINGS),
        "median_first_token_s": round(statistics.median(t["first_token"] for t in TIMINGS), 3),
        "median_total_s": round(statistics.median(t["total"] for t in TIMINGS), 3),
        "all": TIMINGS,
    }
    (ARTIFACTS / "ui-timings.json").write_text(json.dumps(summary, indent=2))
    print(f"\nUI timings (extractive): {summary['median_first_token_s']} s to first text, "
          f"{summary['median_total_s']} s to finished answer over {len(TIMINGS)} questions")
