"""Cut an article's body into passages that end at sentence boundaries.

A chunk never crosses a dropped line (a caption, a banner), so each chunk is one exact slice
of the source: `article.text[chunk.start:chunk.end] == chunk.text`. Ids hash the article id,
the span and the text, so re-indexing an unchanged article produces the same ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from langchain_text_splitters import RecursiveCharacterTextSplitter

from rag.types import Article, Chunk

CHUNKER_VERSION = "sentence-v1"

# Paragraphs first, then lines, then sentence ends (the look-behind keeps the punctuation
# with its sentence), then words as a last resort for run-on text.
SEPARATORS = ["\n\n", "\n", r"(?<=[.!?][\"”’)])\s+", r"(?<=[.!?])\s+", r"(?<=[;:])\s+", " "]


class Chunker:
    def __init__(self, size: int, overlap: int) -> None:
        self.size, self.overlap = size, overlap
        self._splitter = RecursiveCharacterTextSplitter(
            chunk_size=size,
            chunk_overlap=overlap,
            separators=SEPARATORS,
            is_separator_regex=True,
            # "end": each split keeps its separator, so merged splits are joined with "" and stay
            # exact substrings. With False, LangChain joins them with the separator *pattern*
            # itself (e.g. the sentence regex): such a piece is not in the source and was lost.
            keep_separator="end",
            strip_whitespace=True,
        )

    @property
    def version(self) -> str:
        return f"{CHUNKER_VERSION}/{self.size}/{self.overlap}"

    def chunks(self, article: Article) -> list[Chunk]:
        return [
            _chunk(article, start, start + len(piece), piece)
            for block_start, block_end in _blocks(article)
            for start, piece in self._pieces(article.text[block_start:block_end], block_start)
        ]

    def _pieces(self, block: str, offset: int) -> Iterator[tuple[int, str]]:
        """Each split of `block` with its absolute start. Splits are substrings of the block
        in order, so searching forward from the previous start finds each one exactly."""
        cursor = 0
        for piece in self._splitter.split_text(block):
            at = block.find(piece, cursor)
            if at < 0:  # pieces are exact substrings in order; anything else is a splitter bug
                raise RuntimeError(f"chunker lost the span of a piece of {len(piece)} characters")
            yield offset + at, piece
            cursor = at + 1


def _blocks(article: Article) -> Iterator[tuple[int, int]]:
    """Runs of consecutive body lines with nothing but whitespace between them."""
    start = end = -1
    for line_start, line_end in article.body:
        if start >= 0 and article.text[end:line_start].strip() == "":
            end = line_end
            continue
        if start >= 0:
            yield start, end
        start, end = line_start, line_end
    if start >= 0:
        yield start, end


def _chunk(article: Article, start: int, end: int, text: str) -> Chunk:
    # The article's metadata is part of the id: a corrected date or title replaces the chunk.
    about = f"{article.title}\0{article.outlet}\0{article.published}\0{article.date_inferred}\0{article.url}"
    digest = hashlib.sha256(f"{article.id}\0{start}\0{end}\0{text}\0{about}".encode()).hexdigest()[:32]
    return Chunk(
        id=digest,
        article_id=article.id,
        text=text,
        start=start,
        end=end,
        title=article.title,
        outlet=article.outlet,
        published=article.published,
        url=article.url,
        date_inferred=article.date_inferred,
    )
