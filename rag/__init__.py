"""newsrag: cited answers about a corpus of news articles.

    from rag import answer
    res = answer("When did Putin last visit Belarus before December 2022?")
    print(res.text)                      # inline [n] markers
    for c in res.citations: print(c.number, c.title, c.passage)

The module-level functions share one `Rag` built from the environment (`Settings`) and
index the built-in articles on first use. Build your own `Rag(settings, ...)` to choose
backends explicitly.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The bottom layer (errors, types, settings) is imported here; everything that builds on it
# (the pipeline, the chain, health checks) on first use, so that `import vectorstore` (a
# backend that uses rag.types) or `import rag.errors` never drags in the pipeline and its
# backends, nor imports in a circle.
from rag.errors import (
    EmbedServerError,
    GeneratorError,
    GeneratorUnavailable,
    IndexMismatchError,
    IngestError,
    ModelServerError,
    QuestionError,
    RagError,
    StoreError,
)
from rag.settings import Settings
from rag.types import REFUSAL, Answer, ArticleInfo, Citation, Excerpt, Filters, IndexReport, Passage

if TYPE_CHECKING:
    from rag.chain import AnswerChain, answer_chain
    from rag.condense import History
    from rag.health import Check, check
    from rag.pipeline import AnswerStream, Rag

_LATER = {"AnswerChain": "rag.chain", "answer_chain": "rag.chain", "Check": "rag.health", "check": "rag.health",
          "AnswerStream": "rag.pipeline", "Rag": "rag.pipeline"}


def __getattr__(name: str) -> Any:
    if name in _LATER:
        return getattr(importlib.import_module(_LATER[name]), name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")


__all__ = [
    "REFUSAL",
    "Answer",
    "AnswerChain",
    "AnswerStream",
    "ArticleInfo",
    "Check",
    "Citation",
    "EmbedServerError",
    "Excerpt",
    "Filters",
    "GeneratorError",
    "GeneratorUnavailable",
    "IndexMismatchError",
    "IndexReport",
    "IngestError",
    "ModelServerError",
    "Passage",
    "QuestionError",
    "Rag",
    "RagError",
    "Settings",
    "StoreError",
    "answer",
    "answer_chain",
    "answer_stream",
    "articles",
    "check",
    "default",
    "index",
    "remove",
]

_default: Rag | None = None
_lock = threading.Lock()


def default() -> Rag:
    """The shared `Rag`, created from the environment on first use with the built-in corpus."""
    global _default
    from rag.pipeline import Rag

    with _lock:
        if _default is None:
            rag = Rag(Settings())
            rag.ensure_default_corpus()
            _default = rag
        return _default


def answer(question: str, history: History | None = (), **options: Any) -> Answer:
    """Answer `question` from the indexed articles, citing each claim. `history` is a list of
    (question, answer) pairs of earlier turns (None: none). Options: k, filters (Filters), generator,
    as_of (a date: answer as of that day; later articles are not used)."""
    return default().answer(question, history, **options)


def answer_stream(question: str, history: History | None = (), **options: Any) -> AnswerStream:
    """Like `answer`, but iterate the result for text pieces; then read `.answer`."""
    return default().stream(question, history, **options)


def index(paths: str | Path | Iterable[str | Path], **options: Any) -> IndexReport:
    """Add or update the articles in this file or folder, or these; returns the chunk counts."""
    return default().index(paths, **options)


def remove(article_ids: str | Iterable[str]) -> IndexReport:
    """Take an article, or articles, out of the index by id (`articles()` lists the ids)."""
    return default().remove(article_ids if isinstance(article_ids, str) else list(article_ids))


def articles() -> list[ArticleInfo]:
    """The indexed articles, with title, outlet, date and chunk count."""
    return default().articles()
