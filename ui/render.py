"""Pure helpers that turn `rag` results into HTML (and the Chatbot's messages) for the UI.

Everything that comes from an article or a model is untrusted text: it is passed through
`html.escape` before it is put into HTML, so `<script>` or `<img onerror=...>` in an article
shows up as visible text and never runs. No retrieval or generation happens here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from itertools import pairwise
from urllib.parse import urlparse

from rag.types import Answer, ArticleInfo, Chunk, Citation, Excerpt, IndexReport, dated, quoted
from ui.turns import Conversation, Turn

ANY_OUTLET = "Any outlet"
MARKER = re.compile(r"\[(\d+)(\?)?\]")

Message = dict[str, str]  # one Chatbot message in Gradio's format: {"role": ..., "content": HTML}


def esc(value: object) -> str:
    """Escape text for HTML element content and attribute values (quotes included)."""
    return html.escape(str(value), quote=True)


def text_html(text: str) -> str:
    """Untrusted plain text as HTML: escaped, with line breaks kept."""
    return esc(text).replace("\n", "<br>")


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# -- answers in the chat --------------------------------------------------------------------------

def source_id(turn: int, number: int) -> str:
    return f"src-{turn}-{number}"


def answer_html(text: str, citations: Sequence[Citation], turn: int) -> str:
    """The answer text, escaped, with each `[n]` / `[n?]` marker turned into a link to source n
    of this turn. A marker with no such source stays as text."""
    verified = {c.number: c.verified for c in citations}
    out, pos = [], 0
    for m in MARKER.finditer(text):
        number = int(m.group(1))
        link = cite_link(number, turn, bool(m.group(2)) or not verified[number]) if number in verified else None
        out += [text_html(text[pos:m.start()]), link or esc(m.group(0))]
        pos = m.end()
    out.append(text_html(text[pos:]))
    return "".join(out)


def cite_link(number: int, turn: int, unverified: bool) -> str:
    """A `[n]` marker as a link to its source card; an unverified one looks different and says so."""
    if unverified:
        cls, label = "cite cite-unverified", f"[{number}?]"
        tip = f"Source {number} (unverified: the passage may not support this)"
    else:
        cls, label, tip = "cite", f"[{number}]", f"Source {number}"
    return f'<a class="{cls}" href="#{source_id(turn, number)}" title="{esc(tip)}">{esc(label)}</a>'


def streaming_html(raw: str) -> str:
    """A partial answer while it is generated: plain escaped text (markers are linked once verified)."""
    return text_html(raw) + '<span class="typing">▍</span>'


def meta_line(answer: Answer, seconds: float | None) -> str:
    """The small print under an answer. An "as of" answer says so: later turns may not be."""
    parts = [answer.generator] if answer.generator else []
    parts += [f"{seconds:.1f} s"] if seconds is not None else []
    unverified = sum(1 for c in answer.citations if not c.verified)
    parts += [plural(len(answer.citations), "source")] if answer.citations else []
    parts += [f"{unverified} unverified"] if unverified else []
    as_of = answer.scope.as_of if answer.scope else None
    parts += [f"as of {as_of.isoformat()}"] if as_of else []
    return " · ".join(parts)


def assistant_html(turn: Turn, index: int) -> str:
    """The chat bubble for one finished turn: the answer, or why there is none."""
    if turn.answer is None:
        return f'<div class="rag-error"><strong>Could not answer.</strong> {text_html(turn.error)}</div>'
    ans = turn.answer
    body = answer_html(ans.text, ans.citations, index)
    if turn.refused:
        body += refusal_html(ans.refusal, ans.note, ans.closest)
    if ans.query and ans.query != turn.question:
        body += f'<div class="rag-query">Searched for: “{text_html(ans.query)}”</div>'
    if meta := meta_line(ans, turn.seconds):
        body += f'<div class="rag-meta">{esc(meta)}</div>'
    return body


REFUSAL_HEADINGS = {
    "no_evidence": "Nothing in the indexed articles is about this question.",
    "empty_index": "There are no articles to answer from yet.",
    "not_answered": "The articles touch on this but do not answer it.",
}


def refusal_html(kind: str, note: str, closest: Sequence[Excerpt] = ()) -> str:
    """Says which "no" it is: nothing relevant found, or relevant passages that do not answer;
    then the closest passages, if any, marked as not taken for an answer (they cite nothing)."""
    heading = REFUSAL_HEADINGS.get(kind, "The indexed articles do not answer this.")
    detail = f" {text_html(note)}" if note and note != heading else ""
    return f'<div class="rag-note rag-refusal-{esc(kind or "other")}"><strong>{esc(heading)}</strong>{detail} ' \
           f'No sources are shown.{closest_html(closest) if closest else ""}</div>'


def closest_html(closest: Sequence[Excerpt]) -> str:
    """The sentences the articles come closest with, each with its article, for the reader to judge."""
    items = "".join(f"<li>{closest_item(c)}</li>" for c in closest)
    return f'<div class="rag-closest">Closest passages (not taken as an answer):<ul>{items}</ul></div>'


def closest_item(c: Excerpt) -> str:
    source = ", ".join(x for x in (c.title or c.article_id, c.outlet, c.dated) if x)
    return f'{text_html(quoted(c.quote))} <span class="rag-closest-source">({esc(source)})</span>'


def user_message(question: str) -> Message:
    return {"role": "user", "content": text_html(question)}


def assistant_message(content_html: str) -> Message:
    return {"role": "assistant", "content": content_html}


def status_message(status: str) -> Message:
    """The assistant's bubble while the answer is not there yet ("Waiting…")."""
    return assistant_message(f'<span class="status">{esc(status)}</span>')


