"""Pure helpers that turn `rag` results into HTML and JSON-able data for the UI.

Everything that comes from an article or a model is untrusted text: it is passed through
`html.escape` before it is put into HTML, so `<script>` or `<img onerror=...>` in an article
shows up as visible text and never runs. No retrieval or generation happens here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from itertools import pairwise
from typing import Any
from urllib.parse import urlparse

from rag.errors import RagError
from rag.types import Answer, ArticleInfo, Chunk, Citation, Filters, dated

ANY_OUTLET = "Any outlet"
MARKER = re.compile(r"\[(\d+)(\?)?\]")

Turn = dict[str, Any]  # {"question", "answer", "citations": [citation dicts], "refused", "refusal", "note",
#                        "query", "error", "meta"}


def esc(value: object) -> str:
    """Escape text for HTML element content and attribute values (quotes included)."""
    return html.escape(str(value), quote=True)


def text_html(text: str) -> str:
    """Untrusted plain text as HTML: escaped, with line breaks kept."""
    return esc(text).replace("\n", "<br>")


# -- citations ------------------------------------------------------------------------------------

def citation_dict(c: Citation) -> dict[str, Any]:
    """A citation as JSON-able data (the API payload and the per-session state)."""
    return c.to_dict()


def answer_payload(question: str, ans: Answer) -> dict[str, Any]:
    """What the `/ask` API endpoint returns for one answer: `Answer.to_dict()` and the question."""
    return {"question": question, **ans.to_dict()}


def source_id(turn: int, number: int) -> str:
    return f"src-{turn}-{number}"


def answer_html(text: str, citations: Sequence[Mapping[str, Any]], turn: int) -> str:
    """The answer text, escaped, with each `[n]` / `[n?]` marker turned into a link to source n
    of this turn. Unverified markers get their own look and a tooltip saying so."""
    known = {int(c["number"]): bool(c["verified"]) for c in citations}
    out, pos = [], 0
    for m in MARKER.finditer(text):
        out.append(text_html(text[pos:m.start()]))
        number = int(m.group(1))
        if number in known:
            unverified = bool(m.group(2)) or not known[number]
            cls = "cite cite-unverified" if unverified else "cite"
            tip = f"Source {number} (unverified: the passage may not support this)" if unverified else f"Source {number}"
            label = f"[{number}?]" if unverified else f"[{number}]"
            out.append(f'<a class="{cls}" href="#{source_id(turn, number)}" title="{esc(tip)}">{esc(label)}</a>')
        else:
            out.append(esc(m.group(0)))
        pos = m.end()
    out.append(text_html(text[pos:]))
    return "".join(out)


def streaming_html(raw: str) -> str:
    """A partial answer while it is generated: plain escaped text (markers are linked once verified)."""
    return text_html(raw) + '<span class="typing">▍</span>'


def meta_line(citations: Sequence[Mapping[str, Any]], generator: str, seconds: float | None,
              as_of: date | None = None) -> str:
    """The small print under an answer. An "as of" answer says so: later turns may not be."""
    parts = [generator] if generator else []
    if seconds is not None:
        parts.append(f"{seconds:.1f} s")
    n = len(citations)
    unverified = sum(1 for c in citations if not c["verified"])
    if n:
        parts.append(f"{n} source{'s' if n != 1 else ''}")
    if unverified:
        parts.append(f"{unverified} unverified")
    if as_of:
        parts.append(f"as of {as_of.isoformat()}")
    return " · ".join(parts)


def assistant_html(turn: Turn, index: int) -> str:
    """The chat bubble for one finished turn."""
    if turn.get("error"):
        return f'<div class="rag-error"><strong>Could not answer.</strong> {text_html(turn["answer"])}</div>'
    body = answer_html(turn["answer"], turn["citations"], index)
    if turn.get("refused"):
        body += refusal_html(turn.get("refusal", ""), turn.get("note", ""))
    if turn.get("query") and turn["query"] != turn["question"]:
        body += f'<div class="rag-query">Searched for: “{text_html(turn["query"])}”</div>'
    if turn.get("meta"):
        body += f'<div class="rag-meta">{esc(turn["meta"])}</div>'
    return body


REFUSAL_HEADINGS = {
    "no_evidence": "Nothing in the indexed articles is about this question.",
    "not_answered": "The articles touch on this but do not answer it.",
}


def refusal_html(kind: str, note: str) -> str:
    """Says which "no" it is: nothing relevant found, or relevant passages that do not answer."""
    heading = REFUSAL_HEADINGS.get(kind, "The indexed articles do not answer this.")
    detail = f" {text_html(note)}" if note and note != heading else ""
    return f'<div class="rag-note rag-refusal-{esc(kind or "other")}"><strong>{esc(heading)}</strong>{detail} ' \
           'No sources are shown.</div>'


def chat_messages(turns: Sequence[Turn]) -> list[dict[str, str]]:
    """The Chatbot value (Gradio messages format) for the finished turns."""
    messages: list[dict[str, str]] = []
    for i, turn in enumerate(turns, start=1):
        messages.append({"role": "user", "content": text_html(turn["question"])})
        messages.append({"role": "assistant", "content": assistant_html(turn, i)})
    return messages


def history_pairs(turns: Sequence[Turn]) -> list[tuple[str, str]]:
    """(question, answer) pairs of the turns that got an answer, for follow-up questions."""
    return [(t["question"], t["answer"]) for t in turns if not t.get("error")]


# -- sources panel --------------------------------------------------------------------------------

def passage_html(c: Mapping[str, Any]) -> str:
    """The passage text with the quoted span marked. Offsets are absolute in the article text,
    so they are shifted by the passage start; if they do not fit, the whole passage is shown."""
    passage: str = c["passage"]
    a, b = int(c["quote_start"]) - int(c["start"]), int(c["quote_end"]) - int(c["start"])
    if not (0 <= a <= b <= len(passage)) or a == b:
        idx = passage.find(c["quote"]) if c.get("quote") else -1
        if idx < 0:
            return text_html(passage.strip())
        a, b = idx, idx + len(c["quote"])
    before, quote, after = passage[:a].lstrip(), passage[a:b], passage[b:].rstrip()
    if not before:
        quote = quote.lstrip()
    return f"{text_html(before)}<mark class=\"quote\">{text_html(quote)}</mark>{text_html(after)}"


def safe_url(url: str) -> str:
    return url if re.match(r"^https?://", url or "", re.IGNORECASE) else ""


def original_link(url: str) -> str:
    """A link to the article's original page, named by its host so the reader sees where it goes;
    a new tab, without giving that page a handle on this one (noopener)."""
    url = safe_url(url)
    if not url:
        return ""
    host = (urlparse(url).hostname or "").removeprefix("www.") or "original"
    return (f'<a class="src-link" href="{esc(url)}" target="_blank" rel="noopener noreferrer" '
            f'title="{esc(url)}">{esc(host)} ↗</a>')


INFERRED_TIP = "Not given by the article: inferred from the dates its text mentions"


def date_html(published: str, inferred: bool) -> str:
    tip = f' title="{INFERRED_TIP}"' if inferred and published else ""
    return f'<span class="src-date"{tip}>{esc(dated(published, inferred))}</span>'


def source_card(c: Mapping[str, Any], turn: int) -> str:
    """One cited passage: the article's title (opens the whole article, see `article_view`; an
    <a role="button">, as a <button> would not wrap a long title like text), outlet, date as the
    reader should read it, a link to the original, and the passage with the supporting sentence
    marked. The article id (often a hashed file name) is only the title's fallback and tooltip:
    a title is what a reader recognises."""
    number, verified = int(c["number"]), bool(c["verified"])
    badge = ('<span class="badge badge-ok" title="The passage supports this claim">verified</span>' if verified
             else '<span class="badge badge-warn" title="The support check could not confirm this claim">unverified</span>')
    article_id = str(c.get("article_id") or "")
    meta = [f'<span class="src-outlet">{esc(c.get("outlet") or "outlet unknown")}</span>',
            date_html(c.get("published") or "", bool(c.get("date_inferred")))]
    if link := original_link(c.get("url") or ""):
        meta.append(link)
    # the offsets and quote travel to the article view, which highlights the same span there
    data = {"article": article_id, "start": c["start"], "end": c["end"], "quote-start": c["quote_start"],
            "quote-end": c["quote_end"], "quote": c.get("quote") or ""}
    attrs = " ".join(f'data-{k}="{esc(v)}"' for k, v in data.items())
    cls = "src" if verified else "src src-unverified"
    return (
        f'<div class="{cls}" id="{source_id(turn, number)}" tabindex="-1">'
        f'<div class="src-head"><span class="src-num">[{number}]</span> '
        f'<a class="src-open" href="#nr-article" role="button" {attrs} '
        f'title="Read the whole article ({esc(article_id)})">'
        f'{esc(c.get("title") or article_id or "Untitled")}</a> {badge}</div>'
        f'<div class="src-meta">{" · ".join(meta)}</div>'
        f'<blockquote class="src-passage">{passage_html(c)}</blockquote>'
        "</div>"
    )


EMPTY_SOURCES = ('<div class="sources-empty">Sources appear here. Click a citation like '
                 '<span class="cite-demo">[1]</span> in an answer to see the passage it comes from, '
                 'with the quoted sentence highlighted.</div>')


def sources_html(turns: Sequence[Turn]) -> str:
    """All turns' sources, newest first; older turns are collapsed until one of their markers is clicked."""
    groups = []
    for i in range(len(turns), 0, -1):
        turn = turns[i - 1]
        if turn.get("error"):
            continue
        latest = i == len(turns)
        if turn["citations"]:
            cards = "".join(source_card(c, i) for c in turn["citations"])
        else:
            cards = '<div class="sources-none">No sources: the articles do not answer this question.</div>'
        groups.append(
            f'<details class="turn" id="turn-{i}"{" open" if latest else ""}>'
            f'<summary><span class="turn-q">{esc(turn["question"])}</span></summary>{cards}</details>'
        )
    if not groups:
        return f'<div class="sources">{EMPTY_SOURCES}</div>'
    return '<div class="sources">' + "".join(groups) + "</div>"


