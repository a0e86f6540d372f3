"""The Gradio chat UI: a thin shell over the `rag` Python API.

    rag ui [--host 127.0.0.1] [--port 7860]      # or: python -m rag.cli ui

Layout: chat on the left, the cited passages on the right (click a [n] marker to jump to
its passage; click a passage's title to read the whole article as stored, with the passage
marked), settings under the chat, and an Articles tab to list, upload and remove articles.
Each browser session keeps its own conversation (`ui.turns.Turn`s) in `gr.State`.

This module builds the page and wires its events; what each event does is a plain function in
`ui/handlers.py` (typed in, typed out, no Gradio), and the HTML comes from `ui/render.py`.

API (for `gradio_client`): one clean endpoint, `/ask`:

    from gradio_client import Client
    res = Client("http://127.0.0.1:7860/").predict(
        "When did Putin visit Minsk in December 2022?",  # question
        [],            # history: [[question, answer], ...] of earlier turns
        5,             # k: number of passages
        "",            # generator: "" (server default), "extractive", "llamacpp" or "openai"
        "",            # outlet filter ("" = any)
        "", "",        # since / until, YYYY-MM-DD ("" = open)
        "",            # as of, YYYY-MM-DD: answer as of that day ("" = no limit)
        api_name="/ask",
    )
    res["answer"], res["refused"], res["citations"][0]["quote"], res["scope"]["as_of"]

`/articles` (no arguments) lists the indexed articles.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

import gradio as gr
from gradio.events import api

from rag import RagError, default
from ui import handlers, render
from ui.assets import CSS, JS, SOURCES_JS
from ui.handlers import AskFields, Backend, ChatView, CorpusView, generator_choices
from ui.turns import Conversation

log = logging.getLogger("newsrag.ui")

TITLE = "newsrag — cited answers from your news articles"
HEADER = (f"<div id='nr-header'><h1>{render.esc(TITLE)}</h1><p>Every claim carries a citation "
          "<span class='cite-demo'>[n]</span>: click it to read the passage. Claims the checker could not "
          "confirm are marked <span class='badge badge-warn'>unverified</span>.</p></div>")
EXAMPLES = [
    "When did Putin visit Minsk in December 2022?",
    "What did Tikhanovskaya call for in Munich?",
    "What is landlocked Belarus dependent on Russia for?",
]
UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".jsonl"]
ANSWER_QUEUE = "answer"  # chat and /ask share these workers
# Several at once, so one question waiting on a slow model server does not stall everyone
# (tests/test_faults.py). Safe: llama.cpp calls take the generator's own lock, and the
# extractive path (ONNX, Chroma, BM25 behind the retriever's lock) is thread-safe.
ANSWER_CONCURRENCY = 4
INDEX_QUEUE = "index"  # uploads and removals, one at a time: each is a write to the index
# Gradio finds an event's progress tracker by this default value in the handler's signature.
INDEXING_PROGRESS = gr.Progress()
# The page's own events; only /ask and /articles are API endpoints.
PRIVATE: dict[str, Any] = {"api_visibility": "private"}
INSTANT: dict[str, Any] = {**PRIVATE, "queue": False, "show_progress": "hidden"}

T = TypeVar("T")


class SettingsPanel(NamedTuple):
    """The Settings panel's fields, in the order of `AskFields` and of /ask's arguments."""

    k: gr.Slider
    generator: gr.Dropdown
    outlet: gr.Dropdown
    since: gr.Textbox
    until: gr.Textbox
    as_of: gr.Textbox


@dataclass(frozen=True)
class AskTab:
    """The Ask tab's components, and the session state its events read and write."""

    chatbot: gr.Chatbot
    question: gr.Textbox
    ask_btn: gr.Button
    stop_btn: gr.Button
    clear_btn: gr.Button
    settings: SettingsPanel
    sources: gr.HTML
    turns: gr.State  # this session's Conversation
    asked: gr.State  # the question being answered (the box is cleared at once)