def chat_messages(turns: Conversation) -> list[Message]:
    """The Chatbot value (Gradio messages format) for the finished turns."""
    messages: list[Message] = []
    for i, turn in enumerate(turns, start=1):
        messages += [user_message(turn.question), assistant_message(assistant_html(turn, i))]
    return messages


# -- sources panel --------------------------------------------------------------------------------

def passage_html(c: Citation) -> str:
    """The passage text with the quoted span marked. Offsets are absolute in the article text,
    so they are shifted by the passage start; if they do not fit, the quote is looked up, and
    if it is not there either, the whole passage is shown unmarked."""
    passage = c.passage
    a, b = c.quote_start - c.start, c.quote_end - c.start
    if not (0 <= a <= b <= len(passage)) or a == b:
        idx = passage.find(c.quote) if c.quote else -1
        if idx < 0:
            return text_html(passage.strip())
        a, b = idx, idx + len(c.quote)
    before, quote, after = passage[:a].lstrip(), passage[a:b], passage[b:].rstrip()
    quote = quote if before else quote.lstrip()
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


def badge_html(verified: bool) -> str:
    if verified:
        return '<span class="badge badge-ok" title="The passage supports this claim">verified</span>'
    return '<span class="badge badge-warn" title="The support check could not confirm this claim">unverified</span>'


def source_meta(c: Citation | Excerpt) -> str:
    """Outlet · date as the reader should read it · link to the original (when it has one)."""
    meta = [f'<span class="src-outlet">{esc(c.outlet or "outlet unknown")}</span>',
            date_html(c.published, c.date_inferred)]
    if link := original_link(c.url):
        meta.append(link)
    return " · ".join(meta)


def opener_html(c: Citation | Excerpt) -> str:
    """The card's title, which opens the whole article (see `article_view`): an <a role="button">,
    as a <button> would not wrap a long title like text. Its data-* attributes carry the offsets
    and the quote, so the article view highlights the same span (an excerpt's own span is both
    the passage and the quote). The article id (often a hashed file name) is only the fallback and
    the tooltip: a title is what a reader recognises."""
    quote_span = (c.quote_start, c.quote_end) if isinstance(c, Citation) else (c.start, c.end)
    data = {"article": c.article_id, "start": c.start, "end": c.end, "quote-start": quote_span[0],
            "quote-end": quote_span[1], "quote": c.quote}
    attrs = " ".join(f'data-{k}="{esc(v)}"' for k, v in data.items())
    return (f'<a class="src-open" href="#nr-article" role="button" {attrs} '
            f'title="Read the whole article ({esc(c.article_id)})">{esc(c.title or c.article_id or "Untitled")}</a>')


