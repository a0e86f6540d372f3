"""Whole-article BM25 in the fusion (`RAG_ARTICLE_WEIGHT`): weights compared offline on RealTimeQA.

    .venv/bin/python scripts/realtimeqa_article_weight.py /work/shared/bench/realtimeqa --index DATA_DIR \
        --capture /tmp/rtqa-candidates.pkl --out docs/results/realtimeqa-session9-article-sweep.md

1. `--index` holds the full RealTimeQA index (`RAG_DATA_DIR=DIR rag index articles.jsonl.gz`).
   Every question is asked once through the product's `HybridRetriever.search`, with and
   without its as-of date, and the candidates its ranking step receives (dense and BM25
   passages, whole-article BM25 hits, the passages fetched for article hits) are saved to
   `--capture` (about a minute; later runs reuse the file; one made before session 14 lacks the
   `About` records the ranking step now reads: delete it). The variants rank without the
   digest weight of session 14 (`digest_weight` 1.0), as they were chosen.
2. Each variant re-ranks those candidates with the product's own `_rank` under other weights;
   metrics are article-level Hits@1/5/10 and MRR@10 from the first 40 passages, like `rag bench`.
   Only the tuning half (questions asked before 2022-09-01) is printed: choose on it, then
   measure the held-out half once with `rag bench --as-of question`.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SPLIT = "2022-09-01"


def capture(index: Path, questions: list[dict[str, Any]], out: Path) -> None:
    from rag import Rag, Settings
    from rag.retrieve import HybridRetriever

    rag = Rag(Settings(data_dir=index))
    rag.retriever.article_weight = 1.0  # any weight above 0: the article search and its passages run
    caught: dict[str, Any] = {}
    rank, passages_of = HybridRetriever._rank, HybridRetriever._passages_of

    def recording_rank(self: HybridRetriever, dense: Any, sparse: Any, about: Any, scope: Any, articles: Any = ()) -> Any:
        caught.update(dense=list(dense), sparse=list(sparse), about=dict(about), scope=scope, articles=list(articles))
        return rank(self, dense, sparse, about, scope, articles)

    def recording_passages_of(self: HybridRetriever, *args: Any) -> Any:
        found = passages_of(self, *args)
        caught["extra"] = [cid for cid, _ in found]
        return found

    HybridRetriever._rank, HybridRetriever._passages_of = recording_rank, recording_passages_of  # type: ignore[method-assign]
    rows = []
    for q in questions:
        for as_of in (False, True):
            caught.clear()
            scope = rag.scope(q["question"], date.fromisoformat(q["date"].replace("/", "-")) if as_of else None)
            rag.retriever.search(q["question"], 40, scope=scope)
            rows.append({"id": q["id"], "as_of": as_of, **caught})
    out.write_bytes(pickle.dumps(rows))


def top_articles(row: dict[str, Any], bm25: float, article: float, recency: float = 1.0, dense: bool = True,
                 sparse: bool = True) -> list[str]:
    from rag.keyword import KeywordIndex
    from rag.retrieve import HybridRetriever

    r = HybridRetriever(store=None, keyword=KeywordIndex.__new__(KeywordIndex), embedder=None, bm25_weight=bm25,
                        article_weight=article, recency_weight=recency, recency_half_life=2.0, recent_days=7)
    extra = set(row.get("extra", [])) if not article else set()  # without articles, no passages fetched for them
    keyword = [(c, s) for c, s in row["sparse"] if c not in extra] if sparse else []
    ranked = r._rank(row["dense"] if dense else [], keyword, row["about"], row["scope"], row["articles"] if article else [])
    return list(dict.fromkeys(row["about"][cid][0] for cid, _ in ranked[:40]))[:10]


def metrics(rows: list[dict[str, Any]], golds: dict[str, set[str]], **variant: Any) -> list[float]:
    from rag.bench import retrieval_metrics  # the bench's own article-level measures

    m = retrieval_metrics([top_articles(row, **variant) for row in rows], [golds[row["id"]] for row in rows])
    return [m["hits@1"], m["hits@5"], m["hits@10"], m["mrr@10"]]


VARIANTS: dict[str, dict[str, Any]] = {
    "dense only": {"bm25": 0.0, "article": 0.0, "sparse": False},
    "session 6 default: bm25 0.3, no article": {"bm25": 0.3, "article": 0.0},
    **{f"bm25 {b} + article {a}": {"bm25": b, "article": a}
       for b in (0.0, 0.15, 0.3) for a in (0.1, 0.2, 0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 3.0)},
    **{f"bm25 0.3 + article {a}, recency x{r}": {"bm25": 0.3, "article": a, "recency": r}
       for r in (2.0, 4.0) for a in (0.2, 0.5, 1.0)},
}


def weight_scorer(retriever: Callable[[float], Any]) -> Callable[..., list[float]]:
    """Hits@1/5/10 and MRR@10 of `retriever(weight)`'s own `_rank` over captured rows: the score
    function of a one-weight sweep (digest weight, lead weight)."""
    from rag.bench import retrieval_metrics  # the bench's own article-level measures

    def top(row: dict[str, Any], weight: float) -> list[str]:
        ranked = retriever(weight)._rank(row["dense"], row["sparse"], row["about"], row["scope"], row["articles"])
        return list(dict.fromkeys(row["about"][cid].article for cid, _ in ranked[:40]))[:10]

    def score(rows: list[dict[str, Any]], golds: dict[str, set[str]], weight: float) -> list[float]:
        m = retrieval_metrics([top(row, weight) for row in rows], [golds[row["id"]] for row in rows])
        return [m["hits@1"], m["hits@5"], m["hits@10"], m["mrr@10"]]

    return score


def sweep(variants: dict[str, dict[str, Any]], score: Callable[..., list[float]], heading: str = "variant") -> int:
    """The command line shared by the offline sweeps: capture once, then one table row per
    variant, `score(rows, golds, **variant)` giving Hits@1/5/10 and MRR@10, tune half only."""
    ap = argparse.ArgumentParser()
    ap.add_argument("path", type=Path)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--capture", type=Path, required=True)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    questions = [json.loads(line) for line in (args.path / "questions.jsonl").read_text().splitlines() if line.strip()]
    if not args.capture.exists():
        capture(args.index, questions, args.capture)
    rows = pickle.loads(args.capture.read_bytes())
    tune = {q["id"] for q in questions if q["date"].replace("/", "-") < SPLIT}
    golds = {q["id"]: set(q["gold_ids"]) for q in questions}
    lines = [f"| {heading} (tune half only) | no date: H@1 | H@5 | H@10 | MRR@10 | as of: H@1 | H@5 | H@10 | MRR@10 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, variant in variants.items():
        cells = []
        for as_of in (False, True):
            part = [r for r in rows if r["as_of"] == as_of and r["id"] in tune]
            cells += [f"{m:.3f}" for m in score(part, golds, **variant)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.out:
        args.out.write_text(table)
    return 0


def main() -> int:
    return sweep(VARIANTS, metrics)


if __name__ == "__main__":
    raise SystemExit(main())
