"""Keyword search following the store through its change feed (rag.sync), on real embedded
Chroma: readers apply what changed instead of re-reading the collection, in whatever order
writers' changes arrive, and a write killed between the store and the feed is repaired."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import Rag, Settings
from rag.keyword import KeywordIndex
from rag.sync import KeywordSync
from rag.types import Chunk
from tests.synthetic import HashEmbedder, write_corpus
from vectorstore import Change


class Killed(BaseException):
    """Stands in for SIGKILL inside one process: nothing catches it."""


def writer(tmp_path: Path) -> Rag:
    return Rag(Settings(data_dir=tmp_path / "writer"), embedder=HashEmbedder())


def reader_of(r: Rag, folder: Path) -> KeywordSync:
    """Another machine's keyword index following the same store."""
    return KeywordSync(KeywordIndex(folder / "keyword"), r.store, folder / "writers", local_writers=False)


def visible(r: Rag) -> list[str]:
    return sorted(c.id for c in r.store.chunks())


def test_a_reader_applies_only_what_changed(tmp_path, monkeypatch):
    w = writer(tmp_path)
    w.index([write_corpus(tmp_path / "v0", 6)])
    reader = reader_of(w, tmp_path / "reader")
    reader()  # a new reader fills itself from the store once
    assert sorted(reader.keyword.ids) == visible(w)
    full_scan = w.store.chunks
    monkeypatch.setattr(w.store, "chunks", lambda: pytest.fail("a reader re-read the whole collection"))
    w.index([write_corpus(tmp_path / "v1", 7, {2: 1})])  # one article rewritten, one new
    reader()
    w.remove(["0004.txt"])
    reader()
    monkeypatch.setattr(w.store, "chunks", full_scan)
    assert sorted(reader.keyword.ids) == visible(w) == sorted(w.keyword.ids)
    assert not reader.keyword.ids_of(["0004.txt"]) and reader.keyword.ids_of(["0006.txt"])


def test_changes_from_two_writers_in_either_order_end_in_the_stores_state(tmp_path):
    w = writer(tmp_path)
    vector = w.embedder.embed(["x"])
    old = Chunk(id="old", article_id="x", text="The Kelvale bridge opened.", start=0, end=26)
    new = Chunk(id="new", article_id="x", text="The Kelvale bridge opened in May.", start=0, end=33)
    w.store.upsert([old], vector)
    first = Change("writer-a", 1, ("old",), ())
    w.store.upsert([new], vector, retire=["old"])
    second = Change("writer-b", 1, ("new",), ("old",))
    for order in ([first, second], [second, first]):
        reader = reader_of(w, tmp_path / "-".join(c.writer for c in order))
        reader.keyword.replace_all([], reader.keyword.state.__class__(w.store.epoch()))
        for change in order:  # the later write's change arrives first, or last
            reader._apply([change])
        assert reader.keyword.ids == ["new"], order
        assert reader.keyword.state.cursors == {"writer-a": 1, "writer-b": 1}


def test_a_reader_starts_over_when_the_store_is_rebuilt(tmp_path):
    w = writer(tmp_path)
    w.index([write_corpus(tmp_path / "v0", 6)])
    reader = reader_of(w, tmp_path / "reader")
    reader()
    w.index([write_corpus(tmp_path / "small", 2)], rebuild=True)
    reader()
    assert sorted(reader.keyword.ids) == visible(w) and len(visible(w)) < 12


def kill_before_publishing(r: Rag, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store write lands, then the process dies before the feed and keyword index hear of it."""
    def die(*_args: object) -> None:
        raise Killed

    monkeypatch.setattr(r.sync, "publish", die)
    monkeypatch.setattr(r.indexer, "_settle", lambda: None)  # a dead process settles nothing


def test_an_embedded_store_repairs_a_killed_write_on_the_next_read(tmp_path, monkeypatch):
    settings = Settings(data_dir=tmp_path / "data")
    first = Rag(settings, embedder=HashEmbedder())
    first.index([write_corpus(tmp_path / "v0", 6)])
    kill_before_publishing(first, monkeypatch)
    with pytest.raises(Killed):
        first.index([write_corpus(tmp_path / "v1", 8, {1: 1})])
    later = Rag(settings, embedder=HashEmbedder())  # the next process
    assert sorted(later.keyword.ids) != visible(later)  # what the killed write left
    later.retrieve("harbor minister budget")
    assert sorted(later.keyword.ids) == visible(later)
    assert not later.store.generation().startswith("writing-")  # settled: the next read does not repair again


def test_with_writers_elsewhere_a_rerun_publishes_what_a_killed_write_stored(tmp_path, monkeypatch):
    settings = Settings(data_dir=tmp_path / "data")
    first = Rag(settings, embedder=HashEmbedder())
    first.index([write_corpus(tmp_path / "v0", 6)])
    source = write_corpus(tmp_path / "v1", 8, {1: 1})
    kill_before_publishing(first, monkeypatch)
    with pytest.raises(Killed):
        first.index([source])
    rerun = Rag(settings, embedder=HashEmbedder())
    rerun.sync.local_writers = False  # as with a Chroma server: a killed writer cannot be told from a live one
    reader = reader_of(rerun, tmp_path / "reader")
    report = rerun.index([source])
    reader()
    assert report.added == 0  # everything was stored; only the feed and keyword search lacked it
    assert sorted(rerun.keyword.ids) == sorted(reader.keyword.ids) == visible(rerun)
