"""The generators newsrag can answer with, by name: one registry that the pipeline, the command
line, the UI and the health check all read, instead of `if name == ...` branches in each.

    name         language model   usable when
    extractive   no               always (the default)
    llamacpp     yes              `make llm` installed llama-cpp-python and the local model
    openai       yes              RAG_OPENAI_BASE_URL points at an OpenAI-compatible server

Any LangChain chat model can be added under a name of its own, e.g. Ollama's native API:

    from langchain_ollama import ChatOllama
    from rag.generate import ChatModelGenerator
    register(Entry("ollama", "Ollama's native API.", lambda s, parts: ChatModelGenerator(
        "ollama", ChatOllama(model="qwen2.5:1.5b-instruct"), lambda n: {"num_predict": n}),
        is_language_model=True, available=lambda s: None))

Backends are imported by their factories, when first used: listing the names (`rag --help`)
loads neither LangChain's chat models nor llama.cpp.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from rag.errors import GeneratorUnavailable
from rag.settings import Settings
from rag.types import Generator

if TYPE_CHECKING:
    from rag.embed import Embedder
    from rag.keyword import KeywordIndex


class Components(Protocol):
    """What a factory may use of the pipeline (a `rag.Rag` has both): the extractive generator
    ranks sentences by the keyword index's IDF and the embedder's similarity."""

    @property
    def keyword(self) -> KeywordIndex: ...

    @property
    def embedder(self) -> Embedder: ...


@dataclass(frozen=True)
class Entry:
    name: str
    description: str  # one line, for the UI and `rag serve-check`
    factory: Callable[[Settings, Components], Generator]
    is_language_model: bool  # it writes text token by token (and reads only the passages' best sentences)
    # None when usable here; otherwise how to get it, in plain words. Cheap: no network, no model loading.
    available: Callable[[Settings], str | None]


REGISTRY: dict[str, Entry] = {}


def register(entry: Entry) -> Entry:
    """Add (or replace) a generator under `entry.name`."""
    REGISTRY[entry.name] = entry
    return entry


def names() -> list[str]:
    return list(REGISTRY)


def get(name: str) -> Entry:
    try:
        return REGISTRY[name]
    except KeyError:
        raise GeneratorUnavailable(f"Unknown generator {name!r}; use one of: {', '.join(REGISTRY)} "
                                   "(RAG_GENERATOR, or --generator).") from None


def make(name: str, settings: Settings, parts: Components) -> Generator:
    """A new generator `name`; unknown names raise GeneratorUnavailable listing the registered ones."""
    return get(name).factory(settings, parts)


def usable(settings: Settings) -> list[Entry]:
    """The generators that can answer here, in registration order."""
    return [e for e in REGISTRY.values() if e.available(settings) is None]


def missing(settings: Settings) -> dict[str, str]:
    """The generators that cannot answer here, each with how to get it."""
    return {e.name: reason for e in REGISTRY.values() if (reason := e.available(settings)) is not None}


def is_language_model(name: str) -> bool:
    """True for a registered language model, and for a generator the registry does not know
    (one passed to `Rag(generator=...)`): only the registry can vouch that one is not."""
    entry = REGISTRY.get(name)
    return entry is None or entry.is_language_model


# -- the built-in generators ----------------------------------------------------------------------


def _extractive(s: Settings, parts: Components) -> Generator:
    from rag.extractive import ExtractiveGenerator

    return ExtractiveGenerator(parts.keyword.idf, parts.embedder.embed)


def _llamacpp(s: Settings, parts: Components) -> Generator:
    from rag.generate import LlamaCppGenerator
    from rag.models import local_model

    if reason := _llamacpp_available(s):  # said when it is chosen, not after a retrieval or never (an empty index)
        raise GeneratorUnavailable(f"llamacpp: {reason}")
    path = s.model_path or local_model(s.models_dir, s.local_model)
    return LlamaCppGenerator(path, s.threads, s.max_answer_tokens, state_dir=s.models_dir / "state")


def _llamacpp_available(s: Settings) -> str | None:
    from rag.models import entry, part_files

    if importlib.util.find_spec("llama_cpp") is None:
        return "Run `make llm` to install the local model."
    if s.model_path:
        return None if s.model_path.is_file() else f"No model file at {s.model_path}: fix RAG_MODEL_PATH."
    try:
        if not (s.models_dir / entry(s.local_model).file).is_file():  # assembled on first use
            part_files(s.local_model)
    except GeneratorUnavailable as err:
        return str(err)
    return None


def _openai(s: Settings, parts: Components) -> Generator:
    from rag.generate import OpenAIGenerator

    return OpenAIGenerator(s.openai_base_url, s.model, s.openai_api_key, s.request_timeout, s.max_answer_tokens)


def _openai_available(s: Settings) -> str | None:
    # Whether a server answers there is `rag serve-check`'s question (it takes a request); here it
    # is whether one was configured. Choosing openai as the default counts: it uses the default URL.
    if "openai_base_url" in s.model_fields_set or s.generator == "openai":
        return None
    return "Set RAG_OPENAI_BASE_URL to an OpenAI-compatible server (Ollama, vLLM, llama.cpp)."


register(Entry("extractive", "no language model; the passage sentences that best answer the question, at once.",
               _extractive, is_language_model=False, available=lambda s: None))
register(Entry("llamacpp", "the local language model (llama.cpp); fluent, but slow on a laptop CPU.",
               _llamacpp, is_language_model=True, available=_llamacpp_available))
register(Entry("openai", "a language model on an OpenAI-compatible server (Ollama, vLLM, llama.cpp).",
               _openai, is_language_model=True, available=_openai_available))