def source_card(c: Citation, turn: int) -> str:
    """One cited passage: title, outlet, date, a link to the original, and the passage with the
    supporting sentence marked."""
    cls = "src" if c.verified else "src src-unverified"
    return (
        f'<div class="{cls}" id="{source_id(turn, c.number)}" tabindex="-1">'
        f'<div class="src-head"><span class="src-num">[{c.number}]</span> {opener_html(c)} {badge_html(c.verified)}</div>'
        f'<div class="src-meta">{source_meta(c)}</div>'
        f'<blockquote class="src-passage">{passage_html(c)}</blockquote>'
        "</div>"
    )


def closest_card(c: Excerpt) -> str:
    """A closest passage under a refusal: its title opens the article at that sentence, and it says
    plainly that it is not a source (nothing in the reply is claimed from it)."""
    return (
        '<div class="src-closest">'
        f'<div class="src-head">{opener_html(c)} <span class="badge badge-closest" '
        'title="Shown for you to judge: no claim is made from it">not cited</span></div>'
        f'<div class="src-meta">{source_meta(c)}</div>'
        f'<blockquote class="src-passage">{text_html(c.quote)}</blockquote>'
        "</div>"
    )


def closest_cards(closest: Sequence[Excerpt]) -> str:
    """A refusal's closest passages under a heading of their own, or nothing when it has none."""
    return f'<div class="sources-closest">Closest passages:</div>{"".join(map(closest_card, closest))}' if closest else ""


EMPTY_SOURCES = ('<div class="sources-empty">Sources appear here. Click a citation like '
                 '<span class="cite-demo">[1]</span> in an answer to see the passage it comes from, '
                 'with the quoted sentence highlighted.</div>')
NO_SOURCES = '<div class="sources-none">No sources: the articles do not answer this question.</div>'


def sources_group(turn: Turn, index: int, latest: bool) -> str:
    """One turn's source cards under its question (a refusal's closest passages, marked not cited,
    if it has no sources); only the newest turn starts open."""
    closest = turn.answer.closest if turn.answer is not None and turn.refused else []
    cards = "".join(source_card(c, index) for c in turn.citations) or NO_SOURCES + closest_cards(closest)
    return (f'<details class="turn" id="turn-{index}"{" open" if latest else ""}>'
            f'<summary><span class="turn-q">{esc(turn.question)}</span></summary>{cards}</details>')


def sources_html(turns: Conversation) -> str:
    """All answered turns' sources, newest first; older turns stay collapsed until one of their
    markers is clicked. A failed turn has no group (it has no sources to show)."""
    groups = [sources_group(turns[i - 1], i, i == len(turns))
              for i in range(len(turns), 0, -1) if turns[i - 1].answer is not None]
    return f'<div class="sources">{"".join(groups) or EMPTY_SOURCES}</div>'


# -- the whole article ----------------------------------------------------------------------------

# The index stores an article as its chunks. The whitespace between two chunks is not stored (the
# chunker trims it), and neither is the text cleaning dropped (captions, banners, site furniture).
# A gap of up to SHORT_GAP characters is taken for trimmed whitespace (usually "\n\n"); a longer
# one is shown as "…" so the reader knows something is left out.
SHORT_GAP = 3
GAP_NOTE = "Text the index does not keep (headlines, captions, site furniture) is left out here."
GAP_HTML = f'<span class="art-gap" title="{esc(GAP_NOTE)}">…</span>'
Mark = tuple[int, int, str]  # (start, end, "quote" | "passage") in the article's offsets


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


def marked_html(text: str, offset: int, marks: Sequence[Mark]) -> str:
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


QUOTE_MOVED = "The article was re-indexed after this answer; the quoted sentence is marked where it is now."
QUOTE_GONE = "The quoted sentence is no longer in this article (it was re-indexed after this answer)."


def article_marks(runs: Sequence[tuple[int, str]], span: tuple[int, int], quote_span: tuple[int, int],
                  quote: str) -> tuple[list[Mark], str]:
    """What to mark in the stored text, and a note when the article changed since the answer."""
    found = locate(runs, quote_span, quote)
    if found == quote_span:
        return [(span[0], quote_span[0], "passage"), (*quote_span, "quote"), (quote_span[1], span[1], "passage")], ""
    return ([(*found, "quote")], QUOTE_MOVED) if found else ([], QUOTE_GONE)


