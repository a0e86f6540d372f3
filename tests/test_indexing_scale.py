"""Indexing at scale: bounded memory (streamed articles, batched embedding and writes,
metadata-only lookups of just the articles being indexed), superseded chunks hidden from
every read, and the batch bookkeeping (progress, duplicate ids, reports)."""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rag.indexer
from rag import IngestError, Rag, Settings
from rag.types import Chunk
from tests.synthetic import HashEmbedder, paragraph, write_corpus
from vectorstore import IndexSpec, open_store
from vectorstore.chroma import WRITING

SPEC = IndexSpec("model-a", 3, "chunker-1")
WORKER = Path(__file__).with_name("index_worker.py")


def _chunk(i: int, article: str) -> Chunk:
    return Chunk(id=f"c{i}", article_id=article, text=f"text {i}", start=0, end=6, title="T", outlet="Daily")


def _vectors(n: int) -> np.ndarray:
    return np.eye(3, dtype=np.float32)[np.arange(n) % 3] + 0.01


# -- the store ----------------------------------------------------------------------------------

def test_a_replacing_upsert_hides_retired_chunks_from_every_read_and_purge_deletes_them(tmp_path):
    store = open_store(Settings(data_dir=tmp_path), SPEC)
    store.upsert([_chunk(0, "a"), _chunk(1, "a"), _chunk(2, "b")], _vectors(3))
    hide = store.delete
    store.delete = lambda ids: None  # type: ignore[method-assign]  # as if killed before the delete
    store.upsert([_chunk(3, "a")], _vectors(1), retire=["c0", "c1"])
    store.delete = hide  # type: ignore[method-assign]
    assert store._collection.count() == 4  # the retired rows are still stored ...
    assert sorted(c.id for c in store.chunks()) == ["c2", "c3"]  # ... but no read returns them
    assert store.count() == 2 and store.ids_by_article(["a", "b"]) == {"a": {"c3"}, "b": {"c2"}}
    assert set(store.get(["c0", "c1", "c3"])) == {"c3"}
    assert {c.id for c, _ in store.search(np.array([1, 0, 0], dtype=np.float32), 2)} == {"c2", "c3"}
    assert [(a.id, a.chunks) for a in store.articles()] == [("a", 1), ("b", 1)]
    store.purge_superseded()
    assert store._collection.count() == 2
    store.upsert([_chunk(0, "a")], _vectors(1))  # an id written again is visible again
    assert store.ids_of("a") == {"c0", "c3"}


def test_delete_articles_and_writing_generations(tmp_path):
    store = open_store(Settings(data_dir=tmp_path), SPEC)
    store.upsert([_chunk(0, "a"), _chunk(1, "b"), _chunk(2, "c")], _vectors(3))
    store.delete_articles(["a", "c"])
    assert [c.id for c in store.chunks()] == ["c1"]
    assert store.bump_generation(writing=True).startswith(WRITING)
    assert not store.bump_generation().startswith(WRITING)


def test_batches_look_up_only_their_own_articles_and_report_progress_once_each(tmp_path, monkeypatch):
    monkeypatch.setattr(rag.indexer, "EMBED_BUFFER", 5)
    source = write_corpus(tmp_path / "src", 12)
    r = Rag(Settings(data_dir=tmp_path / "data"), embedder=HashEmbedder())
    lookups: list[list[str]] = []
    lookup = r.store.ids_by_article
    monkeypatch.setattr(r.store, "ids_by_article", lambda ids: lookups.append(list(ids)) or lookup(ids))
    r.sync()  # a new keyword index fills itself from the (empty) store once
    monkeypatch.setattr(r.store, "chunks", lambda: pytest.fail("indexing must not scan the whole store"))
    seen: list[int] = []
    report = r.index([source], progress=lambda n, _aid: seen.append(n))
    assert seen == list(range(1, 13)) and report.articles == report.new == 12
    looked_up = sorted(a for batch in lookups for a in batch)
    assert len(lookups) > 2 and looked_up == sorted(f"{i:04d}.txt" for i in range(12))
    assert all(len(batch) <= 5 for batch in lookups)


