"""Answer generators behind one protocol: `stream(prompt)` yields pieces of the answer text.

- `ExtractiveGenerator`: no language model. Answers with the passage sentences that best
  answer the question, each cited; refuses when none does. Deterministic and instant.
- `LlamaCppGenerator`: a local GGUF model through llama-cpp-python, streamed.
- `OpenAIGenerator`: any OpenAI-compatible chat server (Ollama, vLLM, llama.cpp server, OpenAI).

Whatever a generator writes, `rag.verify` checks its citations afterwards.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np

import prompts
from rag.errors import GeneratorError, GeneratorUnavailable, ModelServerError
from rag.text import STOPWORDS, sentences, terms, words
from rag.types import REFUSAL, Passage


@dataclass(frozen=True)
class Prompt:
    """The question, the numbered passages, and the chat messages rendered from prompts/."""

    question: str
    passages: list[Passage]
    messages: list[dict[str, str]] = field(default_factory=list)


class Generator(Protocol):
    name: str

    def stream(self, prompt: Prompt) -> Iterator[str]: ...


def render(question: str, passages: list[Passage], excerpts: dict[int, str] | None = None) -> Prompt:
    """Fill prompts/answer_*.txt with the numbered passages (title, outlet and date each).
    With `excerpts` (passage number -> text), only those passages appear, under their own
    numbers, with only that text: see `excerpts()`."""
    texts = excerpts if excerpts is not None else {i: p.chunk.text for i, p in enumerate(passages, start=1)}
    blocks = "\n\n".join(_passage_block(n, passages[n - 1], text) for n, text in sorted(texts.items()))
    user = prompts.text("answer_user").format(passages=blocks, question=question, refusal=REFUSAL)
    messages = [{"role": "system", "content": prompts.text("answer_system")}, {"role": "user", "content": user}]
    return Prompt(question, passages, messages)


def _passage_block(number: int, passage: Passage, text: str) -> str:
    chunk = passage.chunk
    source = ", ".join(x for x in (chunk.outlet, chunk.published) if x)
    return prompts.text("passage").format(
        number=number, title=chunk.title or chunk.article_id,
        source_line=f" ({source})" if source else "", text=text,
    )


def excerpts(candidates: list[Candidate], passages: list[Passage], limit: int) -> dict[int, str]:
    """The `limit` best-ranked sentences, grouped under their passage numbers and kept in
    their order in the passage. A small model given whole passages mostly refused (10 of 14
    answerable dev questions); the sentences that bear on the question, drawn from eight
    passages, make a prompt about as long as four whole passages. Citations are still
    verified against the whole passage."""
    best = sorted(candidates, key=lambda c: c.score, reverse=True)[:limit]
    chosen: dict[int, list[str]] = {}
    for c in best:
        chosen.setdefault(c.passage, []).append(c.text)
    return {n: " ".join(sorted(set(sents), key=passages[n - 1].chunk.text.find)) for n, sents in chosen.items()}


# -- extractive ------------------------------------------------------------------------------

DATE_WORDS = re.compile(
    r"\b(19|20)\d{2}\b|\b(January|February|March|April|May|June|July|August|September|October|"
    r"November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|"
    r"today|tomorrow|tonight|ago|last (week|month|year)|next (week|month|year))\b", re.I,
)
QUANTITY = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|"
                      r"million|billion|dozen|percent|half|twice)\b", re.I)


WH = re.compile(r"\b(what|which|who|whom|whose|when|where|why|how)\b", re.I)
CALENDAR = re.compile(r"^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|"
                      r"April|May|June|July|August|September|October|November|December)", re.I)


def expected_type(question: str) -> str:
    """What kind of answer the question asks for ("date", "quantity", "name" or "any"),
    judged by its first question word: "How did Putin describe X when asked" asks for a
    description, not a date."""
    q = question.lower()
    first = WH.search(q)
    if not first:
        return "any"
    rest = q[first.start():]
    if re.match(r"when\b|what (year|date|day|month|time)\b", rest) or re.search(r"\bsince when\b", q):
        return "date"
    if re.match(r"how (many|much|long|old|far)\b|what (percentage|number|amount)\b", rest):
        return "quantity"
    if re.match(r"(who|whom|whose)\b", rest):
        return "name"
    return "any"


def has_type(sentence: str, kind: str, question: str) -> bool:
    if kind == "date":  # "until Belarus is free" answers "when will the war be over" too
        return bool(DATE_WORDS.search(sentence) or re.search(r"\b(until|after|before|once)\b", sentence, re.I))
    if kind == "quantity":
        return bool(QUANTITY.search(sentence))
    if kind == "name":
        asked = set(words(question))
        # A capitalised word the question does not contain, other than a sentence-initial
        # function word ("They ...") or a weekday or month.
        return any(t[0].isupper() and not CALENDAR.match(t) and not set(words(t)) <= asked | STOPWORDS
                   for t in re.findall(r"[\w’'-]+", sentence))
    return True


SEMANTIC_POOL = 12  # sentences re-scored by embedding similarity


@dataclass
class Candidate:
    passage: int  # 1-based passage number
    text: str
    score: float


class SentenceRanker:
    """Scores the sentences of the passages as answers to a question: the IDF-weighted share
    of the question's content words a sentence contains (with its passage's title and the
    sentence before it as context), then, for the lexically best SEMANTIC_POOL, blended with
    embedding similarity to the question."""

    def __init__(self, idf: Callable[[str], float], embed: Callable[[list[str]], np.ndarray]) -> None:
        self.idf, self.embed = idf, embed

    def rank(self, question: str, passages: list[Passage]) -> list[Candidate]:
        q_terms = set(terms(question))
        if not q_terms:
            return []
        weights = {t: self.idf(t) for t in q_terms}
        total = sum(weights.values())
        rows: list[tuple[int, str, float]] = []
        for number, passage in enumerate(passages, start=1):
            sents = [s for _, _, s in sentences(passage.chunk.text)]
            title_terms = set(terms(passage.chunk.title))
            for i, sent in enumerate(sents):
                own = set(terms(sent))
                context = own | title_terms | set(terms(sents[i - 1] if i else ""))
                covered = sum(w for t, w in weights.items() if t in own) * 0.75 + sum(
                    w for t, w in weights.items() if t in context) * 0.25
                rows.append((number, sent, covered / total))
        # Embedding every sentence is the slow part; only the lexically plausible ones compete.
        rows = sorted(rows, key=lambda r: r[2], reverse=True)[:SEMANTIC_POOL]
        if not rows:
            return []
        sims = self.embed([question, *[r[1] for r in rows]])
        similarity = sims[1:] @ sims[0]
        return [Candidate(n, s, 0.6 * cov + 0.4 * float(sim)) for (n, s, cov), sim in zip(rows, similarity, strict=True)]


class ExtractiveGenerator:
    """Picks the passage sentences that best answer the question and cites each one.

    A sentence scores by the IDF-weighted share of the question's content words it contains
    (with its passage's title and neighbouring sentence as context) and by embedding
    similarity to the question. It must also contain the kind of thing asked for (a date for
    "when", a number for "how many"). Below the threshold, the honest answer is a refusal."""

    name = "extractive"

    def __init__(self, idf: Callable[[str], float], embed: Callable[[list[str]], np.ndarray],
                 threshold: float = 0.35, max_sentences: int = 2) -> None:
        self.ranker = SentenceRanker(idf, embed)
        self.threshold, self.max_sentences = threshold, max_sentences

    def stream(self, prompt: Prompt) -> Iterator[str]:
        chosen = self.select(prompt.question, prompt.passages)
        if not chosen:
            yield REFUSAL
            return
        yield " ".join(f"{c.text} [{c.passage}]" for c in chosen)

    def select(self, question: str, passages: list[Passage]) -> list[Candidate]:
        candidates = self.candidates(question, passages)
        kind = expected_type(question)
        good = [c for c in candidates if c.score >= self.threshold and has_type(c.text, kind, question)]
        good.sort(key=lambda c: c.score, reverse=True)
        if not good:
            return []
        best = good[0]
        # A second sentence only when it is nearly as good: more text is not a better answer.
        extra = [c for c in good[1:] if c.score >= best.score - 0.25 and c.text != best.text]
        return [best, *extra[: self.max_sentences - 1]]

    def candidates(self, question: str, passages: list[Passage]) -> list[Candidate]:
        return self.ranker.rank(question, passages)


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
