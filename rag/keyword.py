"""BM25 keyword search on tantivy, updated in place and kept on disk beside the vector store.

Why tantivy (the Rust engine behind Quickwit and LanceDB's full-text search): it updates
incrementally and durably (each commit is atomic; a killed process leaves the last commit),
and answers the top 120 of an OR query over 80,000 passages in about 1 ms. Measured on
RealTimeQA's full pool (docs/benchmarks.md, session 6): the bm25s index this replaces took
6 ms a query but had to be rebuilt from every document after each write (42 s at 80,000
passages); SQLite FTS5 updates in place but took 32 ms a query after `optimize`.

Passages are indexed as our own stemmed terms (`rag.text.terms`, joined by spaces, split on
whitespace by tantivy) so keyword search, the extractive generator and citation checks agree
on what a word is. BM25 is Lucene's, the same formula bm25s used.

The index follows the store through `SyncState`, committed with the passages it describes
(a document of its own): which store it mirrors (`epoch`) and, per writer, the last change
from the store's change feed already applied (`cursors`); see `rag.sync`. Several processes
may share the folder: writes take an exclusive file lock, and readers reload after a commit.

Beside the passages, a second tantivy index holds one document per article (its title once and
all its passages) for article-level BM25: a news question's words are spread over an article's
paragraphs, and on RealTimeQA's full pool whole-article BM25 ranked the right article better
than any single passage did (docs/benchmarks.md, session 9). It is a separate index because
tantivy's BM25 statistics (document count, average length) are per index, not per field. It is
derived from the passage index: each passage commit carries a commit id that the article index
records when it catches up; a mismatch (a process killed between the two commits) rebuilds it
from the passages' stored terms at the next write or sync.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import json
import math
import shutil
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import tantivy

from rag.text import acronyms, is_digest, terms
from rag.types import Filters

# Bump when the schema, what `_document` stores, `rag.text.terms`, `rag.text.acronyms` or `rag.text.is_digest`
# changes: an index in another format is rebuilt
FORMAT = "tantivy-7"  # 6: typographic apostrophes made plain ("shouldn’t" is a stopword); 7: the lead flag
STATE_ID = "\x00state"  # the id of the document holding the SyncState; no chunk id starts with NUL
WRITER_HEAP = 50_000_000  # bytes tantivy buffers before flushing a segment (its minimum is 15 MB)


@dataclass(frozen=True)
class KeywordDoc:
    id: str
    text: str  # the passage; keyword search matches the title and the passage
    article_id: str
    outlet: str
    published: str
    title: str = ""
    start: int = 0  # where the passage starts in its article's text


# A passage starting this near its article's beginning is its lead: in news, the gist of the story
LEAD_CHARS = 300


class About(NamedTuple):
    """What ranking needs to know of a passage beyond its scores."""

    article: str
    published: str  # ISO date, or "" unknown
    digest: bool = False  # its article is a digest of many stories (`rag.text.is_digest`)
    lead: bool = False  # the passage opens its article (LEAD_CHARS)


@dataclass(frozen=True)
class SyncState:
    """Which store the index mirrors, and how far into its change feed it is."""

    epoch: str = ""  # the store's identity; another one (a rebuilt store) means start over
    cursors: dict[str, int] = field(default_factory=dict)  # writer -> last change applied

    def advanced(self, writer: str, seq: int) -> SyncState:
        return SyncState(self.epoch, {**self.cursors, writer: max(seq, self.cursors.get(writer, 0))})


def _schema(passages: bool) -> tantivy.Schema:
    """A passage index's schema, or (`passages` False) the article index's, whose `id` is the
    article's. A passage stores its title's and its own terms: the article index is built
    from them."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("article", stored=True, tokenizer_name="raw")
    builder.add_text_field("outlet", stored=True, tokenizer_name="raw")
    builder.add_integer_field("day", stored=True, indexed=True, fast=True)  # YYYYMMDD; 0 unknown
    builder.add_text_field("body", tokenizer_name="whitespace", index_option="freq")
    builder.add_bytes_field("state", stored=True)
    if passages:
        builder.add_integer_field("digest", stored=True)  # 1: the article is a digest of many stories
        builder.add_integer_field("lead", stored=True)  # 1: the passage opens its article
        builder.add_bytes_field("title_terms", stored=True)
        builder.add_bytes_field("passage_terms", stored=True)
    return builder.build()


SCHEMA = _schema(passages=True)
ARTICLE_SCHEMA = _schema(passages=False)


