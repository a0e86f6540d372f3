"""What one article costs to add, change and remove, in an archive and in an empty index.

    .venv/bin/python scripts/bench_updates.py /work/shared/bench/realtimeqa --index DIR [--reps 5]
    .venv/bin/python scripts/bench_updates.py /work/shared/bench/realtimeqa --index DIR \
        --chroma-url http://127.0.0.1:8000 --writers 2     # server mode, two writer processes

DIR holds a full index of the archive (`RAG_DATA_DIR=DIR rag index articles.jsonl.gz`). Each
repetition takes one of the archive's articles under a new id, then times, in this process:
- add: `index()` of that article as a new one, then the next search (`retrieve`) that must
  find it: what a user who uploads one article waits for;
- change: `index()` of the same id with one paragraph added, then the next search;
- remove: `remove()` of it, then the next search.
The archive ends as it started. The same runs into an empty index in a temporary folder give the
baseline. Prints medians (ms), the archive's passage count, peak RSS (ru_maxrss) after loading
and after the runs, and the load average. Evaluation data is read in place, never copied.

Server mode (`--chroma-url`): the archive's collection is first copied, vectors and all, into
the server (once: skipped when the server's collection is full), and `--writers` processes, each
with its own data folder (separate machines), run the same loop at the same time on different
articles; each reports its own medians, and the empty baseline is a fresh server collection.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from rag import Rag, Settings
from rag.load import RawArticle, load_paths
from vectorstore import make_client


def sample(path: Path, n: int) -> list[RawArticle]:
    """`n` articles with some text, spread over the archive."""
    found: list[RawArticle] = []
    for i, item in enumerate(load_paths([path / "articles.jsonl.gz"])):
        if not isinstance(item, str) and len(item.text) > 2000 and i % 97 == 0:
            found.append(item)
        if len(found) == n:
            return found
    return found


def write(folder: Path, article: RawArticle, new_id: str, extra: str = "") -> Path:
    row = {**article.meta, "id": new_id, "text": article.text + extra}
    path = folder / f"{new_id}.jsonl"
    path.write_text(json.dumps(row) + "\n")
    return path


def timed(step: Callable[[], object], then: Callable[[], object]) -> tuple[float, float]:
    """Wall seconds of `step`, and of `step` plus the search after it."""
    started = time.perf_counter()
    step()
    done = time.perf_counter()
    then()
    return done - started, time.perf_counter() - started


def run(r: Rag, articles: list[RawArticle], folder: Path) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    for n, article in enumerate(articles):
        for name, seconds in cycle(r, article, f"bench-update-{os.getpid()}-{n}", folder).items():
            times.setdefault(name, []).append(seconds)
    return times


def cycle(r: Rag, article: RawArticle, new_id: str, folder: Path) -> dict[str, float]:
    """Add `article` as `new_id`, change it, remove it; each step's time, alone and with the next search."""
    query = article.meta.get("title") or article.text[:200]

    def found() -> None:
        assert any(p.chunk.article_id == new_id for p in r.retrieve(query, k=20)), new_id

    steps: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
        ("add", lambda: r.index([write(folder, article, new_id)]), found),
        ("change", lambda: r.index([write(folder, article, new_id, "\n\nA paragraph added later.")]), found),
        ("remove", lambda: r.remove([new_id]), lambda: r.retrieve(query)),
    ]
    times = {}
    for name, step, then in steps:
        times[name], times[f"{name} + next search"] = timed(step, then)
    return times


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def copy_to_server(source: Path, target: Settings) -> None:
    """Copy the embedded archive's collection (and nothing else) into the server, page by page."""
    src = make_client(Settings(data_dir=source)).get_collection(target.collection)
    dst = make_client(target).get_or_create_collection(target.collection, metadata=src.metadata,
                                                       configuration={"hnsw": {"space": "cosine"}})
    if dst.count() >= src.count():
        return
    for offset in range(0, src.count(), 2000):
        page = src.get(limit=2000, offset=offset, include=["embeddings", "documents", "metadatas"])
        dst.upsert(ids=page["ids"], embeddings=page["embeddings"], documents=page["documents"],
                   metadatas=page["metadatas"])


def measure(settings: Settings, articles: list[RawArticle], baseline: Settings) -> dict[str, object]:
    """Warm up on the archive, then time the loop on it and on the empty baseline."""
    archive = Rag(settings)
    started = time.perf_counter()
    archive.retrieve("warm up")  # loads the model; a keyword index older than this version is rebuilt here
    first = time.perf_counter() - started
    run(archive, articles[:1], Path(tempfile.mkdtemp()))  # warm caches on both sides
    loaded = peak_mib()
    times = {"archive": run(archive, articles[1:], Path(tempfile.mkdtemp()))}
    after_archive = peak_mib()
    times["empty"] = run(Rag(baseline, embedder=archive.embedder), articles[1:], Path(tempfile.mkdtemp()))
    return {"times": times, "first_search_s": first, "peak_loaded_mib": loaded, "peak_mib": after_archive,
            "passages": archive.store.count()}


def report(label: str, result: dict[str, object]) -> None:
    times: dict[str, dict[str, list[float]]] = result["times"]  # type: ignore[assignment]
    print(f"\n{label}: {result['passages']:,} passages; first search {result['first_search_s']:.1f} s; "
          f"peak RSS {result['peak_loaded_mib']:.0f} MiB after loading and one warm-up cycle, "
          f"{result['peak_mib']:.0f} MiB after the archive's runs")
    print("| operation | archive median ms | empty median ms | ratio |\n|---|---|---|---|")
    for name in times["archive"]:
        a, e = (statistics.median(times[k][name]) * 1000 for k in ("archive", "empty"))
        print(f"| {name} | {a:.0f} | {e:.0f} | {a / e:.2f}x |")


def writers(args: argparse.Namespace) -> list[dict[str, object]]:
    """Start `--writers` copies of this script as worker processes at once; collect their JSON."""
    procs = [subprocess.Popen([sys.executable, __file__, str(args.path), "--index", str(args.index), "--reps",
                               str(args.reps), "--chroma-url", args.chroma_url, "--worker", str(n)],
                              stdout=subprocess.PIPE, text=True) for n in range(args.writers)]
    return [json.loads(proc.communicate(timeout=3600)[0].splitlines()[-1]) for proc in procs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--chroma-url")
    parser.add_argument("--writers", type=int, default=1)
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:  # one writer process of a server-mode run: its own data folder
        articles = sample(args.path, (args.reps + 1) * (args.worker + 1))[-(args.reps + 1) :]
        folder = Path(tempfile.mkdtemp())
        server = Settings(data_dir=folder / "data", chroma_url=args.chroma_url)
        empty = Settings(data_dir=folder / "empty", chroma_url=args.chroma_url, collection=f"empty-{uuid.uuid4().hex[:8]}")
        print(json.dumps(measure(server, articles, empty)))
        return
    print(f"load average at start {os.getloadavg()}")
    if args.chroma_url:
        copy_to_server(args.index, Settings(chroma_url=args.chroma_url))
        for n, result in enumerate(writers(args)):
            report(f"server mode, writer {n + 1} of {args.writers}", result)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            report("embedded", measure(Settings(data_dir=args.index), sample(args.path, args.reps + 1),
                                       Settings(data_dir=Path(tmp) / "data")))
    print(f"load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