def article_text_html(runs: Sequence[tuple[int, str]], marks: Sequence[Mark]) -> tuple[str, bool]:
    """The runs in order, marked, with "…" where text was not stored; and whether there was any."""
    parts, pos, gaps = [], 0, False
    for start, run in runs:
        gap = start - pos
        if gap > SHORT_GAP:
            parts.append(("\n\n" if pos else "") + GAP_HTML + "\n\n")
            gaps = True
        elif gap and pos:
            parts.append("\n" if gap == 1 else "\n\n")
        parts.append(marked_html(run, start, marks))
        pos = start + len(run)
    return "".join(parts), gaps


def article_head_html(head: Chunk) -> str:
    """Title, outlet · date · link, and the id; every chunk carries its article's metadata."""
    meta = [esc(head.outlet or "outlet unknown"), date_html(head.published, head.date_inferred)]
    if link := original_link(head.url):
        meta.append(link)
    return (f'<h2 class="art-title" id="nr-article-title">{esc(head.title or head.article_id)}</h2>'
            f'<div class="art-meta">{" · ".join(meta)}</div>'
            f'<div class="art-id">{esc(head.article_id)} · as stored in the index</div>')


ARTICLE_GONE = '<div class="art-missing">This article is no longer in the index (it was removed after this answer).</div>'


def article_view(chunks: Sequence[Chunk], span: tuple[int, int], quote_span: tuple[int, int], quote: str) -> str:
    """The whole stored article, reassembled from its chunks, with the cited passage (`span`)
    shaded and its supporting sentence (`quote_span`, `quote`) marked. Shown in a dialog; the
    text keeps its line breaks through CSS (white-space: pre-wrap), so it is only escaped."""
    if not chunks:
        return ARTICLE_GONE
    runs = stored_runs(chunks)
    marks, note = article_marks(runs, span, quote_span, quote)
    text, gaps = article_text_html(runs, marks)
    return (
        f'<article class="art" data-article="{esc(chunks[0].article_id)}">{article_head_html(chunks[0])}'
        + (f'<div class="art-note">{esc(note)}</div>' if note else "")
        + f'<div class="art-text">{text}</div>'
        + (f'<div class="art-foot">… {esc(GAP_NOTE)}</div>' if gaps else "")
        + "</article>"
    )


# -- corpus panel ---------------------------------------------------------------------------------

def article_row(a: ArticleInfo) -> str:
    return (f"<tr><td class=\"a-title\">{esc(a.title or a.id)}<div class=\"a-id\">{esc(a.id)}</div></td>"
            f"<td>{esc(a.outlet or '—')}</td><td>{date_html(a.published, a.date_inferred)}</td>"
            f"<td class=\"num\">{a.chunks}</td></tr>")


EMPTY_CORPUS = ('<div class="corpus-empty">No articles are indexed: the index is empty. Add some below, '
                'or with <code>rag index PATH</code> on the server.</div>')


def articles_html(articles: Iterable[ArticleInfo]) -> str:
    rows = [article_row(a) for a in articles]
    if not rows:
        return EMPTY_CORPUS
    return ('<table class="corpus"><thead><tr><th>Article</th><th>Outlet</th><th>Date</th>'
            f'<th class="num">Passages</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f'<div class="corpus-count">{plural(len(rows), "article")}</div>')


def article_choices(articles: Iterable[ArticleInfo]) -> list[tuple[str, str]]:
    return [(article_label(a), a.id) for a in articles]


def article_label(a: ArticleInfo) -> str:
    return f"{a.title or a.id} ({a.id})"


def outlet_choices(articles: Iterable[ArticleInfo]) -> list[str]:
    return [ANY_OUTLET] + sorted({a.outlet for a in articles if a.outlet}, key=str.lower)


def removal_prompt(a: ArticleInfo) -> str:
    """The confirmation asked before an article is removed: which one, and what it costs."""
    return (f'<div id="nr-confirm-text">Remove <strong>{esc(a.title or a.id)}</strong> '
            f'<span class="a-id">({esc(a.id)})</span> from the index? This deletes its {plural(a.chunks, "passage")}, '
            "and answers no longer cite it; to get it back, upload the file again.</div>")


def index_summary(report: IndexReport) -> str:
    """The library's summary (`IndexReport.summary`), without the server's upload folder."""
    return short_paths(report.summary())


def short_paths(message: str) -> str:
    """Uploaded files live in a temporary folder; show only the file name, not the server path."""
    return re.sub(r"(?:/[^\s:/]+)+/([^\s:/]+)", r"\1", message)
