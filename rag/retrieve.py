"""Hybrid retrieval: dense search in the vector store and BM25 keyword search, fused by score
(cosine + a weighted, query-normalised BM25; on RealTimeQA it beats both its parts and
reciprocal rank fusion), with the question's time as a soft prior. Single-node Chroma has no
hybrid search of its own.

`HybridRetriever` is a LangChain `BaseRetriever`, so it composes with LangChain chains
(`retriever.invoke("question")` returns Documents); the pipeline calls the typed
`search()` directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, SkipValidation

from rag.embed import Embedder
from rag.keyword import About, KeywordIndex
from rag.types import Filters, Passage, TimeScope
from vectorstore import ChunkReader

AS_OF_DEPTH = 4  # an as-of search looks this many times deeper, then drops later articles
ARTICLES_WITHOUT_PASSAGES = 10  # the best-ranked articles whose passages are searched for if neither search found one


def rrf(rankings: list[list[str]], k: int, weights: list[float] | None = None) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: each list adds weight / (k + rank) to the ids it ranks."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: pair[1], reverse=True)


def _over_best(scored: Sequence[tuple[str, float]]) -> dict[str, float]:
    """Scores over the best of them: BM25 scores are comparable within one query only."""
    best = max((score for _, score in scored), default=0.0) or 1.0
    return {key: score / best for key, score in scored}


def _published_by(published: str, limit: str) -> bool:
    """Whether an article of this date ("" unknown) may be used as of `limit` ("" none)."""
    return not limit or not published or published <= limit


def _without_as_of(filters: Filters | None) -> Filters | None:
    rest = replace(filters, as_of=None) if filters else None
    return None if rest is None or rest.is_empty() else rest


def _window(scope: TimeScope | None, recent_days: int) -> tuple[date, date] | None:
    """The days a question is about: the range it names, else the `recent_days` up to the day
    it is asked."""
    if scope is None:
        return None
    now = scope.as_of or scope.now
    return scope.prefer or ((now - timedelta(days=recent_days), now) if now else None)


class HybridRetriever(BaseRetriever):
    """Dense + BM25, fused by score, with the question's time as a soft prior. `mode` selects
    "hybrid", "dense" or "keyword" for comparisons."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    # Typed by their protocols; not checked by pydantic (an embedding server's embedder learns
    # its name from the server, on first use, not when a retriever is built).
    store: SkipValidation[ChunkReader]
    keyword: KeywordIndex
    embedder: SkipValidation[Embedder]
    k: int = 5
    fetch_k: int = 40
    bm25_weight: float = 0.3
    article_weight: float = 0.0
    recency_weight: float = 0.0
    recency_half_life: float = 2.0
    recent_days: int = 7
    digest_weight: float = 1.0
    lead_weight: float = 0.0
    mode: str = "hybrid"
    sync: Callable[[], None] = lambda: None  # brings the keyword index up to the store (rag.sync)

    def search(self, query: str, k: int | None = None, filters: Filters | None = None,
               scope: TimeScope | None = None) -> list[Passage]:
        k = k or self.k
        hard = replace(filters or Filters(), as_of=scope.as_of) if scope and scope.as_of else filters
        vector = self.embedder.embed([query])[0] if self.mode != "keyword" else None
        # as of a date, dense search looks deeper without Chroma's `where` (a metadata scan:
        # about a second over 80,000 passages) and later articles are dropped below
        wide = self.store.nearest(vector, self._depth(hard), _without_as_of(hard)) if vector is not None else []
        self.sync()  # the keyword index knows each chunk's article and date, for both searches
        sparse = self.keyword.search(query, self.fetch_k, hard) if self.mode != "dense" else []
        articles = self.keyword.search_articles(query, self.fetch_k, hard) if self._by_article else []
        about = self.keyword.about([cid for cid, _ in sparse])
        dense = self._as_of(wide, about, hard, vector)
        found = {about[cid].article for cid, _ in dense + sparse}
        sparse += self._passages_of(query, articles, found, hard, about)
        ranked = self._rank(dense, sparse, about, scope, articles)[:k]
        chunks = self.store.get([cid for cid, _ in ranked])  # only the kept passages' text is read
        return [Passage(chunks[cid], score) for cid, score in ranked if cid in chunks]

    @property
    def _by_article(self) -> bool:
        """Whole-article BM25 is for archives: with fewer articles than one search's candidates,
        every article is in play already, and document frequencies over a handful of articles
        say little (on the five built-in articles it cost one answer in 44 on a blind set)."""
        return self.mode == "hybrid" and self.article_weight > 0 and self._archive

    @property
    def _archive(self) -> bool:
        return self.keyword.articles > self.fetch_k

    @property
    def _lead(self) -> float:
        """The lead's weight, for archives only: a question over a few articles is about a detail
        of one, seldom about a story's gist (on the built-in articles the lead prior changed 31
        answers of 482, fixed none and broke one: session 17)."""
        return self.lead_weight if self.lead_weight and self._archive else 0.0

    def _passages_of(self, query: str, articles: list[tuple[str, float]], found: set[str], filters: Filters | None,
                     about: dict[str, About]) -> list[tuple[str, float]]:
        """BM25's best passages of the best-ranked articles neither search returned a passage
        of: an article whose words are spread over its paragraphs has no passage that ranks
        on its own."""
        missing = tuple(a for a, _ in articles[:ARTICLES_WITHOUT_PASSAGES] if a not in found)
        if not missing:
            return []
        hits = self.keyword.search(query, 3 * len(missing), replace(filters or Filters(), article_ids=missing))
        about.update(self.keyword.about([cid for cid, _ in hits]))
        return [(cid, score) for cid, score in hits if cid in about]

    def _depth(self, filters: Filters | None) -> int:
        return AS_OF_DEPTH * self.fetch_k if filters and filters.as_of else self.fetch_k

    def _as_of(self, wide: list[tuple[str, float]], about: dict[str, About], filters: Filters | None,
               vector: np.ndarray | None) -> list[tuple[str, float]]:
        """The dense results the keyword index holds (not superseded) and, as of a date, not
        published after it; when too few remain of a deep search, search again with the filter.
        Their articles and dates are looked up `fetch_k` at a time, until `fetch_k` are kept:
        the lookup is most of a retrieval's time after the embedding (docs/benchmarks.md, session 9)."""
        limit = filters.as_of.isoformat() if filters and filters.as_of else ""
        kept: list[tuple[str, float]] = []
        for start in range(0, len(wide), self.fetch_k):
            batch = wide[start : start + self.fetch_k]
            about.update(self.keyword.about([cid for cid, _ in batch if cid not in about]))
            kept += [(cid, s) for cid, s in batch if cid in about and _published_by(about[cid].published, limit)]
            if len(kept) >= self.fetch_k:
                break
        if vector is None or not limit or len(kept) >= self.fetch_k or len(wide) < self._depth(filters):
            return kept[: self.fetch_k]
        found = self.store.nearest(vector, self.fetch_k, filters)
        about.update(self.keyword.about([cid for cid, _ in found]))
        return [(cid, s) for cid, s in found if cid in about]

    def _rank(self, dense: list[tuple[str, float]], sparse: list[tuple[str, float]],
              about: dict[str, About], scope: TimeScope | None,
              articles: Sequence[tuple[str, float]] = ()) -> list[tuple[str, float]]:
        """Score fusion: a passage's cosine similarity, plus `bm25_weight` times its BM25 score
        and `article_weight` times its whole article's BM25 score, each over the query's best
        (a passage dense search did not return counts the lowest similarity it did return),
        times its article's time prior, and times `digest_weight` for a digest of many stories
        ("5 things to know for June 17": a line on the story, where its own article tells it),
        and, in an archive, times 1 + `lead_weight` for the passage that opens its article (a news
        story puts its gist first, and a question about the story asks for the gist).
        Passages of one article share its article score, so the article's best passage leads it."""
        floor = min((score for _, score in dense), default=0.0)
        similarity, keyword, article = dict(dense), _over_best(sparse), _over_best(articles)
        ids = list(dict.fromkeys([*similarity, *keyword]))
        candidates = {about[cid] for cid in ids}  # the articles of the passages in play, not of those dropped
        factor = self._prior({c.article for c in candidates}, {c.article: c.published for c in candidates if c.published},
                             scope)
        for digest in {c.article for c in candidates if c.digest}:
            factor[digest] *= self.digest_weight

        lead = self._lead

        def fused(cid: str) -> float:
            source = about[cid].article
            return (similarity.get(cid, floor) + self.bm25_weight * keyword.get(cid, 0.0)
                    + self.article_weight * article.get(source, 0.0)) * factor[source] \
                * (1 + lead * about[cid].lead)

        return sorted(((cid, fused(cid)) for cid in ids), key=lambda p: p[1], reverse=True)

    def _prior(self, articles: set[str], published: dict[str, str], scope: TimeScope | None) -> dict[str, float]:
        """Each article's factor, 1 + recency_weight * closeness: closeness is 2^(-days /
        half-life), the days between its date and the range the question names, else the
        recent days up to its as-of date. An undated article may be from any time: it gets the
        mean closeness of the dated ones, so "in late December 2022" does not bury an undated
        report of that summit under dated articles of the same weeks, nor lift it above them."""
        window = _window(scope, self.recent_days)
        if window is None or not self.recency_weight:
            return dict.fromkeys(articles, 1.0)
        start, end = window
        closeness = {}
        for article in articles & published.keys():
            day = date.fromisoformat(published[article])
            closeness[article] = 2 ** (-max((start - day).days, (day - end).days, 0) / self.recency_half_life)
        unknown = sum(closeness.values()) / len(closeness) if closeness else 0.0
        return {a: 1 + self.recency_weight * closeness.get(a, unknown) for a in articles}

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [
            Document(page_content=p.chunk.text, id=p.chunk.id, metadata={**p.chunk.__dict__, "score": p.score})
            for p in self.search(query)
        ]
