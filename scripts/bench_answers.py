"""Multiple-choice answers on an index `rag bench` kept, without indexing again.

    rag bench /work/shared/bench/realtimeqa --keep-index --out DIR    # prints the index folder
    .venv/bin/python scripts/bench_answers.py /work/shared/bench/realtimeqa --index FOLDER \
        --generators llamacpp --limit 30 --out DIR

Indexing the full RealTimeQA set takes about an hour on two cores, and a local language model
needs half a minute or more per answer there, so the slow generators are scored afterwards, on
a stated fixed subset (the first --limit questions in file order), against the same index. The
scoring is `rag.bench.run_answers`: the question text alone (as of its own date with --as-of); an
answer counts when it names the right choice's text and no other choice's and cites a gold article.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402

from rag import Rag, Settings  # noqa: E402
from rag.bench import answers_table, machine, read_questions, run_answers  # noqa: E402


def main() -> int:
    args = _parser().parse_args()
    rag = Rag(Settings(data_dir=Path(args.index)))
    indexed = {a.id for a in rag.articles()}
    questions = read_questions(Path(args.path) / "questions.jsonl", indexed)[: args.limit or None]
    started = machine()
    answers = run_answers(rag, questions, args.generators.split(","), Console(stderr=True), args.as_of)
    result = {"machine": started, "loadavg_end": [round(x, 2) for x in os.getloadavg()],
              "index": args.index, "articles_indexed": len(indexed), "subset": f"first {len(questions)} questions",
              "llm_excerpt_sentences": rag.settings.llm_excerpt_sentences, "answers": answers}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "answers.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    (out / "answers.md").write_text(_markdown(result), encoding="utf-8")
    print(_markdown(result))
    return 0


def _markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [f"# RealTimeQA multiple-choice answers ({result['subset']}, {result['articles_indexed']:,} articles indexed)",
             "", f"- machine: {m['cpus']} cores, {m['cpu_model']}, {m['memory_gb']} GB RAM; load average at start "
             f"{m['loadavg']}, at end {result['loadavg_end']}", "",
             *answers_table(result["answers"])]
    return "\n".join(lines) + "\n"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="folder with questions.jsonl (RealTimeQA)")
    parser.add_argument("--index", required=True, help="the data folder `rag bench` kept (--keep-index)")
    parser.add_argument("--generators", default="llamacpp", help="comma-separated generators")
    parser.add_argument("--limit", type=int, default=30, help="the first N questions (0 = all)")
    parser.add_argument("--out", required=True, help="folder for answers.json and answers.md")
    parser.add_argument("--as-of", action="store_true", dest="as_of", help="ask each question as of its own date")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
