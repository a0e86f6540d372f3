"""Indexing speed against the LangChain RAG tutorial's pipeline, side by side on the same articles.

    .venv/bin/pip install -e ".[bench]"                           # langchain-chroma, for the tutorial side
    .venv/bin/python scripts/index_speed.py                       # tutorial vs ours, 40 articles, 3 rounds
    .venv/bin/python scripts/index_speed.py --variants tutorial,ours,ours:parallel=0,ours:title=0 --rounds 5
    .venv/bin/python scripts/index_speed.py --variants ours --rounds 1 --profile   # where the time goes

The articles: `--articles` (40) drawn with `--seed` (1) from the first `--pool` (400) lines of
RealTimeQA's articles.jsonl.gz. They are written to a temporary folder outside the project
(deleted afterwards) so that both pipelines read the same small file through
`rag.load.load_paths`; the evaluation data is never copied into the project.

- `tutorial`: LangChain's RAG tutorial: RecursiveCharacterTextSplitter(chunk_size=1000,
  chunk_overlap=200) over each article's text, all-MiniLM-L6-v2 through sentence-transformers
  (langchain-huggingface's HuggingFaceEmbeddings when installed, else the same model wrapped as a
  LangChain `Embeddings`), `Chroma.from_documents` (langchain-chroma) into a new folder; torch
  with its default threads.
- `ours`: `Rag(Settings(data_dir=tmp), embedder=...).index([file])` end to end with default
  settings (Chroma embedded, keyword index included).

Each run is a new Python process with a new temporary data folder; the model is loaded and
warmed before the clock starts (reported apart as `setup`). Rounds are interleaved, the order
rotating each round; the summary gives medians, and the ratio ours/tutorial both of the medians
and round by round (the robust figure on a shared machine). Load average is printed per run.

Levers, as `name:key=value,...` in `--variants`:
  tutorial: threads=N (torch threads; default: torch's own), batch=N (default 32)
  ours:     threads=N (Settings.threads), batch=N (OnnxEmbedder texts per batch, default 8),
            parallel=0|1 (batches side by side vs intra-op threads; OnnxEmbedder's default 1),
            processes=N (N embedding processes of one thread each, instead of OnnxEmbedder),
            title=0 (embed the passage without its title; the keyword index is unchanged),
            chunk=N (Settings.chunk_size), buffer=N (chunks per embed call, rag.indexer.EMBED_BUFFER),
            prefetch=1 (read, clean and chunk the next batch in a thread while this one embeds),
            writers=N (N processes, each `Rag.index` of every Nth article into the same folder,
            each with threads=1 unless threads= is given; the clock starts when all have warmed up)
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

DATA = Path("/work/shared/bench/realtimeqa/articles.jsonl.gz")


# -- the articles ---------------------------------------------------------------------------------

def write_sample(source: Path, n: int, pool: int, seed: int, folder: Path) -> Path:
    """`n` lines drawn at random (seeded) from the first `pool` non-blank lines of `source`."""
    lines: list[bytes] = []
    with gzip.open(source, "rb") as fh:
        for line in fh:
            if line.strip():
                lines.append(line)
            if len(lines) >= pool:
                break
    target = folder / "sample.jsonl"
    target.write_bytes(b"".join(random.Random(seed).sample(lines, n)))
    return target


def parse(spec: str) -> tuple[str, dict[str, int]]:
    name, _, rest = spec.partition(":")
    if name not in ("tutorial", "ours"):
        raise SystemExit(f"unknown variant {spec!r}: tutorial[:...] or ours[:...]")
    return name, {k: int(v) for k, v in (kv.split("=") for kv in rest.split(",") if kv)}


# -- one run, in its own process ------------------------------------------------------------------

class Timers:
    """Seconds spent inside wrapped functions, by name."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, obj: Any, attr: str, key: str) -> None:
        inner = getattr(obj, attr)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds[key] += time.perf_counter() - started

        setattr(obj, attr, timed)

    def iterate(self, items: Iterator[Any], key: str) -> Iterator[Any]:
        while True:
            started = time.perf_counter()
            try:
                item = next(items)
            except StopIteration:
                return
            finally:
                self.seconds[key] += time.perf_counter() - started
            yield item


