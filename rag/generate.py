"""Language-model generators behind the `Generator` protocol (rag.types): `stream(prompt)`
yields pieces of the answer text. (The extractive generator lives in rag.extractive.)

- `LlamaCppGenerator`: a local GGUF model through llama-cpp-python, streamed.
- `OpenAIGenerator`: any OpenAI-compatible chat server (Ollama, vLLM, llama.cpp server, OpenAI).

Whatever a generator writes, `rag.verify` checks its citations afterwards.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

from rag.errors import GeneratorError, GeneratorUnavailable, ModelServerError
from rag.types import Prompt


# -- llama.cpp --------------------------------------------------------------------------------


class LlamaCppGenerator:
    """A local GGUF chat model through llama-cpp-python, streaming tokens as they come."""

    name = "llamacpp"

    def __init__(self, model_path: Path, threads: int, max_tokens: int = 200, n_ctx: int = 4096) -> None:
        self.model_path, self.threads, self.max_tokens, self.n_ctx = model_path, threads, max_tokens, n_ctx
        # One llama.cpp context is not thread-safe and the UI answers sessions on worker
        # threads: a second question waits here for the first to finish streaming.
        self._lock = threading.Lock()

    @cached_property
    def _llm(self) -> Any:
        try:
            from llama_cpp import Llama
        except ImportError as err:
            raise GeneratorUnavailable(
                "RAG_GENERATOR=llamacpp needs llama-cpp-python: run `make llm` "
                "(or CMAKE_ARGS=-DGGML_NATIVE=OFF pip install --no-cache-dir llama-cpp-python)."
            ) from err
        if not self.model_path.is_file():
            raise GeneratorUnavailable(f"No model file at {self.model_path}; set RAG_MODEL_PATH to a GGUF file.")
        return Llama(model_path=str(self.model_path), n_ctx=self.n_ctx, n_threads=self.threads,
                     n_batch=512, verbose=False)

    def stream(self, prompt: Prompt) -> Iterator[str]:
        with self._lock:
            yield from self._stream(prompt)

    def _stream(self, prompt: Prompt) -> Iterator[str]:
        try:
            pieces = self._llm.create_chat_completion(
                messages=prompt.messages, temperature=0.0, max_tokens=self.max_tokens, stream=True
            )
            for piece in pieces:
                delta = piece["choices"][0].get("delta", {}).get("content")
                if delta:
                    yield delta
        except GeneratorError:
            raise
        except Exception as err:  # llama_cpp raises plain RuntimeError/ValueError on model trouble
            raise GeneratorError(f"The local model failed: {err}. Check RAG_MODEL_PATH.") from err

    def complete(self, messages: list[dict[str, str]], max_tokens: int = 64) -> str:
        return "".join(self.stream(Prompt("", [], messages)))[: max_tokens * 8]


# -- OpenAI-compatible server ------------------------------------------------------------------


class OpenAIGenerator:
    """Chat completions from an OpenAI-compatible server, streamed over server-sent events."""

    name = "openai"

    def __init__(self, base_url: str, model: str, api_key: str, timeout: float, max_tokens: int = 200) -> None:
        self.base_url, self.model, self.api_key = base_url.rstrip("/"), model, api_key
        self.timeout, self.max_tokens = timeout, max_tokens

    def stream(self, prompt: Prompt) -> Iterator[str]:
        import httpx

        body = {"model": self.model, "messages": prompt.messages, "temperature": 0.0,
                "max_tokens": self.max_tokens, "stream": True}
        headers = {"Authorization": f"Bearer {self.api_key}"}
        # A stalled server must not hang the user: connect fast, and bound each read.
        timeout = httpx.Timeout(self.timeout, connect=min(5.0, self.timeout))
        try:
            with httpx.stream("POST", f"{self.base_url}/chat/completions", json=body,
                              headers=headers, timeout=timeout) as response:
                self._check_response(response)
                yield from _sse_deltas(response.iter_lines(), self.timeout, self._stalled)
        except httpx.TimeoutException as err:
            raise ModelServerError(self._stalled) from err
        except (httpx.ConnectError, httpx.UnsupportedProtocol) as err:
            raise ModelServerError(f"Cannot reach the model server at {self.base_url} ({err}). "
                                   "Start it, or fix RAG_OPENAI_BASE_URL.") from err
        except httpx.HTTPError as err:  # it answered, then broke off (crashed, restarted, proxy cut)
            raise ModelServerError(f"The connection to the model server at {self.base_url} failed mid-answer "
                                   f"({err}). Check that it is running, then ask again.") from err

    def complete(self, messages: list[dict[str, str]], max_tokens: int = 64) -> str:
        return "".join(self.stream(Prompt("", [], messages)))

    @property
    def _stalled(self) -> str:
        return (f"The model server at {self.base_url} did not answer within {self.timeout:g} s "
                "(RAG_REQUEST_TIMEOUT). Check that it is running and not overloaded.")

    def _check_response(self, response: Any) -> None:
        """An HTTP error, or a reply that is not a token stream (a proxy's HTML page, a JSON
        error with status 200), is the server's problem: say so instead of "The articles don't say"."""
        kind = response.headers.get("content-type", "")
        if response.status_code < 400 and "text/event-stream" in kind:
            return
        response.read()
        if response.status_code >= 400:
            raise ModelServerError(self._http_error(response.status_code, response.text))
        raise ModelServerError(f"The model server at {self.base_url} answered with {kind or 'no content type'} "
                               f"instead of a token stream: {response.text[:200]!r}. Is RAG_OPENAI_BASE_URL "
                               "an OpenAI-compatible /v1 endpoint?")

    def _http_error(self, status: int, body: str) -> str:
        return (f"The model server at {self.base_url} answered HTTP {status}: {body[:200]}. "
                "Check RAG_MODEL and RAG_OPENAI_API_KEY.")


def _sse_deltas(lines: Iterator[str], timeout: float, stalled: str) -> Iterator[str]:
    """The text pieces of a server-sent event stream. A server that keeps the connection busy
    (keep-alive comments, empty deltas) without writing any text for `timeout` seconds counts
    as stalled, like one that sends nothing: the per-read timeout alone would wait forever."""
    last = time.monotonic()
    for line in lines:
        if time.monotonic() - last > timeout:
            raise ModelServerError(stalled)
        data = line[5:].strip() if line.startswith("data:") else ""
        if data == "[DONE]":
            return
        delta = _sse_delta(data) if data else ""
        if delta:
            last = time.monotonic()
            yield delta


def _sse_delta(data: str) -> str:
    """The text in one event; an error event (vLLM, llama.cpp server) raises its message."""
    try:
        event = json.loads(data)
    except ValueError:
        return ""
    if isinstance(event, dict) and event.get("error"):
        raise ModelServerError(f"The model server reported an error: {str(event['error'])[:300]}")
    try:
        choice = event["choices"][0]
    except (TypeError, KeyError, IndexError):
        return ""
    return str((choice.get("delta") or {}).get("content") or choice.get("text") or "")