@dataclass(frozen=True)
class ArticlesTab:
    """The Articles tab's components: the table, the upload, and the removal with its confirmation."""

    table: gr.HTML
    status: gr.HTML
    upload: gr.File
    add_btn: gr.Button
    remove_choice: gr.Dropdown
    remove_btn: gr.Button
    confirm: gr.Column
    confirm_text: gr.HTML
    confirm_btn: gr.Button
    cancel_btn: gr.Button
    pending: gr.State  # the article id waiting for confirmation


def build_app(rag: Backend | None = None) -> gr.Blocks:
    """The Blocks app. Pass a `Rag` (or another `handlers.Backend`); by default the shared one
    built from the environment, with the built-in articles on first use (`rag.default()`)."""
    backend = rag if rag is not None else default()
    demo = gr.Blocks(title=TITLE)
    with demo:
        gr.HTML(HEADER)
        with gr.Tabs():
            ask_tab = ask_layout(backend)
            articles_tab = articles_layout()
        wire_chat(backend, ask_tab)
        wire_articles(backend, articles_tab, ask_tab.settings.outlet, demo)
        wire_api(backend)
    demo.queue(default_concurrency_limit=2)
    return demo


# -- layout ---------------------------------------------------------------------------------------

def ask_layout(rag: Backend) -> AskTab:
    # the states are made inside the tab: a component left directly in gr.Tabs gets a tab button
    with gr.Tab("Ask", id="ask"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chatbot = chat_box()
                question, ask_btn, stop_btn, clear_btn = question_row()
                settings = settings_panel(rag)
            with gr.Column(scale=2, min_width=320):
                sources = sources_panel(rag)
        turns, asked = gr.State(()), gr.State("")
    return AskTab(chatbot, question, ask_btn, stop_btn, clear_btn, settings, sources, turns, asked)


def chat_box() -> gr.Chatbot:
    # markdown off: answers are HTML from `render`, escaped there
    return gr.Chatbot(
        elem_id="chat", show_label=False, height=560, render_markdown=False, sanitize_html=True,
        latex_delimiters=[], feedback_options=None, buttons=["copy"], examples=[{"text": q} for q in EXAMPLES],
        placeholder="Ask a question about the articles, or start with one of these:",
    )


def question_row() -> tuple[gr.Textbox, gr.Button, gr.Button, gr.Button]:
    with gr.Row(equal_height=True, elem_id="nr-input"):
        question = gr.Textbox(show_label=False, placeholder="Ask a question about the articles…", lines=1,
                              max_lines=5, scale=8, elem_id="question", autofocus=True, container=False)
        ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=70, elem_id="ask-btn")
        stop_btn = gr.Button("Stop", variant="secondary", scale=1, min_width=70, elem_id="stop-btn")
        clear_btn = gr.Button("Clear", variant="secondary", scale=1, min_width=70, elem_id="clear-btn")
    return question, ask_btn, stop_btn, clear_btn


def settings_panel(rag: Backend) -> SettingsPanel:
    undated = "Articles with no known date are left out."
    with gr.Accordion("Settings", open=False, elem_id="settings"):
        with gr.Row():
            k = gr.Slider(1, 15, value=rag.settings.top_k, step=1, label="Passages to retrieve (k)")
            choices, info = generator_choices(rag.settings)
            generator = gr.Dropdown(choices, value=rag.settings.generator, label="Generator", info=info)
        with gr.Row():
            outlet = gr.Dropdown([render.ANY_OUTLET], value=render.ANY_OUTLET, label="Outlet")
            since = gr.Textbox(label="Published from", placeholder="YYYY-MM-DD", info=undated)
            until = gr.Textbox(label="Published until", placeholder="YYYY-MM-DD", info=undated)
            as_of = gr.Textbox(label="As of (YYYY-MM-DD)", placeholder="today",
                               info="Later articles are not used; undated ones are.")
    return SettingsPanel(k, generator, outlet, since, until, as_of)


