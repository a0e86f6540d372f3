"""Real servers on 127.0.0.1 for the server-mode tests.

- `chroma_server(path)`: `chroma run` (the executable the chromadb package installs next to
  this Python) on a free port, waited for by its heartbeat, stopped on exit.
- `TokenGate`: a reverse proxy in front of it that demands an `x-chroma-token`, as the
  deployment in front of an open-source Chroma server (which does not authenticate) would.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from .servers import free_port, stop, wait_until_up

CHROMA = Path(sys.executable).with_name("chroma")
START_TIMEOUT = 60.0  # seconds for the server to answer its heartbeat


@contextmanager
def chroma_server(path: Path, port: int | None = None) -> Iterator[str]:
    """Run `chroma run --path PATH` on 127.0.0.1 and yield its URL; stop it afterwards."""
    port = port or free_port()
    log = path.parent / f"{path.name}-chroma-{port}.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/api/v2/heartbeat", proc, log, "chroma run", START_TIMEOUT)
        yield url
    finally:
        stop(proc)


class _Gate(BaseHTTPRequestHandler):
    server: TokenGate

    def _forward(self) -> None:
        token = self.headers.get("x-chroma-token")
        self.server.tokens.append(token)
        if token != self.server.token:
            self._reply(401, b"Unauthorized", "text/plain")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        answer = httpx.request(self.command, self.server.upstream + self.path, content=body, headers=headers,
                               timeout=30)
        self._reply(answer.status_code, answer.content, answer.headers.get("content-type", "application/json"))

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _forward  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


class TokenGate(ThreadingHTTPServer):
    """Forwards to `upstream` only requests carrying `x-chroma-token: token`; records every token seen."""

    def __init__(self, upstream: str, token: str) -> None:
        super().__init__(("127.0.0.1", 0), _Gate)
        self.upstream, self.token, self.tokens = upstream, token, []
        self.url = f"http://127.0.0.1:{self.server_port}"

    def __enter__(self) -> TokenGate:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
