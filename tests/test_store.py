import numpy as np
import pytest

from rag import IndexMismatchError
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
