"""Test doubles shipped with the package, the way httpx ships `MockTransport`: build a `Rag`
that runs without a model, without Chroma and without a language model, for unit tests of
your own code around newsrag (and of ours).

    from rag import Rag, Settings
    from rag.testing import HashEmbedder, MemoryStore, ScriptedGenerator

    rag = Rag(Settings(data_dir=tmp), embedder=HashEmbedder(), store=MemoryStore(),
              generator=ScriptedGenerator(["Putin visited Minsk [1]."]))

They keep the real contracts: `MemoryStore` is a whole `VectorStore` (cosine search, filters,
superseded chunks hidden from reads, the change feed), `HashEmbedder` gives the same unit
vector for the same text, and `ScriptedGenerator` writes the texts it was given, one per call,
recording each prompt. Vectors from `HashEmbedder` carry no meaning: retrieval quality comes
from the keyword side only.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Sequence

import numpy as np

from rag.types import ArticleInfo, Chunk, Filters, Prompt
from vectorstore.chroma import WRITING, Change


class HashEmbedder:
    """Deterministic unit vectors from a hash of the text: same text, same vector."""

    name, dim = "hash-embedder", 8

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[: self.dim], dtype=np.uint8) for t in texts]
        vectors = np.array(rows, dtype=np.float32).reshape(len(texts), self.dim) + 1
        return np.asarray(vectors / np.linalg.norm(vectors, axis=1, keepdims=True), dtype=np.float32)


class ScriptedGenerator:
    """Writes `texts[0]` for the first prompt, `texts[1]` for the next, ... (the last one again
    when they run out), and records every prompt in `prompts`."""

    def __init__(self, texts: Sequence[str], name: str = "scripted") -> None:
        self.texts, self.name = list(texts) or [""], name
        self.prompts: list[Prompt] = []

    def stream(self, prompt: Prompt) -> Iterator[str]:
        self.prompts.append(prompt)
        yield self.texts[min(len(self.prompts), len(self.texts)) - 1]


class MemoryStore:
    """A `VectorStore` in a dict: cosine similarity by numpy, metadata filters as in Chroma."""

    def __init__(self) -> None:
        self.reset()

    # -- writes and the generation ---------------------------------------------------------------
    def reset(self) -> None:
        self._rows: dict[str, tuple[Chunk, np.ndarray, bool]] = {}  # id -> (chunk, vector, superseded)
        self._feed: list[Change] = []
        self._generation, self._epoch = "empty", uuid.uuid4().hex

    def generation(self) -> str:
        return self._generation

    def bump_generation(self, writing: bool = False) -> str:
        self._generation = (WRITING if writing else "") + uuid.uuid4().hex
        return self._generation

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray, retire: Sequence[str] = ()) -> None:
        for chunk, vector in zip(chunks, vectors, strict=True):
            self._rows[chunk.id] = (chunk, np.asarray(vector, dtype=np.float32), False)
        for cid in retire:
            if cid in self._rows:
                chunk, vector, _ = self._rows[cid]
                self._rows[cid] = (chunk, vector, True)
        self.delete(retire)

    def delete(self, ids: Sequence[str]) -> None:
        for cid in ids:
            self._rows.pop(cid, None)

    def delete_articles(self, article_ids: Sequence[str]) -> None:
        self.delete([cid for cid, (c, _, _) in self._rows.items() if c.article_id in set(article_ids)])

    def purge_superseded(self) -> list[str]:
        hidden = [cid for cid, (_, _, superseded) in self._rows.items() if superseded]
        self.delete(hidden)
        return hidden

    # -- the change feed -------------------------------------------------------------------------
    def epoch(self) -> str:
        return self._epoch

    def log(self, change: Change) -> None:
        self._feed.append(change)

    def changes(self, cursors: dict[str, int]) -> list[Change]:
        fresh = [c for c in self._feed if c.seq > cursors.get(c.writer, 0)]
        return sorted(fresh, key=lambda c: (c.writer, c.seq))  # each writer's changes in order, as Chroma's

    def cursors(self) -> dict[str, int]:
        return {c.writer: c.seq for c in self._feed}

    # -- reads -----------------------------------------------------------------------------------
    def _visible(self, filters: Filters | None = None) -> Iterator[tuple[Chunk, np.ndarray]]:
        for chunk, vector, superseded in list(self._rows.values()):
            if not superseded and _allowed(chunk, filters):
                yield chunk, vector

    def count(self) -> int:
        return sum(1 for _ in self._visible())

    def ids(self) -> set[str]:
        return {c.id for c, _ in self._visible()}

    def ids_of(self, article_id: str) -> set[str]:
        return self.ids_by_article([article_id]).get(article_id, set())

    def ids_by_article(self, article_ids: Sequence[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for chunk, _ in self._visible(Filters(article_ids=tuple(article_ids))):
            found.setdefault(chunk.article_id, set()).add(chunk.id)
        return found

    def chunks(self) -> Iterator[Chunk]:
        return (c for c, _ in self._visible())

    def get(self, ids: Sequence[str]) -> dict[str, Chunk]:
        return {cid: self._rows[cid][0] for cid in ids if cid in self._rows and not self._rows[cid][2]}

    def nearest(self, vector: np.ndarray, n: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        scored = [(c.id, float(np.dot(vector, v))) for c, v in self._visible(filters)]
        return sorted(scored, key=lambda pair: pair[1], reverse=True)[:n]

    def search(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[Chunk, float]]:
        return [(self._rows[cid][0], score) for cid, score in self.nearest(vector, k, filters)]

    def articles(self) -> list[ArticleInfo]:
        first: dict[str, Chunk] = {}
        counts: dict[str, int] = {}
        for chunk, _ in self._visible():
            first.setdefault(chunk.article_id, chunk)
            counts[chunk.article_id] = counts.get(chunk.article_id, 0) + 1
        return [ArticleInfo(a, c.title, c.outlet, c.published, counts[a], c.date_inferred)
                for a, c in sorted(first.items())]


def _allowed(chunk: Chunk, filters: Filters | None) -> bool:
    """Chroma's `where_clause` semantics: dates bound known dates; `as_of` keeps undated ones."""
    if filters is None:
        return True
    day = chunk.published
    checks = [
        not filters.article_ids or chunk.article_id in filters.article_ids,
        not filters.outlet or chunk.outlet.lower() == filters.outlet.lower(),
        not filters.date_from or (bool(day) and day >= filters.date_from.isoformat()),
        not filters.date_to or (bool(day) and day <= filters.date_to.isoformat()),
        not filters.as_of or not day or day <= filters.as_of.isoformat(),
    ]
    return all(checks)