def sources_panel(rag: Backend) -> gr.HTML:
    def open_article(request: dict[str, Any]) -> str:
        """The whole-article view for a source card's title (called by `SOURCES_JS` in the page)."""
        return handlers.article_html(rag, request)

    gr.HTML("<h3>Sources</h3>", elem_id="nr-sources-title")
    # open_article is a Python function the page calls directly (not an API endpoint, no queue):
    # reading an article's chunks is quick and must not wait behind answers
    return gr.HTML(render.sources_html(()), elem_id="nr-sources", js_on_load=SOURCES_JS,
                   server_functions=[open_article])


def articles_layout() -> ArticlesTab:
    with gr.Tab("Articles", id="articles"):
        table = gr.HTML(elem_id="nr-corpus")
        status = gr.HTML(elem_id="nr-status")
        with gr.Row(equal_height=False):
            with gr.Column():
                upload = gr.File(label="Add articles (.txt, .md, .html, .jsonl)", file_count="multiple",
                                 file_types=UPLOAD_TYPES, type="filepath", elem_id="upload")
                add_btn = gr.Button("Add to index", variant="primary", elem_id="add-btn")
            with gr.Column():
                remove_choice = gr.Dropdown([], label="Remove an article", elem_id="remove-choice")
                remove_btn = gr.Button("Remove from index…", variant="stop", elem_id="remove-btn")
                confirm, confirm_text, confirm_btn, cancel_btn = confirm_box()
        pending = gr.State("")
    return ArticlesTab(table, status, upload, add_btn, remove_choice, remove_btn, confirm, confirm_text,
                       confirm_btn, cancel_btn, pending)


def confirm_box() -> tuple[gr.Column, gr.HTML, gr.Button, gr.Button]:
    """Shown after "Remove from index…": removing cannot be undone, so it is asked once more."""
    with gr.Column(visible=False, elem_id="nr-confirm") as confirm:
        text = gr.HTML()
        with gr.Row():
            yes = gr.Button("Yes, remove it", variant="stop", elem_id="remove-confirm-btn")
            no = gr.Button("Cancel", variant="secondary", elem_id="remove-cancel-btn")
    return confirm, text, yes, no


# -- events: the chat -----------------------------------------------------------------------------

def keep(value: object) -> Any:
    """A value for an output, or "leave it as it is" for None."""
    return gr.skip() if value is None else value


def chat_outputs(view: ChatView) -> tuple[Any, Any, Any, Any]:
    """A ChatView as the values of [chatbot, sources, turns, question], its warning as a toast."""
    if view.warning:
        gr.Warning(view.warning)
    return keep(view.messages), keep(view.sources), keep(view.turns), keep(view.question)


def wire_chat(rag: Backend, tab: AskTab) -> None:
    """Ask (button, Enter or an example) shows the question at once, then answers in the shared
    answer queue; Stop cancels the answer, Clear starts a new conversation."""
    def use_example(evt: gr.SelectData) -> str:
        value = evt.value
        return str(value.get("text", "") if isinstance(value, dict) else value)

    def start(question: str | None, turns: Conversation | None) -> tuple[Any, Any, str]:
        view = handlers.start(question or "", turns or ())
        return keep(view.messages), keep(view.question), question or ""

    def respond(question: str | None, turns: Conversation | None, k: float, generator: str, outlet: str,
                since: str, until: str, as_of: str) -> Iterator[tuple[Any, ...]]:
        fields = AskFields(k, generator, outlet, since, until, as_of)
        for view in handlers.respond(rag, question or "", turns or (), fields):
            yield chat_outputs(view)

    example = tab.chatbot.example_select(use_example, None, tab.question, **INSTANT)
    answering = [trigger(start, [tab.question, tab.turns], [tab.chatbot, tab.question, tab.asked], **INSTANT)
                 .then(respond, [tab.asked, tab.turns, *tab.settings], chat_targets(tab), **answer_queue(tab))
                 for trigger in (tab.question.submit, tab.ask_btn.click, example.then)]
    wire_stop_and_clear(tab, answering)


