"""A separate process for the crash and memory tests, so the test can kill it (SIGKILL) or
read its peak memory, and so every check opens the index fresh, as a new `rag` process would.

    python tests/index_worker.py index DATA SOURCE [--buffer N] [--die-after-upsert]
        Index SOURCE into DATA with the real embedding model. Prints "ready" once the model
        is loaded, "done N" after each article is written, and a final JSON line with the
        report and the number of chunks embedded.
    python tests/index_worker.py check DATA
        Open DATA (a fixed query embedder of the same name: no model needed) and print JSON:
        every row in Chroma (superseded ones too) and the visible chunks as found; then, after
        one query (which repairs what a killed write left), the visible ids, the superseded
        rows left, the keyword index's ids and the generation.
    python tests/index_worker.py memory DATA SOURCE...
        Index each SOURCE into its own collection and print the peak RSS (ru_maxrss, MiB)
        after the model is loaded and after each SOURCE.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import rag.indexer  # noqa: E402
from rag import Rag, Settings  # noqa: E402
from rag.embed import DIMENSION, MODEL_NAME  # noqa: E402
from vectorstore.chroma import ChromaStore  # noqa: E402


class QueryEmbedder:
    """Stands in for the model when only reading: same name and dimension, fixed vectors."""

    name, dim = MODEL_NAME, DIMENSION

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.full((len(texts), self.dim), 1 / np.sqrt(self.dim), dtype=np.float32)


class CountingEmbedder:
    """The real embedder, counting the texts it embeds (to show a re-run embeds only the rest)."""

    def __init__(self, inner: object) -> None:
        self.inner, self.count = inner, 0
        self.name, self.dim = inner.name, inner.dim  # type: ignore[attr-defined]

    def embed(self, texts: list[str]) -> np.ndarray:
        self.count += len(texts)
        return self.inner.embed(texts)  # type: ignore[attr-defined]


def say(line: str) -> None:
    print(line, flush=True)


def index(data: Path, source: Path, buffer: int, die_after_upsert: bool) -> None:
    rag.indexer.EMBED_BUFFER = buffer
    real = Rag(Settings(data_dir=data)).embedder
    real.embed(["load the model before the clock starts"])
    counting = CountingEmbedder(real)
    r = Rag(Settings(data_dir=data), embedder=counting)  # type: ignore[arg-type]
    if die_after_upsert:
        die_on_first_delete()
    say("ready")
    report = r.index([source], progress=lambda n, _aid: say(f"done {n}"))
    say(json.dumps({"report": report.__dict__ | {"errors": list(report.errors)}, "embedded": counting.count}))


def die_on_first_delete() -> None:
    """Exit at once (no cleanup, like SIGKILL) when the store first deletes chunks: that is
    right after the upsert that wrote new chunks and marked the stale ones superseded."""
    original = ChromaStore.delete

    def delete(self: ChromaStore, ids: list[str]) -> None:
        if ids:
            os._exit(9)
        original(self, ids)

    ChromaStore.delete = delete  # type: ignore[method-assign]


def check(data: Path) -> None:
    settings = Settings(data_dir=data)
    r = Rag(settings, embedder=QueryEmbedder())  # type: ignore[arg-type]
    # The store as a new process finds it (before a read may repair what a killed write left) ...
    rows = r.store._collection.get(include=["metadatas", "embeddings"])
    visible = [[c.id, c.article_id, c.start, c.end, c.text] for c in r.store.chunks()]
    count = r.store.count()
    r.retrieve("harbor minister budget river")  # ... and after a query brought keyword search to it
    after = r.store._collection.get(include=["metadatas"])
    say(json.dumps({
        "generation": r.store.generation(),
        "rows": [[cid, meta] for cid, meta in zip(rows["ids"], rows["metadatas"], strict=True)],
        "embeddings": {cid: [float(x) for x in vec] for cid, vec in zip(rows["ids"], rows["embeddings"], strict=True)},
        "visible": visible,
        "visible_after": sorted(c.id for c in r.store.chunks()),
        "superseded_after": sum(bool(meta.get("superseded")) for meta in after["metadatas"]),
        "keyword_ids": r.keyword.ids,
        "count": count,
    }))


def memory(data: Path, sources: list[Path]) -> None:
    embedder = Rag(Settings(data_dir=data, collection="warmup")).embedder
    # A full batch of inputs longer than any chunk of the memory test's corpus, so that
    # onnxruntime's arena reaches its size before the baseline and later growth is ours.
    embedder.embed(["word " * 150] * 32)
    say(f"baseline {peak_mib():.1f}")
    for n, source in enumerate(sources):
        report = Rag(Settings(data_dir=data, collection=f"corpus{n}"), embedder=embedder).index([source])
        say(f"peak {peak_mib():.1f} articles {report.articles} chunks {report.added}")


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str]) -> None:
    command, data = argv[0], Path(argv[1])
    if command == "index":
        buffer = int(argv[argv.index("--buffer") + 1]) if "--buffer" in argv else rag.indexer.EMBED_BUFFER
        index(data, Path(argv[2]), buffer, "--die-after-upsert" in argv)
    elif command == "check":
        check(data)
    elif command == "memory":
        memory(data, [Path(p) for p in argv[2:]])


if __name__ == "__main__":
    main(sys.argv[1:])