@pytest.mark.parametrize("buffer", [1, 256])
def test_the_last_copy_of_a_duplicated_article_id_wins(tmp_path, monkeypatch, buffer):
    monkeypatch.setattr(rag.indexer, "EMBED_BUFFER", buffer)  # copies in separate batches, or in one
    lines = [{"id": "dup", "text": "Ferry crews in Tallport went on strike for higher pay on Monday."},
             {"id": "other", "text": "The Ostrava mill closed after 90 years of steel making on Friday."},
             {"id": "dup", "text": "The Kelvale harbor bridge opened on 3 May 2024 after six years of work."}]
    (tmp_path / "a.jsonl").write_text("\n".join(map(json.dumps, lines)))
    r = Rag(Settings(data_dir=tmp_path / "data"), embedder=HashEmbedder())
    r.index([tmp_path / "a.jsonl"])
    assert [c.text for c in r.store.chunks() if c.article_id == "dup"] == [lines[2]["text"]]


def test_a_report_counts_articles_and_chunks_separately(tmp_path):
    source = write_corpus(tmp_path / "src", 6)
    r = Rag(Settings(data_dir=tmp_path / "data"), embedder=HashEmbedder())
    first = r.index([source])
    count = r.store.count()
    path = source / "0002.txt"
    path.write_text(f"{path.read_text()}\n{paragraph(random.Random(1))}\n")
    second = r.index([source])
    assert (first.articles, first.new, first.updated, first.added) == (6, 6, 0, count)
    assert (second.articles, second.new, second.updated) == (6, 0, 1)
    assert second.added >= 1 and second.added + second.unchanged == r.store.count()


def test_reindexing_unchanged_files_neither_writes_nor_rebuilds_keyword_search(tmp_path, monkeypatch):
    source = write_corpus(tmp_path / "src", 4)
    r = Rag(Settings(data_dir=tmp_path / "data"), embedder=HashEmbedder())
    r.index([source])
    generation = r.store.generation()
    assert not generation.startswith(WRITING) and sorted(r.keyword.ids) == sorted(c.id for c in r.store.chunks())
    monkeypatch.setattr(r.store, "chunks", lambda: pytest.fail("no keyword rebuild when nothing changed"))
    assert r.index([source]).unchanged == len(r.keyword) and r.store.generation() == generation


def test_rebuild_with_a_mistyped_path_keeps_the_index(tmp_path):
    source = write_corpus(tmp_path / "src", 2)
    r = Rag(Settings(data_dir=tmp_path / "data"), embedder=HashEmbedder())
    r.index([source])
    count = r.store.count()
    with pytest.raises(IngestError, match="no such file"):
        r.index([source, tmp_path / "typo"], rebuild=True)
    assert r.store.count() == count > 0


# -- bounded memory ---------------------------------------------------------------------------------

def write_jsonl_gz(path: Path, n: int, tail_chars: int) -> int:
    """n articles of one short paragraph each, followed by a long site footer that cleaning
    drops: a lot of text to read, little to embed. Returns the characters written."""
    rng = random.Random(n)
    footer = "\n".join(f"Related articles: story number {i} of the day" for i in range(tail_chars // 40))
    total = 0
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for i in range(n):
            text = f"Report {i}\n\n{paragraph(rng)}\n\nRelated articles\n{footer}"
            fh.write(json.dumps({"id": f"{n}-{i}", "text": text}) + "\n")
            total += len(text)
    return total


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_peak_memory_does_not_grow_with_the_corpus(tmp_path):
    """Index N, then 3N articles (a .jsonl.gz each) in one process with the real model and real
    Chroma. Had the articles been held in memory, the second peak would exceed the first by at
    least the extra text (about 60 MiB); streamed, it grows by far less (what does grow is
    the index itself: Chroma's vectors and the keyword index of 80 more chunks)."""
    n = 40
    small_chars = write_jsonl_gz(tmp_path / "small.jsonl.gz", n, 800_000)
    large_chars = write_jsonl_gz(tmp_path / "large.jsonl.gz", 3 * n, 800_000)
    out = subprocess.run([sys.executable, str(WORKER), "memory", str(tmp_path / "data"),
                          str(tmp_path / "small.jsonl.gz"), str(tmp_path / "large.jsonl.gz")],
                         capture_output=True, text=True, timeout=800, check=True).stdout.split("\n")
    baseline = float(out[0].split()[1])
    small, large = (float(line.split()[1]) for line in out[1:3])
    extra_mib = (large_chars - small_chars) / 2**20
    print(f"\npeak RSS: {baseline:.0f} MiB with the model loaded, {small:.0f} after {n} articles, "
          f"{large:.0f} after {3 * n}; the larger corpus has {extra_mib:.0f} MiB more text; "
          f"{out[1]} / {out[2]}")
    assert large - small < extra_mib / 2
