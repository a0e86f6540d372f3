"""Embedding cost of our indexing against the LangChain tutorial pipeline, in CPU-seconds.

    .venv/bin/python scripts/embed_vs_baseline.py /work/shared/bench/realtimeqa --articles 20

Embedding is 97-99% of indexing time (docs/benchmarks.md), so the indexing-speed comparison
with the tutorial pipeline is a comparison of embedding work on the same articles:
- baseline: RecursiveCharacterTextSplitter(1000, 200) chunks, all-MiniLM-L6-v2 through
  sentence-transformers (fp32), batch 32 -- the tutorial's setup;
- ours: our cleaned 600/0 chunks as indexed (title + passage), with sentence-transformers and
  with the default int8 ONNX backend, and without the title prefix.

Each setup runs single-threaded and is timed in CPU-seconds of this process (time.process_time),
rounds interleaved: on a shared machine wall time measures the neighbours, CPU time measures the
work. Prints token counts and each setup's speed relative to the baseline (higher = faster).
Evaluation data is read in place, never copied into the project.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from langchain_text_splitters import RecursiveCharacterTextSplitter  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

from rag.chunk import Chunker  # noqa: E402
from rag.clean import clean  # noqa: E402
from rag.embed import OnnxEmbedder, model_folder  # noqa: E402
from rag.load import RawArticle, load_paths  # noqa: E402
from rag.sync import keyword_text  # noqa: E402


def sample(path: Path, n: int, seed: int) -> list[RawArticle]:
    """`n` articles drawn at random from the first 400 (a fixed, seeded sample)."""
    first: list[RawArticle] = []
    for item in load_paths([path / "articles.jsonl.gz"]):
        if not isinstance(item, str):
            first.append(item)
        if len(first) >= 400:
            break
    return random.Random(seed).sample(first, n)


def setups(articles: list[RawArticle]) -> tuple[dict[str, list[str]], dict[str, Callable[[list[str]], object]]]:
    ours = [c for a in articles for c in Chunker(600, 0).chunks(clean(a))]
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    texts = {
        "baseline": [d for a in articles for d in splitter.split_text(a.text)],
        "ours": [keyword_text(c) for c in ours],
        "ours, no title": [c.text for c in ours],
    }
    st = SentenceTransformer(str(model_folder()), device="cpu", local_files_only=True)
    onnx = OnnxEmbedder(threads=1)
    runs = {
        "baseline: 1000/200, sentence-transformers fp32": lambda t: st.encode(t, batch_size=32),
        "ours: 600/0 + title, sentence-transformers fp32": lambda t: st.encode(t, batch_size=32),
        "ours: 600/0 + title, onnx int8 (default)": onnx.embed,
        "ours: 600/0 no title, onnx int8": onnx.embed,
    }
    return texts, runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)
    texts, runs = setups(sample(args.path, args.articles, args.seed))
    inputs = [texts["baseline"], texts["ours"], texts["ours"], texts["ours, no title"]]
    tokenizer = SentenceTransformer(str(model_folder()), device="cpu", local_files_only=True).tokenizer
    for name, batch in texts.items():
        tokens = sum(min(len(tokenizer(t)["input_ids"]), 256) for t in batch)
        print(f"{name}: {len(batch)} chunks, {tokens} tokens")
    for (_, run), batch in zip(runs.items(), inputs, strict=True):
        run(batch[:8])  # warm-up: sessions and thread pools
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for (name, run), batch in zip(runs.items(), inputs, strict=True):
            started = time.process_time()
            run(batch)
            seconds[name].append(time.process_time() - started)
    base = statistics.median(seconds["baseline: 1000/200, sentence-transformers fp32"])
    for name, values in seconds.items():
        median = statistics.median(values)
        print(f"{name:50s} {median:6.2f} CPU-s  speed vs baseline {base / median:.2f}x")


if __name__ == "__main__":
    main()
