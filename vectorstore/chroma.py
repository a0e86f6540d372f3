"""ChromaDB behind the `VectorStore` protocol: the only module that talks to Chroma.

The collection describes itself in its metadata (embedding model, dimension, chunker
version) and a store opened with a different description refuses to mix vectors. It also
carries a *generation* token, changed before and after every write, that the keyword index
uses to know whether it is current (see `rag.keyword`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from rag.errors import IndexMismatchError, StoreError
from rag.types import ArticleInfo, Chunk, Filters

PAGE = 2000  # rows per read when scanning the whole collection


@dataclass(frozen=True)
class IndexSpec:
    """What the vectors in a collection mean; two specs must match to share a collection."""

    embed_model: str
    embed_dim: int
    chunker: str

    def as_metadata(self) -> dict[str, Any]:
        return {"embed_model": self.embed_model, "embed_dim": self.embed_dim, "chunker": self.chunker}


@contextmanager
def translate_errors(action: str) -> Iterator[None]:
    """Turn chromadb, HTTP and OS failures into StoreError with a next step for the user."""
    try:
        yield
    except (StoreError, IndexMismatchError):
        raise
    except Exception as err:  # chromadb raises many unrelated types; all mean the same to a user
        raise StoreError(
            f"The vector store failed while {action}: {err}. "
            "Check that RAG_DATA_DIR is writable or that the Chroma server in RAG_CHROMA_URL is running."
        ) from err


class ChromaStore:
    """One Chroma collection of chunks, opened through any chromadb client."""

    def __init__(self, client: Any, name: str, spec: IndexSpec) -> None:
        self.client, self.name, self.spec = client, name, spec
        with translate_errors("opening the collection"):
            self._collection = client.get_or_create_collection(
                name,
                metadata={**spec.as_metadata(), "generation": "empty"},
                configuration={"hnsw": {"space": "cosine"}},
            )
        self._check_spec(self._collection.metadata or {})

    def _check_spec(self, metadata: dict[str, Any]) -> None:
        stored = {k: metadata.get(k) for k in self.spec.as_metadata()}
        if stored != self.spec.as_metadata():
            raise IndexMismatchError(
                f"The index '{self.name}' was built with {stored}, but this configuration uses "
                f"{self.spec.as_metadata()}. Run `rag index --rebuild` to rebuild it, or set "
                "RAG_COLLECTION (or RAG_DATA_DIR) to use a separate index."
            )

    # -- generation -------------------------------------------------------------------------
    def generation(self) -> str:
        """The collection's current generation, read fresh (another process may have written)."""
        with translate_errors("reading the collection"):
            metadata = self.client.get_collection(self.name).metadata or {}
        return str(metadata.get("generation", ""))

    def bump_generation(self) -> str:
        new = uuid.uuid4().hex
        with translate_errors("updating the collection"):
            # Chroma replaces collection metadata wholesale, so the spec is written with it.
            self._collection.modify(metadata={**self.spec.as_metadata(), "generation": new})
        return new

    # -- writes -------------------------------------------------------------------------------
    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        with translate_errors("writing chunks"):
            step = max(1, min(PAGE, self.client.get_max_batch_size()))
            for i in range(0, len(chunks), step):
                part = chunks[i : i + step]
                self._collection.upsert(
                    ids=[c.id for c in part],
                    embeddings=vectors[i : i + step],
                    documents=[c.text for c in part],
                    metadatas=[_metadata(c) for c in part],
                )

    def delete(self, ids: Sequence[str]) -> None:
        with translate_errors("deleting chunks"):
            for i in range(0, len(ids), PAGE):
                self._collection.delete(ids=list(ids[i : i + PAGE]))

    def reset(self) -> None:
        """Drop the collection and create it empty with this store's spec."""
        with translate_errors("rebuilding the collection"):
            self.client.delete_collection(self.name)
            self._collection = self.client.get_or_create_collection(
                self.name,
                metadata={**self.spec.as_metadata(), "generation": "empty"},
                configuration={"hnsw": {"space": "cosine"}},
            )

    # -- reads --------------------------------------------------------------------------------
    def count(self) -> int:
        with translate_errors("counting chunks"):
            return int(self._collection.count())

    def ids_of(self, article_id: str) -> set[str]:
        with translate_errors("reading chunks"):
            found = self._collection.get(where={"article_id": article_id}, include=[])
        return set(found["ids"])

    def chunks(self) -> Iterator[Chunk]:
        """Every chunk in the collection, read page by page in bounded memory."""
        offset = 0
        while True:
            with translate_errors("reading chunks"):
                page = self._collection.get(include=["documents", "metadatas"], limit=PAGE, offset=offset)
            for cid, doc, meta in zip(page["ids"], page["documents"], page["metadatas"], strict=True):
                yield _chunk(cid, doc, meta)
            if len(page["ids"]) < PAGE:
                return
            offset += PAGE

    def get(self, ids: Sequence[str]) -> dict[str, Chunk]:
        if not ids:
            return {}
        with translate_errors("reading chunks"):
            page = self._collection.get(ids=list(ids), include=["documents", "metadatas"])
        return {
            cid: _chunk(cid, doc, meta)
            for cid, doc, meta in zip(page["ids"], page["documents"], page["metadatas"], strict=True)
        }

    def search(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[Chunk, float]]:
        """The `k` nearest chunks with their cosine similarity."""
        with translate_errors("searching"):
            result = self._collection.query(
                query_embeddings=[vector],
                n_results=k,
                where=where_clause(filters) if filters else None,
                include=["documents", "metadatas", "distances"],
            )
        rows = zip(result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0], strict=True)
        return [(_chunk(cid, doc, meta), 1.0 - float(dist)) for cid, doc, meta, dist in rows]

    def articles(self) -> list[ArticleInfo]:
        counts: dict[str, list[Any]] = {}
        for chunk in self.chunks():
            entry = counts.setdefault(chunk.article_id, [chunk, 0])
            entry[1] += 1
        return [
            ArticleInfo(aid, c.title, c.outlet, c.published, n) for aid, (c, n) in sorted(counts.items())
        ]


def where_clause(filters: Filters) -> dict[str, Any] | None:
    """Chroma's `where` for `filters`; dates compare as YYYYMMDD integers."""
    parts: list[dict[str, Any]] = []
    if filters.article_ids:
        parts.append({"article_id": {"$in": list(filters.article_ids)}})
    if filters.outlet:
        parts.append({"outlet_key": filters.outlet.lower()})
    if filters.date_from:
        parts.append({"published_day": {"$gte": int(filters.date_from.strftime("%Y%m%d"))}})
    if filters.date_to:
        parts.append({"published_day": {"$lte": int(filters.date_to.strftime("%Y%m%d"))}})
        parts.append({"published_day": {"$gt": 0}})
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _metadata(chunk: Chunk) -> dict[str, Any]:
    day = int(chunk.published.replace("-", "")) if chunk.published else 0
    return {
        "article_id": chunk.article_id,
        "start": chunk.start,
        "end": chunk.end,
        "title": chunk.title,
        "outlet": chunk.outlet,
        "outlet_key": chunk.outlet.lower(),
        "published": chunk.published,
        "published_day": day,
        "url": chunk.url,
    }


def _chunk(cid: str, text: str, meta: dict[str, Any]) -> Chunk:
    return Chunk(
        id=cid,
        article_id=str(meta["article_id"]),
        text=text,
        start=int(meta["start"]),
        end=int(meta["end"]),
        title=str(meta.get("title", "")),
        outlet=str(meta.get("outlet", "")),
        published=str(meta.get("published", "")),
        url=str(meta.get("url", "")),
    )
