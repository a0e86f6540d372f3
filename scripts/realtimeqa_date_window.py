"""RealTimeQA retrieval with and without a date window, on an index `rag bench` kept.

    rag bench /work/shared/bench/realtimeqa --keep-index --out DIR    # prints the index folder
    .venv/bin/python scripts/realtimeqa_date_window.py /work/shared/bench/realtimeqa --index FOLDER --out DIR

RealTimeQA questions are about "this week's" news ("Which show was recently green-lit?") and the
pooled corpus holds 22 weeks of similar stories, so the question text alone often matches an
older or newer article better than the gold one. A reader of the news asks with a time in mind;
the product's date filter (`Filters.date_from/date_to`, the UI's date range) expresses it. This
script scores the article-level Hits@1/5/10 and MRR@10 of each retrieval mode on the question
text alone and with the window [question date - DAYS, question date], to show how much of the
full-pool gap is time and how much is text.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag import Rag, Settings  # noqa: E402
from rag.bench import FETCH, MODES, article_ranking, retrieval_metrics  # noqa: E402
from rag.types import Filters  # noqa: E402


def main() -> int:
    args = _parser().parse_args()
    rag = Rag(Settings(data_dir=Path(args.index)))
    questions = [json.loads(line) for line in (Path(args.path) / "questions.jsonl").read_text().splitlines() if line]
    golds = [set(q["gold_ids"]) for q in questions]
    rows: dict[str, Any] = {}
    for days in (None, *args.days):
        for mode in MODES:
            rag.retriever.mode = mode
            rankings = [_ranking(rag, q, days) for q in questions]
            rows[f"{mode}, {'no window' if days is None else f'{days}-day window'}"] = retrieval_metrics(rankings, golds)
    rag.retriever.mode = "hybrid"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "date-window.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    table = ["| retrieval | Hits@1 | Hits@5 | Hits@10 | MRR@10 |", "|---|---|---|---|---|"]
    table += [f"| {name} | {m['hits@1']:.3f} | {m['hits@5']:.3f} | {m['hits@10']:.3f} | {m['mrr@10']:.3f} |"
              for name, m in rows.items()]
    (out / "date-window.md").write_text("\n".join(table) + "\n", encoding="utf-8")
    print("\n".join(table))
    return 0


def _ranking(rag: Rag, question: dict[str, Any], days: int | None) -> list[str]:
    """The articles of the first FETCH chunks, in rank order, within the window if any."""
    filters = None
    if days is not None:
        asked = _day(question["date"])
        filters = Filters(date_from=asked - timedelta(days=days), date_to=asked)
    passages = rag.retrieve(question["question"], k=FETCH, filters=filters)
    return article_ranking([p.chunk.id for p in passages], {p.chunk.id: p.chunk.article_id for p in passages})


def _day(text: str) -> date:
    return datetime.strptime(text, "%Y/%m/%d").date()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="folder with questions.jsonl (RealTimeQA)")
    parser.add_argument("--index", required=True, help="the data folder `rag bench` kept (--keep-index)")
    parser.add_argument("--days", type=int, nargs="*", default=[7, 14], help="window lengths to score")
    parser.add_argument("--out", required=True, help="folder for date-window.json and .md")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
