"""The lead passage in the ranking (`RAG_LEAD_WEIGHT`): weights compared offline on RealTimeQA.

    .venv/bin/python scripts/realtimeqa_lead_weight.py /work/shared/bench/realtimeqa --index DATA_DIR \\
        --capture /tmp/rtqa-candidates-s17.pkl --out docs/results/realtimeqa-session17-lead-sweep.md

A news story puts its gist in its first lines, and a RealTimeQA question asks about a story's
gist, so the passage that opens its article (`rag.keyword.LEAD_CHARS`) may deserve more weight.
The candidates the product's ranking step receives for every question, with and without its
as-of date, are captured once (`realtimeqa_article_weight.capture`; each passage's `About` says
whether it is a lead: a capture made before session 17 lacks it, delete it) and re-ranked with
the product's own `HybridRetriever._rank` under each weight, every other setting at its default.
Only the tuning half (questions asked before 2022-09-01) is printed: choose on it, then measure
the held-out half once with `rag bench --as-of question`.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from realtimeqa_article_weight import sweep, weight_scorer

WEIGHTS = (0.0, 0.03, 0.05, 0.1, 0.2, 0.3)


@functools.cache
def retriever(weight: float) -> Any:
    """The ranking step with the shipped defaults (the class's own, not the `RAG_*` environment's)
    but `weight`, over an archive (the lead counts only there)."""
    from rag.keyword import KeywordIndex
    from rag.retrieve import HybridRetriever
    from rag.settings import Settings

    class Archive(KeywordIndex):
        articles = 10**9  # type: ignore[assignment]  # more than any search's candidates

    s = Settings.model_construct()  # the defaults, whatever the environment says
    return HybridRetriever(store=None, keyword=Archive.__new__(Archive), embedder=None, bm25_weight=s.bm25_weight,
                           article_weight=s.article_weight, recency_weight=s.recency_weight,
                           recency_half_life=s.recency_half_life, recent_days=s.recent_days,
                           digest_weight=s.digest_weight, lead_weight=weight)


def main() -> int:
    return sweep({str(w): {"weight": w} for w in WEIGHTS}, weight_scorer(retriever), heading="lead weight")


if __name__ == "__main__":
    raise SystemExit(main())
