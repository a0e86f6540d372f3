"""Indexing with the crash protocol: articles streamed in batches, only new chunks embedded,
each batch one atomic store write, then published to keyword search (rag.sync).

    load -> clean -> chunk -> (what is new?) -> embed -> store -> change feed + keyword index
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from rag.chunk import Chunker
from rag.clean import clean
from rag.embed import Embedder
from rag.errors import RagError
from rag.keyword import KeywordIndex
from rag.load import RawArticle, load_paths
from rag.sync import KeywordSync, keyword_text
from rag.types import Chunk, IndexReport
from vectorstore import VectorStore
from vectorstore.chroma import WRITING

Progress = Callable[[int, str], None]  # (articles done, current article id)
EMBED_BUFFER = 256  # chunks of a batch of articles, embedded and written together in one upsert


class Indexer:
    """Writes articles into the store and keeps keyword search in step; one write at a time
    in this process (a lock), any number of writer processes (the store and rag.sync)."""

    def __init__(self, store: VectorStore, embedder: Embedder, chunker: Chunker, keyword: KeywordIndex,
                 sync: KeywordSync, max_article_chars: int) -> None:
        self.store, self.embedder, self.chunker, self.keyword, self.sync = store, embedder, chunker, keyword, sync
        self.max_article_chars = max_article_chars
        self._write_lock = threading.Lock()

    def index(self, paths: str | Path | Iterable[str | Path], progress: Progress | None = None,
              rebuild: bool = False) -> IndexReport:
        """Add or update the articles under `paths`. Articles are streamed and handled in
        batches of about EMBED_BUFFER chunks: only chunks not stored yet are embedded, and a
        changed article's new chunks and the retirement of its stale ones are one atomic store
        write. Bad files and lines are reported in `IndexReport.errors` and skipped; the rest
        is indexed. When two sources give the same article id, the one read last is kept.

        Killed at any point, the index still opens, each article in it is one complete
        version (the one before or after this run), and running the same call again embeds
        only what is missing and ends with the chunks a single clean run produces."""
        paths = [paths] if isinstance(paths, (str, Path)) else paths  # "folder" is one path, not its letters
        items = load_paths(list(paths), self.max_article_chars)  # a bad path fails before any change
        with self._write_lock:
            if rebuild:
                self.store.reset()
            self.sync()  # repairs what a killed run left (before this process counts as a writer)
            with self.sync.writing():
                try:
                    return self._index(items, progress)
                finally:
                    self._settle()

    def _index(self, items: Iterator[RawArticle | str], progress: Progress | None) -> IndexReport:
        # Stale chunks left hidden by a run killed mid-write (only then is the store left marked
        # as being written). Looking costs a scan of all metadata: 0.1 s at 80,000 passages.
        if self.store.generation().startswith(WRITING) and (purged := self.store.purge_superseded()):
            self.sync.publish([], purged)
        report = IndexReport()
        for batch, errors in _batches(items, self.chunker, EMBED_BUFFER):
            report += self._write(batch) + IndexReport(errors=tuple(errors))
            if progress:
                for done, article_id in enumerate(batch, start=report.articles - len(batch) + 1):
                    progress(done, article_id)
        return report

    def _write(self, batch: dict[str, list[Chunk]]) -> IndexReport:
        """Bring a batch of articles up to date in one store write: embed the chunks that are
        not stored yet, and retire the stale ones in the same upsert; then publish the change
        (rag.sync), including chunks a killed run stored but never published."""
        stored = self.store.ids_by_article(list(batch))  # metadata only, just these articles
        report, new, stale = IndexReport(), list[Chunk](), list[str]()
        for article_id, chunks in batch.items():
            report += _plan(chunks, stored.get(article_id, set()), new, stale)
        unpublished, orphans = _unpublished(batch, stored, self.keyword.ids_of(list(batch)))
        if new or stale:
            vectors = self.embedder.embed([keyword_text(c) for c in new]) if new else np.zeros((0, self.embedder.dim))
            self.store.bump_generation(writing=True)  # readers elsewhere look at the feed again
            self.store.upsert(new, vectors, retire=stale)
        if new or stale or unpublished or orphans:
            # Readers elsewhere see it at the next generation change: the next batch's, or the
            # end of the run (`_settle`), before `index()` returns.
            self.sync.publish(new + unpublished, stale + orphans)
        return report

    def _settle(self) -> None:
        """Mark the store settled after this run's writes (none: nothing to do)."""
        if self.store.generation().startswith(WRITING):
            self.store.bump_generation()

    def remove(self, article_ids: str | Sequence[str]) -> IndexReport:
        """Take articles out of the index, each in one atomic delete. Unknown ids raise
        RagError naming them, and then nothing is removed."""
        ids = list(dict.fromkeys([article_ids] if isinstance(article_ids, str) else article_ids))
        with self._write_lock:
            stored = self.store.ids_by_article(ids)
            unknown = [a for a in ids if a not in stored]
            if unknown:
                raise RagError(f"Not in the index: {', '.join(unknown)}. See `rag list` for article ids.")
            self.sync()
            with self.sync.writing():
                self.store.bump_generation(writing=True)
                try:
                    self.store.delete_articles(ids)
                    self.sync.publish([], sorted(set().union(*stored.values(), self.keyword.ids_of(ids))))
                finally:
                    self._settle()
            return IndexReport(removed=sum(map(len, stored.values())), articles=len(ids))


def _batches(items: Iterable[RawArticle | str], chunker: Chunker,
             size: int) -> Iterator[tuple[dict[str, list[Chunk]], list[str]]]:
    """Articles cleaned and chunked, grouped until a group holds `size` chunks (or articles),
    each with the error messages read along the way; one group is in memory at a time. A
    later copy of an article id replaces an earlier one, so the last copy read wins."""
    batch: dict[str, list[Chunk]] = {}
    errors: list[str] = []
    count = 0
    for item in items:
        if isinstance(item, str):
            errors.append(item)
            continue
        chunks = chunker.chunks(clean(item))
        if not chunks:  # e.g. a scraped page that is all ads and menus: skipped, like an empty file
            errors.append(f"{item.source}: no article text found (only headlines or site furniture); skipped.")
            continue
        count += len(chunks) - len(batch.pop(item.id, []))
        batch[item.id] = chunks
        if count >= size or len(batch) >= size:
            yield batch, errors
            batch, errors, count = {}, [], 0
    if batch or errors:
        yield batch, errors


def _plan(chunks: list[Chunk], stored: set[str], new: list[Chunk], stale: list[str]) -> IndexReport:
    """Queue an article's chunks that are not stored and its stored ids that are gone; count."""
    fresh = [c for c in chunks if c.id not in stored]
    gone = sorted(stored - {c.id for c in chunks})
    new.extend(fresh)
    stale.extend(gone)
    return IndexReport(added=len(fresh), unchanged=len(chunks) - len(fresh), removed=len(gone), articles=1,
                       new=int(not stored and bool(chunks)), updated=int(bool(stored) and bool(fresh or gone)))


def _unpublished(batch: dict[str, list[Chunk]], stored: dict[str, set[str]],
                 indexed: set[str]) -> tuple[list[Chunk], list[str]]:
    """Chunks of these articles that the store holds but keyword search does not (their write
    was killed before it was published), and ids keyword search holds that the store does not."""
    held = set().union(*stored.values()) if stored else set()
    unpublished = [c for chunks in batch.values() for c in chunks if c.id in held and c.id not in indexed]
    return unpublished, sorted(indexed - held)
