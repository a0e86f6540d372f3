"""Crash safety of indexing: a `rag index` process killed with SIGKILL at random points, many
times, never leaves a broken index, and a re-run finishes the job exactly.

The invariant checked after every kill, in a fresh process:
- the index opens and answers a query;
- no chunk id appears twice, and no (article, span) pair appears twice among visible chunks;
- every article's visible chunks are exactly one complete version of it that some source
  held (never half of one, never two mixed); superseded rows, hidden from every read, are
  only stale chunks of a known version: nothing else is stored (no orphans);
- the first query changes nothing visible, but repairs what a killed write left: it deletes
  the superseded rows, the keyword index then holds exactly the visible chunk ids (also of a
  write killed before it reached the change feed), and the store is settled.
Finally a re-run completes with exactly the chunk set of a clean index of the same files.

Real processes, the real embedding model and real Chroma on disk; the chunks expected of
each article version are computed with the real loader, cleaner and chunker.
"""

from __future__ import annotations

import json
import queue
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag import Settings
from rag.chunk import Chunker
from rag.clean import clean
from rag.load import RawArticle
from tests.synthetic import article, write_corpus

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

WORKER = Path(__file__).with_name("index_worker.py")
N = 45  # articles, about 120 chunks
ROUNDS = 8  # killed runs; the source changes every third round
BUFFER = 12  # chunks a write: many write boundaries to be killed between
FINAL = (ROUNDS - 1) // 3  # the source's phase in the last round
Chunks = dict[str, tuple[str, int, int, str]]  # id -> (article id, start, end, text)


def versions_at(phase: int) -> dict[int, int]:
    """Article i's version in source `phase`: each phase rewrites a third of the articles."""
    return {i: sum(1 for q in range(1, phase + 1) if (i + q) % 3 == 0) for i in range(N)}


def expected_chunks(i: int, version: int) -> Chunks:
    settings = Settings()
    raw = RawArticle(f"{i:04d}.txt", article(i, version), "")
    chunks = Chunker(settings.chunk_size, settings.chunk_overlap).chunks(clean(raw))
    return {c.id: (c.article_id, c.start, c.end, c.text) for c in chunks}


def source_chunks(phase: int) -> Chunks:
    return {cid: row for i, v in versions_at(phase).items() for cid, row in expected_chunks(i, v).items()}


# -- processes ------------------------------------------------------------------------------------

def start(*args: Any) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    proc = subprocess.Popen([sys.executable, str(WORKER), *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line.strip()) for line in proc.stdout or []], daemon=True).start()
    return proc, lines


def run(*args: Any, timeout: float = 300) -> list[str]:
    proc, lines = start(*args)
    assert proc.wait(timeout=timeout) == 0, f"worker {args[0]} failed with {proc.returncode}"
    time.sleep(0.05)  # let the reader thread take the last lines
    return list(lines.queue)


def check(data: Path) -> dict[str, Any]:
    """What a fresh process sees in the index at `data` (see index_worker.check)."""
    return json.loads(run("check", data, timeout=120)[-1])


def kill_after(proc: subprocess.Popen[str], lines: queue.Queue[str], done: int, delay: float) -> None:
    """SIGKILL once `done` articles were reported written (or the process ends first)."""
    seen, deadline = 0, time.monotonic() + 240
    while seen < done and proc.poll() is None and time.monotonic() < deadline:
        try:
            seen += lines.get(timeout=0.5).startswith("done ")
        except queue.Empty:
            continue
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)


def run_and_kill(rng: random.Random, data: Path, source: Path) -> str:
    """Index `source` and kill the process at a random point; say where it was killed."""
    proc, lines = start("index", data, source, "--buffer", BUFFER)
    if rng.random() < 0.3:  # often while imports and the model are still loading
        seconds = rng.uniform(0.5, 6.0)
        time.sleep(seconds)
        proc.send_signal(signal.SIGKILL)
        where = f"after {seconds:.1f} s"
    else:
        done, delay = rng.randint(1, N), rng.uniform(0, 0.4)
        kill_after(proc, lines, done, delay)
        where = f"{delay:.2f} s after article {done}"
    proc.wait(timeout=60)
    return where if proc.returncode == -signal.SIGKILL else "finished before the kill"


# -- the invariant ----------------------------------------------------------------------------------