@cache
def _limit_malloc_arenas() -> None:
    """Each tantivy writer runs on new threads, and glibc gives new threads new malloc arenas
    that it keeps: a long-lived process (the UI) grew by about 3.5 MB a commit, 213 MB over 60
    one-article commits, without end. With at most two arenas (the MALLOC_ARENA_MAX=2 many
    Python services set) it levels off after ten commits (docs/benchmarks.md, session 6);
    onnxruntime and Chroma allocate from their own pools. Not glibc: nothing to do."""
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is not None and hasattr(libc, "mallopt"):
        libc.mallopt(-8, 2)  # M_ARENA_MAX


class KeywordIndex:
    """The keyword index of one collection, in `folder`."""

    def __init__(self, folder: Path) -> None:
        _limit_malloc_arenas()
        self.folder = folder
        # Within a process: one writer at a time (a question's sync and an upload may overlap);
        # across processes sharing the folder: the file lock. Reentrant for sync's read-apply.
        self._thread_lock = threading.RLock()
        self._depth = 0
        with self._file_lock():  # another process may be creating or replacing the folder
            self._index = _open(folder, SCHEMA)
            self._articles = _open(folder.with_name(folder.name + ".articles"), ARTICLE_SCHEMA)
            self._searcher, self._article_searcher = self._index.searcher(), self._articles.searcher()
            self._catch_up_articles()

    # -- reads (each uses one searcher: one consistent commit, even while a write lands) ----------

    def __len__(self) -> int:
        return self._count(self._searcher)

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the best `k` chunks that share a term with `query`."""
        return _search(self._searcher, SCHEMA, query, k, filters)

    def search_articles(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """(article id, BM25 score of the whole article) of the best `k` articles sharing a term
        with `query`."""
        return _search(self._article_searcher, ARTICLE_SCHEMA, query, k, filters)

    @property
    def articles(self) -> int:
        """How many articles the index holds."""
        return self._count(self._article_searcher)

    def about(self, ids: Sequence[str]) -> dict[str, About]:
        """Article, publication date, digest and lead flags of each chunk id the index holds. On every
        retrieval, for about 600 ids: one search for exactly that many hits (not a count first),
        five fields kept of each document."""
        searcher = self._searcher
        hits = searcher.search(tantivy.Query.term_set_query(SCHEMA, "id", list(ids)), max(len(ids), 1)).hits
        found = {}
        for _, address in hits:
            doc = searcher.doc(address)
            found[str(doc.get_first("id"))] = About(str(doc.get_first("article")), _iso(int(doc.get_first("day") or 0)),
                                                    bool(doc.get_first("digest")), bool(doc.get_first("lead")))
        return found

    def ids_of(self, article_ids: Sequence[str]) -> set[str]:
        """The chunk ids the index holds for these articles."""
        return {doc["id"][0] for doc in self._docs(tantivy.Query.term_set_query(SCHEMA, "article", list(article_ids)))}

    @property
    def ids(self) -> list[str]:
        """Every chunk id in the index (reads them all: for checks and repairs)."""
        return [doc["id"][0] for doc in self._docs(tantivy.Query.all_query()) if doc["id"][0] != STATE_ID]

    def undated(self) -> int:
        """How many indexed articles have no known publication date."""
        query = tantivy.Query.range_query(SCHEMA, "day", tantivy.FieldType.Integer, 0, 0)
        return len({doc["article"][0] for doc in self._docs(query)})

    def knows(self, term: str) -> bool:
        """Whether any indexed passage contains the stemmed term."""
        return self._searcher.doc_freq("body", term) > 0

    def resembles(self, term: str) -> bool:
        """Whether an indexed passage has a term within a typo of the stemmed `term`: "Minks",
        "Lukashneko", "Tikhanovskaya" for "Tsikhanouskaya". No edit for three letters or fewer
        (one edit turns "xi" into "i"), one up to seven, two beyond."""
        if len(term) <= 3:
            return self.knows(term)
        query = tantivy.Query.fuzzy_term_query(SCHEMA, "body", term, distance=1 if len(term) <= 7 else 2)
        return bool(self._searcher.search(query, 1).hits)

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of a stemmed term; unseen terms get the largest."""
        searcher = self._searcher
        n, df = max(self._count(searcher), 1), searcher.doc_freq("body", term)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    @property
    def state(self) -> SyncState:
        docs = self._docs(tantivy.Query.term_query(SCHEMA, "id", STATE_ID))
        if not docs:
            return SyncState()
        saved = json.loads(bytes(docs[0]["state"][0]))
        return SyncState(saved["epoch"], saved["cursors"]) if saved.get("format") == FORMAT else SyncState()

    # -- writes -----------------------------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive use for a read-then-write (sync), across threads and processes; inside,
        the index shows the latest commit of any process."""
        with self._thread_lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            with self._file_lock():
                self._depth = 1
                try:
                    self.refresh()
                    self._catch_up_articles()
                    yield
                finally:
                    self._depth = 0

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        with open(self.folder.with_name(self.folder.name + ".lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, or the process dies
            yield

    def refresh(self) -> None:
        """See what other processes committed."""
        self._index.reload()
        self._articles.reload()
        self._searcher, self._article_searcher = self._index.searcher(), self._articles.searcher()

    def apply(self, added: Iterable[KeywordDoc], retired: Iterable[str], state: SyncState) -> None:
        """Add (or replace) `added`, remove the chunk ids in `retired`, and record `state`, in
        one commit; then rebuild the documents of the articles this touched in the article index."""
        with self.locked():
            retired, added = list(retired), list(added)
            touched = {about.article for about in self.about(retired).values()} | {d.article_id for d in added}
            writer = _writer(self._index)
            for cid in retired:
                writer.delete_documents_by_term("id", cid)
            for doc in added:
                writer.delete_documents_by_term("id", doc.id)  # deletes apply to earlier additions only
                writer.add_document(_document(doc))
            self._commit_passages(writer, state)
            self._update_articles(sorted(touched))

    def replace_all(self, docs: Iterable[KeywordDoc], state: SyncState) -> None:
        """Replace everything with `docs` (read one at a time) and `state`, in one commit; then
        the article index, from them."""
        with self.locked():
            writer = _writer(self._index)
            writer.delete_all_documents()
            for doc in docs:
                writer.add_document(_document(doc))
            self._commit_passages(writer, state)
            self._rebuild_articles()

    def _commit_passages(self, writer: Any, state: SyncState) -> None:
        payload = {"format": FORMAT, "epoch": state.epoch, "cursors": state.cursors, "commit": uuid.uuid4().hex}
        _commit(writer, payload)
        self.refresh()

    def _catch_up_articles(self) -> None:
        """Rebuild the article index if it lags the passages (a process died between the two
        commits). Called holding the file lock."""
        if _commit_id(self._article_searcher, ARTICLE_SCHEMA) != _commit_id(self._searcher, SCHEMA):
            self._rebuild_articles()

    def _update_articles(self, article_ids: list[str]) -> None:
        """Rebuild the article documents of `article_ids` from their passages as committed."""
        if not article_ids:
            return
        writer = _writer(self._articles)
        for article in article_ids:
            writer.delete_documents_by_term("id", article)
        self._add_articles(writer, tantivy.Query.term_set_query(SCHEMA, "article", article_ids))

    def _rebuild_articles(self) -> None:
        """The article index, anew from every passage (reads all their stored terms)."""
        writer = _writer(self._articles)
        writer.delete_all_documents()
        self._add_articles(writer, tantivy.Query.all_query())

    def _add_articles(self, writer: Any, passages: tantivy.Query) -> None:
        by_article: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        for doc in self._docs(passages):
            if doc.get("article"):  # not the state document
                by_article[doc["article"][0]].append(doc)
        for article, docs in by_article.items():
            writer.add_document(_article_document(article, docs))
        _commit(writer, {"format": FORMAT, "commit": _commit_id(self._searcher, SCHEMA)})
        self.refresh()

    # -- helpers ------------------------------------------------------------------------------------

    def _docs(self, query: tantivy.Query) -> list[dict[str, Any]]:
        """The stored fields of every document matching `query`."""
        searcher = self._searcher
        first = searcher.search(query, 1, count=True)  # tantivy refuses a limit of 0
        count = first.count or 0  # type: ignore[attr-defined]  # missing from tantivy 0.27's stubs
        hits = first.hits if count <= 1 else searcher.search(query, count, count=False).hits
        return [searcher.doc(address).to_dict() for _, address in hits]

    @staticmethod
    def _count(searcher: tantivy.Searcher) -> int:
        return max(searcher.num_docs - int(searcher.doc_freq("id", STATE_ID) > 0), 0)


def _open(folder: Path, schema: tantivy.Schema) -> tantivy.Index:
    """Open the index in `folder`, or create it empty (its SyncState is then blank, and the
    first sync fills it from the store). A folder in an older format is replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()) and not (folder / "meta.json").exists():
        shutil.rmtree(folder)  # the bm25s format of earlier versions: rebuilt from the store
        folder.mkdir()
    try:
        return tantivy.Index(schema, path=str(folder), reuse=True)
    except ValueError:  # another schema: rebuilt from the store
        shutil.rmtree(folder)
        folder.mkdir()
        return tantivy.Index(schema, path=str(folder), reuse=True)


