"""Every error a user can cause, as one hierarchy.

    RagError                      base: catch this to handle anything newsrag raises on purpose
    ├── QuestionError             the question is empty, too long or otherwise unusable
    ├── IngestError               a file or folder could not be read or parsed
    ├── IndexMismatchError        the index was built with another embedding model or chunker
    ├── EmbedServerError          the embedding server (RAG_EMBED_URL) is down, slow or answered wrongly
    ├── StoreError                the vector store (Chroma) is unreachable or refused an operation
    └── GeneratorError            the answer generator failed
        ├── GeneratorUnavailable  the chosen generator is not installed or has no model
        └── ModelServerError      an OpenAI-compatible server is down, slow or answered with an error

Lower-level exceptions (chromadb, torch, httpx, llama_cpp) are translated into these at the
boundary where they happen, so callers never need to import those libraries to handle failures.
Every message says what to do next.
"""

from __future__ import annotations


class RagError(Exception):
    """Base class of every error newsrag raises on purpose."""


class QuestionError(RagError):
    """The question cannot be answered as given (empty, too long, ...)."""


class IngestError(RagError):
    """A file or folder given to `index()` could not be read or parsed."""


class IndexMismatchError(RagError):
    """The stored index was built with a different embedding model, dimension or chunker."""


class EmbedServerError(RagError):
    """The embedding server (RAG_EMBED_URL) is unreachable, too slow, or did not answer with
    OpenAI embeddings of the model and dimension it served before."""


class StoreError(RagError):
    """The vector store is unreachable or refused an operation."""


class GeneratorError(RagError):
    """The answer generator failed."""


class GeneratorUnavailable(GeneratorError):
    """The configured generator cannot run here (missing package or model file)."""


class ModelServerError(GeneratorError):
    """An OpenAI-compatible model server is unreachable, too slow or returned an error."""
