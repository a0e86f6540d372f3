"""The test doubles in rag.testing keep the real contracts: the same store checks pass against
MemoryStore and real embedded Chroma, and a Rag built from doubles indexes, answers with
verified citations, filters and removes, with no model and no Chroma."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from rag import Filters, Rag, Settings
from rag.pipeline import default_corpus
from rag.testing import HashEmbedder, MemoryStore, ScriptedGenerator
from rag.types import Chunk
from vectorstore import Change, IndexSpec, VectorStore, open_store


def _chunk(i: int, article: str, published: str = "") -> Chunk:
    return Chunk(id=f"c{i}", article_id=article, text=f"text {i}", start=0, end=6, title="T", outlet="Daily",
                 published=published)


@pytest.fixture(params=["memory", "chroma"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> VectorStore:
    if request.param == "memory":
        return MemoryStore()
    return open_store(Settings(data_dir=tmp_path), IndexSpec("hash-embedder", 8, "chunker-1"))


def test_both_stores_keep_one_contract(store: VectorStore) -> None:
    chunks = [_chunk(0, "a", "2022-12-01"), _chunk(1, "a", "2023-02-01"), _chunk(2, "b")]
    vectors = HashEmbedder().embed([c.text for c in chunks])
    store.upsert(chunks, vectors)
    assert isinstance(store, VectorStore)
    assert store.count() == 3 and store.ids() == {"c0", "c1", "c2"}
    assert store.ids_by_article(["a", "x"]) == {"a": {"c0", "c1"}} and store.ids_of("b") == {"c2"}
    assert [cid for cid, _ in store.nearest(vectors[1], 1)] == ["c1"]
    assert {cid for cid, _ in store.nearest(vectors[1], 3, Filters(date_from=date(2023, 1, 1)))} == {"c1"}
    assert {cid for cid, _ in store.nearest(vectors[1], 3, Filters(as_of=date(2023, 1, 1)))} == {"c0", "c2"}
    assert [(a.id, a.chunks) for a in store.articles()] == [("a", 2), ("b", 1)]
    store.upsert([_chunk(3, "a")], HashEmbedder().embed(["new"]), retire=["c0", "c1"])
    assert store.ids_of("a") == {"c3"} and set(store.get(["c0", "c3"])) == {"c3"}
    store.delete_articles(["b"])
    assert sorted(c.id for c in store.chunks()) == ["c3"]


def test_both_feeds_keep_one_contract(store: VectorStore) -> None:
    epoch = store.epoch()
    store.log(Change("w", 1, ("c0",), ()))
    store.log(Change("w", 2, ("c1",), ("c0",)))
    store.log(Change("v", 1, ("c2",), ()))
    assert store.cursors() == {"w": 2, "v": 1}
    assert [(c.writer, c.seq) for c in store.changes({"w": 1})] == [("v", 1), ("w", 2)]
    assert store.changes({"w": 2, "v": 1}) == []
    assert store.generation() != store.bump_generation(writing=True)
    store.reset()
    assert store.epoch() != epoch and store.changes({}) == [] and store.count() == 0


def test_a_rag_of_doubles_indexes_answers_filters_and_removes(tmp_path: Path) -> None:
    scripted = ScriptedGenerator(["Landlocked Belarus is dependent on Russia for security and fuel [1].",
                                  "Nothing in the passages says this [1]."])
    r = Rag(Settings(data_dir=tmp_path), embedder=HashEmbedder(), store=MemoryStore(), generator=scripted)
    report = r.index([default_corpus()])
    assert report.articles == 5 and r.store.count() == report.added == len(r.keyword)
    res = r.answer("What is landlocked Belarus dependent on Russia for?", generator="scripted")
    assert res.citations and res.citations[0].verified and "Belarus" in res.citations[0].passage
    assert scripted.prompts[0].passages  # the generator was handed the retrieved passages
    only = r.articles()[0].id
    hits = r.retrieve("Belarus Russia", filters=Filters(article_ids=(only,)))
    assert hits and {p.chunk.article_id for p in hits} == {only}
    r.remove([only])
    assert only not in {a.id for a in r.articles()} and not r.keyword.ids_of([only])
    assert np.isclose(np.linalg.norm(r.embedder.embed(["x"])[0]), 1.0)


def test_printing_an_answer_shows_the_text_and_its_sources_not_every_passage(tmp_path: Path) -> None:
    """Issue 14, defect 11: print(answer(...)) dumped every retrieved passage."""
    r = Rag(Settings(data_dir=tmp_path), embedder=HashEmbedder(), store=MemoryStore(),
            generator=ScriptedGenerator(["Landlocked Belarus is dependent on Russia for security and fuel [1]."]))
    r.index([default_corpus()])
    res = r.answer("What is landlocked Belarus dependent on Russia for?", generator="scripted")
    printed = str(res).splitlines()
    assert printed[0] == res.text and printed[-1].startswith("[1] ") and "2022-12-27 (inferred)" in printed[-1]
    assert len(printed) == 3 and all(p.chunk.text not in str(res) for p in res.passages)
