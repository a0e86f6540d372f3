"""Fusion and the time prior of HybridRetriever, on given candidate lists (no store, no model)."""

from datetime import date
from pathlib import Path

from rag.keyword import KeywordIndex
from rag.retrieve import HybridRetriever
from rag.types import TimeScope

# chunk id -> (article id, publication date)
ABOUT = {"old1": ("old", "2022-06-01"), "new1": ("new", "2022-09-10"), "und1": ("undated", ""),
         "old2": ("old", "2022-06-01")}
DENSE = [("old1", 0.62), ("und1", 0.60), ("new1", 0.58)]  # (chunk id, cosine similarity)
SPARSE = [("new1", 12.0), ("old2", 6.0)]  # (chunk id, BM25)
SEPTEMBER = TimeScope(as_of=date(2022, 9, 15), now=date(2022, 9, 15))


def ranker(**settings: float) -> HybridRetriever:
    return HybridRetriever(store=None, keyword=KeywordIndex(Path("/nonexistent")), embedder=None, **settings)


def articles(r: HybridRetriever, scope: TimeScope | None, dense=DENSE, sparse=SPARSE) -> list[str]:
    return list(dict.fromkeys(ABOUT[cid][0] for cid, _ in r._rank(dense, sparse, ABOUT, scope)))


def test_fusion_adds_the_keyword_score_relative_to_the_querys_best() -> None:
    fused = dict(ranker(bm25_weight=0.3)._rank(DENSE, SPARSE, ABOUT, None))
    assert fused["new1"] == 0.58 + 0.3 * 1.0 and fused["old2"] == 0.58 + 0.3 * 0.5  # old2: dense's lowest
    assert fused["old1"] == 0.62 and articles(ranker(bm25_weight=0.0), None) == ["old", "undated", "new"]


def test_without_a_time_prior_only_relevance_counts() -> None:
    assert articles(ranker(bm25_weight=0.01, recency_weight=0.0), SEPTEMBER) == ["old", "undated", "new"]


def test_recency_relative_to_the_as_of_date_lifts_the_recent_article() -> None:
    r = ranker(bm25_weight=0.05, recency_weight=1.0, recency_half_life=2.0, recent_days=7)
    # 2022-09-10 is within the week (x2), June is not (x1), undated gets the mean of the two (x1.5)
    assert articles(r, SEPTEMBER) == ["new", "undated", "old"]


def test_a_range_the_question_names_beats_recency_and_an_undated_article_stays_in_between() -> None:
    r = ranker(bm25_weight=0.0, recency_weight=1.0, recency_half_life=2.0)
    june = TimeScope(as_of=date(2022, 9, 15), prefer=(date(2022, 6, 1), date(2022, 6, 30)))
    # old: in June (0.5 x 2 = 1.0); undated: the mean closeness (0.65 x 1.5); new: September (0.7 x 1)
    assert articles(r, june, dense=[("new1", 0.7), ("und1", 0.65), ("old1", 0.5)]) == ["old", "undated", "new"]


def test_with_no_dated_article_near_the_time_asked_about_undated_ones_get_no_boost() -> None:
    r = ranker(bm25_weight=0.0, recency_weight=1.0, recency_half_life=2.0)
    today = TimeScope(now=date(2026, 12, 2))  # an archive of 2022 asked today: nothing is recent
    assert articles(r, today, dense=[("old1", 0.62), ("und1", 0.60), ("new1", 0.58)]) == ["old", "undated", "new"]


def test_the_retriever_is_a_langchain_retriever_returning_documents(tmp_path: Path) -> None:
    """`HybridRetriever` composes with LangChain: `invoke` runs the same search as the pipeline."""
    from rag import Rag, Settings
    from rag.pipeline import default_corpus
    from rag.testing import HashEmbedder, MemoryStore

    r = Rag(Settings(data_dir=tmp_path), embedder=HashEmbedder(), store=MemoryStore())
    r.index([default_corpus()])
    documents = r.retriever.invoke("Belarus dependent on Russia for security and fuel")
    passages = r.retrieve("Belarus dependent on Russia for security and fuel")
    assert [d.id for d in documents] == [p.chunk.id for p in passages] and len(documents) == r.settings.top_k
    assert documents[0].page_content == passages[0].chunk.text and documents[0].metadata["score"] == passages[0].score
