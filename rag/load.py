"""Read articles from files and folders: .txt, .md, .html/.htm, .jsonl and .jsonl.gz.

Loading only decodes and extracts text; cleaning (boilerplate, metadata) happens in `clean`.
An HTML page's main text, title, author and site name come from trafilatura, its publication
date from htmldate; a page too small or odd for trafilatura is read by a plain HTML parser.
Errors that concern one file or one JSONL line are collected, not raised, so one bad line
never stops a folder from being indexed; `index()` reports them by file and line number.
"""

from __future__ import annotations

import codecs
import gzip
import json
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from copy import deepcopy
from dataclasses import dataclass, field, replace
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlparse

import htmldate
import trafilatura
from lxml import etree
from lxml.html import HtmlElement, document_fromstring
from trafilatura.settings import Document

from rag.errors import IngestError

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
SUPPORTED = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES
META_KEYS = ("title", "url", "published", "outlet")  # metadata a JSONL line or a sidecar file may state
# "story.txt.meta.json" next to "story.txt": what a plain text file cannot say about itself
# (outlet, date, link). Not an article: ".json" is not a SUPPORTED suffix, so the walk skips it.
SIDECAR = ".meta.json"
SNIFF = 65536  # bytes (and characters) inspected to tell text from binary data
# Characters that do not occur in text: C0/C1 controls other than whitespace, and the
# replacement character that undecodable bytes become.
NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
MAX_BAD_LINES = 20  # a "JSONL" file whose first lines are all bad is not JSONL: stop reporting it
# Elements of trafilatura's output tree that are paragraphs of their own.
XML_BLOCKS = frozenset({"p", "head", "list", "item", "quote", "table", "row", "cell"})
# HTML whose content the page does not show: trafilatura drops it from the main text, but its
# rescue pass for short pages brings the text back ("Enable JavaScript", an <iframe>'s markup).
NOT_SHOWN = "//noscript|//iframe|//template|//object|//embed"
BREAK_AFTER = ".!?:;…\"”’')]"  # a <br> after one of these ends a line (see `_line_break`)
SENTENCE = re.compile(r"[.!?…][\"”’')\]]*$")
DATE_LINE_WORDS = 16  # a date line is short ("Published 14 June 2022, 10:32 BST"); a longer line is prose
DOMAIN = re.compile(r"^[\w-]+(\.[\w-]+)+$")


@dataclass(frozen=True)
class RawArticle:
    """Text of one article as read, plus metadata the source format states explicitly."""

    id: str
    text: str
    source: str
    meta: dict[str, str] = field(default_factory=dict)


def load_paths(paths: Iterable[str | os.PathLike[str]], max_chars: int = 0) -> Iterator[RawArticle | str]:
    """Each article found under `paths`, or an error message for a bad file or line (empty,
    binary, longer than `max_chars` characters when that is set).

    Raises IngestError now, before anything is read, for a path that does not exist or a file
    type we cannot read: that is a mistake in the command, and no other path should be
    indexed half-way through it."""
    roots = [Path(p) for p in paths]
    for root in roots:
        _check_root(root)
    return _load_roots(roots, max_chars)


def _check_root(root: Path) -> None:
    if not root.exists():
        raise IngestError(f"{root}: no such file or folder. Check the path and try again.")
    if root.is_file() and not _supported(root):
        raise IngestError(f"{root}: unsupported file type. Use one of: {', '.join(SUPPORTED)}.")


def _load_roots(roots: list[Path], max_chars: int) -> Iterator[RawArticle | str]:
    for root in roots:
        for file, article_id in _files(root):
            yield from _load_file(file, article_id, max_chars)


def _files(root: Path) -> Iterator[tuple[Path, str]]:
    if root.is_file():
        yield root, root.name
        return
    for file in _walk(root):
        yield file, file.relative_to(root).as_posix()


def _walk(folder: Path) -> Iterator[Path]:
    """Files under `folder`, following symlinks but never entering the same folder twice
    (a symlink loop would otherwise recurse forever). Hidden entries are skipped."""
    seen: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if not name.startswith(".") and _supported(path) and path.is_file():
                yield path


def _supported(path: Path) -> bool:
    return path.name.lower().endswith(SUPPORTED)


