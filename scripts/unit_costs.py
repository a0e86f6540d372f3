"""Per-passage costs of an index, measured on an existing one: the numbers docs/scaling.md
multiplies out to millions of articles.

    .venv/bin/python scripts/unit_costs.py --index DIR [--sample 2000]

DIR holds an index (`RAG_DATA_DIR=DIR rag index ...`). Reports, per passage:
- embedding (ms, this machine's CPU, all cores, the default ONNX backend), on a sample of the
  archive's own passages;
- Chroma write (ms): upserting the sample with its stored vectors into an empty embedded
  collection, in the pipeline's batch size;
- keyword write (ms): the same passages into an empty keyword index, one commit;
- disk (bytes): the archive's Chroma folder and keyword folder over its passage count;
- memory (MiB): resident set of this process after opening the archive and answering one
  dense and one keyword search, over the model-only baseline;
- a new reader's catch-up (passages/s): filling an empty keyword index from the whole store,
  what a new machine does once in server mode.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from rag import Rag, Settings
from rag.keyword import KeywordIndex, SyncState
from rag.indexer import EMBED_BUFFER
from rag.sync import KeywordSync, keyword_doc, keyword_text
from rag.types import Chunk
from vectorstore import IndexSpec, open_store


def rss_mib() -> float:
    """Resident set now (not the peak): /proc/self/statm's second field, in pages."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def sample(r: Rag, n: int) -> tuple[list[Chunk], np.ndarray]:
    rows = r.store._collection.get(limit=n, include=["embeddings"])  # type: ignore[attr-defined]
    chunks = r.store.get(list(rows["ids"]))
    return [chunks[cid] for cid in rows["ids"] if cid in chunks], np.asarray(rows["embeddings"], dtype=np.float32)


def per_passage(seconds: float, n: int) -> str:
    return f"{seconds * 1000 / n:.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--sample", type=int, default=2000)
    args = parser.parse_args()
    settings = Settings(data_dir=args.index)
    archive = Rag(settings)
    archive.embedder.embed(["load the model"])
    baseline = rss_mib()
    archive.retrieve("the first search opens the collection and the keyword index")
    archive.keyword.search("election results", 120)
    opened = rss_mib()
    passages = archive.store.count()
    chunks, vectors = sample(archive, args.sample)
    texts = [keyword_text(c) for c in chunks[:500]]
    started = time.perf_counter()
    archive.embedder.embed(texts)
    embed_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        spec = IndexSpec(archive.embedder.name, archive.embedder.dim, archive.chunker.version)
        store = open_store(Settings(data_dir=Path(tmp)), spec)
        started = time.perf_counter()
        for begin in range(0, len(chunks), EMBED_BUFFER):
            store.upsert(chunks[begin : begin + EMBED_BUFFER], vectors[begin : begin + EMBED_BUFFER])
        chroma_s = time.perf_counter() - started
        keyword = KeywordIndex(Path(tmp) / "keyword")
        started = time.perf_counter()
        keyword.apply([keyword_doc(c) for c in chunks], [], SyncState())
        keyword_s = time.perf_counter() - started
        reader = KeywordSync(KeywordIndex(Path(tmp) / "reader"), archive.store, Path(tmp) / "writers", False)
        started = time.perf_counter()
        reader()
        catch_up_s = time.perf_counter() - started
    chroma_disk, keyword_disk = folder_bytes(settings.chroma_dir), folder_bytes(settings.keyword_dir)
    print(f"archive: {passages:,} passages; load average {os.getloadavg()}")
    print(f"embedding: {per_passage(embed_s, len(texts))} a passage ({len(texts)} passages)")
    print(f"Chroma write: {per_passage(chroma_s, len(chunks))} a passage ({len(chunks)}, batches of {EMBED_BUFFER})")
    print(f"keyword write: {per_passage(keyword_s, len(chunks))} a passage (one commit)")
    print(f"disk: Chroma {chroma_disk / passages:,.0f} B a passage ({chroma_disk / 2**20:,.0f} MiB), "
          f"keyword {keyword_disk / passages:,.0f} B a passage ({keyword_disk / 2**20:,.0f} MiB)")
    print(f"memory: {baseline:.0f} MiB with the model loaded, {opened:.0f} MiB after opening the archive "
          f"and searching: {(opened - baseline) * 2**20 / passages:,.0f} B a passage")
    print(f"new reader's catch-up: {catch_up_s:.1f} s, {passages / catch_up_s:,.0f} passages/s")


if __name__ == "__main__":
    main()
