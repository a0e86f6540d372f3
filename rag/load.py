"""Read articles from files and folders: .txt, .md, .html/.htm, .jsonl and .jsonl.gz.

Loading only decodes and extracts text; cleaning (boilerplate, metadata) happens in `clean`.
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
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from rag.errors import IngestError

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
SUPPORTED = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES
SNIFF = 65536  # bytes (and characters) inspected to tell text from binary data
# Characters that do not occur in text: C0/C1 controls other than whitespace, and the
# replacement character that undecodable bytes become.
NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
MAX_BAD_LINES = 20  # a "JSONL" file whose first lines are all bad is not JSONL: stop reporting it


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
            yield _checked(_load_html(path, article_id), max_chars)
        else:
            text = decode(_read(path, max_chars), path)
            yield _checked(RawArticle(article_id, text, str(path)), max_chars)
    except IngestError as err:
        yield str(err)
    except OSError as err:
        yield f"{path}: cannot be read ({err.strerror or err}). Check its permissions."


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
    meta = {k: str(obj[k]) for k in ("title", "url", "published", "outlet") if obj.get(k)}
    article_id = str(obj.get("id") or f"{base_id}#{lineno}")
    try:
        return _checked(RawArticle(article_id, obj["text"], where, meta), max_chars)
    except IngestError as err:
        return str(err)


def _load_html(path: Path, article_id: str) -> RawArticle:
    parser = _TextExtractor()
    parser.feed(decode(path.read_bytes(), path))
    parser.close()
    return RawArticle(article_id, parser.text(), str(path), parser.meta)


class _TextExtractor(HTMLParser):
    """Visible text of an HTML page, one block element a line; scripts and styles dropped.
    Title, site name and publication date come from <title>, <h1> and <meta> tags."""

    SKIP = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object"}
    BLOCK = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section",
             "article", "header", "footer", "blockquote", "figcaption", "pre", "ul", "ol", "table"}
    META = {"og:site_name": "outlet", "article:published_time": "published", "og:title": "title",
            "og:url": "url", "date": "published", "pubdate": "published"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.meta: dict[str, str] = {}
        self._skip = 0
        self._in: str = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP and tag != "head":
            self._skip += 1
        if tag == "meta":
            self._meta(dict(attrs))
        self._in = tag if tag in ("title", "h1") else self._in
        if tag in self.BLOCK:
            self.parts.append("\n")
        elif tag == "br":
            self.parts.append(self._line_break())

    def _line_break(self) -> str:
        """<br> after a sentence ends the line; inside a sentence it is only a wrap, and a line
        holding half a sentence would be dropped by cleaning as a fragment."""
        tail = "".join(self.parts[-4:]).rstrip()
        return "\n" if not tail or tail[-1] in ".!?:;…\"”’')]" else " "

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and tag != "head" and self._skip:
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

    def _meta(self, attrs: dict[str, str | None]) -> None:
        key = (attrs.get("property") or attrs.get("name") or "").lower()
        if key in self.META and attrs.get("content"):
            self.meta.setdefault(self.META[key], str(attrs["content"]).strip())

    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self.parts).splitlines())
        text = "\n".join(line for line in lines if line)
        title = self.meta.get("title") or self.meta.pop("html_title", "")
        self.meta.pop("html_title", None)
        if title and not text.startswith(title):
            text = f"{title}\n\n{text}"
        self.meta["title"] = title
        return text
