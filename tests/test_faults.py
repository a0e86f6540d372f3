"""Model server down or slow. The `openai` generator is pointed at real sockets on 127.0.0.1
that misbehave: a closed port, a server that accepts and never answers, one that keeps the
connection alive without writing a word, one that answers with the wrong thing or breaks off.
Each ends in a `ModelServerError` that says what happened, within the configured
RAG_REQUEST_TIMEOUT, and the UI shows it as a message and keeps answering.
(tests/test_generate.py covers the working server and the plain closed port.)"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

import gradio as gr
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from rag import ModelServerError, Rag, Settings
from rag.generate import OpenAIGenerator
from rag.types import Prompt
from tests.servers import free_port, running_ui, silent_server, stub_server
from tests.ui_session import PageSession

pytestmark = pytest.mark.timeout(300)

TIMEOUT = 2.0  # RAG_REQUEST_TIMEOUT in these tests
SLACK = 8.0  # scheduling delay allowed on top of it; without the timeout these calls hang for minutes
PROMPT = Prompt("q", [], [{"role": "user", "content": "When did Putin visit Minsk?"}])


@contextmanager
def http_server(reply: Callable[[BaseHTTPRequestHandler, threading.Event], None]) -> Iterator[str]:
    """A real HTTP server whose POST handler is `reply`; released (and stopped) on exit."""
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            reply(self, release)

        def log_message(self, *args: object) -> None:
            pass

    with stub_server(Handler, release) as url:
        yield url


def keep_alive_forever(h: BaseHTTPRequestHandler, release: threading.Event) -> None:
    """Headers, then SSE comments and empty deltas, never a word (until released)."""
    h.send_response(200)
    h.send_header("Content-Type", "text/event-stream")
    h.end_headers()
    empty = json.dumps({"choices": [{"delta": {"content": ""}}]})
    while not release.wait(0.2):
        try:
            h.wfile.write(f": keep-alive\n\ndata: {empty}\n\n".encode())
            h.wfile.flush()
        except OSError:
            return


def json_not_stream(h: BaseHTTPRequestHandler, release: threading.Event) -> None:
    body = json.dumps({"object": "error", "message": "stream not supported"}).encode()
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def error_event(h: BaseHTTPRequestHandler, release: threading.Event) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/event-stream")
    h.end_headers()
    h.wfile.write(b'data: {"error": {"message": "the model is still loading", "code": 503}}\n\n')


def http_500(h: BaseHTTPRequestHandler, release: threading.Event) -> None:
    body = b'{"error": "CUDA out of memory"}'
    h.send_response(500)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def breaks_off(h: BaseHTTPRequestHandler, release: threading.Event) -> None:
    """Two tokens of a chunked stream, then the connection drops mid-body."""
    h.send_response(200)
    h.send_header("Content-Type", "text/event-stream")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    for word in ("Putin ", "visited "):
        event = f'data: {json.dumps({"choices": [{"delta": {"content": word}}]})}\n\n'.encode()
        h.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
        h.wfile.flush()
    h.close_connection = True
    h.connection.shutdown(socket.SHUT_RDWR)


def fails(base_url: str) -> tuple[str, float]:
    """The error message and the seconds until it came."""
    started = time.perf_counter()
    with pytest.raises(ModelServerError) as err:
        list(OpenAIGenerator(base_url, "m", "k", timeout=TIMEOUT).stream(PROMPT))
    return str(err.value), time.perf_counter() - started


def test_a_server_that_never_answers_times_out_with_a_clear_message() -> None:
    with silent_server() as url:
        message, seconds = fails(url)
    assert "did not answer within 2 s (RAG_REQUEST_TIMEOUT)" in message
    # the bound is the timeout, not the OS default (minutes); the slack is for a busy CI machine
    assert TIMEOUT * 0.9 < seconds < TIMEOUT + SLACK, seconds


def test_a_server_that_keeps_the_line_busy_without_writing_times_out_too() -> None:
    """A per-read timeout alone would wait forever here: every read returns something."""
    with http_server(keep_alive_forever) as url:
        message, seconds = fails(url)
    assert "did not answer within 2 s" in message and seconds < TIMEOUT + SLACK, seconds


@pytest.mark.parametrize(("reply", "expected"), [
    (json_not_stream, "application/json instead of a token stream"),
    (error_event, "reported an error: {'message': 'the model is still loading'"),
    (http_500, "answered HTTP 500: {\"error\": \"CUDA out of memory\"}"),
    (breaks_off, "failed mid-answer"),
])
def test_a_server_that_answers_wrongly_is_named_not_mistaken_for_a_refusal(reply: Callable[..., None],
                                                                           expected: str) -> None:
    with http_server(reply) as url:
        message, _ = fails(url)
    assert expected in message, message


def test_a_closed_port_and_a_bad_url_fail_at_once() -> None:
    for url in (f"http://127.0.0.1:{free_port()}/v1", "htp://127.0.0.1/v1"):
        message, seconds = fails(url)
        assert "Cannot reach the model server" in message and "RAG_OPENAI_BASE_URL" in message
        assert seconds < TIMEOUT, seconds


# -- through the pipeline and the UI ---------------------------------------------------------------

@pytest.fixture
def stalled_rag(seed_rag: Rag) -> Iterator[Rag]:
    """The seed index, with the `openai` generator pointed at a server that never answers."""
    with silent_server() as url:
        settings = Settings(data_dir=seed_rag.settings.data_dir, openai_base_url=url, request_timeout=TIMEOUT)
        rag = Rag(settings, embedder=seed_rag.embedder, store=seed_rag.store)
        yield rag


def test_the_pipeline_passes_the_error_on_and_keeps_working(stalled_rag: Rag) -> None:
    with pytest.raises(ModelServerError, match="did not answer"):
        stalled_rag.answer("When did Putin visit Minsk?", generator="openai")
    with pytest.raises(ModelServerError, match="did not answer"):  # a follow-up condenses with the model
        stalled_rag.answer("And when did he go there?", [("When did Putin visit Minsk?", "In 2019 [1].")],
                           generator="openai")
    assert stalled_rag.answer("When did Putin visit Minsk for the first time since 2019?").citations


@pytest.fixture
def stalled_ui(stalled_rag: Rag) -> Iterator[tuple[str, gr.Blocks]]:
    with running_ui(stalled_rag) as served:
        yield served


def test_ui_chat_shows_the_error_and_the_next_question_works(stalled_ui: tuple[str, gr.Blocks]) -> None:
    page = PageSession(*stalled_ui)
    try:
        chat = page.ask("When did Putin visit Minsk?", generator="openai")[0]
        bubble = chat[-1]["content"][0]["text"]
        assert "rag-error" in bubble and "did not answer within 2 s" in bubble
        assert page.toasts[-1][0] == "warning" and "did not answer" in page.toasts[-1][1]
        chat = page.ask("When did Putin visit Minsk for the first time since 2019?")[0]
        assert len(chat) == 4 and 'class="cite"' in chat[-1]["content"][0]["text"]
    finally:
        page.close()


def test_ui_api_reports_the_error_and_other_users_are_not_held_up(stalled_ui: tuple[str, gr.Blocks]) -> None:
    """While one user's question waits on the stalled server, another user's extractive
    question is answered: one slow model server must not stop the UI for everyone."""
    url, _ = stalled_ui
    stalled, healthy = Client(url, verbose=False), Client(url, verbose=False)
    finished: dict[str, float] = {}

    def ask(client: Client, generator: str) -> str:
        try:
            res = client.predict("When did Putin visit Minsk for the first time since 2019?", [], 5, generator,
                                 "", "", "", api_name="/ask")
            return str(res["answer"])
        except AppError as err:
            return f"error: {err}"
        finally:
            finished[generator or "extractive"] = time.perf_counter()

    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(ask, stalled, "openai")
        time.sleep(0.5)  # the stalled question is in first
        fast = pool.submit(ask, healthy, "extractive")
        assert slow.result().startswith("error: The model server at") and "did not answer" in slow.result()
        assert "[1]" in fast.result()
    assert finished["extractive"] < finished["openai"]
