"""Two processes on one Chroma server collection: A (a subprocess) indexes new articles, one
file per `index()` call, while B (this test process, its own `Rag`) keeps answering. As soon
as A reports that a call returned, B's answers, its BM25 search and its dense search all find
those articles; at the end the collection holds exactly the expected chunks, once each.

Run with separate data folders (two machines: B rebuilds BM25 from the server's documents)
and with one shared data folder (one machine: the saved keyword index is shared)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from rag import Rag, Settings
from rag.clean import clean
from rag.load import load_paths
from rag.pipeline import default_corpus

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

BELARUS = "001_a956fa66d3677f6c.txt"
PLACES = ["Varnholt", "Kelvale", "Ostermark", "Brindlecombe", "Tallport", "Quenmoor",
          "Harrowfield", "Lindqvist", "Marrowgate", "Dunselby", "Pellarsund", "Corrowick"]
THINGS = ["bridge", "library", "stadium", "ferry terminal"]
MAYORS = ["Ilse Brandvold", "Tomas Quarrie", "Aino Westerberg", "Rudi Falkenrath", "Mirela Ostrova",
          "Kasimir Lund", "Odile Ferrand", "Jasper Nivelle", "Greta Holmsund", "Piet Varga",
          "Lucia Mentone", "Bram Okonkwo"]
FILES = 3  # A calls index() once per file
DEADLINE = 300.0  # seconds for A to index everything

WRITER = """
import sys, rag
for path in sys.argv[1:]:
    report = rag.index([path])
    print("indexed", path, report.added, flush=True)