# -- the whole article ----------------------------------------------------------------------------

# The index stores an article as its chunks. The whitespace between two chunks is not stored (the
# chunker trims it), and neither is the text cleaning dropped (captions, banners, site furniture).
# A gap of up to SHORT_GAP characters is taken for trimmed whitespace (usually "\n\n"); a longer
# one is shown as "…" so the reader knows something is left out.
SHORT_GAP = 3
GAP_NOTE = "Text the index does not keep (headlines, captions, site furniture) is left out here."


def stored_runs(chunks: Iterable[Chunk]) -> list[tuple[int, str]]:
    """An article's stored text as (start, text) runs in order: overlapping and touching chunks
    merged, so each character appears once. Offsets are those of the article's text."""
    runs: list[tuple[int, str]] = []
    for c in sorted(chunks, key=lambda c: (c.start, c.end)):
        if runs and c.start <= runs[-1][0] + len(runs[-1][1]):
            start, text = runs[-1]
            end = start + len(text)
            if c.end > end:
                runs[-1] = (start, text + c.text[end - c.start:])
        else:
            runs.append((c.start, c.text))
    return runs


def locate(runs: Sequence[tuple[int, str]], span: tuple[int, int], quote: str) -> tuple[int, int] | None:
    """Where the quoted sentence is in the stored text: at `span` if it is still there, else at its
    first occurrence (the article was re-indexed after the answer), else None."""
    a, b = span
    for start, text in runs:
        if start <= a < b <= start + len(text) and (not quote or text[a - start:b - start] == quote):
            return span
    for start, text in runs:
        at = text.find(quote) if quote else -1
        if at >= 0:
            return start + at, start + at + len(quote)
    return None


