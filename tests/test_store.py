import shutil

import numpy as np
import pytest

import rag.keyword
from rag import IndexMismatchError
from rag.keyword import KeywordDoc, KeywordIndex
from rag.types import Chunk, Filters
from vectorstore import IndexSpec, open_store

SPEC = IndexSpec("model-a", 3, "chunker-1")


def _chunk(i: int, article: str, text: str, published: str = "") -> Chunk:
    return Chunk(id=f"c{i}", article_id=article, text=text, start=0, end=len(text), title="T",
                 outlet="Daily", published=published)


def test_upsert_search_delete_and_generation(store_settings):
    store = open_store(store_settings, SPEC)
    chunks = [_chunk(0, "a", "alpha", "2022-12-01"), _chunk(1, "b", "beta", "2023-02-01")]
    gen0 = store.generation()
    store.upsert(chunks, np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32))
    assert store.bump_generation() != gen0
    hits = store.search(np.array([0.9, 0.1, 0], dtype=np.float32), 2)
    assert [c.id for c, _ in hits] == ["c0", "c1"] and hits[0][1] > hits[1][1]
    since_2023 = Filters(date_from=__import__("datetime").date(2023, 1, 1))
    assert [c.id for c, _ in store.search(np.array([1, 0, 0], dtype=np.float32), 2, since_2023)] == ["c1"]
    store.delete(["c0"])
    assert store.count() == 1 and store.ids_of("a") == set()


def test_reopening_with_another_model_is_refused_with_advice(store_settings):
    open_store(store_settings, SPEC)
    with pytest.raises(IndexMismatchError, match="rag index --rebuild"):
        open_store(store_settings, IndexSpec("model-b", 384, "chunker-1"))


def test_keyword_index_saves_per_generation_and_filters(tmp_path):
    docs = [KeywordDoc("1", "Putin visited Minsk", "a", "Daily", ""),
            KeywordDoc("2", "Minsk hosted talks", "b", "Other", "")]
    index = KeywordIndex(tmp_path)
    index.build(docs, "gen1")
    again = KeywordIndex(tmp_path)
    assert again.load("gen1") and not again.load("gen0")
    assert {i for i, _ in again.search("Minsk", 5)} == {"1", "2"}
    assert [i for i, _ in again.search("Minsk", 5, Filters(outlet="other"))] == ["2"]
    assert again.search("nothing matches", 5) == []
    assert again.idf("putin") < again.idf("unseen")


def test_two_processes_saving_the_same_generation_do_not_collide(tmp_path, monkeypatch):
    """Processes sharing RAG_DATA_DIR may save one generation at once; the second rename must
    not fail the search that triggered it."""
    docs = [KeywordDoc("1", "Putin visited Minsk", "a", "Daily", "")]
    other, real_rmtree, landed = KeywordIndex(tmp_path), shutil.rmtree, []

    def rmtree_then_the_other_saves(path, *args, **kwargs):
        real_rmtree(path, *args, **kwargs)
        if path == tmp_path / "gen1" and not landed:
            landed.append(True)
            other.build(docs, "gen1")  # lands its copy between our delete and our rename

    monkeypatch.setattr(rag.keyword.shutil, "rmtree", rmtree_then_the_other_saves)
    KeywordIndex(tmp_path).build(docs, "gen1")
    assert landed and KeywordIndex(tmp_path).load("gen1")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