def _load_file(path: Path, article_id: str, max_chars: int) -> Iterator[RawArticle | str]:
    name = path.name.lower()
    try:
        if name.endswith(JSONL_SUFFIXES):
            yield from _load_jsonl(path, article_id, max_chars)
        elif name.endswith(HTML_SUFFIXES):
            raw = _load_html(path, article_id)
            yield _checked(replace(raw, meta=raw.meta | _sidecar(path)), max_chars)  # the user's word first
        else:
            text = decode(_read(path, max_chars), path)
            yield _checked(RawArticle(article_id, text, str(path), _sidecar(path)), max_chars)
    except IngestError as err:
        yield str(err)
    except OSError as err:
        yield f"{path}: cannot be read ({err.strerror or err}). Check its permissions."


def _sidecar(path: Path) -> dict[str, str]:
    """The metadata in `path`'s sidecar file (SIDECAR), if it has one: `title`, `outlet`,
    `published` (a date), `url`, and `date_inferred` (true when the date is the day the article
    reports on, worked out by a person, rather than the date it states)."""
    meta_path = path.with_name(path.name + SIDECAR)
    if not meta_path.is_file():
        return {}
    example = '{"outlet": "The Washington Post", "published": "2023-02-17"}'
    try:
        obj = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise IngestError(f"{meta_path}: not readable JSON ({err}); {path.name} was skipped. "
                          f"Fix it (e.g. {example}) or delete it.") from err
    if not isinstance(obj, dict):
        raise IngestError(f"{meta_path}: must be a JSON object such as {example}; {path.name} was skipped.")
    meta = {k: str(obj[k]) for k in META_KEYS if obj.get(k)}
    # about the date given here, not about one the page states
    return meta | ({"date_inferred": "true"} if obj.get("date_inferred") is True and "published" in meta else {})


def _read(path: Path, max_chars: int) -> bytes:
    """The file's bytes; a file too big to hold `max_chars` characters is refused unread."""
    size = path.stat().st_size
    if max_chars and size > 4 * max_chars:  # UTF-8 needs at most 4 bytes a character
        raise IngestError(_too_long(str(path), f"{size / 1e6:,.0f} MB", max_chars))
    return path.read_bytes()


def _checked(article: RawArticle, max_chars: int) -> RawArticle:
    """The article, unless it has no text or is longer than a news article can sensibly be
    (embedding a 50 MB "article" would take hours and drown every other article in search)."""
    if not article.text.strip():
        raise IngestError(f"{article.source}: the file has no text; nothing to index.")
    if max_chars and len(article.text) > max_chars:
        raise IngestError(_too_long(article.source, f"{len(article.text):,} characters", max_chars))
    return article


def _too_long(source: str, size: str, max_chars: int) -> str:
    return (f"{source}: the article is {size} long, more than the limit of {max_chars:,} characters "
            "(RAG_MAX_ARTICLE_CHARS); it was skipped. Split it into separate articles (one file or "
            "JSONL line each), or raise the limit.")


