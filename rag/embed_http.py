"""Embedding on an OpenAI-compatible server (`RAG_EMBED_URL`): one GPU box embeds for many
indexing machines. Any server with `POST /v1/embeddings` works: Infinity, text-embeddings-
inference, vLLM, llama.cpp's server, Ollama (`make embedserver` installs Infinity).

Why httpx and not langchain-openai's `OpenAIEmbeddings` or the `openai` client:
- `OpenAIEmbeddings` tokenises with tiktoken by default (`check_embedding_ctx_length=True`) and
  sends OpenAI token ids, which a MiniLM server reads as nonsense or refuses; tiktoken also
  downloads its vocabulary at first use, and nothing here may download at run time.
- With that switched off it still reads `data` in list order, ignoring each item's `index`, and
  never checks the dimension; the `openai` client asks for base64 unless told otherwise and
  retries on its own, which hides a slow server behind minutes of waiting.
What is left is one POST of a list of strings, done here in a few lines with every failure
translated into an `EmbedServerError` that says what to do.

Identity (`name`, which the index records and checks on open, vectorstore.chroma.IndexSpec):
the vectors decide, not the server's label. A server whose vectors for a few probe sentences
match the local all-MiniLM-L6-v2 (cosine >= SAME_MODEL_COSINE) is named `all-MiniLM-L6-v2`, so
an index built through it and one built locally are the same index: the two differ by less
(cosine 0.9999+ to the fp32 weights, 0.999 to the int8 ONNX default) than the local int8 and
torch backends, which already share a name. So machines can index through the server and
answer with the local model, or the other way round. Any other model is named by the id the
server reports; a server that claims all-MiniLM-L6-v2 but computes something else is refused.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np

from rag.embed import DIMENSION, MODEL_NAME, OnnxEmbedder
from rag.errors import EmbedServerError

if TYPE_CHECKING:
    from rag.settings import Settings

MAX_REQUEST_CHARS = 200_000  # characters of text per request (about 330 chunks; servers cap bodies)
SAME_MODEL_COSINE = 0.995  # the int8 ONNX model scores 0.9992+ against the fp32 weights on these
PROBE = (  # a headline-like sentence, a number-heavy one, and a single letter
    "Landlocked Belarus is dependent on Russia for security and fuel.",
    "The central bank raised interest rates by half a percentage point to 4.75% on Thursday.",
    "a",
)
_CLAIMS_LOCAL = MODEL_NAME.lower()  # a label that says it is the local model


@dataclass(frozen=True)
class Served:
    """What the first request learned: the server's model id, the index name and dimension."""

    model: str
    name: str
    dim: int


