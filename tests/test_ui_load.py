"""Load: 20 chat sessions at once against the running UI, through gradio_client on 127.0.0.1,
while another tab uploads and indexes a batch of articles through the page's own upload.

Each session asks three questions with its own history (the second is a follow-up that only
makes sense with the first answer). Checked: no request fails, every answer belongs to the
question and the history that was sent (its question, its condensed query, its cited
article), and the uploaded articles are searchable afterwards. Latency p50/p95 is printed,
not asserted: speed belongs in benchmarks (see the README table for measured numbers)."""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_client import Client

from rag import Rag, Settings
from rag.text import words
from tests.servers import running_ui
from tests.ui_session import PageSession
from ui import app

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

SESSIONS = 20
FIRST = ("When did Putin visit Minsk in December 2022?", "003_62f8eac0694ddbc9.txt", ("19 December",))
FOLLOW_UP = ("Since when was that his first visit?", "003_62f8eac0694ddbc9.txt", ("2019",))
OTHERS = [  # (question, gold article, any of these words in the answer)
    ("What is landlocked Belarus dependent on Russia for?", "001_a956fa66d3677f6c.txt", ("fuel", "security")),
    ("What did Lukashenko say Russia provides Belarus at a discounted price?", "003_62f8eac0694ddbc9.txt",
     ("oil", "gas")),
    ("Who backed exiled opposition leader Sviatlana Tsikhanouskaya?", "002_eaf04aac8d9af5c0.txt", ("US", "EU")),
    ("What did the director of Ukraine's military intelligence suggest the Belarus exercises could be?",
     "001_a956fa66d3677f6c.txt", ("troops", "frontline")),
    ("What secret did Lukashenko tell reporters on the anniversary of the invasion?", "000_e8aa4b56edb5f6c6.txt",
     ("spoke", "conversation")),
]
UPLOADED = 20  # articles in the uploaded JSONL


def upload_file(folder: Path) -> Path:
    rows = [{"id": f"port-{n}", "title": f"Port of Harwick{n} reopens",
             "text": f"The port of Harwick{n} reopened on {n + 1} March 2024 after a strike that lasted {n + 3} weeks. "
                     f"Dock workers in Harwick{n} won a pay rise of {n + 2} percent, the union said. " * 3}
             for n in range(UPLOADED)]
    path = folder / "ports.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, gr.Blocks, Path]]:
    folder = tmp_path_factory.mktemp("load")
    rag = Rag(Settings(data_dir=folder / "data"))
    rag.ensure_default_corpus()
    with running_ui(rag) as (url, demo):
        yield url, demo, folder


def check(res: dict[str, Any], question: str, gold: str, expect: tuple[str, ...], history: list[list[str]]) -> None:
    """The answer is to this question and this history, not to another session's."""
    assert res["question"] == question
    extra = set(words(res["query"])) - set(words(question))
    allowed = set(words(" ".join(history[-1]))) if history else set()
    assert extra <= allowed, (question, extra - allowed)  # condensed only from this session's last turn
    assert any(c["article_id"] == gold and c["verified"] for c in res["citations"]), (question, res["answer"])
    assert any(w.lower() in res["answer"].lower() for w in expect), (question, res["answer"])


def session(url: str, n: int, start: threading.Event) -> list[float]:
    """One user: three questions, each sent with this session's own history. Returns latencies."""
    client = Client(url, verbose=False)
    start.wait()
    history: list[list[str]] = []
    latencies = []
    for question, gold, expect in (FIRST, FOLLOW_UP, OTHERS[n % len(OTHERS)]):
        began = time.perf_counter()
        res = client.predict(question, history, 5, "", "", "", "", api_name="/ask")
        latencies.append(time.perf_counter() - began)
        check(res, question, gold, expect, history)
        history.append([question, res["answer"]])
    return latencies


def uploader(url: str, demo: gr.Blocks, path: Path, start: threading.Event) -> tuple[str, float]:
    page = PageSession(url, demo, timeout=600)
    try:
        files = page.upload(path)
        start.wait()
        began = time.perf_counter()
        status = page.queued("add_files", files)[3]
        return status, time.perf_counter() - began
    finally:
        page.close()


def test_twenty_sessions_while_an_upload_is_indexed(served: tuple[str, gr.Blocks, Path]) -> None:
    url, demo, folder = served
    start = threading.Event()
    began = time.perf_counter()
    with ThreadPoolExecutor(SESSIONS + 1) as pool:
        upload = pool.submit(uploader, url, demo, upload_file(folder), start)
        users = [pool.submit(session, url, n, start) for n in range(SESSIONS)]
        time.sleep(2)  # every client has fetched the app's config and waits at the line
        start.set()
        latencies = [t for user in users for t in user.result()]
        status, indexing = upload.result()
    wall = time.perf_counter() - began - 2
    assert f"Indexed {UPLOADED} articles" in status and "Skipped" not in status, status
    assert len(latencies) == 3 * SESSIONS
    after = Client(url, verbose=False).predict("When did the port of Harwick7 reopen?", [], 5, "", "", "", "",
                                                api_name="/ask")
    assert any(c["article_id"] == "port-7" for c in after["citations"]) and "8 March 2024" in after["answer"]
    q = statistics.quantiles(latencies, n=20)
    print(f"\n{SESSIONS} sessions x 3 questions with an upload of {UPLOADED} articles, "
          f"answer concurrency {app.ANSWER_CONCURRENCY}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}: p50 {statistics.median(latencies):.2f} s, p95 {q[18]:.2f} s, "
          f"max {max(latencies):.2f} s; upload indexed in {indexing:.1f} s; all done in {wall:.1f} s")
