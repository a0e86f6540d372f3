"""Fusion and the time prior of HybridRetriever, on given candidate lists (no store, no model)."""

from datetime import date
from pathlib import Path

import pytest

from rag.keyword import About, KeywordIndex
from rag.retrieve import HybridRetriever
from rag.types import TimeScope

# chunk id -> its article and publication date (not digests)
ABOUT = {"old1": About("old", "2022-06-01"), "new1": About("new", "2022-09-10"), "und1": About("undated", ""),
         "old2": About("old", "2022-06-01")}
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


def test_an_articles_whole_text_score_lifts_all_its_passages_relative_to_the_querys_best() -> None:
    by_article = [("new", 20.0), ("old", 10.0)]  # whole-article BM25
    fused = dict(ranker(bm25_weight=0.3, article_weight=0.2)._rank(DENSE, SPARSE, ABOUT, None, by_article))
    assert fused["old1"] == 0.62 + 0.2 * 0.5 and fused["und1"] == 0.60  # no article score: nothing added
    assert fused["new1"] == 0.58 + 0.3 * 1.0 + 0.2 * 1.0
    assert fused["old2"] == 0.58 + 0.3 * 0.5 + 0.2 * 0.5


class Archive(KeywordIndex):
    """A keyword index holding more articles than one search's candidates."""

    @property
    def articles(self) -> int:
        return 10_000


def test_in_an_archive_the_passage_opening_its_article_counts_more() -> None:
    about = {"l1": About("lead", "", lead=True), "b1": About("body", "")}
    dense = [("b1", 0.64), ("l1", 0.60)]  # the other story's paragraph matches a little better
    archive = HybridRetriever(store=None, keyword=Archive(Path("/nonexistent")), embedder=None, lead_weight=0.1)
    assert [cid for cid, _ in archive._rank(dense, [], about, None)] == ["l1", "b1"]  # 0.66 against 0.64
    # a handful of articles (every one in play): a question is about a detail, not the gist
    few = HybridRetriever(store=None, keyword=KeywordIndex(Path("/nonexistent")), embedder=None, lead_weight=0.1)
    few.fetch_k = 10_000
    assert [cid for cid, _ in few._rank(dense, [], about, None)] == ["b1", "l1"]


def test_a_digest_of_many_stories_yields_to_the_storys_own_article() -> None:
    about = {"d1": About("digest", "2022-06-17", True), "s1": About("story", "2022-06-16")}
    dense = [("d1", 0.70), ("s1", 0.62)]  # the digest's line on the story matches a little better
    assert [cid for cid, _ in ranker(digest_weight=0.7)._rank(dense, [], about, None)] == ["s1", "d1"]
    assert [cid for cid, _ in ranker(digest_weight=1.0)._rank(dense, [], about, None)] == ["d1", "s1"]


@pytest.mark.model
def test_an_article_whose_words_are_spread_over_passages_is_found_with_real_components(tmp_path: Path) -> None:
    """Real indexing, store, embedder and keyword index: the question's words are in three
    paragraphs of one article, and a short one repeats some of them. The article index, built
    through the normal indexing path, ranks the first as a whole, and its score reaches the
    fused score of that article's passages."""
    from rag import Rag, Settings

    filler = " ".join(f"Paragraph {n} is about the harbour's weather, its tides and its gulls." for n in range(9))
    spread = ("Harbour news\n\nThe mayor of Valdmere resigned on Friday.\n\n" + filler
              + "\n\nA zinc smelter closed.\n\n" + filler + "\n\nFishermen blamed the tariffs.\n")
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "spread.txt").write_text(spread)
    (folder / "short.txt").write_text("Short news\n\nThe Valdmere mayor resigned. Yes, the mayor of Valdmere resigned.\n")
    (folder / "other.txt").write_text("Other news\n\nGulls and tides at the harbour this week.\n")
    question = "Which Valdmere mayor resigned after the zinc smelter closed and fishermen blamed tariffs?"
    # fetch_k 2: more articles than a search's candidates, the archive case (rag.retrieve); a
    # weight that makes the whole article decide, to test the path, not the tuned weight
    r = Rag(Settings(data_dir=tmp_path / "data", top_k=1, fetch_k=2, article_weight=2.0))
    r.index([folder])
    best = r.retrieve(question)[0]
    assert "spread" in best.chunk.article_id and r.keyword.search_articles(question, 3)[0][0] == best.chunk.article_id
    r.retriever.article_weight = 0.0
    alone = {p.chunk.id: p.score for p in r.retrieve(question, k=3)}
    assert best.score == pytest.approx(alone[best.chunk.id] + 2.0)  # + the weight x its article's (the best) score


def test_the_best_articles_bring_their_best_passage_when_no_search_found_one(tmp_path: Path) -> None:
    from rag.keyword import KeywordDoc, SyncState

    keyword = KeywordIndex(tmp_path / "kw")
    words = ["mayor resigned", "zinc smelter", "fishermen tariffs"]
    docs = [KeywordDoc(f"s{n}", f"the {words[n]} {words[n]}", "spread", "", "") for n in range(3)]
    docs += [KeywordDoc(f"o{n}", f"the {words[n % 3]} {words[n % 3]} again {words[n % 3]}", f"o{n}", "", "")
             for n in range(6)]
    keyword.apply(docs, [], SyncState())
    r = HybridRetriever(store=None, keyword=keyword, embedder=None, fetch_k=3, article_weight=0.3)
    question = "mayor resigned zinc smelter fishermen tariffs"
    assert {keyword.about([cid])[cid][0] for cid, _ in keyword.search(question, 3)} & {"spread"} == set()
    articles = keyword.search_articles(question, 3)
    about: dict[str, tuple[str, str]] = {}
    extra = r._passages_of(question, articles, {"o0", "o1", "o2"}, None, about)
    assert articles[0][0] == "spread" and {about[cid][0] for cid, _ in extra} == {"spread"}
    assert len(extra) == 3  # every passage of it up to three per missing article, with their BM25 scores
    assert r._by_article and not r.model_copy(update={"fetch_k": 7})._by_article  # 7 articles: all in play
