"""The Gradio chat UI: a thin shell over the `rag` Python API.

    rag ui [--host 127.0.0.1] [--port 7860]      # or: python -m rag.cli ui

Layout: chat on the left, the cited passages on the right (click a [n] marker to jump to
its passage; click a passage's title to read the whole article as stored, with the passage
marked), settings under the chat, and an Articles tab to list, upload and remove articles.
Each browser session keeps its own conversation in `gr.State`.

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
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import gradio as gr

from rag import Rag, RagError, Settings, generators
from rag.errors import QuestionError
from ui import render
from ui.render import Turn

log = logging.getLogger("newsrag.ui")

TITLE = "newsrag — cited answers from your news articles"
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

CSS = """
.gradio-container { max-width: 1440px !important; margin: 0 auto !important; }
#nr-header { padding: 4px 2px 0; }
#nr-header h1 { font-size: 1.45rem; font-weight: 650; margin: 0; letter-spacing: -0.01em; }
#nr-header p { margin: 2px 0 0; color: var(--body-text-color-subdued); font-size: 0.95rem; }
#chat .message { font-size: 0.98rem; line-height: 1.55; }
a.cite { display: inline-block; padding: 0 0.3em; margin: 0 0.08em; border-radius: 4px; font-size: 0.82em;
  font-weight: 650; line-height: 1.45; text-decoration: none !important; vertical-align: 0.08em; cursor: pointer;
  background: #dbeafe; color: #1d4ed8 !important; border: 1px solid #bfdbfe; }
a.cite:hover, a.cite:focus { background: #1d4ed8; color: #fff !important; }
a.cite.cite-unverified { background: #ffedd5; color: #9a3412 !important; border: 1px dashed #ea580c; }
a.cite.cite-unverified:hover { background: #9a3412; color: #fff !important; }
.rag-note { margin-top: 0.5em; font-size: 0.88em; color: var(--body-text-color-subdued); font-style: italic; }
.rag-query { margin-top: 0.4em; font-size: 0.85em; color: var(--body-text-color-subdued); }
.rag-meta { margin-top: 0.45em; font-size: 0.78em; color: var(--body-text-color-subdued); }
.rag-error { color: #b91c1c; }
.typing, .status { color: var(--body-text-color-subdued); }
#nr-sources-title h3 { margin: 4px 0 2px; font-size: 1.05rem; }
#nr-sources { max-height: 640px; overflow-y: auto !important; padding-right: 4px; }
.sources details.turn { margin: 0 0 10px; }
.sources summary { cursor: pointer; font-size: 0.85rem; color: var(--body-text-color-subdued); padding: 2px 0; }
.sources summary .turn-q { font-weight: 600; color: var(--body-text-color); }
.src { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px; margin: 8px 0;
  background: var(--background-fill-primary); transition: box-shadow .25s, border-color .25s; outline: none;
  scroll-margin-top: 34px; }
.src.src-unverified { border-left: 4px solid #ea580c; }
.src.src-active { border-color: #2563eb; box-shadow: 0 0 0 3px rgba(37, 99, 235, .28); }
.src-head { font-weight: 600; line-height: 1.35; }
.src-num { color: #1d4ed8; }
.src-unverified .src-num { color: #9a3412; }
.src-meta { font-size: 0.8rem; color: var(--body-text-color-subdued); margin-top: 2px; }
.src-open { cursor: pointer; font-weight: 600; color: var(--body-text-color) !important;
  text-decoration: underline dotted #93c5fd !important; text-underline-offset: 3px; }
.src-open:hover, .src-open:focus-visible { color: #1d4ed8 !important; text-decoration: underline solid !important; }
.src-open:focus-visible { outline: 2px solid #2563eb; outline-offset: 2px; border-radius: 2px; }
.src-link { color: #1d4ed8 !important; text-decoration: none; }
.src-link:hover { text-decoration: underline; }
.src-date[title], .art-meta [title] { text-decoration: underline dotted; text-underline-offset: 2px; cursor: help; }
#nr-article { width: min(860px, 94vw); max-width: 94vw; max-height: 88vh; padding: 0; overflow: auto;
  border: 1px solid var(--border-color-primary); border-radius: 10px; background: var(--background-fill-primary);
  color: var(--body-text-color); box-shadow: 0 20px 50px rgba(15, 23, 42, .35); }
#nr-article::backdrop { background: rgba(15, 23, 42, .45); }
#nr-article .art-bar { position: sticky; top: 0; display: flex; justify-content: flex-end; margin: 0; padding: 8px 12px;
  background: var(--background-fill-primary); border-bottom: 1px solid var(--border-color-primary); }
#nr-article .art-bar button { cursor: pointer; font-size: 0.85rem; padding: 3px 10px; border-radius: 6px;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary); color: inherit; }
#nr-article .art-body { padding: 4px 24px 22px; }
.art-title { font-size: 1.3rem; font-weight: 650; line-height: 1.3; margin: 10px 0 4px; }
.art-meta { font-size: 0.85rem; color: var(--body-text-color-subdued); }
.art-id { font-family: var(--font-mono); font-size: 0.72rem; color: var(--body-text-color-subdued); margin-top: 2px; }
.art-note { margin: 10px 0 0; padding: 6px 10px; border-radius: 6px; font-size: 0.85rem;
  background: #ffedd5; color: #9a3412; }
.art-text { white-space: pre-wrap; overflow-wrap: anywhere; margin-top: 14px;
  font-family: Georgia, 'Times New Roman', serif; font-size: 1rem; line-height: 1.6; }
.art-passage { background: #e0ecff; border-radius: 2px; }
mark.art-quote { background: #fde047; color: inherit; padding: 0 1px; border-radius: 2px; }
.art-gap { color: var(--body-text-color-subdued); cursor: help; }
.art-foot { margin-top: 14px; font-size: 0.78rem; font-style: italic; color: var(--body-text-color-subdued); }
.art-missing { padding: 14px 0; }
.badge { display: inline-block; font-size: 0.68rem; font-weight: 700; text-transform: uppercase; letter-spacing: .04em;
  padding: 1px 6px; border-radius: 999px; vertical-align: 0.12em; margin-left: 4px; }
.badge-ok { background: #dcfce7; color: #166534; }
.badge-warn { background: #ffedd5; color: #9a3412; border: 1px dashed #ea580c; }
.src-passage { margin: 8px 0 0; padding: 0 0 0 10px; border-left: 3px solid var(--border-color-primary);
  font-family: Georgia, 'Times New Roman', serif; font-size: 0.93rem; line-height: 1.55; color: var(--body-text-color); }
mark.quote { background: #fef3c7; color: inherit; padding: 0 1px; border-radius: 2px; }
.src.src-active mark.quote { background: #fde047; }
.src-unverified mark.quote { background: #ffedd5; }
.sources-empty, .sources-none, .corpus-empty { color: var(--body-text-color-subdued); font-size: 0.92rem; padding: 8px 2px; }
.cite-demo { display: inline-block; padding: 0 0.3em; border-radius: 4px; background: #dbeafe; color: #1d4ed8; font-weight: 650; font-size: .85em; }
table.corpus { width: 100%; border-collapse: collapse; font-size: 0.92rem; border: 0 !important; }
#nr-corpus table.corpus th, #nr-corpus table.corpus td, #nr-corpus table.corpus tr {
  border-left: 0 !important; border-right: 0 !important; border-top: 0 !important; }
table.corpus th { text-align: left; font-weight: 600; border-bottom: 2px solid var(--border-color-primary); padding: 6px 8px; }
table.corpus td { border-bottom: 1px solid var(--border-color-primary); padding: 6px 8px; vertical-align: top; }
table.corpus .num { text-align: right; }
table.corpus .a-id { font-family: var(--font-mono); font-size: 0.74rem; color: var(--body-text-color-subdued); }
.corpus-count { font-size: 0.82rem; color: var(--body-text-color-subdued); margin-top: 4px; }
#nr-status { font-size: 0.92rem; }
"""

# Clicking a [n] marker (a link to #src-<turn>-<n>) opens that turn's sources, highlights the
# passage and scrolls it into view, instead of navigating.
JS = """
() => {
  if (window.__newsragCites) return;
  window.__newsragCites = true;
  document.addEventListener('click', (ev) => {
    const link = ev.target && ev.target.closest ? ev.target.closest('a[href^="#src-"]') : null;
    if (!link) return;
    ev.preventDefault();
    ev.stopPropagation();
    const target = document.getElementById(link.getAttribute('href').slice(1));
    if (!target) return;
    const group = target.closest('details');
    if (group) group.open = true;
    document.querySelectorAll('.src.src-active').forEach((el) => el.classList.remove('src-active'));
    target.classList.add('src-active');
    // scroll inside the sources panel only (the chat stays where it is); on narrow screens,
    // where the panel sits below the chat, bring the card into the window
    const box = document.getElementById('nr-sources');
    if (box && box.scrollHeight > box.clientHeight) {
      const offset = target.getBoundingClientRect().top - box.getBoundingClientRect().top - 34;
      box.scrollBy({ top: offset, behavior: 'smooth' });
    }
    const rect = target.getBoundingClientRect();
    if (rect.top < 0 || rect.top > window.innerHeight - 60) target.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
    target.focus({ preventScroll: true });
  }, true);
}
"""


# Clicking an article's title on a source card opens the whole article as stored, in a modal
# <dialog> (Escape, the Close button or a click beside it closes it). The page asks the server
# for the article's HTML (`open_article`, built and escaped by `render.article_view`) with the
# card's data-* attributes: the article id and the offsets of the cited passage and sentence.
# Runs once per page as the Sources panel's `js_on_load`; the dialog lives outside the panel,
# whose HTML is replaced after every answer.
SOURCES_JS = """
const dialogFor = () => {
  let box = document.getElementById('nr-article');
  if (box) return box;
  box = document.createElement('dialog');
  box.id = 'nr-article';
  box.setAttribute('aria-labelledby', 'nr-article-title');
  box.innerHTML = '<form method="dialog" class="art-bar"><button id="nr-article-close" '
    + 'aria-label="Close the article">Close ✕</button></form><div class="art-body"></div>';
  box.addEventListener('click', (ev) => { if (ev.target === box) box.close(); });  // the backdrop
  (element.closest('.gradio-container') || document.body).appendChild(box);
  return box;
};
let asked = 0;
element.addEventListener('click', async (ev) => {
  const title = ev.target && ev.target.closest ? ev.target.closest('a.src-open') : null;
  if (!title) return;
  ev.preventDefault();
  const box = dialogFor();
  const body = box.querySelector('.art-body');
  const mine = ++asked;
  body.textContent = 'Loading the article…';
  if (!box.open) box.showModal();
  let html = null;
  try { html = await server.open_article({ ...title.dataset }); } catch (err) { html = null; }
  if (mine !== asked) return;  // a later click is being answered
  if (typeof html === 'string') body.innerHTML = html;
  else body.textContent = 'Could not load the article. Close this and try again.';
  const target = body.querySelector('mark.art-quote') || body.querySelector('.art-passage');
  if (target) target.scrollIntoView({ block: 'center' });
});
"""


def article_html(rag: Rag, request: Mapping[str, Any]) -> str:
    """The article view for the data-* attributes of a source card's title (see `render.source_card`).
    They come from the page, so anything unexpected means "nothing to mark", never an error."""
    def offset(name: str) -> int:
        try:
            return int(request.get(name))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return -1

    chunks = rag.article_chunks(str(request.get("article") or ""))
    return render.article_view(chunks, (offset("start"), offset("end")), (offset("quoteStart"), offset("quoteEnd")),
                               str(request.get("quote") or ""))


def generator_choices(settings: Settings) -> tuple[list[str], str]:
    """The Generator dropdown: the generators that can answer here (and the configured one in any
    case, so the default can be chosen again), and an info line that says how to get the others."""
    names = [e.name for e in generators.usable(settings)]
    names += [settings.generator] if settings.generator not in names else []
    offered = " ".join(f"{n}: {generators.get(n).description}" for n in names if n in generators.REGISTRY)
    others = " ".join(f"For {n}: {reason}" for n, reason in generators.missing(settings).items() if n not in names)
    return names, f"{offered} {others}".strip()


def make_rag() -> Rag:
    rag = Rag(Settings())
    rag.ensure_default_corpus()
    return rag


def build_app(rag: Rag | None = None) -> gr.Blocks:
    """The Blocks app. Pass a `Rag` to use it; by default one is built from the environment."""
    rag = rag or make_rag()
    settings = rag.settings

    # -- handlers (all errors become readable messages; the index and state stay intact) ---------

    def pending_chat(turns: list[Turn], question: str, status: str) -> list[dict[str, str]]:
        return render.chat_messages(turns) + [
            {"role": "user", "content": render.text_html(question)},
            {"role": "assistant", "content": f'<span class="status">{render.esc(status)}</span>'},
        ]

    def start(question: str, turns: list[Turn]) -> tuple[Any, ...]:
        """Runs at once (no queue): show the question and clear the box while the answer waits its turn."""
        question = question or ""
        if not question.strip():  # `respond` reports it, with rag's own message
            return gr.skip(), gr.skip(), question
        return pending_chat(list(turns or []), question, "Waiting…"), "", question

    def respond(question: str, turns: list[Turn], k: float, generator: str, outlet: str, since: str,
                until: str, as_of: str = "") -> Iterator[tuple[Any, ...]]:
        turns = list(turns or [])
        question = question or ""
        if question.strip():
            yield pending_chat(turns, question, "Searching the articles…"), gr.skip(), turns, gr.skip()
        started = time.perf_counter()
        try:
            filters = render.parse_filters(outlet, since, until)
            day = render.parse_day(as_of, "'as of'")
            stream = rag.stream(question, render.history_pairs(turns), k=int(k), filters=filters,
                                generator=generator or None, as_of=day)
            pending = pending_chat(turns, question, f"Writing the answer ({stream.generator_name})…")
            yield pending, gr.skip(), turns, gr.skip()
            raw = ""
            for piece in stream:
                raw += piece
                pending[-1] = {"role": "assistant", "content": render.streaming_html(raw)}
                yield pending, gr.skip(), turns, gr.skip()
            ans = stream.answer
        except QuestionError as err:  # nothing was asked: keep the chat as it was, give the text back
            gr.Warning(render.friendly_error(err))
            yield render.chat_messages(turns), gr.skip(), turns, question
            return
        except Exception as err:  # noqa: BLE001 - the UI boundary: show a message, never a traceback
            if not isinstance(err, RagError):
                log.exception("answering failed")
            message = render.friendly_error(err)
            gr.Warning(message)
            turns.append({"question": question, "answer": message, "citations": [], "error": True})
            yield render.chat_messages(turns), gr.skip(), turns, gr.skip()
            return
        citations = [render.citation_dict(c) for c in ans.citations]
        turns.append({
            "question": question,
            "answer": ans.text,
            "citations": citations,
            "refused": bool(ans.refused or not citations),
            "refusal": ans.refusal,
            "note": ans.note,
            "query": ans.query,
            "meta": render.meta_line(citations, ans.generator, time.perf_counter() - started,
                                     ans.scope.as_of if ans.scope else None),
        })
        yield render.chat_messages(turns), render.sources_html(turns), turns, gr.skip()

    def clear() -> tuple[Any, ...]:
        return [], render.sources_html([]), [], ""

    def use_example(evt: gr.SelectData) -> str:
        value = evt.value
        return str(value.get("text", "") if isinstance(value, dict) else value)

    def corpus_views(status: str = "") -> tuple[Any, ...]:
        arts = rag.articles()
        choices = render.article_choices(arts)
        return (
            render.articles_html(arts),
            gr.update(choices=choices, value=None),
            gr.update(choices=render.outlet_choices(arts)),
            f'<div id="nr-status-text">{render.esc(status)}</div>' if status else "",
        )

    def add_files(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        paths = [f if isinstance(f, str) else getattr(f, "name", str(f)) for f in (files or [])]
        if not paths:
            gr.Warning("Choose one or more files to upload first (.txt, .md, .html or .jsonl).")
            return (*corpus_views(), gr.skip())
        total = None if any(p.lower().endswith(".jsonl") for p in paths) else len(paths)
        progress((0, total), desc="Indexing")
        try:
            report = rag.index(paths, progress=lambda n, aid: progress((n, total), desc=f"Indexed {aid}"))
        except Exception as err:  # noqa: BLE001
            if not isinstance(err, RagError):
                log.exception("indexing failed")
            message = render.friendly_error(err)
            gr.Warning(message)
            return (*corpus_views(f"{', '.join(Path(p).name for p in paths)}: nothing was indexed. {message}"), None)
        names = ", ".join(Path(p).name for p in paths)
        summary = f"{names}: {render.index_summary(report)}"
        if report.errors:
            gr.Warning(summary)
        else:
            gr.Info(summary)
        return (*corpus_views(summary), None)

    def remove_article(article_id: str | None) -> tuple[Any, ...]:
        if not article_id:
            gr.Warning("Choose an article to remove first.")
            return corpus_views()
        try:
            rag.remove([article_id])
        except Exception as err:  # noqa: BLE001
            if not isinstance(err, RagError):
                log.exception("removing failed")
            gr.Warning(render.friendly_error(err))
            return corpus_views()
        gr.Info(f"Removed {article_id} from the index.")
        return corpus_views(f"Removed {article_id}.")

    # -- the public API endpoints --------------------------------------------------------------

    def ask(question: str, history: list[list[str]] | None = None, k: int = 5, generator: str = "",
            outlet: str = "", since: str = "", until: str = "", as_of: str = "") -> dict[str, Any]:
        """Answer a question from the indexed articles. history: [[question, answer], ...] of earlier
        turns. as_of (YYYY-MM-DD): answer as of that day; articles published later are not used.
        Returns {answer, refused, refusal, note, citations: [{number, title, outlet, published,
        date_inferred, dated, url, passage, quote, verified, ...}], scope: {as_of, prefer}, query,
        generator, timings}."""
        try:
            pairs = [(str(q), str(a)) for q, a in (history or [])]
            filters = render.parse_filters(outlet, since, until)
            day = render.parse_day(as_of, "'as of'")
            ans = rag.answer(question, pairs, k=int(k) if k else None, filters=filters, generator=generator or None,
                             as_of=day)
        except (ValueError, TypeError) as err:
            raise gr.Error(f"Bad request: {err}. history must be a list of [question, answer] pairs.",
                           print_exception=False) from None
        except Exception as err:  # noqa: BLE001
            if not isinstance(err, RagError):
                log.exception("answering failed")
            # the caller gets the message; a user's mistake is not a server fault worth a traceback
            raise gr.Error(render.friendly_error(err), print_exception=False) from None
        return render.answer_payload(question, ans)

    def list_articles() -> list[dict[str, Any]]:
        """The indexed articles: [{id, title, outlet, published, chunks, date_inferred}]."""
        return [asdict(a) for a in rag.articles()]

    def open_article(request: dict[str, Any]) -> str:
        """The whole-article view for a source card's title (called by `SOURCES_JS` in the page)."""
        try:
            return article_html(rag, request if isinstance(request, Mapping) else {})
        except Exception as err:  # noqa: BLE001 - shown in the dialog instead of the article
            if not isinstance(err, RagError):
                log.exception("reading the article failed")
            return f'<div class="art-missing">{render.esc(render.friendly_error(err))}</div>'

    # -- layout ----------------------------------------------------------------------------------

    with gr.Blocks(title=TITLE) as demo:
        turns = gr.State([])
        gr.HTML(
            f"<div id='nr-header'><h1>{render.esc(TITLE)}</h1><p>Every claim carries a citation "
            "<span class='cite-demo'>[n]</span>: click it to read the passage. Claims the checker could not "
            "confirm are marked <span class='badge badge-warn'>unverified</span>.</p></div>"
        )
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=420):
                        chatbot = gr.Chatbot(
                            elem_id="chat", show_label=False, height=560, render_markdown=False,
                            sanitize_html=True, latex_delimiters=[], feedback_options=None, buttons=["copy"],
                            examples=[{"text": q} for q in EXAMPLES],
                            placeholder="Ask a question about the articles, or start with one of these:",
                        )
                        with gr.Row(equal_height=True, elem_id="nr-input"):
                            question = gr.Textbox(
                                show_label=False, placeholder="Ask a question about the articles…", lines=1,
                                max_lines=5, scale=8, elem_id="question", autofocus=True, container=False,
                            )
                            ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=70, elem_id="ask-btn")
                            stop_btn = gr.Button("Stop", variant="secondary", scale=1, min_width=70,
                                                 elem_id="stop-btn")
                            clear_btn = gr.Button("Clear", variant="secondary", scale=1, min_width=70,
                                                  elem_id="clear-btn")
                        with gr.Accordion("Settings", open=False, elem_id="settings"):
                            with gr.Row():
                                k = gr.Slider(1, 15, value=settings.top_k, step=1, label="Passages to retrieve (k)")
                                choices, info = generator_choices(settings)
                                generator = gr.Dropdown(choices, value=settings.generator, label="Generator", info=info)
                            with gr.Row():
                                outlet = gr.Dropdown([render.ANY_OUTLET], value=render.ANY_OUTLET, label="Outlet")
                                undated = "Articles with no known date are left out."
                                since = gr.Textbox(label="Published from", placeholder="YYYY-MM-DD", info=undated)
                                until = gr.Textbox(label="Published until", placeholder="YYYY-MM-DD", info=undated)
                                as_of = gr.Textbox(label="As of (YYYY-MM-DD)", placeholder="today",
                                                   info="Later articles are not used; undated ones are.")
                    with gr.Column(scale=2, min_width=320):
                        gr.HTML("<h3>Sources</h3>", elem_id="nr-sources-title")
                        # a Python function the page calls directly (not an API endpoint, no queue):
                        # reading an article's chunks is quick and must not wait behind answers
                        sources = gr.HTML(render.sources_html([]), elem_id="nr-sources", js_on_load=SOURCES_JS,
                                          server_functions=[open_article])
            with gr.Tab("Articles", id="articles"):
                corpus = gr.HTML(elem_id="nr-corpus")
                status = gr.HTML(elem_id="nr-status")
                with gr.Row(equal_height=False):
                    with gr.Column():
                        upload = gr.File(label="Add articles (.txt, .md, .html, .jsonl)", file_count="multiple",
                                         file_types=UPLOAD_TYPES, type="filepath", elem_id="upload")
                        add_btn = gr.Button("Add to index", variant="primary", elem_id="add-btn")
                    with gr.Column():
                        remove_choice = gr.Dropdown([], label="Remove an article", elem_id="remove-choice")
                        remove_btn = gr.Button("Remove from index", variant="stop", elem_id="remove-btn")

        # -- events ------------------------------------------------------------------------------
        asked = gr.State("")  # the question being answered (the box is cleared at once)
        start_opts: dict[str, Any] = dict(api_visibility="private", queue=False, show_progress="hidden")
        ask_inputs = [asked, turns, k, generator, outlet, since, until, as_of]
        ask_outputs = [chatbot, sources, turns, question]
        ask_opts: dict[str, Any] = dict(concurrency_id=ANSWER_QUEUE, concurrency_limit=ANSWER_CONCURRENCY,
                                        api_visibility="private",
                                        show_progress="minimal", show_progress_on=[chatbot])
        answering = []
        for trigger in (question.submit, ask_btn.click):
            answering.append(trigger(start, [question, turns], [chatbot, question, asked], **start_opts).then(
                respond, ask_inputs, ask_outputs, **ask_opts))
        answering.append(chatbot.example_select(use_example, None, question, **start_opts).then(
            start, [question, turns], [chatbot, question, asked], **start_opts).then(
            respond, ask_inputs, ask_outputs, **ask_opts))
        # Stop: cancel the running answer and show the conversation as it was before the question
        stop_btn.click(lambda t: render.chat_messages(t or []), turns, chatbot, cancels=answering,
                       api_visibility="private", queue=False)
        clear_btn.click(clear, None, ask_outputs, api_visibility="private", queue=False)
        chatbot.clear(clear, None, ask_outputs, api_visibility="private", queue=False)  # its own trash icon

        corpus_outputs = [corpus, remove_choice, outlet, status]
        demo.load(corpus_views, None, corpus_outputs, api_visibility="private")
        add_btn.click(add_files, upload, [*corpus_outputs, upload], api_visibility="private", concurrency_id="index",
                      concurrency_limit=1)
        remove_btn.click(remove_article, remove_choice, corpus_outputs, api_visibility="private",
                         concurrency_id="index", concurrency_limit=1)

        gr.api(ask, api_name="ask", concurrency_id=ANSWER_QUEUE, concurrency_limit=ANSWER_CONCURRENCY)
        gr.api(list_articles, api_name="articles", queue=False)

    demo.queue(default_concurrency_limit=2)
    return demo


def auth_pair(value: str | None) -> tuple[str, str] | None:
    """RAG_UI_AUTH "user:password" as Gradio's auth tuple; None when unset."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise RagError('RAG_UI_AUTH must look like "user:password".')
    return user, password


def launch(host: str = "127.0.0.1", port: int = 7860, *, rag: Rag | None = None,
           prevent_thread_lock: bool = False, quiet: bool = False) -> gr.Blocks:
    """Start the UI on host:port (127.0.0.1 by default: only this machine can connect).
    RAG_UI_AUTH="user:password" asks for a login."""
    rag = rag or make_rag()
    auth = auth_pair(rag.settings.ui_auth)
    demo = build_app(rag)
    demo.launch(
        server_name=host, server_port=port, auth=auth, share=False, inbrowser=False, show_error=False,
        prevent_thread_lock=prevent_thread_lock, quiet=quiet, footer_links=["api"], theme=theme(), css=CSS, js=JS,
        max_file_size="50mb", auth_message="newsrag: log in with the user and password from RAG_UI_AUTH."
        if auth else None,
    )
    return demo


def theme() -> gr.themes.Base:
    # system fonts only: nothing is fetched from font CDNs, and text looks native on every OS
    sans = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
            "Noto Sans", "Liberation Sans", "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Liberation Mono", "monospace"]
    return gr.themes.Default(primary_hue="blue", neutral_hue="slate", radius_size="md", font=sans, font_mono=mono)
