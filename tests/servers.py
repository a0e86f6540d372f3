"""Real servers on 127.0.0.1 for tests: a free port, waiting for a subprocess server to
answer, stopping it, and the Gradio UI in this process."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    import gradio as gr

    from rag import Rag


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def stub_server(handler: type[BaseHTTPRequestHandler], release: threading.Event) -> Iterator[str]:
    """`handler` serving on a free 127.0.0.1 port, on a thread; yields its /v1 URL. On exit,
    `release` is set (to free handlers that are holding a request) and the server stops."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        release.set()
        server.shutdown()
        server.server_close()


@contextmanager
def silent_server() -> Iterator[str]:
    """Listens, so connections succeed, but never accepts or answers: a hung server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        yield f"http://127.0.0.1:{s.getsockname()[1]}/v1"


def wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path, name: str, timeout: float) -> None:
    """Poll `url` until it answers 200; fail with the tail of `log` if `proc` exits or the
    time runs out (and then stop it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop(proc)
    raise RuntimeError(f"{name} did not answer within {timeout:.0f} s:\n{_tail(log)}")


def stop(proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """Terminate, and kill if it does not exit within `timeout` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)


@contextmanager
def running_ui(rag: Rag) -> Iterator[tuple[str, gr.Blocks]]:
    """The UI for `rag` on a free port in this process: (its URL, the Blocks)."""
    from ui import app

    port = free_port()
    demo = app.launch("127.0.0.1", port, rag=rag, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/", demo
    finally:
        demo.close()


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else ""
