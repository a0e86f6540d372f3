"""The one place that reads environment variables.

Everything else receives a `Settings` instance. Reading happens when `Settings()` is
constructed, never at import time, so tests can change the environment freely.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import platformdirs
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.errors import RagError

MAX_K = 50  # passages a question may ask for: more only slow the answer (the UI offers up to 15)


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("newsrag", appauthor=False))


class Settings(BaseSettings):
    """Configuration; each field `x` is read from the variable `RAG_X`."""

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore", frozen=True)

    data_dir: Path = Field(default_factory=_default_data_dir)
    collection: str = "news"

    # Chroma server mode: when set, the store talks to this URL instead of a local folder.
    chroma_url: str | None = None
    chroma_tenant: str = "default_tenant"
    chroma_database: str = "default_database"
    chroma_token: str | None = None

    # Chunking and retrieval: defaults chosen by measurement, see docs/benchmarks.md.
    chunk_size: int = Field(600, ge=100)
    chunk_overlap: int = Field(0, ge=0)
    top_k: int = Field(8, ge=1, le=MAX_K)
    llm_excerpt_sentences: int = 6  # evidence sentences a language model reads (about 270 prompt tokens)
    # A language model reads every indexed article instead of excerpts when their text fits in this
    # many characters (0: never): the articles become a prompt prefix evaluated once (session 10).
    corpus_prompt_chars: int = Field(24_000, ge=0)
    # Retrieval: set on RealTimeQA's questions asked before 2022-09-01 (docs/benchmarks.md, session 5).
    fetch_k: int = Field(120, ge=1)  # candidates from each search before fusion
    rrf_k: int = 60  # only scripts/ comparisons still use reciprocal rank fusion
    bm25_weight: float = Field(0.3, ge=0)  # fusion: cosine similarity + bm25_weight * BM25 / the query's best BM25
    # + article_weight * the passage's whole article's BM25 / the query's best (session 9)
    article_weight: float = Field(0.2, ge=0)
    # The time prior: a passage's score is scaled by 1 + recency_weight * 2^(-days / half-life),
    # days between its article's date and the range the question names ("in December 2022"),
    # else the recent_days up to its as-of date (today without one); undated: the mean of the dated.
    recency_weight: float = Field(1.0, ge=0)
    recency_half_life: float = Field(2.0, gt=0)
    recent_days: int = Field(7, ge=0)
    # A digest of many stories ("5 things to know for June 17"; `rag.text.is_digest`) is weak
    # evidence for any one of them: its passages' scores are multiplied by this (session 14).
    digest_weight: float = Field(0.7, ge=0, le=1)
    # The passage opening its article (its first 300 characters: `rag.keyword.LEAD_CHARS`) has its
    # score multiplied by 1 + lead_weight: news puts the gist first (session 17, RealTimeQA tune half).
    lead_weight: float = Field(0.1, ge=0)
    embed_batch_size: int = Field(64, ge=1)
    embed_backend: Literal["onnx-int8", "torch"] = "onnx-int8"
    # An OpenAI-compatible embedding server (rag/embed_http.py): when set, it embeds instead of
    # embed_backend, embed_batch_size texts per request. embed_model: the name it serves (default:
    # the one model its /models lists); embed_timeout: seconds each request may wait for it.
    embed_url: str | None = None
    embed_model: str | None = None
    embed_api_key: str | None = None
    embed_timeout: float = Field(60.0, gt=0)

    # A name in rag.generators.REGISTRY, which this lower layer cannot import: an unknown name is
    # refused where it is used (GeneratorUnavailable listing the registered ones; `rag serve-check`).
    generator: str = "extractive"
    model_path: Path | None = None
    local_model: str = "qwen2.5-coder-1.5b-instruct"  # a name in rag.models.MODELS; RAG_MODEL_PATH wins
    model: str = "qwen2.5-coder-1.5b-instruct"
    openai_base_url: str = "http://127.0.0.1:8080/v1"
    openai_api_key: str = "not-needed"
    request_timeout: float = Field(60.0, gt=0)
    max_answer_tokens: int = Field(200, ge=1)
    threads: int = Field(default_factory=lambda: os.cpu_count() or 2)

    ui_auth: str | None = None
    max_question_chars: int = Field(2000, ge=1)
    # Longest article indexed, in characters (the longest RealTimeQA article has 100,000). A
    # bigger "article" is a dump, not a story: embedding 50 MB takes hours on a laptop CPU.
    max_article_chars: int = 1_000_000

    def __init__(self, **values: Any) -> None:
        """Read the environment (and `values`); a bad value is a RagError naming the variable."""
        try:
            super().__init__(**values)
        except ValidationError as err:
            raise RagError(_advice(err)) from err

    @field_validator("chroma_url", "openai_base_url", "embed_url")
    @classmethod
    def _is_url(cls, value: str | None) -> str | None:
        if value is not None and (urlparse(value).scheme not in ("http", "https") or not urlparse(value).hostname):
            raise ValueError(f"{value!r} is not an http(s) URL, e.g. http://127.0.0.1:8000")
        return value

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(f"chunk_overlap ({self.chunk_overlap}) must be smaller than chunk_size ({self.chunk_size})")
        return self

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def keyword_dir(self) -> Path:
        return self.data_dir / "keyword"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"


def _advice(err: ValidationError) -> str:
    """'RAG_TOP_K=0: Input should be greater than or equal to 1', one line per bad setting."""
    lines = []
    for problem in err.errors():
        field = ".".join(str(part) for part in problem["loc"])
        name = f"RAG_{field.upper()}" if field else "settings"
        lines.append(f"{name}={problem.get('input')!r}: {problem['msg']}" if field else f"{name}: {problem['msg']}")
    return "Bad configuration: " + "; ".join(lines) + ". Fix the environment variable (or the Settings argument)."