def marked_html(text: str, offset: int, marks: Sequence[tuple[int, int, str]]) -> str:
    """`text` (starting at `offset` in the article) escaped, with the disjoint `marks` spans
    wrapped: "quote" in <mark class="art-quote">, "passage" in <span class="art-passage">."""
    end = offset + len(text)
    cuts = sorted({offset, end, *(x for a, b, _ in marks for x in (a, b) if offset < x < end)})
    out = []
    for a, b in pairwise(cuts):
        piece = esc(text[a - offset:b - offset])
        kind = next((k for s, e, k in marks if s <= a and b <= e), "")
        out.append(f'<mark class="art-quote">{piece}</mark>' if kind == "quote" else
                   f'<span class="art-passage">{piece}</span>' if kind == "passage" else piece)
    return "".join(out)


def article_view(chunks: Sequence[Chunk], span: tuple[int, int], quote_span: tuple[int, int], quote: str) -> str:
    """The whole stored article, reassembled from its chunks, with the cited passage (`span`)
    shaded and its supporting sentence (`quote_span`, `quote`) marked. Shown in a dialog; the
    text keeps its line breaks through CSS (white-space: pre-wrap), so it is only escaped."""
    if not chunks:
        return ('<div class="art-missing">This article is no longer in the index (it was removed after this '
                'answer).</div>')
    head = chunks[0]  # every chunk carries its article's title, outlet, date and url
    runs = stored_runs(chunks)
    found = locate(runs, quote_span, quote)
    if found == quote_span:
        marks = [(span[0], quote_span[0], "passage"), (*quote_span, "quote"), (quote_span[1], span[1], "passage")]
        note = ""
    elif found:
        marks = [(*found, "quote")]
        note = "The article was re-indexed after this answer; the quoted sentence is marked where it is now."
    else:
        marks, note = [], "The quoted sentence is no longer in this article (it was re-indexed after this answer)."
    text, pos, gaps = [], 0, False
    for start, run in runs:
        gap = start - pos
        if gap > SHORT_GAP:
            text.append(("\n\n" if pos else "") + f'<span class="art-gap" title="{esc(GAP_NOTE)}">…</span>\n\n')
            gaps = True
        elif gap and pos:
            text.append("\n" if gap == 1 else "\n\n")
        text.append(marked_html(run, start, marks))
        pos = start + len(run)
    meta = [esc(head.outlet or "outlet unknown"), date_html(head.published, head.date_inferred)]
    if link := original_link(head.url):
        meta.append(link)
    return (
        f'<article class="art" data-article="{esc(head.article_id)}">'
        f'<h2 class="art-title" id="nr-article-title">{esc(head.title or head.article_id)}</h2>'
        f'<div class="art-meta">{" · ".join(meta)}</div>'
        f'<div class="art-id">{esc(head.article_id)} · as stored in the index</div>'
        + (f'<div class="art-note">{esc(note)}</div>' if note else "")
        + f'<div class="art-text">{"".join(text)}</div>'
        + (f'<div class="art-foot">… {esc(GAP_NOTE)}</div>' if gaps else "")
        + "</article>"
    )


