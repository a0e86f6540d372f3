"""Language-model generators behind the `Generator` protocol (rag.types), all LangChain chat
models: `stream(prompt)` yields pieces of the answer text. (The extractive generator, which
needs no model, lives in rag.extractive; rag.generators maps a setting's name to each.)

- `ChatModelGenerator(name, chat_model)`: any LangChain chat model (ChatOllama, ChatAnthropic,
  ChatOpenAI against vLLM, ...). The two below are thin specialisations of it: one code path.
- `OpenAIGenerator`: `langchain_openai.ChatOpenAI` against any OpenAI-compatible server, with
  our timeouts and one clear `ModelServerError` for each way a server can fail.
- `LlamaCppGenerator`: a local GGUF model through `ChatLlamaCpp`, our chat model over llama-cpp-python.

Whatever a generator writes, `rag.verify` checks its citations afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# The openai SDK's own HTTP library (a fork of httpx with its API): openai 3.63 accepts only its
# types for `http_client` and `timeout`, and raises its exceptions.
import httpx2 as httpx
import numpy as np
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessageChunk, BaseMessage, convert_to_openai_messages
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from pydantic import PrivateAttr, SecretStr

from rag.errors import GeneratorError, GeneratorUnavailable, ModelServerError
from rag.types import Prompt

TokenLimit = Callable[[int], dict[str, Any]]  # n -> the keyword arguments that cap a reply at n tokens


class ChatModelGenerator:
    """Any LangChain chat model as a generator. `token_limit(n)` gives the keyword arguments that
    make this model stop after n tokens (ChatOllama: `lambda n: {"num_predict": n}`); without it,
    `complete` replies within the model's own limit."""

    def __init__(self, name: str, chat_model: BaseChatModel, token_limit: TokenLimit | None = None) -> None:
        self.name, self.chat_model, self._token_limit = name, chat_model, token_limit

    def stream(self, prompt: Prompt) -> Iterator[str]:
        yield from self._texts(self.chat_model, prompt.messages)

    def complete(self, messages: list[dict[str, str]], max_tokens: int = 64) -> str:
        """A short reply (a condensed follow-up, a judgement), capped by the model itself."""
        model = self.chat_model.bind(**self._token_limit(max_tokens)) if self._token_limit else self.chat_model
        return "".join(self._texts(model, messages))

    def _texts(self, model: Runnable[Any, BaseMessage], messages: list[dict[str, str]]) -> Iterator[str]:
        """The text of each chunk as the model streams it."""
        try:
            for chunk in model.stream(messages):
                if text := str(chunk.text):
                    yield text
        except GeneratorError:
            raise
        except Exception as err:  # each chat-model library has its own exceptions: translated here, at the boundary
            raise self._error(err) from err

    def _error(self, err: Exception) -> GeneratorError:
        """The library's exception as ours, saying what to do. LangChain's integrations raise the
        provider-neutral `ModelError` kinds; specialisations know their own library better."""
        for kind, advice in _MODEL_ERRORS:
            if isinstance(err, kind):
                return ModelServerError(f"The {self.name} model {advice} ({err}).")
        return GeneratorError(f"The {self.name} model failed: {err}. Check its settings and that it is running.")


_MODEL_ERRORS: list[tuple[type[Exception], str]] = [
    (ModelTimeoutError, "did not answer in time: check that it is running and not overloaded"),
    (ModelConnectionError, "cannot be reached: start it, or fix its address"),
    (ModelAuthenticationError, "refused the credentials: check its API key"),
    (ModelPermissionDeniedError, "refused the credentials: check its API key"),
    (ModelNotFoundError, "is not served there: check the model name"),
    (ModelRateLimitError, "is rate-limited: wait a moment, then ask again"),
    (ContextOverflowError, "cannot read a prompt this long: retrieve fewer passages"),
    (ModelError, "reported an error"),
]


# -- OpenAI-compatible server ------------------------------------------------------------------


