"""Everything that talks to ChromaDB. `open_store(settings, spec)` returns a `VectorStore`:
an embedded `PersistentClient` in `settings.chroma_dir`, or an `HttpClient` when
`settings.chroma_url` names a Chroma server."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import ParseResult, urlparse

import numpy as np

from rag.errors import StoreError
from rag.types import ArticleInfo, Chunk, Filters
from vectorstore.chroma import Change, ChromaStore, IndexSpec, check_spec, translate_errors

if TYPE_CHECKING:
    from rag.settings import Settings

__all__ = ["Change", "ChangeFeed", "ChromaStore", "ChunkReader", "IndexSpec", "VectorStore", "inspect_store", "make_client", "open_store", "server_advice",
           "server_url"]


@runtime_checkable
class ChunkReader(Protocol):
    """What answering a question reads: nearest ids, the chunks themselves, and the generation
    token that says whether anything changed."""

    def generation(self) -> str: ...
    def nearest(self, vector: np.ndarray, n: int, filters: Filters | None = None) -> list[tuple[str, float]]: ...
    def get(self, ids: Sequence[str]) -> dict[str, Chunk]: ...
    def search(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[Chunk, float]]: ...


@runtime_checkable
class ChangeFeed(Protocol):
    """The store's record of writes, which keyword indexes follow (rag.sync)."""

    def epoch(self) -> str: ...
    def log(self, change: Change) -> None: ...
    def changes(self, cursors: dict[str, int]) -> list[Change]: ...
    def cursors(self) -> dict[str, int]: ...


@runtime_checkable
class VectorStore(ChunkReader, ChangeFeed, Protocol):
    """Everything the pipeline needs: reading, the change feed, listing, and writing. Two
    implementations: `ChromaStore` (embedded or server) and `rag.testing.MemoryStore`."""

    def bump_generation(self, writing: bool = False) -> str: ...
    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray, retire: Sequence[str] = ()) -> None: ...
    def delete(self, ids: Sequence[str]) -> None: ...
    def delete_articles(self, article_ids: Sequence[str]) -> None: ...
    def purge_superseded(self) -> list[str]: ...
    def reset(self) -> None: ...
    def count(self) -> int: ...
    def ids(self) -> set[str]: ...
    def ids_of(self, article_id: str) -> set[str]: ...
    def ids_by_article(self, article_ids: Sequence[str]) -> dict[str, set[str]]: ...
    def chunks(self) -> Iterator[Chunk]: ...
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
    url = server_url(settings)
    # Chroma's own convention (Chroma Cloud, and what an auth proxy in front of `chroma run` checks);
    # the open-source server itself does not authenticate.
    headers = {"x-chroma-token": settings.chroma_token} if settings.chroma_token else {}
    try:
        # The constructor already asks the server for the tenant and the database.
        client = chromadb.HttpClient(
            host=url.hostname or "", port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https", headers=headers,
            tenant=settings.chroma_tenant, database=settings.chroma_database, settings=chroma_settings,
        )
        client.heartbeat()
    except Exception as err:  # chromadb raises ValueError, its own errors or bare Exception(body)
        raise StoreError(server_advice(settings, err)) from err
    return client


def server_url(settings: Settings) -> ParseResult:
    url = urlparse(settings.chroma_url or "")
    if url.scheme not in ("http", "https") or not url.hostname:
        raise StoreError(f"RAG_CHROMA_URL={settings.chroma_url!r} is not a URL; use e.g. http://127.0.0.1:8000")
    return url


AUTH_FAILURE = re.compile(r"\b(401|403)\b|unauthori[sz]ed|forbidden|permission", re.IGNORECASE)
UNREACHABLE = re.compile(r"could not connect|connect(ion)?error|refused|timeout|timed out|resolve|not known", re.IGNORECASE)


def server_advice(settings: Settings, err: Exception) -> str:
    """What went wrong talking to the Chroma server, and what to change."""
    where, text, kind = f"The Chroma server at {settings.chroma_url}", str(err), type(err).__name__
    if kind == "NotFoundError" and text.startswith("Tenant"):
        return (f"{where} has no tenant {settings.chroma_tenant!r}. Set RAG_CHROMA_TENANT to an existing "
                "tenant, or create it: chromadb.AdminClient(...).create_tenant(NAME).")
    if kind == "NotFoundError" and text.startswith("Database"):
        return (f"{where} has no database {settings.chroma_database!r} in tenant {settings.chroma_tenant!r}. "
                "Set RAG_CHROMA_DATABASE to an existing one, or create it: "
                "chromadb.AdminClient(...).create_database(NAME, TENANT).")
    if kind in ("AuthorizationError", "ChromaAuthError") or AUTH_FAILURE.search(text):
        token = "was refused" if settings.chroma_token else "is not set"
        return (f"{where} refused access ({text[:200]}); RAG_CHROMA_TOKEN {token}. "
                "Set RAG_CHROMA_TOKEN to a token it accepts (sent as the x-chroma-token header).")
    if UNREACHABLE.search(f"{kind} {text}"):
        return (f"Cannot reach the Chroma server at {settings.chroma_url} ({text[:200]}). Start it "
                "(`chroma run --path DIR --host 127.0.0.1 --port 8000`) or fix RAG_CHROMA_URL.")
    return f"{where} refused the connection ({text[:200]}). Check RAG_CHROMA_TENANT and RAG_CHROMA_DATABASE."


def inspect_store(settings: Settings, spec: IndexSpec) -> str:
    """Describe the configured store without creating anything in it: where it is, and whether
    the collection exists and matches `spec`. Raises StoreError or IndexMismatchError."""
    client = make_client(settings)
    where = (f"Chroma server {settings.chroma_url} (tenant {settings.chroma_tenant}, database "
             f"{settings.chroma_database})" if settings.chroma_url else f"embedded Chroma in {settings.chroma_dir}")
    try:
        collection = client.get_collection(settings.collection)
    except Exception as err:  # NotFoundError is the expected answer for a store never indexed
        if type(err).__name__ != "NotFoundError":
            raise StoreError(server_advice(settings, err) if settings.chroma_url else str(err)) from err
        return f"{where}: collection {settings.collection!r} not created yet (made on first index)"
    check_spec(settings.collection, spec, collection.metadata or {})
    with translate_errors("counting chunks"):
        count = collection.count()
    return f"{where}: collection {settings.collection!r}, {count} chunks, built with {spec.embed_model}"