# -- corpus panel ---------------------------------------------------------------------------------

def articles_html(articles: Iterable[ArticleInfo]) -> str:
    rows = [
        f"<tr><td class=\"a-title\">{esc(a.title or a.id)}<div class=\"a-id\">{esc(a.id)}</div></td>"
        f"<td>{esc(a.outlet or '—')}</td><td>{date_html(a.published, a.date_inferred)}</td>"
        f"<td class=\"num\">{a.chunks}</td></tr>"
        for a in articles
    ]
    if not rows:
        return '<div class="corpus-empty">No articles are indexed. Upload some below.</div>'
    return ('<table class="corpus"><thead><tr><th>Article</th><th>Outlet</th><th>Date</th>'
            f'<th class="num">Passages</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f'<div class="corpus-count">{len(rows)} article{"s" if len(rows) != 1 else ""}</div>')


def article_choices(articles: Iterable[ArticleInfo]) -> list[tuple[str, str]]:
    return [(f"{a.title or a.id} ({a.id})", a.id) for a in articles]


def outlet_choices(articles: Iterable[ArticleInfo]) -> list[str]:
    return [ANY_OUTLET] + sorted({a.outlet for a in articles if a.outlet}, key=str.lower)


def index_summary(report: Any) -> str:
    """A one-paragraph, human summary of an IndexReport (markdown-free plain text)."""
    if report.articles:
        text = (f"Indexed {report.articles} article{'s' if report.articles != 1 else ''}: "
                f"{report.added} passage{'s' if report.added != 1 else ''} added, {report.unchanged} unchanged, "
                f"{report.removed} removed ({report.new} new, {report.updated} updated article{'s' if report.updated != 1 else ''}).")
    else:
        text = "Nothing was indexed."
    if report.errors:
        text += " Skipped: " + "; ".join(_short_error(e) for e in report.errors)
    return text


def _short_error(message: str) -> str:
    """Uploaded files live in a temporary folder; show only the file name, not the server path."""
    return re.sub(r"(?:/[^\s:/]+)+/([^\s:/]+)", r"\1", message)


def friendly_error(err: BaseException) -> str:
    """A readable one-line message for the person using the UI (never a traceback)."""
    if isinstance(err, RagError):
        return _short_error(str(err))
    return f"Something went wrong ({type(err).__name__}). The conversation and the index are unchanged; try again."


# -- settings -------------------------------------------------------------------------------------

def parse_day(value: str | None, label: str) -> date | None:
    """A YYYY-MM-DD field ("" = none); a malformed date raises RagError naming the field."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RagError(f"The {label} date {value!r} is not a date; use YYYY-MM-DD, e.g. 2022-12-19.") from None


def parse_filters(outlet: str | None, since: str | None, until: str | None) -> Filters:
    """Filters from the settings panel; a malformed date raises RagError with a readable message."""
    start, end = parse_day(since, "'from'"), parse_day(until, "'to'")
    if start and end and start > end:
        raise RagError(f"The 'from' date {start} is after the 'to' date {end}.")
    chosen = "" if not outlet or outlet == ANY_OUTLET else outlet
    return Filters(outlet=chosen, date_from=start, date_to=end)
