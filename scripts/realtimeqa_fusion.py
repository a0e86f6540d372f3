"""Fusion and time priors for RealTimeQA, recomputed offline from one set of candidate lists.

    .venv/bin/python scripts/realtimeqa_fusion.py /work/shared/bench/realtimeqa --index DATA_DIR \
        --lists /tmp/rtqa-lists.json --out docs/results/realtimeqa-fusion.md

1. `--index` is a data dir holding the full RealTimeQA index (`RAG_DATA_DIR=DIR rag index
   articles.jsonl.gz`, or `rag bench --keep-index`). For every question the dense
   and BM25 candidates (DEPTH chunks each, question text only, no filter) are written to
   `--lists` once (about a minute); later runs reuse the file.
2. Each variant ranks articles from those lists: article score = fused score of its best
   passage, plus the time priors; "as of" removes articles published after the question's date.
   Metrics are article-level Hits@1/5/10 and MRR@10, for the tuning half (questions dated
   before 2022-09-01) and the held-out half separately.

The winning variant's parameters are the defaults in rag.settings (retrieval section); `rag
bench --as-of question` then measures the product path itself.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEPTH = 300
SPLIT = date(2022, 9, 1)
NEWEST = date(2022, 11, 10)  # set from the lists in main(): the newest article's date


def dump_lists(index: Path, questions: list[dict[str, Any]], out: Path) -> None:
    from rag import Rag, Settings

    rag = Rag(Settings(data_dir=index))
    rag.retriever.search("warm up", 5)
    rows = []
    for q in questions:
        vector = rag.embedder.embed([q["question"]])[0]
        dense = rag.store.search(vector, DEPTH)
        sparse = rag.keyword.search(q["question"], DEPTH)
        about = rag.keyword.about([cid for cid, _ in sparse])
        days = [about.get(cid, ("", ""))[1] for cid, _ in sparse]
        arts = [about.get(cid, ("", ""))[0] for cid, _ in sparse]
        rows.append({
            "id": q["id"],
            "dense": [(c.id, c.article_id, c.published, round(s, 5)) for c, s in dense],
            "bm25": [(cid, a, d, round(s, 4)) for (cid, s), a, d in zip(sparse, arts, days, strict=True)],
        })
    out.write_text(json.dumps(rows))


@functools.cache
def scope(question: str, as_of: date | None, now: date) -> Any:
    from rag.when import scope as time_scope

    return time_scope(question, as_of, now)


def retriever(bm25_weight: float, recency_weight: float, half_life: float, recent_days: int) -> Any:
    """The product's ranking (rag.retrieve.HybridRetriever._rank) with these settings; no
    store or model is touched: the candidate lists are given."""
    from rag.keyword import KeywordIndex
    from rag.retrieve import HybridRetriever

    return HybridRetriever(store=None, keyword=KeywordIndex(Path("/nonexistent")), embedder=None,
                           bm25_weight=bm25_weight, recency_weight=recency_weight,
                           recency_half_life=half_life, recent_days=recent_days)


Variant = Callable[[dict[str, Any], dict[str, Any]], list[str]]


def ranker(bm25_weight: float, recency: float, half_life: float, as_of: bool, recent_days: int = 0,
           relative_without_as_of: bool = True, depth: tuple[int, int] = (40, 40)) -> Variant:
    from rag.keyword import About
    from rag.types import TimeScope

    r = retriever(bm25_weight, recency, half_life, recent_days)

    def rank(row: dict[str, Any], q: dict[str, Any]) -> list[str]:
        asked = date.fromisoformat(q["date"].replace("/", "-"))
        limit = asked.isoformat() if as_of else "9999"
        dense = [c for c in row["dense"] if not c[2] or c[2] <= limit][: depth[0]]
        sparse = [c for c in row["bm25"] if not c[2] or c[2] <= limit][: depth[1]]
        about = {c[0]: About(c[1], c[2]) for c in dense + sparse}
        if as_of:
            found = scope(q["question"], asked, NEWEST)
        elif relative_without_as_of:
            found = scope(q["question"], None, NEWEST)
        else:
            found = TimeScope()
        ranked = r._rank([(c[0], c[3]) for c in dense], [(c[0], c[3]) for c in sparse], about, found)
        return list(dict.fromkeys(about[cid][0] for cid, _ in ranked))[:10]

    return rank


def metrics(ranked: list[list[str]], golds: list[set[str]]) -> dict[str, float]:
    out = {"hits@1": 0.0, "hits@5": 0.0, "hits@10": 0.0, "mrr@10": 0.0}
    for r, g in zip(ranked, golds, strict=True):
        pos = next((i for i, a in enumerate(r[:10], start=1) if a in g), None)
        for n in (1, 5, 10):
            out[f"hits@{n}"] += bool(pos and pos <= n)
        out["mrr@10"] += 1 / pos if pos else 0.0
    return {k: round(v / max(len(golds), 1), 3) for k, v in out.items()}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("path", type=Path)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--lists", type=Path, required=True)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    questions = [json.loads(line) for line in (args.path / "questions.jsonl").read_text().splitlines() if line.strip()]
    if not args.lists.exists():
        dump_lists(args.index, questions, args.lists)
    rows = {r["id"]: r for r in json.loads(args.lists.read_text())}
    global NEWEST
    NEWEST = max(date.fromisoformat(c[2]) for r in rows.values() for c in r["dense"] + r["bm25"] if c[2])
    questions = [q for q in questions if q["id"] in rows]
    halves = {
        "tune (< 2022-09-01)": [q for q in questions if q["date"].replace("/", "-") < SPLIT.isoformat()],
        "held out (>= 2022-09-01)": [q for q in questions if q["date"].replace("/", "-") >= SPLIT.isoformat()],
    }
    variants: dict[str, Variant] = {}
    for as_of in (False, True):
        tag = "as of" if as_of else "no date"
        for depth in (40, 120):
            variants[f"{tag}: dense only, depth {depth}"] = ranker(0.0, 0.0, 7, as_of, depth=(depth, 0))
            variants[f"{tag}: BM25 only, depth {depth}"] = ranker(1.0, 0.0, 7, as_of, depth=(0, depth))
            for w in (0.15, 0.3, 0.6):
                variants[f"{tag}: fused, bm25 {w}, depth {depth}"] = ranker(w, 0.0, 7, as_of, depth=(depth, depth))
                for rec in (1.0, 2.0, 4.0, 8.0):
                    for hl in (2, 4, 7, 14):
                        for recent in ((0, 7) if as_of else (0,)):
                            variants[f"{tag}: fused, bm25 {w}, depth {depth}, recent {recent} d, recency x{rec} "
                                     f"half-life {hl} d"] = ranker(w, rec, hl, as_of, recent, depth=(depth, depth))
                            if not as_of:
                                variants[f"{tag}: fused, bm25 {w}, depth {depth}, recency x{rec} half-life {hl} d, "
                                         "relative times ignored"] = ranker(w, rec, hl, as_of, recent, False,
                                                                            depth=(depth, depth))
    lines = ["| variant | " + " | ".join(f"{h} H@1 | H@5 | H@10 | MRR" for h in halves) + " |",
             "|---|" + "---|" * (4 * len(halves))]
    for name, variant in variants.items():
        cells = []
        for qs in halves.values():
            m = metrics([variant(rows[q["id"]], q) for q in qs], [set(q["gold_ids"]) for q in qs])
            cells += [f"{m['hits@1']:.3f}", f"{m['hits@5']:.3f}", f"{m['hits@10']:.3f}", f"{m['mrr@10']:.3f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.out:
        args.out.write_text(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
