"""The question's time read from its first results (temporal feedback): compared offline on RealTimeQA.

    .venv/bin/python scripts/realtimeqa_time_feedback.py /work/shared/bench/realtimeqa --index DATA_DIR \\
        --capture /tmp/rtqa-candidates-s19.pkl --out docs/results/realtimeqa-session19-time-feedback.md

A question asked without a date and without time words ("Which US national park was impacted
by severe flooding?") still has a time: the days its story ran. The articles that first match it
cluster around those days (a news story is a burst of articles), so the densest day among the
first results, weighted by their scores, estimates the question's time (Jones & Diaz 2007,
"Temporal profiles of queries"; Peetz et al. 2014, "Using temporal bursts for query modeling").
The ranking then prefers that time, softly, as it prefers the range a question's own time words
name. Candidates are captured once (`realtimeqa_article_weight.capture`) and ranked by the
product's own `HybridRetriever._rank` with the shipped settings (the time prior's `weight` varied
for the second ranking only); only the tuning half (questions asked before 2022-09-01) is printed.

Result (session 19, docs/results/realtimeqa-session19-time-feedback.md): no variant beats the shipped
ranking without a date (MRR@10 0.599 on the tune half: at most +0.006, one question's rank, with a
faint second prior; most variants lower, down to -0.10; Hits@10 never above 0.816). Pooled search results span months and years around a story, and the densest day
is as often an older round of the same subject. Not adopted; the held-out half was not looked at.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from realtimeqa_article_weight import sweep

# top_n: first-ranked articles read; width: the day kernel's half-life; window: days before/after the peak
VARIANTS: dict[str, dict[str, Any]] = {
    "shipped (no feedback)": {"top_n": 0},
    **{f"top {n}, kernel {w} d, window -{b}/+{a}": {"top_n": n, "width": w, "before": b, "after": a}
       for n in (5, 10, 20) for w in (1.0, 3.0) for b, a in ((0, 0), (3, 3), (7, 0), (7, 3))},
    **{f"top {n}, kernel 1 d, window -3/+3, weight {g}": {"top_n": n, "width": 1.0, "before": 3, "after": 3, "weight": g}
       for n in (3, 5, 10) for g in (0.05, 0.1, 0.2, 0.4)},
}


@functools.cache
def retriever(weight: float | None = None) -> Any:
    """The ranking step with the shipped defaults, over an archive (as `realtimeqa_lead_weight`)."""
    from rag.keyword import KeywordIndex
    from rag.retrieve import HybridRetriever
    from rag.settings import Settings

    class Archive(KeywordIndex):
        articles = 10**9  # type: ignore[assignment]  # more than any search's candidates

    s = Settings.model_construct()
    return HybridRetriever(store=None, keyword=Archive.__new__(Archive), embedder=None, bm25_weight=s.bm25_weight,
                           article_weight=s.article_weight, recency_weight=s.recency_weight if weight is None else weight,
                           recency_half_life=s.recency_half_life, recent_days=s.recent_days,
                           digest_weight=s.digest_weight, lead_weight=s.lead_weight)


def peak(ranked: list[tuple[str, float]], about: dict[str, Any], top_n: int, width: float) -> date | None:
    """The day around which the first `top_n` dated articles' scores are densest."""
    best: dict[str, tuple[float, date]] = {}
    for cid, score in ranked:
        a = about[cid]
        if a.published and a.article not in best:
            best[a.article] = (score, date.fromisoformat(a.published))
        if len(best) >= top_n:
            break
    days = [d for _, d in best.values()]
    density = {d: sum(s * 2 ** (-abs((d - e).days) / width) for s, e in best.values()) for d in days}
    return max(density, key=density.__getitem__) if density else None


def ranked(row: dict[str, Any], top_n: int, width: float = 1.0, before: int = 0, after: int = 0,
           weight: float | None = None) -> list[tuple[str, float]]:
    r, scope = retriever(), row["scope"]
    first = r._rank(row["dense"], row["sparse"], row["about"], scope, row["articles"])
    if not top_n or scope.prefer or scope.as_of:
        return first
    day = peak(first, row["about"], top_n, width)
    if day is None:
        return first
    scope = replace(scope, prefer=(day - timedelta(days=before), day + timedelta(days=after)))
    return retriever(weight)._rank(row["dense"], row["sparse"], row["about"], scope, row["articles"])


def score(rows: list[dict[str, Any]], golds: dict[str, set[str]], **variant: Any) -> list[float]:
    from rag.bench import retrieval_metrics

    tops = [list(dict.fromkeys(row["about"][c].article for c, _ in ranked(row, **variant)[:40]))[:10] for row in rows]
    m = retrieval_metrics(tops, [golds[row["id"]] for row in rows])
    return [m["hits@1"], m["hits@5"], m["hits@10"], m["mrr@10"]]


def main() -> int:
    return sweep(VARIANTS, score, heading="time feedback")


if __name__ == "__main__":
    raise SystemExit(main())
