"""Digests of many stories in the ranking (`RAG_DIGEST_WEIGHT`): weights compared offline on RealTimeQA.

    .venv/bin/python scripts/realtimeqa_digest_weight.py /work/shared/bench/realtimeqa --index DATA_DIR \\
        --capture /tmp/rtqa-candidates.pkl --out docs/results/realtimeqa-session14-digest-sweep.md

The candidates the product's ranking step receives for every question, with and without its
as-of date, are captured once (`realtimeqa_article_weight.capture`; each passage's `About`
says whether its article is a digest, `rag.text.is_digest`) and re-ranked with the product's
own `HybridRetriever._rank` under each weight, every other setting at its default. Only the
tuning half (questions asked before 2022-09-01) is printed: choose on it, then measure the
held-out half once with `rag bench --as-of question`. A capture made before session 14 holds
plain (article, date) pairs instead of `About` records: delete it and capture again.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from realtimeqa_article_weight import sweep, weight_scorer

WEIGHTS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.3)


@functools.cache
def retriever(weight: float) -> Any:
    """The ranking step with the shipped defaults (the class's own, not the `RAG_*` environment's)
    but `weight`."""
    from rag.keyword import KeywordIndex
    from rag.retrieve import HybridRetriever
    from rag.settings import Settings

    s = Settings.model_construct()  # the defaults, whatever the environment says
    return HybridRetriever(store=None, keyword=KeywordIndex.__new__(KeywordIndex), embedder=None,
                           bm25_weight=s.bm25_weight, article_weight=s.article_weight, recency_weight=s.recency_weight,
                           recency_half_life=s.recency_half_life, recent_days=s.recent_days, digest_weight=weight)


def main() -> int:
    return sweep({str(w): {"weight": w} for w in WEIGHTS}, weight_scorer(retriever), heading="digest weight")


if __name__ == "__main__":
    raise SystemExit(main())