def chat_targets(tab: AskTab) -> list[Any]:
    return [tab.chatbot, tab.sources, tab.turns, tab.question]


def answer_queue(tab: AskTab) -> dict[str, Any]:
    return {**PRIVATE, "concurrency_id": ANSWER_QUEUE, "concurrency_limit": ANSWER_CONCURRENCY,
            "show_progress": "minimal", "show_progress_on": [tab.chatbot]}


def wire_stop_and_clear(tab: AskTab, answering: list[Any]) -> None:
    def stop(turns: Conversation | None) -> list[render.Message]:
        return render.chat_messages(turns or ())  # the conversation as it was before the question

    def clear() -> tuple[Any, ...]:
        return chat_outputs(handlers.clear())

    tab.stop_btn.click(stop, tab.turns, tab.chatbot, cancels=answering, **PRIVATE, queue=False)
    tab.clear_btn.click(clear, None, chat_targets(tab), **PRIVATE, queue=False)
    tab.chatbot.clear(clear, None, chat_targets(tab), **PRIVATE, queue=False)  # its own trash icon


# -- events: the Articles tab ---------------------------------------------------------------------

def toast(info: str, warning: str) -> None:
    if warning:
        gr.Warning(warning)
    elif info:
        gr.Info(info)


def corpus_outputs(view: CorpusView) -> tuple[Any, Any, Any, str]:
    """A CorpusView as the values of [table, remove menu, outlet menu, status], its toast shown."""
    toast(view.info, view.warning)
    status = f'<div id="nr-status-text">{render.esc(view.status)}</div>' if view.status else ""
    return view.table, gr.update(choices=view.choices, value=None), gr.update(choices=view.outlets), status


def wire_articles(rag: Backend, tab: ArticlesTab, outlet: gr.Dropdown, demo: gr.Blocks) -> None:
    """The table on page load; an upload; and a removal, asked for, then confirmed."""
    outputs = [tab.table, tab.remove_choice, outlet, tab.status]
    index_queue = {**PRIVATE, "concurrency_id": INDEX_QUEUE, "concurrency_limit": 1}

    def corpus_views() -> tuple[Any, ...]:
        return corpus_outputs(handlers.corpus(rag))

    def add_files(files: list[str] | None, progress: gr.Progress = INDEXING_PROGRESS) -> tuple[Any, ...]:
        view = handlers.add_files(rag, files or [], lambda n, total, desc: progress((n, total), desc=desc))
        return *corpus_outputs(view), None if files else gr.skip()  # an indexed upload leaves the picker

    demo.load(corpus_views, None, outputs, **PRIVATE)
    tab.add_btn.click(add_files, tab.upload, [*outputs, tab.upload], **index_queue)
    wire_removal(rag, tab, outputs, index_queue)


def wire_removal(rag: Backend, tab: ArticlesTab, outputs: list[Any], index_queue: dict[str, Any]) -> None:
    """Remove asks first ("Yes, remove it" / Cancel); choosing another article cancels the question."""
    def ask_to_remove(article_id: str | None) -> tuple[Any, str, str]:
        removal = handlers.ask_to_remove(rag, article_id)
        toast("", removal.warning)
        return gr.update(visible=bool(removal.article_id)), removal.prompt, removal.article_id

    def remove_article(article_id: str | None) -> tuple[Any, ...]:
        return *corpus_outputs(handlers.remove_article(rag, article_id or "")), gr.update(visible=False), ""

    def cancel_removal() -> tuple[Any, str]:
        return gr.update(visible=False), ""

    confirmation = [tab.confirm, tab.pending]
    tab.remove_btn.click(ask_to_remove, tab.remove_choice, [tab.confirm, tab.confirm_text, tab.pending], **INSTANT)
    tab.confirm_btn.click(remove_article, tab.pending, [*outputs, *confirmation], **index_queue)
    tab.cancel_btn.click(cancel_removal, None, confirmation, **INSTANT)
    tab.remove_choice.change(cancel_removal, None, confirmation, **INSTANT)


# -- the API --------------------------------------------------------------------------------------