def decode(data: bytes, path: Path | str) -> str:
    """UTF-8 (a few broken bytes become U+FFFD), UTF-16 with a byte-order mark, otherwise
    Windows-1252/Latin-1 for old scraped files. Binary data (NUL bytes, or control characters
    and undecodable bytes where text would be) is refused rather than indexed as garbage."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    elif b"\x00" in data[:SNIFF]:
        raise IngestError(_binary(path))
    else:
        text = _decode_8bit(data)
    sample = text[:SNIFF]
    if len(NOT_TEXT.findall(sample)) > 0.05 * len(sample):
        raise IngestError(_binary(path))
    return text


def _decode_8bit(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    broken = text.count("\ufffd")
    valid_non_ascii = len(text) - len(text.encode("ascii", "ignore")) - broken
    if valid_non_ascii > broken:  # UTF-8 with a few damaged bytes: re-decoding would garble the rest
        return text
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:  # bytes cp1252 leaves undefined
        return data.decode("latin-1")


def _binary(path: Path | str) -> str:
    return (f"{path}: looks like a binary file, not text (or UTF-16 without a byte-order mark). "
            "Remove it or save it as UTF-8 text.")


def _load_jsonl(path: Path, base_id: str, max_chars: int) -> Iterator[RawArticle | str]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            yield from _jsonl_lines(fh, path, base_id, max_chars)
    except (OSError, EOFError, zlib.error) as err:
        yield f"{path}: cannot be read as {'gzip ' if opener is gzip.open else ''}JSONL ({err})."


def _jsonl_lines(lines: Iterable[bytes], path: Path, base_id: str, max_chars: int) -> Iterator[RawArticle | str]:
    """One article or error a non-blank line; gives up on a file whose first lines are all bad."""
    good = bad = 0
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item = _jsonl_article(line, lineno, path, base_id, max_chars)
        good, bad = (good + 1, bad) if isinstance(item, RawArticle) else (good, bad + 1)
        yield item
        if bad >= MAX_BAD_LINES and not good:
            yield f"{path}: the first {bad} lines are not JSONL articles; stopped reading it. Is it a JSONL file?"
            return


def _jsonl_article(line: bytes, lineno: int, path: Path, base_id: str, max_chars: int) -> RawArticle | str:
    where = f"{path}:{lineno}"
    try:
        obj = json.loads(decode(line, where))
    except json.JSONDecodeError as err:
        return f"{where}: not valid JSON ({err}); the line was skipped."
    except IngestError as err:
        return f"{err} The line was skipped."
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) or not obj["text"].strip():
        return f"{where}: needs a non-empty string field 'text'; the line was skipped."
    meta = {k: str(obj[k]) for k in META_KEYS if obj.get(k)}
    article_id = str(obj.get("id") or f"{base_id}#{lineno}")
    try:
        return _checked(RawArticle(article_id, obj["text"], where, meta), max_chars)
    except IngestError as err:
        return str(err)


def _load_html(path: Path, article_id: str) -> RawArticle:
    html = decode(path.read_bytes(), path)
    # Parsed here, and only the tree handed on: htmldate downloads a string that looks like a
    # URL ("http://..." is a valid HTML file), and nothing read from a file may be fetched.
    tree = trafilatura.load_html(html)  # None when lxml finds no HTML in it
    text, meta = (_extracted(deepcopy(tree)) if tree is not None else None) or _parsed(html)
    if tree is not None and (published := _published(tree, text)):
        meta["published"] = published
    return RawArticle(article_id, text, str(path), meta)


def _extracted(tree: HtmlElement) -> tuple[str, dict[str, str]] | None:
    """The page's main text (without menus, related links, footers) and its metadata, by
    trafilatura; None when it finds no main text. Changes `tree`."""
    for element in tree.xpath(NOT_SHOWN):
        if element.getparent() is not None:  # a fragment's root has none
            element.drop_tree()
    # Balanced between precision and recall (trafilatura retries a short extraction for recall
    # by itself); clean() drops leftover furniture lines, while a paragraph lost here is lost.
    try:
        doc = trafilatura.bare_extraction(tree, with_metadata=True, include_comments=False, include_tables=False)
    except AssertionError:  # htmldate, inside, on a fragment whose root it prunes (<svg>, <math>)
        return None
    if not isinstance(doc, Document) or doc.body is None:  # None: no main text found
        return None
    lines = _xml_lines(doc.body)
    if not lines:
        return None
    title = " ".join((doc.title or "").split())
    meta = {"title": title, "url": doc.url or "", "outlet": _outlet(doc.sitename or "", doc.url or ""),
            "author": doc.author or ""}
    return _paragraphs(lines, title), {key: value for key, value in meta.items() if value}


def _xml_lines(body: etree._Element) -> list[str]:
    """The lines of trafilatura's output tree: one a paragraph, heading or list item, plus the
    lines a <br> ends (see `_line_break`)."""
    parts: list[str] = []
    _render(body, parts)
    return _lines("".join(parts))


def _render(element: etree._Element, parts: list[str]) -> None:
    """Appends the text of `element`, a line of its own if it is a block, and its tail."""
    tag = element.tag if isinstance(element.tag, str) else ""  # a comment's text is no page text
    if tag == "lb":
        parts.append(_line_break(parts))
    elif tag in XML_BLOCKS:
        parts.append("\n")
    if tag:
        parts.append(element.text or "")
    for child in element:
        _render(child, parts)
    if tag in XML_BLOCKS:
        parts.append("\n")
    parts.append(element.tail or "")


def _line_break(parts: list[str]) -> str:
    """<br> after a sentence ends the line; inside a sentence it is only a wrap, and a line
    holding half a sentence would be dropped by cleaning as a fragment."""
    last = next((part.rstrip() for part in reversed(parts) if part.strip()), "")
    return "\n" if not last or last[-1] in BREAK_AFTER else " "


def _lines(text: str) -> list[str]:
    """The non-empty lines of `text`, each with its runs of spaces collapsed."""
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return [line for line in lines if line]


def _paragraphs(lines: list[str], title: str) -> str:
    """The article as stored: the title, then one paragraph a line, with blank lines between
    them so that clean() sees paragraphs. clean() recognises the title as the first line."""
    if title and (not lines or lines[0] != title):
        lines = [title, *lines]
    return "\n\n".join(lines)


def _outlet(sitename: str, url: str) -> str:
    """The site's name, not a domain or a URL (trafilatura falls back to those): from a URL,
    clean() finds the outlet's proper name ("cnn.com" is CNN)."""
    host = (urlparse(url).hostname or "").removeprefix("www.")
    if "/" in sitename or DOMAIN.match(sitename) or sitename.lower().removeprefix("www.") == host:
        return ""
    return sitename


