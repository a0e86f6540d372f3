"""BM25 keyword search (bm25s), persisted beside the vector store.

The keyword index is a cache derived from the store: it is rebuilt from the store's own
documents after every change and saved under the store's *generation*, a token the store
changes on each write. A reader whose cached generation differs from the store's reloads
(or rebuilds) before searching, so the two sides never disagree, even across processes or
after a crash between a store write and a keyword save. It is never rebuilt per query.
An index built for a generation that starts with `WRITING` (a write under way, or killed)
is kept in memory only: the store may still change under that token.

Memory: documents are streamed in and only their term ids are kept, in one flat int32
array (4 bytes a term, plus the vocabulary and BM25's own score matrix); the text is never
held, and the saved form is that array, the vocabulary and the per-chunk filter fields.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import bm25s
import numpy as np

from rag.text import terms
from rag.types import Filters
from vectorstore.chroma import WRITING


@dataclass(frozen=True)
class KeywordDoc:
    id: str
    text: str  # title + passage: what keyword search matches against
    article_id: str
    outlet: str
    published: str


@dataclass
class _Fields:
    """Per-document fields kept for results and filters (never the text)."""

    ids: list[str] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    outlets: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)

    def add(self, doc: KeywordDoc) -> None:
        self.ids.append(doc.id)
        self.articles.append(doc.article_id)
        self.outlets.append(doc.outlet.lower())
        self.published.append(doc.published)


class _TermIds:
    """Every document's term ids in one flat array; iterating yields one document's ids as a
    short-lived list, which is what bm25s indexes fastest."""

    def __init__(self, flat: np.ndarray, offsets: np.ndarray) -> None:
        self.flat, self.offsets = flat, offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __iter__(self) -> Iterator[list[int]]:
        for start, end in zip(self.offsets[:-1], self.offsets[1:], strict=True):
            yield self.flat[start:end].tolist()

    def doc_freqs(self, n_terms: int) -> np.ndarray:
        """How many documents contain each term id."""
        doc_of = np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.offsets))
        pairs = np.unique(doc_of * n_terms + self.flat)
        return np.bincount(pairs % n_terms, minlength=n_terms)


class KeywordIndex:
    """BM25 over the store's chunks, loaded for one generation at a time."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.generation = ""
        self._bm25: bm25s.BM25 | None = None
        self._ids: list[str] = []
        self._position: dict[str, int] = {}
        self._articles = np.array([], dtype=object)
        self._outlets = np.array([], dtype=object)
        self._published = np.array([], dtype=object)
        self._days = np.zeros(0, dtype=np.int32)  # publication day as YYYYMMDD, 0 when unknown
        self._vocab: dict[str, int] = {"": 0}
        # (vocabulary, document frequencies, documents), replaced as one value: idf() runs without
        # the lock while a write rebuilds, and must never pair one generation's vocabulary with
        # another's frequencies (an IndexError, or wrong weights).
        self._stats: tuple[dict[str, int], np.ndarray, int] = ({"": 0}, np.zeros(1, dtype=np.int64), 0)
        self._fields = _Fields()
        self._terms = _TermIds(np.zeros(0, dtype=np.int32), np.zeros(1, dtype=np.int64))

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> list[str]:
        """The chunk ids this index searches, in index order."""
        return list(self._ids)

    def build(self, docs: Iterable[KeywordDoc], generation: str) -> None:
        """Index `docs`, read one at a time, as `generation`; save it (replacing older
        generations on disk) unless the generation belongs to a write under way."""
        fields, vocab, flat, offsets = _Fields(), {"": 0}, array("i"), array("q", [0])
        for doc in docs:
            fields.add(doc)
            flat.extend(vocab.setdefault(term, len(vocab)) for term in terms(doc.text))
            offsets.append(len(flat))
        term_ids = _TermIds(np.frombuffer(flat, dtype=np.int32), np.frombuffer(offsets, dtype=np.int64))
        self._set(fields, vocab, term_ids, generation)
        if not generation.startswith(WRITING):
            self._save()

    def load(self, generation: str) -> bool:
        """Load the saved index for `generation`; False if none is saved (rebuild then)."""
        folder = self.folder / generation
        try:
            fields = _Fields(**json.loads((folder / "fields.json").read_text()))
            vocab = {term: i for i, term in enumerate(json.loads((folder / "vocab.json").read_text()))}
            term_ids = _TermIds(np.load(folder / "terms.npy"), np.load(folder / "offsets.npy"))
        except (OSError, ValueError, TypeError):
            return False
        self._set(fields, vocab, term_ids, generation)
        return True

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the best `k` chunks that share a term with `query`."""
        tokens = terms(query)
        if self._bm25 is None or not tokens or not self._ids:
            return []
        mask = _mask(self, filters) if filters and not filters.is_empty() else None
        docs, scores = self._bm25.retrieve(
            [tokens], k=min(k, len(self._ids)), show_progress=False, weight_mask=mask, n_threads=1
        )
        return [(self._ids[d], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def published_of(self, ids: Sequence[str]) -> list[str]:
        """The publication date ("" when unknown) of each chunk id; ids not indexed get ""."""
        return [str(self._published[self._position[c]]) if c in self._position else "" for c in ids]

    def articles_of(self, ids: Sequence[str]) -> list[str]:
        """The article id of each chunk id ("" for ids not indexed)."""
        return [str(self._articles[self._position[c]]) if c in self._position else "" for c in ids]

    def undated(self) -> int:
        """How many indexed articles have no known publication date."""
        return len(set(self._articles[self._days == 0]))

    def knows(self, term: str) -> bool:
        """Whether any indexed passage contains the stemmed term."""
        return term in self._stats[0]

    def idf(self, term: str) -> float:
        """Inverse document frequency of a stemmed term; unseen terms get the largest value."""
        vocab, doc_freqs, docs = self._stats
        n = max(docs, 1)
        df = int(doc_freqs[vocab[term]]) if term in vocab else 0
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _set(self, fields: _Fields, vocab: dict[str, int], term_ids: _TermIds, generation: str) -> None:
        self.generation = generation
        self._fields, self._vocab, self._terms = fields, vocab, term_ids
        self._ids = fields.ids
        self._position = {cid: i for i, cid in enumerate(fields.ids)}
        self._articles = np.array(fields.articles, dtype=object)
        self._outlets = np.array(fields.outlets, dtype=object)
        self._published = np.array(fields.published, dtype=object)
        self._days = np.array([int(p.replace("-", "") or 0) for p in fields.published], dtype=np.int32)
        self._stats = (vocab, term_ids.doc_freqs(len(vocab)), len(fields.ids))
        self._bm25 = None
        if fields.ids:
            # "" (id 0, in no document) is bm25s's empty token, so it indexes from ids as from tokens.
            self._bm25 = bm25s.BM25()
            self._bm25.index(bm25s.tokenization.Tokenized(ids=term_ids, vocab=vocab), show_progress=False)

    def _save(self) -> None:
        """Write to a temporary folder and rename it into place, so a crash mid-save leaves
        either the complete new generation or none (then it is rebuilt from the store)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".tmp-{self.generation}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        with (tmp / "fields.json").open("w") as fh:
            json.dump(self._fields.__dict__, fh)  # json.dump streams: no second copy as one string
        (tmp / "vocab.json").write_text(json.dumps(list(self._vocab)))
        np.save(tmp / "terms.npy", self._terms.flat)
        np.save(tmp / "offsets.npy", self._terms.offsets)
        final = self.folder / self.generation
        shutil.rmtree(final, ignore_errors=True)
        try:
            os.replace(tmp, final)
        except OSError:  # another process sharing RAG_DATA_DIR saved this generation meanwhile: same content
            shutil.rmtree(tmp, ignore_errors=True)
        for old in self.folder.iterdir():
            if old.name != self.generation and not old.name.startswith(".tmp-"):
                shutil.rmtree(old, ignore_errors=True)


def _mask(index: KeywordIndex, filters: Filters) -> np.ndarray:
    keep = np.ones(len(index._ids), dtype=bool)
    if filters.article_ids:
        keep &= np.isin(index._articles, list(filters.article_ids))
    if filters.outlet:
        keep &= index._outlets == filters.outlet.lower()
    if filters.date_from:
        keep &= index._days >= _day(filters.date_from)
    if filters.date_to:
        keep &= (index._days <= _day(filters.date_to)) & (index._days > 0)
    if filters.as_of:  # undated passages stay: nothing says they are later
        keep &= index._days <= _day(filters.as_of)
    return keep.astype(np.float32)


def _day(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day
