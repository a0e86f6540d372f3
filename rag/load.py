"""Read articles from files and folders: .txt, .md, .html/.htm, .jsonl and .jsonl.gz.

Loading only decodes and extracts text; cleaning (boilerplate, metadata) happens in `clean`.
Errors that concern one file or one JSONL line are collected, not raised, so one bad line
never stops a folder from being indexed; `index()` reports them by file and line number.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from rag.errors import IngestError

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
SUPPORTED = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES


@dataclass(frozen=True)
class RawArticle:
    """Text of one article as read, plus metadata the source format states explicitly."""

    id: str
    text: str
    source: str
    meta: dict[str, str] = field(default_factory=dict)


def load_paths(paths: Iterable[str | os.PathLike[str]]) -> Iterator[RawArticle | str]:
    """Yield each article found under `paths`, or an error message for a bad file or line.

    Raises IngestError at once for a path that does not exist or a file type we cannot read,
    because that is a mistake in the command, not in the data."""
    for root in map(Path, paths):
        for file, article_id in _files(root):
            yield from _load_file(file, article_id)


def _files(root: Path) -> Iterator[tuple[Path, str]]:
    if not root.exists():
        raise IngestError(f"{root}: no such file or folder. Check the path and try again.")
    if root.is_file():
        if not _supported(root):
            raise IngestError(f"{root}: unsupported file type. Use one of: {', '.join(SUPPORTED)}.")
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


def _load_file(path: Path, article_id: str) -> Iterator[RawArticle | str]:
    name = path.name.lower()
    try:
        if name.endswith(JSONL_SUFFIXES):
            yield from _load_jsonl(path, article_id)
        elif name.endswith(HTML_SUFFIXES):
            yield _load_html(path, article_id)
        else:
            yield RawArticle(article_id, decode(path.read_bytes(), path), str(path))
    except IngestError as err:
        yield str(err)
    except OSError as err:
        yield f"{path}: cannot be read ({err.strerror or err}). Check its permissions."


def decode(data: bytes, path: Path) -> str:
    """UTF-8 text, falling back to Windows-1252/Latin-1 for old scraped files.
    Binary data (NUL bytes) is refused rather than indexed as garbage."""
    if b"\x00" in data[:65536]:
        raise IngestError(f"{path}: looks like a binary file, not text. Remove it or convert it to text.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def _load_jsonl(path: Path, base_id: str) -> Iterator[RawArticle | str]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            for lineno, line in enumerate(fh, start=1):
                if line.strip():
                    yield _jsonl_article(line, lineno, path, base_id)
    except (OSError, EOFError) as err:
        yield f"{path}: cannot be read as {'gzip ' if opener is gzip.open else ''}JSONL ({err})."


def _jsonl_article(line: bytes, lineno: int, path: Path, base_id: str) -> RawArticle | str:
    where = f"{path}:{lineno}"
    try:
        obj = json.loads(decode(line, path))
    except (json.JSONDecodeError, IngestError) as err:
        return f"{where}: not valid JSON ({err}); the line was skipped."
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) or not obj["text"].strip():
        return f"{where}: needs a non-empty string field 'text'; the line was skipped."
    meta = {k: str(obj[k]) for k in ("title", "url", "published", "outlet") if obj.get(k)}
    article_id = str(obj.get("id") or f"{base_id}#{lineno}")
    return RawArticle(article_id, obj["text"], where, meta)


def _load_html(path: Path, article_id: str) -> RawArticle:
    parser = _TextExtractor()
    parser.feed(decode(path.read_bytes(), path))
    parser.close()
    return RawArticle(article_id, parser.text(), str(path), parser.meta)


class _TextExtractor(HTMLParser):
    """Visible text of an HTML page, one block element a line; scripts and styles dropped.
    Title, site name and publication date come from <title>, <h1> and <meta> tags."""

    SKIP = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object"}
    BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section",
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
            self.meta.setdefault("title", data.strip())
        self.parts.append(data)

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