def _children_cpu() -> float:
    """CPU seconds of this process's live child processes (embedding workers), from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for child in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        for pid in child.read_text().split():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _tokens(texts: list[str]) -> int:
    from tokenizers import Tokenizer

    from rag.embed import MAX_TOKENS, model_folder

    tokenizer = Tokenizer.from_file(str(model_folder() / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.no_padding()  # tokenizer.json pads every text to 128
    return sum(len(e.ids) for e in tokenizer.encode_batch(texts))


def run_tutorial(sample: Path, data_dir: Path, opts: dict[str, int]) -> dict[str, Any]:
    import torch

    if opts.get("threads"):
        torch.set_num_threads(opts["threads"])
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from rag.embed import model_folder
    from rag.load import load_paths

    started = time.perf_counter()
    batch = opts.get("batch", 32)
    try:
        from langchain_huggingface import HuggingFaceEmbeddings

        embeddings: Embeddings = HuggingFaceEmbeddings(
            model_name=str(model_folder()), model_kwargs={"device": "cpu", "local_files_only": True},
            encode_kwargs={"batch_size": batch})
        via = "langchain-huggingface"
    except ImportError:
        from sentence_transformers import SentenceTransformer

        class SentenceTransformerEmbeddings(Embeddings):  # what HuggingFaceEmbeddings does
            def __init__(self) -> None:
                self.model = SentenceTransformer(str(model_folder()), device="cpu", local_files_only=True)

            def embed_documents(self, texts: list[str]) -> list[list[float]]:
                vectors: list[list[float]] = self.model.encode(texts, batch_size=batch, show_progress_bar=False).tolist()
                return vectors

            def embed_query(self, text: str) -> list[float]:
                return self.embed_documents([text])[0]

        embeddings = SentenceTransformerEmbeddings()
        via = "sentence-transformers"
    embeddings.embed_query("warm up")
    setup = time.perf_counter() - started

    timers, embedded = Timers(), []
    inner_embed = embeddings.embed_documents

    def embed_documents(texts: list[str]) -> list[list[float]]:
        embedded.extend(texts)
        return inner_embed(texts)

    object.__setattr__(embeddings, "embed_documents", embed_documents)  # pydantic models refuse setattr
    timers.wrap(embeddings, "embed_documents", "embed")
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    timers.wrap(splitter, "split_documents", "split")

    cpu, wall = time.process_time(), time.perf_counter()
    docs = [Document(page_content=a.text, metadata={"source": a.source, "article_id": a.id})
            for a in timers.iterate(load_paths([sample]), "read") if not isinstance(a, str)]
    splits = splitter.split_documents(docs)
    store = Chroma.from_documents(splits, embeddings, persist_directory=str(data_dir / "chroma"),
                                  collection_name="tutorial")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert store._collection.count() == len(splits)
    return {"wall": wall, "cpu": cpu, "setup": setup, "chunks": len(splits), "articles": len(docs),
            "tokens": _tokens(embedded), "parts": dict(timers.seconds), "via": via,
            "threads": torch.get_num_threads()}


class ProcessEmbedder:
    """`processes` embedding processes, each an OnnxEmbedder on one thread; batches are farmed out."""

    def __init__(self, processes: int, batch: int) -> None:
        import multiprocessing

        from rag.embed import DIMENSION, MODEL_NAME

        self.name, self.dim, self.batch = MODEL_NAME, DIMENSION, batch
        self.pool = multiprocessing.get_context("spawn").Pool(processes, _worker_init, (batch,))

    def embed(self, texts: list[str]) -> Any:
        import numpy as np

        order = np.argsort([len(t) for t in texts], kind="stable")
        groups = [order[b : b + self.batch] for b in range(0, len(texts), self.batch)][::-1]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for idx, vectors in zip(groups, self.pool.imap(_worker_embed, [[texts[i] for i in g] for g in groups]),
                                strict=True):
            out[idx] = vectors
        return out


_WORKER: Any = None


def _worker_init(batch: int) -> None:
    global _WORKER
    from rag.embed import OnnxEmbedder

    _WORKER = OnnxEmbedder(1, batch_size=batch)
    _WORKER.embed(["warm up"])


def _worker_embed(texts: list[str]) -> Any:
    return _WORKER.embed(texts)


def _prefetching(batches: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """`_batches`, with the next batch read, cleaned and chunked in a thread meanwhile."""
    import queue
    import threading

    def prefetched(*args: Any, **kwargs: Any) -> Iterator[Any]:
        ready: queue.Queue[Any] = queue.Queue(maxsize=1)
        done = object()

        def produce() -> None:
            try:
                for item in batches(*args, **kwargs):
                    ready.put(item)
            except BaseException as err:  # noqa: BLE001  # handed to the consumer, which raises it
                ready.put(err)
            ready.put(done)

        threading.Thread(target=produce, daemon=True).start()
        while (item := ready.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item

    return prefetched


def _writer(part: Path, data_dir: Path, threads: int, ready: Any, go: Any, out: Any) -> None:
    from rag import Rag, Settings
    from rag.embed import OnnxEmbedder

    settings = Settings(data_dir=data_dir, threads=threads)
    embedder = OnnxEmbedder(settings.threads)
    embedder.embed(["warm up"])
    embedder.embed(["warm up"] * 8 * settings.threads)
    ready.release()
    go.wait()
    cpu = time.process_time()
    report = Rag(settings, embedder=embedder).index([part])
    out.put((report.added, report.articles, time.process_time() - cpu))


def run_writers(sample: Path, data_dir: Path, opts: dict[str, int]) -> dict[str, Any]:
    """`writers` processes indexing every Nth article of the sample into one data folder."""
    import multiprocessing

    n = opts["writers"]
    lines = sample.read_bytes().splitlines(keepends=True)
    parts = []
    for i in range(n):
        parts.append(data_dir.parent / f"{data_dir.name}-part{i}.jsonl")
        parts[-1].write_bytes(b"".join(lines[i::n]))
    ctx = multiprocessing.get_context("spawn")
    ready, go, out = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    started = time.perf_counter()
    procs = [ctx.Process(target=_writer, args=(part, data_dir, opts.get("threads", 1), ready, go, out))
             for part in parts]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.acquire()
    setup = time.perf_counter() - started
    wall = time.perf_counter()
    go.set()
    results = [out.get() for _ in procs]
    for proc in procs:
        proc.join()
    wall = time.perf_counter() - wall
    for part in parts:
        part.unlink()
    return {"wall": wall, "cpu": sum(r[2] for r in results), "setup": setup, "chunks": sum(r[0] for r in results),
            "articles": sum(r[1] for r in results), "tokens": 0, "parts": {}, "threads": opts.get("threads", 1)}


def run_ours(sample: Path, data_dir: Path, opts: dict[str, int]) -> dict[str, Any]:
    if opts.get("writers"):
        return run_writers(sample, data_dir, opts)
    from rag import Rag, Settings
    from rag import indexer as pipeline  # the indexing loop (moved out of rag.pipeline)
    from rag.chunk import Chunker
    from rag.embed import OnnxEmbedder

    fields: dict[str, Any] = {"data_dir": data_dir}
    if "threads" in opts:
        fields["threads"] = opts["threads"]
    if "chunk" in opts:
        fields["chunk_size"] = opts["chunk"]
    settings = Settings(**fields)
    batch = opts.get("batch", 8)  # OnnxEmbedder's default
    started = time.perf_counter()
    embedder: Any
    if opts.get("processes"):
        embedder = ProcessEmbedder(opts["processes"], batch)
        embedder.embed(["warm up"] * batch * opts["processes"] * 2)
    else:
        embedder = OnnxEmbedder(settings.threads, batch_size=batch, parallel_batches=bool(opts.get("parallel", 1)))
        embedder.embed(["warm up"])
        embedder.embed(["warm up"] * batch * settings.threads)
    setup = time.perf_counter() - started

    timers, embedded = Timers(), []
    inner_embed = embedder.embed

    def embed(texts: list[str]) -> Any:
        embedded.extend(texts)
        return inner_embed(texts)

    embedder.embed = embed
    timers.wrap(embedder, "embed", "embed")
    if opts.get("title", 1) == 0:
        pipeline.keyword_text = lambda chunk: chunk.text  # type: ignore[attr-defined]  # what is embedded only
    if "buffer" in opts:
        pipeline.EMBED_BUFFER = opts["buffer"]
    load_paths = pipeline.load_paths  # type: ignore[attr-defined]
    pipeline.load_paths = lambda *a, **k: timers.iterate(iter(load_paths(*a, **k)), "read")  # type: ignore[attr-defined]
    timers.wrap(pipeline, "clean", "clean")
    timers.wrap(Chunker, "chunks", "chunk")
    if opts.get("prefetch"):
        pipeline._batches = _prefetching(pipeline._batches)

    cpu, children, wall = time.process_time(), _children_cpu(), time.perf_counter()
    rag = Rag(settings, embedder=embedder)
    timers.seconds["open"] = time.perf_counter() - wall
    timers.wrap(rag.store, "upsert", "chroma upsert")
    timers.wrap(rag.store, "ids_by_article", "chroma reads")
    for obj, attr in ((getattr(rag, "sync", None), "publish"), (pipeline, "sync_keyword")):
        if obj is not None and hasattr(obj, attr):
            timers.wrap(obj, attr, "keyword index")
    report = rag.index([sample])
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu + _children_cpu() - children
    return {"wall": wall, "cpu": cpu, "setup": setup, "chunks": report.added, "articles": report.articles,
            "tokens": _tokens(embedded), "parts": dict(timers.seconds), "threads": settings.threads}


def child(spec: str, sample: Path) -> None:
    name, opts = parse(spec)
    data_dir = Path(tempfile.mkdtemp(prefix="index-speed-"))
    try:
        load = os.getloadavg()[0]
        result = (run_tutorial if name == "tutorial" else run_ours)(sample, data_dir, opts)
        result.update(spec=spec, load_start=load, load_end=os.getloadavg()[0])
        print("RESULT " + json.dumps(result), flush=True)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def run_child(spec: str, sample: Path, profile: Path | None) -> dict[str, Any]:
    cmd = [sys.executable]
    if profile:
        cmd += ["-m", "cProfile", "-o", str(profile)]
    cmd += [__file__, "--child", spec, "--sample", str(sample)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        raise SystemExit(f"{spec} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT "):])
    return result


# -- the comparison -------------------------------------------------------------------------------

def summarise(results: dict[str, list[dict[str, Any]]]) -> str:
    base = "tutorial" if "tutorial" in results else next(iter(results))
    base_wall = statistics.median(r["wall"] for r in results[base])
    base_cpu = statistics.median(r["cpu"] for r in results[base])
    header = (f"| variant | chunks | tokens | index wall s (median) | CPU s (median) | setup s | wall vs {base} "
              f"| per round | CPU vs {base} | load (start-end) |")
    rows = [header, "|---|---|---|---|---|---|---|---|---|---|"]
    for spec, runs in results.items():
        wall = statistics.median(r["wall"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        paired = [round(r["wall"] / b["wall"], 2) for r, b in zip(runs, results[base], strict=False)]
        loads = [r["load_start"] for r in runs] + [r["load_end"] for r in runs]
        rows.append(f"| {spec} | {runs[0]['chunks']} | {runs[0]['tokens']:,} | {wall:.2f} | {cpu:.2f} | "
                    f"{statistics.median(r['setup'] for r in runs):.1f} | {wall / base_wall:.2f}x | "
                    f"{', '.join(map(str, paired))} | {cpu / base_cpu:.2f}x | {min(loads):.1f}-{max(loads):.1f} |")
    rows.append("")
    rows.append("Where the index time goes (medians, seconds; parts may overlap with prefetch):")
    for spec, runs in results.items():
        keys = sorted({k for r in runs for k in r["parts"]})
        wall = statistics.median(r["wall"] for r in runs)
        parts = {k: statistics.median(r["parts"].get(k, 0.0) for r in runs) for k in keys}
        rest = wall - sum(parts.values())
        text = ", ".join(f"{k} {v:.2f} ({v / wall:.0%})" for k, v in parts.items())
        rows.append(f"- {spec}: {text}, rest {rest:.2f} ({rest / wall:.0%})")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--data", type=Path, default=DATA, help="RealTimeQA articles.jsonl.gz (read in place)")
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--pool", type=int, default=400, help="draw from the first N lines")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", default="tutorial,ours", help="comma-separated; see below")
    parser.add_argument("--profile", type=Path, help="cProfile each run into this folder (slows it)")
    parser.add_argument("--json", type=Path, help="write every run's figures here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--sample", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.sample)
        return

    # "ours:threads=1,processes=2" holds a comma: variants are split before each name.
    specs, current = [], ""
    for piece in args.variants.split(","):
        if piece.startswith(("tutorial", "ours")) and current:
            specs.append(current)
            current = piece
        else:
            current = f"{current},{piece}" if current else piece
    specs.append(current)
    for spec in specs:
        parse(spec)

    folder = Path(tempfile.mkdtemp(prefix="index-speed-sample-"))
    try:
        sample = write_sample(args.data, args.articles, args.pool, args.seed, folder)
        print(f"{args.articles} articles (seed {args.seed}, first {args.pool} lines of {args.data}); "
              f"{os.cpu_count()} cores; load {os.getloadavg()}", flush=True)
        results: dict[str, list[dict[str, Any]]] = {spec: [] for spec in specs}
        for round_ in range(args.rounds):
            order = specs[round_ % len(specs):] + specs[: round_ % len(specs)]
            for spec in order:
                profile = None
                if args.profile:
                    args.profile.mkdir(parents=True, exist_ok=True)
                    profile = args.profile / f"{spec.replace(':', '_').replace(',', '_')}-{round_}.prof"
                result = run_child(spec, sample, profile)
                results[spec].append(result)
                parts = ", ".join(f"{k} {v:.2f}" for k, v in sorted(result["parts"].items()))
                print(f"round {round_ + 1} {spec:32s} wall {result['wall']:6.2f} s  CPU {result['cpu']:6.2f} s  "
                      f"setup {result['setup']:4.1f} s  {result['chunks']} chunks  {result['tokens']:,} tokens  "
                      f"load {result['load_start']:.2f}->{result['load_end']:.2f}  [{parts}]", flush=True)
        print()
        print(summarise(results))
        print(f"\nload average at the end: {os.getloadavg()}")
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
