"""ChromaDB behind the `VectorStore` protocol: the only module that talks to Chroma.

The collection describes itself in its metadata (embedding model, dimension, chunker
version) and a store opened with a different description refuses to mix vectors. It also
carries a *generation* token, changed before and after every write, that the keyword index
uses to know whether it is current (see `rag.keyword`). While a write is under way (or after
one was killed) the token starts with `WRITING`; a keyword index built for such a token is
never saved.

Every write is also recorded in a *change feed*, a second collection beside the chunks (see
`rag.sync`): which chunk ids a writer added and retired, numbered per writer. A process that
keeps its own keyword index (another machine, in server mode) applies the changes it has not
seen instead of re-reading the collection.

Replacing an article's chunks is atomic: one Chroma upsert (one SQLite transaction in the
embedded store) stores the new chunks and marks the stale ones `superseded`, and only then
are the stale ones deleted. Every read skips superseded chunks, so a process killed between
the two steps leaves the new version visible and the old one hidden until `purge_superseded`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rag.errors import IndexMismatchError, StoreError
from rag.types import ArticleInfo, Chunk, Filters

PAGE = 2000  # rows per read when scanning the whole collection
WRITING = "writing-"  # generation prefix while a write is under way or was interrupted
SUPERSEDED = "superseded"  # metadata flag of a stale chunk awaiting deletion; hidden from reads
FEED_SUFFIX = ".changes"  # the change feed of collection NAME is the collection NAME.changes


@dataclass(frozen=True)
class Change:
    """One write as the change feed records it: the `seq`-th change by `writer`."""

    writer: str
    seq: int
    added: tuple[str, ...]
    retired: tuple[str, ...]


@dataclass(frozen=True)
class IndexSpec:
    """What the vectors in a collection mean; two specs must match to share a collection."""

    embed_model: str
    embed_dim: int
    chunker: str

    def as_metadata(self) -> dict[str, Any]:
        return {"embed_model": self.embed_model, "embed_dim": self.embed_dim, "chunker": self.chunker}


def check_spec(name: str, spec: IndexSpec, metadata: dict[str, Any]) -> None:
    """Refuse a collection whose metadata describes another embedding model or chunker."""
    stored = {k: metadata.get(k) for k in spec.as_metadata()}
    if stored != spec.as_metadata():
        raise IndexMismatchError(
            f"The index '{name}' was built with {stored}, but this configuration uses "
            f"{spec.as_metadata()}. Run `rag index --rebuild` to rebuild it, or set "
            "RAG_COLLECTION (or RAG_DATA_DIR) to use a separate index."
        )


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
        self._open()
        check_spec(name, spec, self._collection.metadata or {})

    def _open(self) -> None:
        with translate_errors("opening the collection"):
            self._collection = self.client.get_or_create_collection(
                self.name,
                metadata={**self.spec.as_metadata(), "generation": "empty"},
                configuration={"hnsw": {"space": "cosine"}},
            )
            # Feed entries carry no meaning as vectors; Chroma stores a vector per row, so a 1-d zero.
            self._feed = self.client.get_or_create_collection(self.name + FEED_SUFFIX)

    # -- generation -------------------------------------------------------------------------
    def generation(self) -> str:
        """The collection's current generation, read fresh (another process may have written)."""
        with translate_errors("reading the collection"):
            metadata = self.client.get_collection(self.name).metadata or {}
        return str(metadata.get("generation", ""))

    def bump_generation(self, writing: bool = False) -> str:
        """A new generation token; `writing=True` marks the store as being written."""
        new = (WRITING if writing else "") + uuid.uuid4().hex
        with translate_errors("updating the collection"):
            # Chroma replaces collection metadata wholesale, so the spec is written with it.
            self._collection.modify(metadata={**self.spec.as_metadata(), "generation": new})
        return new

    # -- writes -------------------------------------------------------------------------------
    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray, retire: Sequence[str] = ()) -> None:
        """Store `chunks` and retire the ids in `retire` as one change: a single Chroma upsert
        writes the chunks and marks the retired ones superseded, then they are deleted. Atomic
        while chunks + retired fit in one Chroma batch (`get_max_batch_size()`, 5,461 rows in
        the embedded store); a larger write is split into several upserts."""
        with translate_errors("writing chunks"):
            rows = _rows(chunks, vectors) + self._superseded_rows(retire)
            step = max(1, self.client.get_max_batch_size())
            for i in range(0, len(rows.ids), step):
                self._collection.upsert(**rows.part(i, i + step))
        self.delete(retire)

    def _superseded_rows(self, ids: Sequence[str]) -> _Rows:
        """The stored rows of `ids`, flagged superseded (Chroma needs their vectors to upsert)."""
        if not ids:
            return _Rows()
        found = self._collection.get(ids=list(ids), include=["embeddings", "documents", "metadatas"])
        metas = [{**m, SUPERSEDED: True} for m in found["metadatas"]]
        return _Rows(list(found["ids"]), list(found["embeddings"]), list(found["documents"]), metas)

    def delete(self, ids: Sequence[str]) -> None:
        with translate_errors("deleting chunks"):
            step = max(1, self.client.get_max_batch_size())
            for i in range(0, len(ids), step):
                self._collection.delete(ids=list(ids[i : i + step]))

    def delete_articles(self, article_ids: Sequence[str]) -> None:
        """Delete every chunk of these articles; each call to Chroma removes whole articles."""
        with translate_errors("deleting articles"):
            for i in range(0, len(article_ids), PAGE):
                self._collection.delete(where={"article_id": {"$in": list(article_ids[i : i + PAGE])}})

    def purge_superseded(self) -> list[str]:
        """Delete chunks left superseded by a write that was killed before its delete; their ids."""
        with translate_errors("deleting superseded chunks"):
            ids = list(self._collection.get(where={SUPERSEDED: True}, include=[])["ids"])
        self.delete(ids)
        return ids

    def reset(self) -> None:
        """Drop the collection and its change feed, and create them empty with this store's spec
        (a new epoch: every keyword index following the old one starts over)."""
        with translate_errors("rebuilding the collection"):
            for name in (self.name, self.name + FEED_SUFFIX):
                try:
                    self.client.delete_collection(name)
                except Exception as err:  # a feed that was never made (an index older than feeds)
                    if type(err).__name__ != "NotFoundError":
                        raise
        self._open()

    # -- the change feed --------------------------------------------------------------------------
    def epoch(self) -> str:
        """The collection's identity: a rebuilt collection (`reset`, by any process) has a new one."""
        with translate_errors("reading the collection"):
            return str(self.client.get_collection(self.name).id)

    def log(self, change: Change) -> None:
        """Record `change` in the feed. Called after the chunks are written, so a reader that
        sees the change finds them."""
        document = json.dumps({"added": change.added, "retired": change.retired})
        with translate_errors("recording the change"):
            self._feed.upsert(ids=[f"{change.writer}:{change.seq:012d}"], embeddings=[[0.0]], documents=[document],
                              metadatas=[{"writer": change.writer, "seq": change.seq}])

    def changes(self, cursors: dict[str, int]) -> list[Change]:
        """Every change not covered by `cursors` (writer -> last seq seen), in each writer's order."""
        known = [{"$and": [{"writer": w}, {"seq": {"$gt": seq}}]} for w, seq in cursors.items()]
        unknown = [{"writer": {"$nin": list(cursors)}}] if cursors else []
        where = None if not cursors else {"$or": known + unknown}
        found = self._read_feed(where, ["metadatas", "documents"])
        return sorted((_change(meta, doc) for meta, doc in found), key=lambda c: (c.writer, c.seq))

    def cursors(self) -> dict[str, int]:
        """The last seq of each writer in the feed: where a reader that starts now begins."""
        last: dict[str, int] = {}
        for meta, _ in self._read_feed(None, ["metadatas"]):
            last[str(meta["writer"])] = max(int(meta["seq"]), last.get(str(meta["writer"]), 0))
        return last

    def _read_feed(self, where: dict[str, Any] | None, include: list[str]) -> Iterator[tuple[Any, Any]]:
        offset = 0
        while True:
            with translate_errors("reading the change feed"):
                page = self._feed.get(where=where, include=include, limit=PAGE, offset=offset)
            docs = page["documents"] if "documents" in include else [None] * len(page["ids"])
            yield from zip(page["metadatas"], docs, strict=True)
            if len(page["ids"]) < PAGE:
                return
            offset += PAGE

    # -- reads --------------------------------------------------------------------------------
    def count(self) -> int:
        """Visible chunks (superseded ones awaiting deletion are not counted)."""
        with translate_errors("counting chunks"):
            hidden = self._collection.get(where={SUPERSEDED: True}, include=[])["ids"]
            return int(self._collection.count()) - len(hidden)

    def ids(self) -> set[str]:
        """Every visible chunk id. Read in one call without metadata: paging with offsets costs
        Chroma more with each page (15 s at 80,000 passages, against 1 s for this)."""
        with translate_errors("reading chunk ids"):
            every = self._collection.get(include=[])["ids"]
            hidden = self._collection.get(where={SUPERSEDED: True}, include=[])["ids"]
        return set(every) - set(hidden)

    def ids_of(self, article_id: str) -> set[str]:
        return self.ids_by_article([article_id]).get(article_id, set())

    def ids_by_article(self, article_ids: Sequence[str]) -> dict[str, set[str]]:
        """The visible chunk ids of each of `article_ids` that is indexed, from metadata only."""
        found: dict[str, set[str]] = {}
        for i in range(0, len(article_ids), PAGE):
            where = {"article_id": {"$in": list(article_ids[i : i + PAGE])}}
            for cid, meta in self._scan(["metadatas"], where):
                found.setdefault(str(meta["article_id"]), set()).add(cid)
        return found

    def chunks(self) -> Iterator[Chunk]:
        """Every visible chunk in the collection, read page by page in bounded memory."""
        for cid, meta, doc in self._scan(["metadatas", "documents"]):
            yield _chunk(cid, doc, meta)

    def _scan(self, include: list[str], where: dict[str, Any] | None = None) -> Iterator[tuple[Any, ...]]:
        """(id, metadata, [document]) of every visible row matching `where`, PAGE rows per read.
        The matching ids are read first, in one call, and the rows then by id: paging with
        offsets costs Chroma more with each page (17 s for 80,000 passages, against 8 s)."""
        with translate_errors("reading chunks"):
            ids = self._collection.get(where=where, include=[])["ids"]
        for begin in range(0, len(ids), PAGE):
            with translate_errors("reading chunks"):
                page = self._collection.get(ids=ids[begin : begin + PAGE], include=include)
            columns = [page["ids"], *(page[name] for name in include)]
            yield from (row for row in zip(*columns, strict=True) if not row[1].get(SUPERSEDED))

    def get(self, ids: Sequence[str]) -> dict[str, Chunk]:
        if not ids:
            return {}
        with translate_errors("reading chunks"):
            page = self._collection.get(ids=list(ids), include=["documents", "metadatas"])
        return {
            cid: _chunk(cid, doc, meta)
            for cid, doc, meta in zip(page["ids"], page["documents"], page["metadatas"], strict=True)
            if not meta.get(SUPERSEDED)
        }

    def search(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[Chunk, float]]:
        """The `k` nearest visible chunks with their cosine similarity."""
        n = k
        while True:
            rows = self._query(vector, n, filters)
            visible = [(_chunk(cid, doc, m), 1.0 - dist) for cid, doc, m, dist in rows if not m.get(SUPERSEDED)]
            # Superseded rows exist only after a killed write; then look further for k visible ones.
            if len(visible) >= k or len(rows) < n:
                return visible[:k]
            n *= 2

    def nearest(self, vector: np.ndarray, n: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the `n` nearest chunks, superseded ones included:
        ids and distances only. Reading each result's metadata costs Chroma about 0.08 ms a
        result (20 ms for 240), the ids alone 3 ms; the caller knows the ids' articles and
        dates from the keyword index, which holds only visible chunks."""
        with translate_errors("searching"):
            result = self._collection.query(query_embeddings=[vector], n_results=n,
                                            where=where_clause(filters) if filters else None, include=["distances"])
        return [(cid, 1.0 - float(dist)) for cid, dist in zip(result["ids"][0], result["distances"][0], strict=True)]

    def _query(self, vector: np.ndarray, n: int, filters: Filters | None) -> list[tuple[str, str, Any, float]]:
        with translate_errors("searching"):
            result = self._collection.query(
                query_embeddings=[vector],
                n_results=n,
                where=where_clause(filters) if filters else None,
                include=["documents", "metadatas", "distances"],
            )
        return list(zip(result["ids"][0], result["documents"][0], result["metadatas"][0],
                        map(float, result["distances"][0]), strict=True))

    def articles(self) -> list[ArticleInfo]:
        """Each indexed article with its chunk count, from a metadata-only scan."""
        counts: dict[str, list[Any]] = {}
        for cid, meta in self._scan(["metadatas"]):
            entry = counts.setdefault(str(meta["article_id"]), [_chunk(cid, "", meta), 0])
            entry[1] += 1
        return [
            ArticleInfo(aid, c.title, c.outlet, c.published, n, c.date_inferred) for aid, (c, n) in sorted(counts.items())
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
    if filters.as_of:  # undated (day 0) passages stay
        parts.append({"published_day": {"$lte": int(filters.as_of.strftime("%Y%m%d"))}})
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _change(meta: dict[str, Any], document: str) -> Change:
    body = json.loads(document)
    return Change(str(meta["writer"]), int(meta["seq"]), tuple(body["added"]), tuple(body["retired"]))


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
        "date_inferred": chunk.date_inferred,
        "url": chunk.url,
        SUPERSEDED: False,  # upsert merges metadata: a rewritten chunk must clear an old flag
    }


@dataclass
class _Rows:
    """Columns of one Chroma upsert."""

    ids: list[str] = field(default_factory=list)
    embeddings: list[Any] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    metadatas: list[dict[str, Any]] = field(default_factory=list)

    def __add__(self, other: _Rows) -> _Rows:
        return _Rows(self.ids + other.ids, self.embeddings + other.embeddings,
                     self.documents + other.documents, self.metadatas + other.metadatas)

    def part(self, start: int, stop: int) -> dict[str, Any]:
        return {"ids": self.ids[start:stop], "embeddings": np.asarray(self.embeddings[start:stop], dtype=np.float32),
                "documents": self.documents[start:stop], "metadatas": self.metadatas[start:stop]}


def _rows(chunks: Sequence[Chunk], vectors: np.ndarray) -> _Rows:
    return _Rows([c.id for c in chunks], list(vectors), [c.text for c in chunks], [_metadata(c) for c in chunks])


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
        date_inferred=bool(meta.get("date_inferred", False)),
    )
