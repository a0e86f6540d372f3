"""Everything that talks to ChromaDB. `open_store(settings, spec)` returns a `VectorStore`:
an embedded `PersistentClient` in `settings.chroma_dir`, or an `HttpClient` when
`settings.chroma_url` names a Chroma server."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

import numpy as np

from rag.errors import StoreError
from rag.types import ArticleInfo, Chunk, Filters
from vectorstore.chroma import ChromaStore, IndexSpec, translate_errors

if TYPE_CHECKING:
    from rag.settings import Settings

__all__ = ["ChromaStore", "IndexSpec", "VectorStore", "open_store"]


class VectorStore(Protocol):
    """What the pipeline needs from a vector store."""

    def generation(self) -> str: ...
    def bump_generation(self) -> str: ...
    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None: ...
    def delete(self, ids: Sequence[str]) -> None: ...
    def reset(self) -> None: ...
    def count(self) -> int: ...
    def ids_of(self, article_id: str) -> set[str]: ...
    def chunks(self) -> Iterator[Chunk]: ...
    def get(self, ids: Sequence[str]) -> dict[str, Chunk]: ...
    def search(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[Chunk, float]]: ...
    def articles(self) -> list[ArticleInfo]: ...


def open_store(settings: Settings, spec: IndexSpec) -> ChromaStore:
    return ChromaStore(make_client(settings), settings.collection, spec)


def make_client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if not settings.chroma_url:
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        with translate_errors(f"opening {settings.chroma_dir}"):
            return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    url = urlparse(settings.chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise StoreError(f"RAG_CHROMA_URL={settings.chroma_url!r} is not a URL; use e.g. http://127.0.0.1:8000")
    headers = {"x-chroma-token": settings.chroma_token} if settings.chroma_token else {}
    with translate_errors(f"connecting to the Chroma server at {settings.chroma_url}"):
        client = chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            headers=headers,
            tenant=settings.chroma_tenant,
            database=settings.chroma_database,
            settings=chroma_settings,
        )
        client.heartbeat()
    return client