def assert_consistent(state: dict[str, Any], versions: dict[str, list[Chunks]]) -> None:
    """The invariant in the module docstring; `versions` holds every version of each article
    that a source has held so far."""
    ids = [cid for cid, _ in state["rows"]]
    assert len(ids) == len(set(ids)), "a chunk id is stored twice"
    visible: Chunks = {cid: (aid, s, e, t) for cid, aid, s, e, t in state["visible"]}
    assert len(visible) == len(state["visible"]) == state["count"]
    spans = [(aid, s, e) for aid, s, e, _ in visible.values()]
    assert len(spans) == len(set(spans)), "two visible chunks share an article and span"
    by_article: dict[str, Chunks] = defaultdict(dict)
    for cid, row in visible.items():
        by_article[row[0]][cid] = row
    for aid, chunks in by_article.items():
        assert chunks in versions[aid], f"{aid}: visible chunks are not one complete version"
    for cid, meta in state["rows"]:
        known = any(cid in v for v in versions[meta["article_id"]])
        assert known and (cid in visible) != bool(meta.get("superseded")), f"orphan or misflagged chunk {cid}"
    assert state["visible_after"] == sorted(visible), "the first query changed what is visible"
    assert sorted(state["keyword_ids"]) == sorted(visible), "keyword index disagrees with Chroma"
    assert not state["generation"].startswith("writing-"), "a killed write was not settled by the next reader"
    assert state["superseded_after"] == 0, "the next reader did not finish a killed write's delete"


def assert_same_as_clean(state: dict[str, Any], clean_state: dict[str, Any]) -> None:
    assert not any(meta.get("superseded") for _, meta in state["rows"])
    assert sorted(map(tuple, state["visible"])) == sorted(map(tuple, clean_state["visible"]))
    for cid, vector in clean_state["embeddings"].items():
        assert float(np.dot(vector, state["embeddings"][cid])) > 0.999, f"vector of {cid} differs"


@pytest.fixture(scope="module")
def clean_index(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One uninterrupted index of the final source: what every interrupted history must reach."""
    root = tmp_path_factory.mktemp("clean")
    source = write_corpus(root / "src", N, versions_at(FINAL))
    run("index", root / "data", source)
    return {"source": source, "data": root / "data", "state": check(root / "data")}


def test_sigkill_at_random_points_keeps_the_index_consistent_and_a_rerun_completes(tmp_path, clean_index):
    rng = random.Random(6)
    data, source = tmp_path / "data", tmp_path / "src"
    versions: dict[str, list[Chunks]] = defaultdict(lambda: [{}])  # {}: not indexed yet
    log = []
    for round_ in range(ROUNDS):
        write_corpus(source, N, versions_at(round_ // 3))
        for i, v in versions_at(round_ // 3).items():
            chunks = expected_chunks(i, v)
            if chunks not in versions[f"{i:04d}.txt"]:
                versions[f"{i:04d}.txt"].append(chunks)
        where = run_and_kill(rng, data, source)
        state = check(data)
        assert_consistent(state, versions)
        hidden = sum(bool(meta.get("superseded")) for _, meta in state["rows"])
        log.append(f"round {round_}: killed {where}; {state['count']} visible, {hidden} superseded")
    print("\n".join(log))
    assert sum("finished" not in line for line in log) >= ROUNDS - 3, "the schedule hardly killed anything"
    final = json.loads(run("index", data, source)[-1])
    state = check(data)
    assert_consistent(state, versions)
    assert_same_as_clean(state, clean_index["state"])
    assert final["embedded"] == final["report"]["added"]


def test_a_kill_between_the_upsert_and_the_delete_shows_only_the_new_version(tmp_path, clean_index):
    data = tmp_path / "data"
    shutil.copytree(clean_index["data"], data)
    source = write_corpus(tmp_path / "src", N, versions_at(FINAL + 1))
    proc, _ = start("index", data, source, "--die-after-upsert")
    assert proc.wait(timeout=300) == 9  # died right after the atomic upsert, before the delete
    state = check(data)
    old, new = versions_at(FINAL), versions_at(FINAL + 1)
    changed = {f"{i:04d}.txt": expected_chunks(i, new[i]) for i in range(N) if old[i] != new[i]}
    versions = {f"{i:04d}.txt": [expected_chunks(i, old[i]), expected_chunks(i, new[i])] for i in range(N)}
    assert_consistent(state, versions)
    assert sum(bool(meta.get("superseded")) for _, meta in state["rows"]) > 0
    visible = {row[0] for row in state["visible"]}
    assert all(set(chunks) <= visible for chunks in changed.values()), "the new versions are all visible"
    run("index", data, source)
    state = check(data)
    assert not any(meta.get("superseded") for _, meta in state["rows"])
    assert sorted(row[0] for row in state["visible"]) == sorted(source_chunks(FINAL + 1))


def test_a_rerun_after_a_kill_half_way_embeds_only_the_rest(tmp_path, clean_index):
    data = tmp_path / "data"
    total = len(clean_index["state"]["visible"])
    proc, lines = start("index", data, clean_index["source"], "--buffer", BUFFER)
    kill_after(proc, lines, N // 2, 0)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    kept = check(data)["count"]
    assert 0 < kept < total
    rerun = json.loads(run("index", data, clean_index["source"])[-1])
    print(f"killed with {kept} of {total} chunks written; the re-run embedded {rerun['embedded']}")
    assert rerun["embedded"] == rerun["report"]["added"] == total - kept
    assert rerun["report"]["unchanged"] == kept
    assert_same_as_clean(check(data), clean_index["state"])
