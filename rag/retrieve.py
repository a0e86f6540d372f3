"""Hybrid retrieval: dense search in the vector store and BM25 keyword search, fused with
reciprocal rank fusion (RRF). Single-node Chroma has no hybrid search of its own.

`HybridRetriever` is a LangChain `BaseRetriever`, so it composes with LangChain chains
(`retriever.invoke("question")` returns Documents); the pipeline calls the typed
`search()` directly.
"""

from __future__ import annotations

import threading
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from rag.keyword import KeywordDoc, KeywordIndex
from rag.types import Chunk, Filters, Passage


def keyword_text(chunk: Chunk) -> str:
    """What both searches see of a chunk: its article's title gives every passage context."""
    return f"{chunk.title}\n{chunk.text}" if chunk.title else chunk.text


def rrf(rankings: list[list[str]], k: int, weights: list[float] | None = None) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: each list adds weight / (k + rank) to the ids it ranks."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: pair[1], reverse=True)


def sync_keyword(keyword: KeywordIndex, store: Any) -> None:
    """Bring the keyword index to the store's current generation: load it from disk if it
    was saved, otherwise rebuild it from the store's own chunks (the source of truth)."""
    generation = store.generation()
    if keyword.generation == generation:
        return
    if not keyword.load(generation):
        # A generator: the store is read page by page and no document is held twice.
        docs = (KeywordDoc(c.id, keyword_text(c), c.article_id, c.outlet, c.published) for c in store.chunks())
        keyword.build(docs, generation)


class HybridRetriever(BaseRetriever):
    """Dense + BM25, fused. `mode` selects "hybrid", "dense" or "keyword" for comparisons."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: Any
    keyword: KeywordIndex
    embedder: Any
    k: int = 5
    fetch_k: int = 40
    rrf_k: int = 60
    mode: str = "hybrid"
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def search(self, query: str, k: int | None = None, filters: Filters | None = None) -> list[Passage]:
        k = k or self.k
        dense = self._dense(query, filters) if self.mode != "keyword" else []
        sparse = self._sparse(query, filters) if self.mode != "dense" else []
        fused = rrf([[c.id for c, _ in dense], [cid for cid, _ in sparse]], self.rrf_k)[:k]
        chunks = {c.id: c for c, _ in dense}
        chunks.update(self.store.get([cid for cid, _ in fused if cid not in chunks]))
        return [Passage(chunks[cid], score) for cid, score in fused if cid in chunks]

    def _dense(self, query: str, filters: Filters | None) -> list[tuple[Chunk, float]]:
        vector = self.embedder.embed([query])[0]
        return self.store.search(vector, self.fetch_k, filters)

    def _sparse(self, query: str, filters: Filters | None) -> list[tuple[str, float]]:
        # The lock keeps a search from seeing a half-swapped index while another thread syncs.
        with self._lock:
            sync_keyword(self.keyword, self.store)
            return self.keyword.search(query, self.fetch_k, filters)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [
            Document(page_content=p.chunk.text, id=p.chunk.id, metadata={**p.chunk.__dict__, "score": p.score})
            for p in self.search(query)
        ]