"""


def article(i: int) -> dict[str, str]:
    place, thing, mayor = PLACES[i], THINGS[i % 4], MAYORS[i]
    paragraphs = [
        f"{place} opened its new {thing} on {i + 3} March 2024, ending {i + 4} years of planning and "
        f"construction. Mayor {mayor} cut the ribbon in front of about {(i + 1) * 300} residents.",
        f"The {thing} cost {(i + 2) * 7} million euros, most of it paid by the regional government. Critics "
        f"on the {place} council had argued that the money should have gone to schools and roads, but the "
        f"final vote in favour was {10 + i} to {3 + i % 4}.",
        f"Engineers said the {place} {thing} was designed to last a century and to withstand floods like the "
        f"one that closed the old site in {2000 + i}. Its operators expect {(i + 5) * 1000} visitors a week.",
        f"Shop owners near the {place} {thing} said business had already picked up. \"We waited {i + 4} years "
        f"for this,\" said one baker, who has sold bread in {place} since {1990 + i}.",
        f"The council of {place} will publish a first report on the {thing} in the autumn. Mayor {mayor} "
        f"said a second phase, a park along the water, would be put to a vote in {2025 + i % 2}.",
    ]
    return {"id": f"town-{i:02d}-{place.lower()}", "title": f"{place} opens its new {thing}",
            "text": "\n\n".join(paragraphs), "published": f"2024-03-{i + 3:02d}", "url": "https://news.example/x"}


def write_files(folder: Path) -> list[Path]:
    folder.mkdir()
    per_file = len(PLACES) // FILES
    paths = []
    for f in range(FILES):
        path = folder / f"batch{f}.jsonl"
        rows = [article(i) for i in range(f * per_file, (f + 1) * per_file)]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        paths.append(path)
    return paths


def start_writer(paths: list[Path], settings: Settings) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_CHROMA_URL=settings.chroma_url or "", RAG_COLLECTION=settings.collection,
               RAG_DATA_DIR=str(settings.data_dir), RAG_THREADS="1", HF_HUB_OFFLINE="1")
    proc = subprocess.Popen([sys.executable, "-c", WRITER, *map(str, paths)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    return proc, lines


def expected_chunks(b: Rag, paths: list[Path]) -> dict[str, set[str]]:
    """Chunk ids per article, as the pipeline derives them (ids hash article, span and text)."""
    return {item.id: {c.id for c in b.chunker.chunks(clean(item))} for item in load_paths(paths)}


def assert_found(b: Rag, i: int) -> None:
    """B sees article i through the answer, BM25 alone and dense search alone."""
    a = article(i)
    place, thing = PLACES[i], THINGS[i % 4]
    res = b.answer(f"When did {place} open its new {thing}?")
    assert any(c.article_id == a["id"] and c.verified for c in res.citations), (a["id"], res.text)
    assert f"{i + 3} March 2024" in res.text, res.text
    for mode, query in (("keyword", f"{place} {MAYORS[i]}"), ("dense", f"the new {thing} that {place} opened")):
        b.retriever.mode = mode
        try:
            top = [p.chunk.article_id for p in b.retrieve(query, k=3)]
        finally:
            b.retriever.mode = "hybrid"
        assert a["id"] in top, (mode, query, top)


@pytest.mark.parametrize("shared_data_dir", [False, True], ids=["two-machines", "one-machine"])
def test_answers_see_articles_indexed_by_another_process(chroma_url, tmp_path, shared_data_dir):
    collection = f"multi-{'shared' if shared_data_dir else 'separate'}"
    b = Rag(Settings(data_dir=tmp_path / "b", chroma_url=chroma_url, collection=collection))
    seed = b.index([default_corpus()]).added
    paths = write_files(tmp_path / "new")
    expected = expected_chunks(b, paths)
    a_dir = tmp_path / "b" if shared_data_dir else tmp_path / "a"
    proc, lines = start_writer(paths, Settings(data_dir=a_dir, chroma_url=chroma_url, collection=collection))
    done_files, answers_during = 0, 0
    started = time.monotonic()
    try:
        while proc.poll() is None or not lines.empty():
            assert time.monotonic() - started < DEADLINE, "the writer did not finish in time"
            try:
                line = lines.get(timeout=0.1)
            except queue.Empty:
                # Between A's calls and during them: B keeps answering from a consistent index.
                res = b.answer("What is landlocked Belarus dependent on Russia for?")
                assert res.citations and res.citations[0].article_id == BELARUS, res.text
                answers_during += 1
                continue
            assert line.startswith("indexed"), line
            per_file = len(PLACES) // FILES
            for i in range(done_files * per_file, (done_files + 1) * per_file):
                assert_found(b, i)  # visible as soon as A's index() for this file has returned
            done_files += 1
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert done_files == FILES and answers_during > 0

    stored = list(b.store.chunks())
    ids = [c.id for c in stored]
    want = set().union(*expected.values())
    assert len(ids) == len(set(ids)) == b.store.count() == seed + len(want)  # nothing duplicated
    assert want <= set(ids)  # nothing lost
    texts = Counter((c.article_id, c.text) for c in stored)
    assert max(texts.values()) == 1
    counts = {a.id: a.chunks for a in b.articles()}
    assert all(counts[aid] == len(chunk_ids) for aid, chunk_ids in expected.items())
    b.retrieve("Varnholt")  # brings B's keyword index to the store's generation
    assert sorted(b.keyword.ids) == sorted(ids)


def test_two_writers_into_one_server_while_a_third_process_answers(chroma_url, tmp_path):
    """Issue 13: two writer processes index disjoint halves into one Chroma server collection at
    the same time, each with its own keyword index (two machines), while this process answers.
    After each returned write, this process's keyword search finds that write's articles (it
    applied the writer's change from the feed, not a re-read of the collection); at the end
    no passage is lost or duplicated and every process's keyword index equals the store."""
    collection = "multi-two-writers"
    reader = Rag(Settings(data_dir=tmp_path / "reader", chroma_url=chroma_url, collection=collection))
    reader.index([default_corpus()])  # seeded here: the writers' rag.index() seeds an empty store itself
    seeded = {c.id for c in reader.store.chunks()}
    paths = write_files(tmp_path / "new")  # FILES files of len(PLACES) // FILES articles each
    expected = expected_chunks(reader, paths)
    halves = [paths[: len(paths) // 2 + 1], paths[len(paths) // 2 + 1 :]]
    writers = [start_writer(half, Settings(data_dir=tmp_path / f"writer{n}", chroma_url=chroma_url,
                                           collection=collection)) for n, half in enumerate(halves)]
    full_scan = reader.store.chunks
    reader.store.chunks = lambda: pytest.fail("the reader re-read the collection")  # type: ignore[method-assign]
    ids = [article(i)["id"] for i in range(len(PLACES))]
    started, seen = time.monotonic(), 0
    try:
        while any(proc.poll() is None or not lines.empty() for proc, lines in writers):
            assert time.monotonic() - started < DEADLINE, "the writers did not finish in time"
            for _proc, lines in writers:
                while not lines.empty():  # a write returned: its articles must be found now
                    path = Path(lines.get().split()[1])
                    for row in map(json.loads, path.read_text().splitlines()):
                        assert_found(reader, ids.index(row["id"]))  # the answer, BM25 alone, dense alone
                        seen += 1
            time.sleep(0.05)
    finally:
        for proc, _ in writers:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
        reader.store.chunks = full_scan  # type: ignore[method-assign]
    assert [proc.returncode for proc, _ in writers] == [0, 0], [p.stderr.read() for p, _ in writers if p.stderr]
    assert seen == len(PLACES)
    stored = [c.id for c in reader.store.chunks()]
    want = set().union(seeded, *expected.values())
    assert len(stored) == len(set(stored)) == len(want) and set(stored) == want  # none lost, none twice
    reader.retrieve("Varnholt")
    assert sorted(reader.keyword.ids) == sorted(stored)
    assert len(set(reader.keyword.state.cursors) - {reader.sync.writer}) == 2  # it followed both writers' feeds
    for n in range(2):  # each writer's own keyword index also caught up with the other's writes
        other = Rag(Settings(data_dir=tmp_path / f"writer{n}", chroma_url=chroma_url, collection=collection))
        other.retrieve("Varnholt")
        assert sorted(other.keyword.ids) == sorted(stored)
