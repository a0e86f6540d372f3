"""Keeping keyword search in step with the vector store, at the cost of what changed.

The store holds the truth; each process's keyword index (`rag.keyword`) follows it:
- A writer, after each store write, records the change in the store's change feed (the
  chunk ids it added and retired, numbered per writer) and applies it to its own keyword
  index at once, so its searches see the write as soon as it returns.
- A reader whose store generation changed pulls the feed entries its index has not applied
  (its cursor per writer is committed with the index) and looks up the current state of
  just those ids in the store: visible ones are (re)indexed, the rest removed. Changes from
  several writers may arrive in any order; the store decides.
- A keyword index that follows another store (new, rebuilt, or from an older version) is
  filled from the store's chunks once.
- A write killed between the store and the feed leaves chunks no feed mentions. A re-run
  repairs it (each batch checks its articles' chunks against the keyword index). With an
  embedded store, whose writers all run on this machine, a reader that finds the store
  marked "being written" while no writer holds the writers' lock compares all ids and
  repairs at once; with a Chroma server, writers elsewhere cannot be seen, so the re-run is
  the repair (README, "Server mode").
"""

from __future__ import annotations

import fcntl
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from rag.keyword import KeywordDoc, KeywordIndex, SyncState
from rag.types import Chunk
from vectorstore import ChunkReader, VectorStore
from vectorstore.chroma import WRITING, Change

READ_BATCH = 1000  # chunk ids per store read


def keyword_text(chunk: Chunk) -> str:
    """What both searches see of a chunk: its article's title gives every passage context."""
    return f"{chunk.title}\n{chunk.text}" if chunk.title else chunk.text


def read_chunks(store: ChunkReader, ids: Sequence[str]) -> list[Chunk]:
    """The visible chunks among `ids`, READ_BATCH ids per store read."""
    found: list[Chunk] = []
    for begin in range(0, len(ids), READ_BATCH):
        found.extend(store.get(ids[begin : begin + READ_BATCH]).values())
    return found


def keyword_doc(chunk: Chunk) -> KeywordDoc:
    return KeywordDoc(chunk.id, chunk.text, chunk.article_id, chunk.outlet, chunk.published, chunk.title, chunk.start)


class KeywordSync:
    """Publishes this process's writes and catches its keyword index up with everyone's.
    `local_writers`: every writer runs on this machine (embedded store), so a write killed
    half-way can be told from one under way, through the lock file at `writers_lock`."""

    def __init__(self, keyword: KeywordIndex, store: VectorStore, writers_lock: Path, local_writers: bool) -> None:
        self.keyword, self.store = keyword, store
        self.writers_lock, self.local_writers = writers_lock, local_writers
        self.writer = uuid.uuid4().hex[:16]  # this process's name in the feed
        self._seq = 0
        self._synced: str | None = None  # the store generation last caught up with
        self._seq_lock = threading.Lock()

    # -- reading ---------------------------------------------------------------------------------

    def __call__(self) -> None:
        """Catch up with the store, if it changed since the last call."""
        generation = self.store.generation()
        if generation == self._synced:
            return
        with self.keyword.locked():
            if self.keyword.state.epoch != (epoch := self.store.epoch()):
                self._rebuild(epoch)
            elif generation.startswith(WRITING) and self._no_live_writer():
                generation = self._repair()
            self._apply(self.store.changes(self.keyword.state.cursors))
        self._synced = generation

    def _rebuild(self, epoch: str) -> None:
        """Fill the keyword index from the store's chunks. The feed's position is read first:
        changes made during the scan are applied again after it, which is harmless."""
        state = SyncState(epoch, self.store.cursors())
        self.keyword.replace_all((keyword_doc(c) for c in self.store.chunks()), state)

    def _apply(self, changes: Sequence[Change]) -> None:
        """Bring the ids `changes` mention to the store's current state of them."""
        if not changes:
            return
        mentioned = list(dict.fromkeys(cid for change in changes for cid in (*change.added, *change.retired)))
        visible = read_chunks(self.store, mentioned)
        state = self.keyword.state
        for change in changes:
            state = state.advanced(change.writer, change.seq)
        self.keyword.apply([keyword_doc(c) for c in visible], set(mentioned) - {c.id for c in visible}, state)

    def _no_live_writer(self) -> bool:
        if not self.local_writers:
            return False
        with self._writers_file() as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True  # closing the file releases the lock

    def _repair(self) -> str:
        """After a killed write: finish its delete of stale chunks, make the keyword index hold
        exactly the store's visible ids, tell other readers through the feed, and settle the
        generation."""
        self.store.purge_superseded()
        stored, indexed = self.store.ids(), set(self.keyword.ids)
        missing, extra = sorted(stored - indexed), sorted(indexed - stored)
        if missing or extra:
            self.publish(read_chunks(self.store, missing), extra)
        return self.store.bump_generation()

    # -- writing ---------------------------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Mark this process as a writer for the duration (a shared lock: writers coexist)."""
        with self._writers_file() as handle:
            fcntl.flock(handle, fcntl.LOCK_SH)
            yield

    def publish(self, added: Iterable[Chunk], retired: Iterable[str]) -> None:
        """Record a store write in the feed, then apply it to this process's keyword index."""
        docs, gone = [keyword_doc(c) for c in added], tuple(retired)
        with self._seq_lock:
            self._seq += 1
            seq = self._seq
        self.store.log(Change(self.writer, seq, tuple(d.id for d in docs), gone))
        with self.keyword.locked():
            self.keyword.apply(docs, gone, self.keyword.state.advanced(self.writer, seq))

    @contextmanager
    def _writers_file(self) -> Iterator[TextIO]:
        self.writers_lock.parent.mkdir(parents=True, exist_ok=True)
        with open(self.writers_lock, "a") as handle:
            yield handle