class OpenAIGenerator(ChatModelGenerator):
    """Chat completions streamed from an OpenAI-compatible server by `langchain_openai.ChatOpenAI`."""

    def __init__(self, base_url: str, model: str, api_key: str, timeout: float, max_tokens: int = 200) -> None:
        self.base_url, self.model, self.timeout, self.max_tokens = base_url.rstrip("/"), model, timeout, max_tokens
        super().__init__("openai", self._chat_openai(api_key), token_limit=_openai_token_limit)

    def _chat_openai(self, api_key: str) -> BaseChatModel:
        from langchain_openai import ChatOpenAI  # 2 s of imports (openai, tiktoken): only when this generator is used

        # ChatOpenAI(max_tokens=n) sends `max_completion_tokens`, which llama-cpp-python's server (the one
        # `make llm` installs) and older Ollama silently ignore: the answer would run to the context's end.
        # The classic `max_tokens` in extra_body is honoured by them, vLLM, llama-server and OpenAI's chat
        # models alike (OpenAI's reasoning models refuse it, with an HTTP 400 that we report).
        return ChatOpenAI(
            model=self.model, base_url=self.base_url, api_key=SecretStr(api_key), temperature=0.0, streaming=True,
            extra_body=_openai_token_limit(self.max_tokens)["extra_body"],
            # A stalled server must not hang the user: connect fast, bound each read, never retry
            # (a retry doubles the wait for an answer the user is watching for).
            timeout=httpx.Timeout(self.timeout, connect=min(5.0, self.timeout)), max_retries=0,
            # our own client around the SDK's HTTP library: it watches for a server that stalls
            http_client=httpx.Client(transport=_ServerWatch(self.base_url, self.timeout)),
        )

    def _error(self, err: Exception) -> GeneratorError:
        import openai

        if isinstance(err, (openai.APITimeoutError, httpx.TimeoutException)):
            return ModelServerError(_stalled(self.base_url, self.timeout))
        if isinstance(err, openai.APIConnectionError):
            return self._connection_error(_http_cause(err))
        if isinstance(err, openai.APIStatusError):
            return ModelServerError(f"The model server at {self.base_url} answered HTTP {err.status_code}: "
                                    f"{err.response.text[:200]}. Check RAG_MODEL and RAG_OPENAI_API_KEY.")
        if isinstance(err, openai.APIError):  # an error event inside the stream (vLLM, llama.cpp server)
            return ModelServerError(f"The model server reported an error: {str(err.body or err.message)[:300]}")
        if isinstance(err, httpx.HTTPError):
            return self._connection_error(err)
        return super()._error(err)

    def _connection_error(self, cause: BaseException) -> ModelServerError:
        if isinstance(cause, (httpx.ConnectError, httpx.UnsupportedProtocol)):
            return ModelServerError(f"Cannot reach the model server at {self.base_url} ({cause}). "
                                    "Start it, or fix RAG_OPENAI_BASE_URL.")
        # it answered, then broke off (crashed, restarted, proxy cut)
        return ModelServerError(f"The connection to the model server at {self.base_url} failed mid-answer "
                                f"({cause}). Check that it is running, then ask again.")


def _http_cause(err: BaseException) -> BaseException:
    """The httpx exception under the openai client's and LangChain's wrappers (or `err` itself)."""
    cause: BaseException | None = err
    while cause is not None and not isinstance(cause, httpx.HTTPError):
        cause = cause.__cause__
    return cause or err


def _openai_token_limit(n: int) -> dict[str, Any]:
    return {"extra_body": {"max_tokens": n}}


def _stalled(base_url: str, timeout: float) -> str:
    return (f"The model server at {base_url} did not answer within {timeout:g} s "
            "(RAG_REQUEST_TIMEOUT). Check that it is running and not overloaded.")


