"""Embedded vs server mode on the same data: indexing throughput and retrieval latency.

    .venv/bin/python scripts/bench_store_modes.py /work/shared/bench/realtimeqa --limit 150 --out DIR

Starts its own `chroma run` on 127.0.0.1 (a temporary folder, a free port) unless --chroma-url is
given, and measures, on the first --limit articles of RealTimeQA (evaluation data only; nothing
is copied into the project):

1. end-to-end indexing of the first --e2e-limit articles, once per mode through `Rag.index()`
   with the real embedder, time split into embedding and the rest (the store's part);
2. indexing of all --limit articles, --rounds times per mode, with the vectors replayed from
   memory (each text is embedded once, untimed), modes alternating and the order flipped each
   round: the store's cost compared under the same machine load, without the embedding (98% of
   step 1) drowning it;
3. retrieval latency, question by question, each question run in both modes back to back (order
   flipped each time), --rounds passes: the hybrid search at the configured top_k as the pipeline
   does it, and its store calls alone (Chroma query with a fixed vector, the generation check).

Prints a markdown table and writes the JSON to --out.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag import Rag, Settings  # noqa: E402
from rag.bench import machine, percentile, read_articles, read_questions, timed_methods  # noqa: E402
from rag.embed import Embedder, make_embedder  # noqa: E402

MODES = ("embedded", "server")


class Replay:
    """The real embedder, remembering every vector. `state`: "real" embeds everything (timed
    runs), "fill" embeds only texts not seen yet, "replay" serves every vector from memory."""

    def __init__(self, real: Embedder) -> None:
        self.real, self.name, self.dim = real, real.name, real.dim
        self.memory: dict[str, np.ndarray] = {}
        self.state = "real"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(texts) if self.state == "real" else [t for t in texts if t not in self.memory]
        if missing:
            assert self.state != "replay", "replayed a text that was never embedded"
            self.memory.update(zip(missing, self.real.embed(missing), strict=True))
        return np.stack([self.memory[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


@contextmanager
def chroma(url: str | None, folder: Path) -> Iterator[str]:
    if url:
        yield url
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from chroma_server import chroma_server

    with chroma_server(folder / "server-db") as started:
        yield started


def fresh(mode: str, work: Path, url: str, embedder: Any, n: int) -> Rag:
    data = work / f"{mode}-{n}"
    settings = Settings(data_dir=data, chroma_url=url if mode == "server" else None, collection=f"bench-{mode}-{n}")
    return Rag(settings, embedder=embedder)


def index_once(rag: Rag, source: Path) -> dict[str, float]:
    timers: dict[str, float] = {}
    with timed_methods([(rag.embedder, "embed", "embed")], timers):
        started = time.perf_counter()
        report = rag.index([source])
        seconds = time.perf_counter() - started
    chunks = report.added + report.updated
    rest = seconds - timers["embed"]
    return {"chunks": chunks, "seconds": seconds, "chunks_per_s": chunks / seconds,
            "embed_s": timers["embed"], "store_and_rest_s": rest, "chunks_per_s_without_embedding": chunks / rest}


def indexing(sources: tuple[Path, Path], work: Path, url: str, replay: Replay, rounds: int) -> dict[str, Any]:
    """End to end on the first slice (real embedding each time), then every mode `rounds` times
    on the whole slice with the vectors replayed, order flipped each round."""
    small, whole = sources
    end_to_end = {mode: index_once(fresh(mode, work, url, replay, 0), small) for mode in MODES}
    replay.state = "fill"
    fresh("embedded", work, url, replay, -1).index([whole])  # embeds the rest of the slice once, untimed
    replay.state = "replay"
    replayed: dict[str, list[dict[str, float]]] = {m: [] for m in MODES}
    for r in range(1, rounds + 1):
        for mode in (MODES if r % 2 else MODES[::-1]):
            replayed[mode].append(index_once(fresh(mode, work, url, replay, r), whole))
    replay.state = "real"
    return {"end_to_end": end_to_end, "replayed_vectors": replayed}


def latency(rags: dict[str, Rag], questions: list[str], rounds: int) -> dict[str, Any]:
    times: dict[str, dict[str, list[float]]] = {m: {"hybrid": [], "chroma_query": [], "generation": []} for m in MODES}
    vectors = rags["embedded"].embedder.embed(questions)
    same = 0
    for r in range(rounds):
        for i, q in enumerate(questions):
            order = MODES if (i + r) % 2 else MODES[::-1]
            tops = {mode: time_one(rags[mode], q, vectors[i], times[mode]) for mode in order}
            same += tops["embedded"] == tops["server"]
    summary = {mode: {part: {"p50_ms": percentile(v, 50) * 1000, "p95_ms": percentile(v, 95) * 1000,
                             "n": len(v)} for part, v in parts.items()} for mode, parts in times.items()}
    return {**summary, "same_top_k_share": same / (rounds * len(questions))}


def time_one(rag: Rag, question: str, vector: np.ndarray, times: dict[str, list[float]]) -> list[str]:
    started = time.perf_counter()
    passages = rag.retrieve(question)
    times["hybrid"].append(time.perf_counter() - started)
    started = time.perf_counter()
    rag.store.search(vector, rag.settings.fetch_k)
    times["chroma_query"].append(time.perf_counter() - started)
    started = time.perf_counter()
    rag.store.generation()
    times["generation"].append(time.perf_counter() - started)
    return [p.chunk.id for p in passages]


def chromadb_version() -> str:
    import chromadb

    return str(chromadb.__version__)


def markdown(result: dict[str, Any]) -> str:
    ix, lat, m = result["indexing"], result["latency"], result["machine"]
    chunks = ix["replayed_vectors"]["embedded"][0]["chunks"]
    lines = [f"{result['articles']} articles, {chunks:,} chunks, "
             f"{result['questions']} questions; {m['cpus']} cores ({m['cpu_model']}), load average at start "
             f"{m['loadavg']}, at end {result['loadavg_end']}; Chroma server on the same machine (127.0.0.1).", "",
             "| | embedded | server | server / embedded |", "|---|---|---|---|"]

    def row(label: str, a: float, b: float, fmt: str = "{:.1f}") -> None:
        lines.append(f"| {label} | {fmt.format(a)} | {fmt.format(b)} | {b / a:.2f} |")

    e2e = ix["end_to_end"]
    row(f"indexing end to end, first {result['e2e_articles']} articles "
        f"({e2e['embedded']['chunks']:,} chunks) (chunks/s)", e2e["embedded"]["chunks_per_s"], e2e["server"]["chunks_per_s"])
    row("of which embedding (s)", e2e["embedded"]["embed_s"], e2e["server"]["embed_s"])
    row("of which store and the rest (s)", e2e["embedded"]["store_and_rest_s"], e2e["server"]["store_and_rest_s"])
    med = {mode: float(np.median([r["chunks_per_s"] for r in ix["replayed_vectors"][mode]])) for mode in MODES}
    row(f"indexing all {chunks:,} chunks with replayed vectors, median of {len(ix['replayed_vectors']['embedded'])} (chunks/s)",
        med["embedded"], med["server"])
    for part, label in (("hybrid", "retrieval, hybrid top_k incl. query embedding"),
                        ("chroma_query", "Chroma query alone (fetch_k, fixed vector)"),
                        ("generation", "generation check alone")):
        for q in ("p50_ms", "p95_ms"):
            row(f"{label}, {q[:3]} (ms)", lat["embedded"][part][q], lat["server"][part][q], "{:.2f}")
    lines.append(f"\nSame top_k chunk ids in both modes: {lat['same_top_k_share']:.1%} of queries.")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="folder with articles.jsonl.gz and questions.jsonl")
    parser.add_argument("--limit", type=int, default=150, help="first N articles (default 150)")
    parser.add_argument("--e2e-limit", type=int, default=40,
                        help="articles indexed end to end with real embedding, once per mode (default 40)")
    parser.add_argument("--rounds", type=int, default=3, help="replayed indexing runs and latency passes per mode")
    parser.add_argument("--chroma-url", help="an existing Chroma server instead of starting one")
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="newsrag-modes-"))
    try:
        result = run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "store-modes.json").write_text(json.dumps(result, indent=2, default=str))
    (args.out / "store-modes.md").write_text(markdown(result))
    print(markdown(result))
    return 0


def write(articles: list[dict[str, Any]], path: Path) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(a) + "\n" for a in articles)
    return path


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    started_machine = machine()
    articles = read_articles(args.path / "articles.jsonl.gz", args.limit)
    sources = (write(articles[: args.e2e_limit], work / "first.jsonl.gz"), write(articles, work / "all.jsonl.gz"))
    questions = [q["question"] for q in read_questions(args.path / "questions.jsonl", {a["id"] for a in articles})]
    replay = Replay(make_embedder(Settings(data_dir=work)))
    replay.real.embed(["warm-up: load the model before timing"])
    with chroma(args.chroma_url, work) as url:
        ix = indexing(sources, work, url, replay, args.rounds)
        rags = {mode: fresh(mode, work, url, replay, 1) for mode in MODES}  # indexed in round 1
        for rag in rags.values():
            rag.retrieve(questions[0])  # loads BM25 and the HNSW index before timing
        lat = latency(rags, questions, args.rounds)
    return {"articles": len(articles), "e2e_articles": min(args.e2e_limit, len(articles)), "questions": len(questions), "machine": started_machine,
            "loadavg_end": [round(x, 2) for x in os.getloadavg()], "chromadb": chromadb_version(),
            "indexing": ix, "latency": lat}


if __name__ == "__main__":
    raise SystemExit(main())