def _writer(index: tantivy.Index) -> Any:
    writer = index.writer(WRITER_HEAP, 1)
    # A process killed during a commit leaves files no commit refers to; the next commit may
    # need one of their names (FileAlreadyExists). Removing unreferenced files is safe here:
    # we hold the lock, and readers only open files of the last commit.
    writer.garbage_collect_files()
    return writer


def _commit(writer: Any, payload: dict[str, Any]) -> None:
    writer.delete_documents_by_term("id", STATE_ID)
    writer.add_document(tantivy.Document(id=STATE_ID, day=-1, state=json.dumps(payload).encode()))
    writer.commit()
    writer.wait_merging_threads()  # finish merging small segments now: searches stay fast


def _commit_id(searcher: tantivy.Searcher, schema: tantivy.Schema) -> str:
    """The passage commit an index reflects (its own, for the passage index)."""
    hits = searcher.search(tantivy.Query.term_query(schema, "id", STATE_ID), 1).hits
    if not hits:
        return ""
    return str(json.loads(bytes(searcher.doc(hits[0][1])["state"][0])).get("commit", ""))


def _search(searcher: tantivy.Searcher, schema: tantivy.Schema, query: str, k: int,
            filters: Filters | None) -> list[tuple[str, float]]:
    tokens = list(dict.fromkeys(terms(query)))
    if not tokens or k <= 0:
        return []
    text = tantivy.Query.boolean_query(
        [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", t)) for t in tokens])
    hits = searcher.search(_filtered(text, filters, schema), k, count=False).hits
    return [(searcher.doc(address)["id"][0], float(score)) for score, address in hits]


def _document(doc: KeywordDoc) -> tantivy.Document:
    """A passage's document: its title's and its own terms, and the acronyms of the names it
    spells out ("CIS" for "Commonwealth of Independent States": `rag.text.acronyms`)."""
    title, passage = " ".join(terms(doc.title)), " ".join(terms(doc.text) + terms(" ".join(acronyms(doc.text))))
    return tantivy.Document(id=doc.id, article=doc.article_id, outlet=doc.outlet.lower(), day=_day(doc.published),
                            digest=int(is_digest(doc.title)), lead=int(doc.start < LEAD_CHARS), body=f"{title} {passage}", title_terms=title.encode(),
                            passage_terms=passage.encode())


def _article_document(article: str, passages: list[dict[str, Any]]) -> tantivy.Document:
    """One article from its passages' stored fields: its title's terms once, then every passage's."""
    first = passages[0]
    body = " ".join([bytes(first["title_terms"][0]).decode(), *(bytes(p["passage_terms"][0]).decode() for p in passages)])
    return tantivy.Document(id=article, article=article, outlet=first["outlet"][0], day=first["day"][0], body=body)


def _filtered(query: tantivy.Query, filters: Filters | None, schema: tantivy.Schema = SCHEMA) -> tantivy.Query:
    """`query`, restricted to the documents `filters` allows (the filters add nothing to scores)."""
    clauses = _filter_clauses(filters, schema) if filters else []
    if not clauses:
        return query
    allowed = tantivy.Query.const_score_query(tantivy.Query.boolean_query(clauses), 0.0)
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, allowed)])