class _ServerWatch(httpx.BaseTransport):
    """Between ChatOpenAI and the server. A reply that is not a token stream (a proxy's HTML page, a
    JSON error with status 200) is the server's problem: said at once, instead of an empty answer
    read as "The articles don't say". A token stream is watched by `_TextWatch`. HTTP errors pass
    on to the openai client, which raises them with their body."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self.base_url, self.timeout, self._http = base_url, timeout, httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._http.handle_request(request)
        kind = response.headers.get("content-type", "")
        if "text/event-stream" in kind:
            watched = _TextWatch(response.stream, self.timeout, _stalled(self.base_url, self.timeout))
            return httpx.Response(response.status_code, headers=response.headers, stream=watched,
                                  extensions=response.extensions)
        if response.status_code < 400:
            response.read()
            raise ModelServerError(f"The model server at {self.base_url} answered with {kind or 'no content type'} "
                                   f"instead of a token stream: {response.text[:200]!r}. Is RAG_OPENAI_BASE_URL "
                                   "an OpenAI-compatible /v1 endpoint?")
        return response

    def close(self) -> None:
        self._http.close()


class _TextWatch(httpx.SyncByteStream):
    """A token stream's body, passed on unchanged. A server that keeps the connection busy
    (keep-alive comments, empty deltas) without writing any text for `timeout` seconds counts as
    stalled, like one that sends nothing: httpx's read timeout restarts with every byte, and the
    openai client drops comments before anything above it could notice."""

    def __init__(self, body: Any, timeout: float, stalled: str) -> None:
        self._body, self._timeout, self._stalled = body, timeout, stalled

    def __iter__(self) -> Iterator[bytes]:
        last, partial = time.monotonic(), b""
        for data in self._body:
            *lines, partial = (partial + data).split(b"\n")
            if any(map(_has_text, lines)):
                last = time.monotonic()
            elif time.monotonic() - last > self._timeout:
                raise ModelServerError(self._stalled)
            yield data

    def close(self) -> None:
        self._body.close()


def _has_text(line: bytes) -> bool:
    """Whether one line of a server-sent event stream carries generated text. A reasoning model's
    thinking counts: the server is working, though that text is not the answer."""
    try:
        choice = json.loads(line[5:])["choices"][0] if line.startswith(b"data:") else None
    except (ValueError, TypeError, KeyError, IndexError):
        return False
    if not isinstance(choice, dict):
        return False
    delta = choice.get("delta")
    thought = isinstance(delta, dict) and (delta.get("content") or delta.get("reasoning_content"))
    return bool(thought or choice.get("text"))


# -- llama.cpp --------------------------------------------------------------------------------


class ChatLlamaCpp(BaseChatModel):
    """llama-cpp-python as a LangChain chat model: one GGUF model, loaded on first use and kept,
    writing one answer at a time.

    Ours rather than langchain-community's ChatLlamaCpp: that one loads the model when it is
    constructed (seconds for every `Rag`, and a missing file becomes a bare ValueError instead of a
    `GeneratorUnavailable` saying what to do), takes no lock although one llama.cpp context must
    not serve two threads, sets its own sampling defaults (repeat penalty, top-k) over
    llama-cpp-python's, and its package, being wound down in favour of per-provider ones, would
    add SQLAlchemy and langchain-classic for what is forty lines here."""

    model_path: Path
    n_threads: int
    n_ctx: int = 8192  # room for the built-in articles as a prompt prefix (settings.corpus_prompt_chars)
    max_tokens: int = 200
    temperature: float = 0.0
    # Where the evaluated state of a long system prompt (the articles) is kept between processes:
    # evaluating 3,000 tokens of articles takes the 1.5B model 3 minutes here, loading them 0.2 s.
    state_dir: Path | None = None
    _llama: Any = PrivateAttr(default=None)
    _prefix: str = PrivateAttr(default="")  # the key of the long system prompt llama.cpp's cache starts with
    _saved: str = PrivateAttr(default="")  # the key of the one in the state file
    # One llama.cpp context is not thread-safe and the UI answers sessions on worker
    # threads: a second question waits here for the first to finish streaming.
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    def llama(self) -> Any:
        """The llama.cpp model, loaded by the first call; every later one returns the same."""
        with self._lock:
            if self._llama is None:
                self._llama = _load_llama(self.model_path, self.n_threads, self.n_ctx)
            return self._llama

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        llama = self.llama()
        chat = convert_to_openai_messages(messages)
        with self._lock:
            key = self._restore(llama, chat)
            pieces = llama.create_chat_completion(
                messages=chat, temperature=self.temperature, stop=stop,
                max_tokens=kwargs.get("max_tokens", self.max_tokens), stream=True,  # llama.cpp stops at the limit
            )
            try:
                for piece in pieces:
                    if text := piece["choices"][0].get("delta", {}).get("content"):
                        chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                        if run_manager:
                            run_manager.on_llm_new_token(text, chunk=chunk)
                        yield chunk
                self._keep(llama, key)  # saved only after a whole answer
            finally:  # a reader that stopped mid-answer: the prompt is evaluated all the same
                self._prefix = key

    def _restore(self, llama: Any, chat: list[dict[str, Any]]) -> str:
        """The key of a long system prompt; when llama.cpp's cache holds none, the saved state
        is loaded. It need not be the same prompt: llama.cpp keeps the longest prefix of tokens
        the new prompt shares with the evaluated one, so after articles are added only the text
        from the first difference on is evaluated (the newest article comes last)."""
        key = _prefix_key(self.model_path, self.n_ctx, chat) if self.state_dir else ""
        if key and not self._prefix:
            self._prefix = self._saved = load_prefix(llama, self._state_file, _model_stamp(self.model_path, self.n_ctx))
        return key

    def _keep(self, llama: Any, key: str) -> None:
        """After an answer: the state is saved once for each new long system prompt."""
        if key and key != self._saved:
            save_prefix(llama, self._state_file, _model_stamp(self.model_path, self.n_ctx), key)
            self._saved = key
        self._prefix = key

    @property
    def _state_file(self) -> Path:
        return (self.state_dir or Path()) / f"{self.model_path.stem}.prefix.npz"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))


PREFIX_CHARS = 2_000  # a system prompt this long (the articles, not the instructions alone) is worth saving


def _prefix_key(model: Path, n_ctx: int, chat: list[dict[str, Any]]) -> str:
    """A digest of a long system prompt for this model ("" for a short one)."""
    system = str(chat[0].get("content", "")) if chat and chat[0].get("role") == "system" else ""
    if len(system) < PREFIX_CHARS:
        return ""
    return hashlib.sha256(f"{_model_stamp(model, n_ctx)}\0{system}".encode()).hexdigest()


def _model_stamp(model: Path, n_ctx: int) -> str:
    """What a saved state is valid for: the same model file and context size."""
    return f"{model.name}:{model.stat().st_size}:{n_ctx}"


def load_prefix(llama: Any, path: Path, stamp: str) -> str:
    """Put the saved state back into llama.cpp if it was saved for this model (`stamp`);
    the key of its system prompt, else ""."""
    from llama_cpp.llama import LlamaState  # only here: llama-cpp-python is an optional install

    try:
        with np.load(path) as saved:
            if str(saved["model"]) != stamp:
                return ""
            key, data = str(saved["key"]), saved["state"].tobytes()
            state = LlamaState(input_ids=saved["input_ids"], n_tokens=int(saved["n_tokens"]), seed=int(saved["seed"]),
                               scores=np.zeros((1, llama.n_vocab()), dtype=np.single),  # refilled: the question follows
                               llama_state=data, llama_state_size=len(data))
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):  # none saved yet, or torn: evaluated again
        return ""
    try:
        llama.load_state(state)
    except RuntimeError:  # saved by another llama.cpp build: start from nothing, evaluate again
        llama.reset()
        return ""
    return key


def save_prefix(llama: Any, path: Path, stamp: str, key: str) -> None:
    """Save llama.cpp's state (prompt and answer; the next prompt reuses the part it shares),
    atomically: a reader sees the old file or the new one."""
    state = llama.save_state()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial.npz")  # two processes may save at once
    np.savez(partial, model=np.array(stamp), key=np.array(key), input_ids=state.input_ids,
             n_tokens=np.array(state.n_tokens), seed=np.array(state.seed),
             state=np.frombuffer(state.llama_state, dtype=np.uint8))
    os.replace(partial, path)


def _load_llama(path: Path, threads: int, n_ctx: int) -> Any:
    try:
        from llama_cpp import Llama
    except ImportError as err:
        raise GeneratorUnavailable(
            "RAG_GENERATOR=llamacpp needs llama-cpp-python: run `make llm` "
            "(or CMAKE_ARGS=-DGGML_NATIVE=OFF pip install --no-cache-dir llama-cpp-python)."
        ) from err
    if not path.is_file():
        raise GeneratorUnavailable(f"No model file at {path}; set RAG_MODEL_PATH to a GGUF file.")
    return Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_batch=512, verbose=False)


class LlamaCppGenerator(ChatModelGenerator):
    """A local GGUF chat model through llama-cpp-python, streaming tokens as they come."""

    def __init__(self, model_path: Path, threads: int, max_tokens: int = 200, n_ctx: int = 8192,
                 state_dir: Path | None = None) -> None:
        self.model_path, self.threads, self.max_tokens, self.n_ctx = model_path, threads, max_tokens, n_ctx
        self._chat = ChatLlamaCpp(model_path=model_path, n_threads=threads, max_tokens=max_tokens, n_ctx=n_ctx,
                                  state_dir=state_dir)
        super().__init__("llamacpp", self._chat, token_limit=lambda n: {"max_tokens": n})

    @property
    def _llm(self) -> Any:
        """The loaded llama.cpp model (loading it now, e.g. to fail early or warm up)."""
        return self._chat.llama()

    def _error(self, err: Exception) -> GeneratorError:
        # llama_cpp raises plain RuntimeError/ValueError on model trouble
        return GeneratorError(f"The local model failed: {err}. Check RAG_MODEL_PATH.")
