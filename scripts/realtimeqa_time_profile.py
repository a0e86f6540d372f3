"""The question's time profile in the ranking (`RAG_PROFILE_WEIGHT`): settings compared offline on RealTimeQA.

    .venv/bin/python scripts/realtimeqa_time_profile.py /work/shared/bench/realtimeqa --index DATA_DIR \\
        --capture /tmp/rtqa-candidates.pkl --out docs/results/realtimeqa-session14-profile-sweep.md

The candidates the product's ranking step receives for every question, with and without its
as-of date, are captured once (`realtimeqa_article_weight.capture`, the same file format) and
re-ranked with the product's own `HybridRetriever._rank` under each setting. Only the tuning
half (questions asked before 2022-09-01) is printed: choose on it, then measure the held-out
half once with `rag bench --as-of question`.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from realtimeqa_article_weight import SPLIT, capture  # noqa: E402


def top_articles(row: dict[str, Any], weight: float, depth: int, bandwidth: float) -> list[str]:
    from rag.keyword import KeywordIndex
    from rag.retrieve import HybridRetriever
    from rag.settings import Settings

    s = Settings()
    r = HybridRetriever(store=None, keyword=KeywordIndex.__new__(KeywordIndex), embedder=None,
                        bm25_weight=s.bm25_weight, article_weight=s.article_weight, recency_weight=s.recency_weight,
                        recency_half_life=s.recency_half_life, recent_days=s.recent_days,
                        profile_weight=weight, profile_depth=depth, profile_bandwidth=bandwidth)
    ranked = r._rank(row["dense"], row["sparse"], row["about"], row["scope"], row["articles"])
    return list(dict.fromkeys(row["about"][cid][0] for cid, _ in ranked[:40]))[:10]


def metrics(rows: list[dict[str, Any]], golds: dict[str, set[str]], **variant: Any) -> list[float]:
    from rag.bench import retrieval_metrics  # the bench's own article-level measures

    m = retrieval_metrics([top_articles(row, **variant) for row in rows], [golds[row["id"]] for row in rows])
    return [m["hits@1"], m["hits@5"], m["hits@10"], m["mrr@10"]]


VARIANTS: dict[str, dict[str, Any]] = {
    "no profile (session 9 default)": {"weight": 0.0, "depth": 20, "bandwidth": 3.0},
    **{f"weight {w}, depth {d}, bandwidth {b}": {"weight": w, "depth": d, "bandwidth": b}
       for w in (0.25, 0.5, 1.0, 2.0) for d in (10, 20, 40) for b in (1.0, 3.0, 7.0)},
}


def main() -> int:
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
    lines = ["| variant (tune half only) | no date: H@1 | H@5 | H@10 | MRR@10 | as of: H@1 | H@5 | H@10 | MRR@10 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, variant in VARIANTS.items():
        cells = []
        for as_of in (False, True):
            part = [r for r in rows if r["as_of"] == as_of and r["id"] in tune]
            cells += [f"{m:.3f}" for m in metrics(part, golds, **variant)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.out:
        args.out.write_text(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
