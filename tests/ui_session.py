"""Drive a running Gradio UI the way its web page does, without a browser.

`gradio_client` only calls the public API (`/ask`, `/articles`); the chat and the upload are
the page's private events. `PageSession` speaks the page's own protocol for them: upload
files, run a queue-less event, or join the queue with the event's index and this tab's
session hash and read the event stream until it completes. It records the warnings and info
toasts the page would show, so tests can check what a user is told."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import gradio as gr
import httpx


class PageSession:
    """One browser tab: its own session hash, so its own `gr.State` (conversation)."""

    def __init__(self, url: str, demo: gr.Blocks, timeout: float = 120.0) -> None:
        self.api = url.rstrip("/") + "/gradio_api"
        self.http = httpx.Client(timeout=timeout)
        self.session = uuid.uuid4().hex[:12]
        self.index: dict[str, int] = {}
        for number, fn in demo.fns.items():
            self.index.setdefault(fn.name, number)  # the first event wired to each handler
        self.toasts: list[tuple[str, str]] = []  # (level, message)

    def close(self) -> None:
        self.http.close()

    def run(self, handler: str, *data: Any) -> list[Any]:
        """A queue-less event (queue=False): answered in the response itself."""
        body = {"data": list(data), "fn_index": self.index[handler], "session_hash": self.session,
                "event_data": None, "trigger_id": None}
        response = self.http.post(f"{self.api}/run/predict", json=body)
        response.raise_for_status()
        return list(response.json()["data"])

    def queued(self, handler: str, *data: Any) -> list[Any]:
        """A queued event: join the queue, then read this session's stream until it completes."""
        body = {"data": list(data), "fn_index": self.index[handler], "session_hash": self.session,
                "event_data": None, "trigger_id": None}
        joined = self.http.post(f"{self.api}/queue/join", json=body)
        joined.raise_for_status()
        return self._completed(joined.json()["event_id"])

    def _completed(self, event_id: str) -> list[Any]:
        with self.http.stream("GET", f"{self.api}/queue/data", params={"session_hash": self.session}) as stream:
            for line in stream.iter_lines():
                msg = json.loads(line[5:]) if line.startswith("data:") else {}
                if msg.get("event_id") != event_id:
                    continue
                if msg["msg"] == "log":
                    self.toasts.append((str(msg.get("level")), str(msg.get("log"))))
                if msg["msg"] == "process_completed":
                    if not msg.get("success"):
                        raise RuntimeError(f"the event failed: {msg.get('output')}")
                    return list(msg["output"]["data"])
        raise RuntimeError("the event stream ended before the event completed")

    def upload(self, *paths: Path) -> list[dict[str, Any]]:
        """Upload files as the page's file picker does; returns the File component's value."""
        files = [("files", (p.name, p.read_bytes())) for p in paths]
        response = self.http.post(f"{self.api}/upload", files=files)
        response.raise_for_status()
        return [{"path": served, "orig_name": p.name, "meta": {"_type": "gradio.FileData"}}
                for served, p in zip(response.json(), paths, strict=True)]

    def ask(self, question: str, k: int = 5, generator: str = "extractive", as_of: str = "") -> list[Any]:
        """Type a question and press Ask: the `start` step, then `respond` in the queue (the
        conversation and the question travel in this session's server-side state).
        Returns [chat messages, sources html, turns, question box]."""
        self.run("start", question, None)
        return self.queued("respond", None, None, k, generator, "Any outlet", "", "", as_of)