def at_the_edge(action: str, call: Callable[[], T]) -> T:
    """Run an API call: a RagError reaches the client as its message; anything else is a bug,
    logged with its traceback, and the client is told only that something went wrong (it used
    to read "history must be pairs" for any TypeError inside answering)."""
    try:
        return call()
    except RagError as err:  # the caller's to fix: not a server fault worth a traceback
        raise gr.Error(handlers.message_for(err), print_exception=False) from None
    except Exception:
        log.exception("%s failed", action)
        raise gr.Error(handlers.SOMETHING_WENT_WRONG, print_exception=False) from None


def wire_api(rag: Backend) -> None:
    """/ask and /articles; the signatures and docstrings are what the API page shows."""
    def ask(question: str, history: list[list[str]] | None = None, k: int = 5, generator: str = "",
            outlet: str = "", since: str = "", until: str = "", as_of: str = "") -> dict[str, Any]:
        """Answer a question from the indexed articles. history: [[question, answer], ...] of earlier
        turns. as_of (YYYY-MM-DD): answer as of that day; articles published later are not used.
        Returns {answer, refused, refusal, note, citations: [{number, title, outlet, published,
        date_inferred, dated, url, passage, quote, verified, ...}], closest (on a "not_answered"
        refusal, the nearest sentences: [{title, outlet, dated, quote, ...}], never cited; else []),
        scope: {as_of, prefer}, query, generator, timings}."""
        fields = AskFields(k, generator, outlet, since, until, as_of)
        return at_the_edge("/ask", lambda: handlers.ask(rag, question, history, fields))

    def list_articles() -> list[dict[str, Any]]:
        """The indexed articles: [{id, title, outlet, published, chunks, date_inferred}]."""
        return at_the_edge("/articles", lambda: handlers.list_articles(rag))

    api(ask, api_name="ask", concurrency_id=ANSWER_QUEUE, concurrency_limit=ANSWER_CONCURRENCY)
    api(list_articles, api_name="articles", queue=False)


# -- launch ---------------------------------------------------------------------------------------

def auth_pair(value: str | None) -> tuple[str, str] | None:
    """RAG_UI_AUTH "user:password" as Gradio's auth tuple; None when unset."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise RagError('RAG_UI_AUTH must look like "user:password".')
    return user, password


def launch(host: str = "127.0.0.1", port: int = 7860, *, rag: Backend | None = None,
           prevent_thread_lock: bool = False, quiet: bool = False) -> gr.Blocks:
    """Start the UI on host:port (127.0.0.1 by default: only this machine can connect).
    RAG_UI_AUTH="user:password" asks for a login."""
    backend = rag if rag is not None else default()
    auth = auth_pair(backend.settings.ui_auth)
    demo = build_app(backend)
    if (warm_up := getattr(backend, "warm_up", None)) is not None:  # while the page loads, not at the first question
        threading.Thread(target=_quietly, args=(warm_up,), name="warm-up", daemon=True).start()
    demo.launch(
        server_name=host, server_port=port, auth=auth, share=False, inbrowser=False, show_error=False,
        prevent_thread_lock=prevent_thread_lock, quiet=quiet, footer_links=["api"], theme=theme(), css=CSS, js=JS,
        max_file_size="50mb", auth_message="newsrag: log in with the user and password from RAG_UI_AUTH."
        if auth else None,
    )
    return demo


def _quietly(warm_up: Callable[[], object]) -> None:
    """A local model's articles evaluated in the background; a model that cannot run is
    reported when a question is asked, in the chat, where the user sees it."""
    try:
        warm_up()
    except RagError as err:
        log.info("warm-up skipped: %s", err)


def theme() -> gr.themes.Base:
    # system fonts only: nothing is fetched from font CDNs, and text looks native on every OS
    sans = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
            "Noto Sans", "Liberation Sans", "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Liberation Mono", "monospace"]
    return gr.themes.Default(primary_hue="blue", neutral_hue="slate", radius_size="md", font=sans, font_mono=mono)