def _published(tree: HtmlElement, text: str) -> str:
    """The page's publication date as YYYY-MM-DD, or "". A date the markup states (meta tags,
    JSON-LD, <time>, date elements, the URL) is taken as it is. Failing that, a date written
    on the page ("Published June 14, 2022", a line trafilatura often leaves out with the byline)
    is taken unless the article's sentences mention that day: then it is most likely the day
    of an event it reports, and clean() weighs such days as what they are."""
    if stated := _find_date(tree, extensive=False):
        return stated
    shown = _find_date(tree, extensive=True)
    if not shown or shown == _find_date(_sentences_page(text), extensive=True):
        return ""
    return shown


def _find_date(tree: HtmlElement, extensive: bool) -> str:
    """htmldate's date of the page, the first publication rather than the last update."""
    try:
        return htmldate.find_date(tree, original_date=True, extensive_search=extensive, outputformat="%Y-%m-%d") or ""
    except AssertionError:  # a fragment whose root element htmldate prunes (<svg>, <math>): no page to date
        return ""


def _sentences_page(text: str) -> HtmlElement:
    """The sentences of `text` (not its date lines) as an HTML page."""
    lines = [line for line in _lines(text) if SENTENCE.search(line) or len(line.split()) > DATE_LINE_WORDS]
    return document_fromstring(f"<html><body>{''.join(f'<p>{escape(line)}</p>' for line in lines)}</body></html>")


def _parsed(html: str) -> tuple[str, dict[str, str]]:
    """Text and metadata by the plain parser, for pages trafilatura finds no main text in."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return parser.text(), parser.meta


class _TextExtractor(HTMLParser):
    """Visible text of an HTML page, one block element a paragraph; scripts and styles dropped.
    Title, site name and publication date come from <title>, <h1> and <meta> tags."""

    SKIP = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "object"})  # not <head>: <title> is in it
    BLOCK = frozenset({"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section",
                       "article", "header", "footer", "blockquote", "figcaption", "pre", "ul", "ol", "table"})
    META: ClassVar[dict[str, str]] = {
        "og:site_name": "outlet", "article:published_time": "published", "og:title": "title",
        "og:url": "url", "date": "published", "pubdate": "published"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.meta: dict[str, str] = {}
        self._skip = 0
        self._in: str = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        if tag == "meta":
            self._meta(dict(attrs))
        self._in = tag if tag in ("title", "h1") else self._in
        if tag in self.BLOCK:
            self.parts.append("\n")
        elif tag == "br":
            self.parts.append(_line_break(self.parts))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        if tag in self.BLOCK:
            self.parts.append("\n")
        if tag == self._in:
            self._in = ""

    def handle_data(self, data: str) -> None:
        if self._in == "title" and not self._skip:
            self.meta.setdefault("html_title", data.strip())
            return
        if self._skip:
            return
        if self._in == "h1" and data.strip():
            self.meta.setdefault("title", " ".join(data.split()))
        # A line break in the HTML source is a space on the page: only tags break lines.
        self.parts.append(re.sub(r"\s+", " ", data))

    def parse_html_declaration(self, i: int) -> int:
        """A "<!" construct; one Python 3.11 cannot parse ("<![x", a broken "<!DOCTYPE") is
        skipped up to its ">", as browsers do, instead of raising AssertionError."""
        try:
            return super().parse_html_declaration(i)
        except AssertionError:
            end = self.rawdata.find(">", i)
            return end + 1 if end >= 0 else -1

    def _meta(self, attrs: dict[str, str | None]) -> None:
        key = (attrs.get("property") or attrs.get("name") or "").lower()
        if key in self.META and attrs.get("content"):
            self.meta.setdefault(self.META[key], str(attrs["content"]).strip())

    def text(self) -> str:
        title = self.meta.get("title") or self.meta.get("html_title", "")
        self.meta.pop("html_title", None)
        if title:
            self.meta["title"] = " ".join(title.split())
        return _paragraphs(_lines("".join(self.parts)), self.meta.get("title", ""))
