"""BM25 keyword search (bm25s), persisted beside the vector store.

The keyword index is a cache derived from the store: it is rebuilt from the store's own
documents after every change and saved under the store's *generation*, a token the store
changes on each write. A reader whose cached generation differs from the store's reloads
(or rebuilds) before searching, so the two sides never disagree, even across processes or
after a crash between a store write and a keyword save. It is never rebuilt per query.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from rag.text import terms
from rag.types import Filters


@dataclass(frozen=True)
class KeywordDoc:
    id: str
    text: str  # title + passage: what keyword search matches against
    article_id: str
    outlet: str
    published: str


class KeywordIndex:
    """BM25 over the store's chunks, loaded for one generation at a time."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.generation = ""
        self._bm25: bm25s.BM25 | None = None
        self._ids: list[str] = []
        self._articles = np.array([], dtype=object)
        self._outlets = np.array([], dtype=object)
        self._published = np.array([], dtype=object)
        self._df: dict[str, int] = {}
        self._tokens: list[list[str]] = []

    def __len__(self) -> int:
        return len(self._ids)

    def build(self, docs: list[KeywordDoc], generation: str) -> None:
        """Index `docs` and save them as `generation`, replacing older generations on disk."""
        self._set(docs, generation, [terms(d.text) for d in docs])
        self._save(docs)

    def load(self, generation: str) -> bool:
        """Load the saved index for `generation`; False if none is saved (rebuild then)."""
        folder = self.folder / generation
        try:
            docs = [KeywordDoc(**d) for d in json.loads((folder / "docs.json").read_text())]
            tokens = json.loads((folder / "tokens.json").read_text())
        except (OSError, ValueError, TypeError):
            return False
        self._set(docs, generation, tokens)
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

    def idf(self, term: str) -> float:
        """Inverse document frequency of a stemmed term; unseen terms get the largest value."""
        n = max(len(self._ids), 1)
        return math.log(1 + (n - self._df.get(term, 0) + 0.5) / (self._df.get(term, 0) + 0.5))

    def _set(self, docs: list[KeywordDoc], generation: str, tokens: list[list[str]]) -> None:
        self.generation = generation
        self._ids = [d.id for d in docs]
        self._articles = np.array([d.article_id for d in docs], dtype=object)
        self._outlets = np.array([d.outlet.lower() for d in docs], dtype=object)
        self._published = np.array([d.published for d in docs], dtype=object)
        self._df = {}
        for doc_terms in tokens:
            for term in set(doc_terms):
                self._df[term] = self._df.get(term, 0) + 1
        self._bm25 = None
        if docs:
            self._bm25 = bm25s.BM25()
            self._bm25.index(tokens, show_progress=False)
        self._tokens = tokens

    def _save(self, docs: list[KeywordDoc]) -> None:
        """Write to a temporary folder and rename it into place, so a crash mid-save leaves
        either the complete new generation or none (then it is rebuilt from the store)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".tmp-{self.generation}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        (tmp / "docs.json").write_text(json.dumps([d.__dict__ for d in docs]))
        (tmp / "tokens.json").write_text(json.dumps(self._tokens))
        final = self.folder / self.generation
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
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
        keep &= np.array([bool(p) and p >= filters.date_from.isoformat() for p in index._published])
    if filters.date_to:
        keep &= np.array([bool(p) and p <= filters.date_to.isoformat() for p in index._published])
    return keep.astype(np.float32)
