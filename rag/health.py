"""`check()`: are the configured store, embedding model and generator usable from here?

Each component is checked within a bounded time and without side effects beyond creating
the local data folders (no collection is created, no model is assembled), and reported as a
`Check` with the reason when it is down. `rag serve-check` prints them; a deployment script
can call `rag.check()` itself.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rag import generators
from rag.chunk import Chunker
from rag.embed import make_embedder
from rag.errors import GeneratorUnavailable, ModelServerError, RagError, StoreError
from rag.settings import Settings
from vectorstore import IndexSpec, inspect_store, server_advice, server_url

if TYPE_CHECKING:
    import httpx

TIMEOUT = 5.0  # seconds for one request to a model server


@dataclass(frozen=True)
class Check:
    component: str  # "store", "embedder" or "generator"
    ok: bool
    detail: str  # what was found, or why it is down and what to do


def check(settings: Settings | None = None, generator: str | None = None) -> list[Check]:
    """One `Check` per component, in the order store, embedder, generator."""
    s = settings or Settings()
    return [
        _run("store", lambda: _store(s)),
        _run("embedder", lambda: _embedder(s)),
        _run("generator", lambda: _generator(s, generator or s.generator)),
    ]


def _run(component: str, probe: Callable[[], str]) -> Check:
    try:
        return Check(component, True, probe())
    except RagError as err:  # the reason the user must read; anything else is a bug and propagates
        return Check(component, False, str(err))


def _store(s: Settings) -> str:
    _writable(s.keyword_dir)  # the BM25 cache lives here in both modes
    if s.chroma_url:
        _heartbeat(s)  # chromadb's client waits forever on a stalled server; this is bounded
    embedder = make_embedder(s)  # its name and dimension only: the model is not loaded
    spec = IndexSpec(embedder.name, embedder.dim, Chunker(s.chunk_size, s.chunk_overlap).version)
    return inspect_store(s, spec)


def _heartbeat(s: Settings) -> None:
    import httpx

    server_url(s)  # a malformed URL gets its own message
    headers = {"x-chroma-token": s.chroma_token} if s.chroma_token else {}
    try:
        httpx.get(f"{(s.chroma_url or '').rstrip('/')}/api/v2/heartbeat", headers=headers,
                  timeout=TIMEOUT).raise_for_status()
    except httpx.HTTPError as err:
        raise StoreError(server_advice(s, err)) from err


def _writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix=".check-")
        os.close(fd)
        os.unlink(name)
    except OSError as err:
        raise StoreError(f"{folder} is not writable ({err.strerror}); set RAG_DATA_DIR to a folder you can write.") from err


def _embedder(s: Settings) -> str:
    embedder = make_embedder(s)
    try:
        vector = embedder.embed(["Is the embedding model here?"])[0]
    except RagError:
        raise
    except Exception as err:  # onnxruntime / torch failures while loading the model files
        raise RagError(f"The embedding model failed to load ({err}); reinstall newsrag's dependencies.") from err
    where = f"server {s.embed_url}" if s.embed_url else s.embed_backend
    return f"{embedder.name} ({where}), {len(vector)} dimensions"


def _generator(s: Settings, name: str) -> str:
    """A generator with a deeper probe (a request to its server, its model file) gets it; any
    other is judged by its registry entry's own cheap check."""
    entry = generators.get(name)  # an unknown name: GeneratorUnavailable listing the registered ones
    probe = _PROBES.get(name)
    if probe:
        return probe(s)
    if reason := entry.available(s):
        raise GeneratorUnavailable(f"{name}: {reason}")
    return f"{name}: {entry.description}"


def _llamacpp(s: Settings) -> str:
    from rag.models import entry, part_files

    if importlib.util.find_spec("llama_cpp") is None:
        raise GeneratorUnavailable("llamacpp: llama-cpp-python is not installed; run `make llm`.")
    if s.model_path:
        if not s.model_path.is_file():
            raise GeneratorUnavailable(f"llamacpp: no model file at {s.model_path}; fix RAG_MODEL_PATH.")
        return f"llamacpp with {s.model_path}"
    assembled = s.models_dir / entry(s.local_model).file  # RAG_LOCAL_MODEL chooses among the bundled models
    if assembled.is_file():
        return f"llamacpp with {assembled}"
    part_files(s.local_model)  # raises with advice when a part is missing
    return f"llamacpp: model parts installed, assembled into {assembled} on first use"


def _openai(s: Settings) -> str:
    import httpx

    base = s.openai_base_url.rstrip("/")
    try:
        response = httpx.get(f"{base}/models", headers={"Authorization": f"Bearer {s.openai_api_key}"},
                             timeout=TIMEOUT)
    except httpx.HTTPError as err:
        raise ModelServerError(f"openai: cannot reach {base}/models ({err or type(err).__name__}). "
                               "Start the model server, or fix RAG_OPENAI_BASE_URL.") from err
    if response.status_code >= 400:
        raise ModelServerError(f"openai: {base}/models answered HTTP {response.status_code}: "
                               f"{response.text[:200]}. Check RAG_OPENAI_API_KEY and RAG_OPENAI_BASE_URL.")
    served = _model_ids(response)
    if s.model not in served:
        # Ollama and vLLM refuse unknown model names (llama.cpp's server ignores them).
        raise ModelServerError(f"openai: {base} serves {', '.join(served) or 'no models'}, not "
                               f"RAG_MODEL={s.model!r}. Set RAG_MODEL to one of them.")
    return f"openai at {base}, model {s.model}"


def _model_ids(response: httpx.Response) -> list[str]:
    try:
        return [str(m["id"]) for m in response.json()["data"]]
    except (ValueError, KeyError, TypeError) as err:
        raise ModelServerError("openai: the /models answer is not an OpenAI model list; is "
                               "RAG_OPENAI_BASE_URL the server's /v1 address?") from err


# Deeper than `Entry.available`: a request to the server, the model file or its installed parts.
_PROBES: dict[str, Callable[[Settings], str]] = {"llamacpp": _llamacpp, "openai": _openai}