class HttpEmbedder:
    """Texts to unit vectors through `POST {url}/embeddings`, `batch_size` texts per request."""

    def __init__(self, url: str, model: str | None = None, api_key: str | None = None,
                 timeout: float = 60.0, batch_size: int = 64, transport: httpx.BaseTransport | None = None) -> None:
        self.url, self.model, self.timeout = _base_url(url), model, timeout
        self.batch_size = max(1, batch_size)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # One retry of a failed connect only (a restarting server); a slow answer is not retried.
        self._client = httpx.Client(base_url=self.url, headers=headers, timeout=timeout,
                                    transport=transport or httpx.HTTPTransport(retries=1))

    @classmethod
    def from_settings(cls, s: Settings) -> HttpEmbedder:
        return cls(s.embed_url or "", s.embed_model, s.embed_api_key, s.embed_timeout, s.embed_batch_size)

    @property
    def name(self) -> str:
        return self._served.name

    @property
    def dim(self) -> int:
        return self._served.dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        served = self._served
        if not texts:
            return np.zeros((0, served.dim), dtype=np.float32)
        parts = [self._checked(batch, served) for batch in _batches(texts, self.batch_size, MAX_REQUEST_CHARS)]
        return _unit(np.vstack(parts))

    # -- the first request: what is served ------------------------------------------------------

    @cached_property
    def _served(self) -> Served:
        """Asked once, when `name`, `dim` or `embed` is first used (a `Rag` asks as it opens
        its index), not at construction: `make_embedder` alone sends nothing."""
        model, vectors = self._post(list(PROBE), self.model or self._only_model())
        return Served(model, self._identity(model, vectors), vectors.shape[1])

    def _identity(self, model: str, vectors: np.ndarray) -> str:
        """MODEL_NAME when the vectors are the local model's, else the server's model id."""
        cosine = _local_cosine(vectors)
        if cosine is not None and cosine >= SAME_MODEL_COSINE:
            return MODEL_NAME
        if _CLAIMS_LOCAL in model.lower():
            how = f"{vectors.shape[1]} dimensions, not {DIMENSION}" if cosine is None else f"cosine {cosine:.3f}"
            raise EmbedServerError(
                f"{self.url} says it serves {model}, but its vectors for test sentences differ from the local "
                f"{MODEL_NAME}'s ({how}): it runs other weights or pooling. Fix the server's model, or serve it "
                "under another name (Infinity: --served-model-name) so its index is kept apart.")
        return model

    def _only_model(self) -> str:
        """The model to ask for when RAG_EMBED_MODEL is unset: the one the server lists."""
        with self._translate("listing models"):
            response = self._client.get("/models")
        if response.status_code == 404:  # a wrong base address, or a server that lists no models
            raise EmbedServerError(f"{self.url}/models does not exist (HTTP 404): RAG_EMBED_URL should be the "
                                   "server's OpenAI base address, usually ending in /v1; if it is, set "
                                   "RAG_EMBED_MODEL to the model name the server serves.")
        served = _model_ids(_json(self._ok(response, "models"), self.url))
        if len(served) != 1:
            raise EmbedServerError(f"{self.url} serves {', '.join(served) or 'no models'}; set RAG_EMBED_MODEL "
                                   "to the embedding model to use.")
        return served[0]

    # -- requests -------------------------------------------------------------------------------

    def _checked(self, texts: list[str], served: Served) -> np.ndarray:
        """One request; its vectors must come from the model and dimension first served."""
        model, vectors = self._post(texts, served.model)
        if vectors.shape[1] != served.dim or model != served.model:
            raise EmbedServerError(
                f"{self.url} now answers with {model} ({vectors.shape[1]} dimensions), but served "
                f"{served.model} ({served.dim}) when this process started: its model changed. Restore "
                "it, or restart newsrag (an index built with the old model needs `rag index --rebuild`).")
        return vectors

    def _post(self, texts: list[str], model: str) -> tuple[str, np.ndarray]:
        """(the model id the server reports, its vectors in the order of `texts`)."""
        body = {"model": model, "input": texts, "encoding_format": "float"}
        with self._translate(f"embedding a batch of {len(texts)}"):
            response = self._client.post("/embeddings", json=body)
        answer = _json(self._ok(response, "embeddings"), self.url)
        vectors = _vectors(answer, len(texts), self.url)
        reported = answer.get("model") if isinstance(answer, dict) else None
        return (reported if isinstance(reported, str) and reported else model), vectors

    @contextmanager
    def _translate(self, action: str) -> Iterator[None]:
        """httpx failures as EmbedServerError saying which setting to change."""
        try:
            yield
        except httpx.TimeoutException as err:
            raise EmbedServerError(
                f"The embedding server at {self.url} did not answer within {self.timeout:g} s while {action}. "
                "Raise RAG_EMBED_TIMEOUT or lower RAG_EMBED_BATCH_SIZE for a busy server, or check it is "
                "not stuck.") from err
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as err:
            raise EmbedServerError(f"RAG_EMBED_URL={self.url!r} is not an http(s) URL ({err}); "
                                   "use e.g. http://127.0.0.1:7997/v1.") from err
        except httpx.ConnectError as err:
            raise EmbedServerError(
                f"Cannot reach the embedding server at {self.url} while {action} ({err}). Start it "
                "(`make embedserver` installs one), fix RAG_EMBED_URL, or unset it to embed on this machine.") from err
        except httpx.HTTPError as err:  # the connection broke mid-request
            raise EmbedServerError(
                f"The embedding server at {self.url} broke off while {action} ({err or type(err).__name__}). "
                "Check its log (a crash, out of memory) and run the same command again.") from err

    def _ok(self, response: httpx.Response, endpoint: str) -> httpx.Response:
        if response.status_code in (401, 403):
            raise EmbedServerError(f"{self.url}/{endpoint} refused the request (HTTP {response.status_code}); "
                                   "set RAG_EMBED_API_KEY to the server's key.")
        if response.status_code == 404:
            raise EmbedServerError(f"{self.url}/{endpoint} does not exist (HTTP 404): RAG_EMBED_URL should be "
                                   "the server's OpenAI base address, usually ending in /v1.")
        if response.status_code >= 400:
            raise EmbedServerError(f"The embedding server answered HTTP {response.status_code} at "
                                   f"{self.url}/{endpoint}: {response.text[:300]!r}. Check its log; "
                                   "RAG_EMBED_MODEL must be a model it serves.")
        return response