def _filter_clauses(filters: Filters, schema: tantivy.Schema) -> list[tuple[tantivy.Occur, tantivy.Query]]:
    must = tantivy.Occur.Must
    clauses = []
    if filters.article_ids:
        clauses.append((must, tantivy.Query.term_set_query(schema, "article", list(filters.article_ids))))
    if filters.outlet:
        clauses.append((must, tantivy.Query.term_query(schema, "outlet", filters.outlet.lower())))
    low = _day(filters.date_from) if filters.date_from else (1 if filters.date_to else 0)
    high = min(_day(d) for d in (filters.date_to, filters.as_of) if d) if filters.date_to or filters.as_of else None
    if low or high is not None:  # undated passages (day 0) stay unless a range needs a known date
        clauses.append((must, tantivy.Query.range_query(schema, "day", tantivy.FieldType.Integer, low, high)))
    return clauses


def _day(value: date | str | None) -> int:
    """YYYYMMDD as an integer (0 when unknown): dates compare as numbers."""
    if not value:
        return 0
    text = value.isoformat() if isinstance(value, date) else value
    return int(text.replace("-", ""))


def _iso(day: int) -> str:
    return f"{day // 10000:04d}-{day // 100 % 100:02d}-{day % 100:02d}" if day > 0 else ""