def _base_url(url: str) -> str:
    """The OpenAI base address; a full .../embeddings address is accepted too."""
    url = url.strip().rstrip("/")
    return url.removesuffix("/embeddings")


def _batches(texts: Sequence[str], size: int, max_chars: int) -> Iterator[list[str]]:
    """Consecutive requests of at most `size` texts and `max_chars` characters, in order. A
    longer text is cut to `max_chars`: every model here reads far fewer tokens than that."""
    batch: list[str] = []
    chars = 0
    for text in texts:
        text = text[:max_chars]
        if batch and (len(batch) == size or chars + len(text) > max_chars):
            yield batch
            batch, chars = [], 0
        batch.append(text)
        chars += len(text)
    if batch:
        yield batch


def _json(response: httpx.Response, url: str) -> Any:
    try:
        return response.json()
    except ValueError as err:
        raise EmbedServerError(f"{url} answered {response.text[:200]!r}, not JSON: is RAG_EMBED_URL the "
                               "address of an OpenAI-compatible embedding server?") from err


def _model_ids(answer: Any) -> list[str]:
    try:
        return [str(m["id"]) for m in answer["data"]]
    except (KeyError, TypeError) as err:
        raise EmbedServerError("The /models answer is not an OpenAI model list; set RAG_EMBED_MODEL to the "
                               "served model's name.") from err


def _vectors(answer: Any, count: int, url: str) -> np.ndarray:
    """`count` vectors ordered by each item's `index` (servers may return them in any order)."""
    try:
        items = answer["data"]
        rows = {int(item.get("index", i)): _floats(item["embedding"]) for i, item in enumerate(items)}
        vectors = np.stack([rows[i] for i in range(count)]) if len(rows) == len(items) == count else None
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error) as err:
        raise EmbedServerError(f"{url} did not answer with OpenAI embeddings ({type(err).__name__}: {err}): "
                               "is RAG_EMBED_URL an embedding server's /v1 address?") from err
    if vectors is None:
        raise EmbedServerError(f"{url} returned {len(items)} embeddings for a batch of {count} (or repeated "
                               "an index); it is not answering the OpenAI embeddings API correctly.")
    if vectors.size == 0 or not np.isfinite(vectors).all():
        raise EmbedServerError(f"{url} returned empty or non-finite vectors; check the server's model.")
    return vectors


def _floats(embedding: Any) -> np.ndarray:
    """A list of numbers, or base64 little-endian float32 (what some servers send by default)."""
    if isinstance(embedding, str):
        return np.frombuffer(base64.b64decode(embedding, validate=True), dtype="<f4").astype(np.float32)
    if not isinstance(embedding, list):
        raise TypeError(f"an embedding is a {type(embedding).__name__}, not a list of numbers")
    return np.asarray(embedding, dtype=np.float32)  # ragged rows fail in np.stack: ValueError


def _unit(vectors: np.ndarray) -> np.ndarray:
    """Unit length, as every Embedder returns (not every server normalises)."""
    norms: np.ndarray = np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
    return np.asarray(vectors / norms, dtype=np.float32)


def _local_cosine(vectors: np.ndarray) -> float | None:
    """The lowest cosine between the server's and the local model's PROBE vectors (None when
    the shapes differ, and then the local model is not even loaded)."""
    if vectors.shape != (len(PROBE), DIMENSION):
        return None
    return float((_unit(vectors) * _local_probe()).sum(axis=1).min())


@cache
def _local_probe() -> np.ndarray:
    """The local model's vectors for PROBE: one small ONNX run per process, only for a server
    whose vectors have the local model's dimension."""
    return OnnxEmbedder(threads=1).embed(list(PROBE))
