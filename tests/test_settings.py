"""rag.settings: the one place that reads the environment. Variables are read when `Settings()`
is built (not at import), arguments win over them, a bad value is a RagError that names the
variable, and a Settings instance cannot change after it is built.

Every test starts with no RAG_* variable set (tests/conftest.py) except RAG_DATA_DIR."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pydantic
import pytest

from rag import RagError, Settings
from rag.settings import MAX_K


def test_defaults_are_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAG_DATA_DIR")
    s = Settings()
    assert s.data_dir.name == "newsrag" and s.collection == "news" and s.chroma_url is None
    assert (s.chunk_size, s.chunk_overlap, s.top_k, s.fetch_k) == (600, 0, 8, 120)
    assert (s.bm25_weight, s.recency_weight, s.recency_half_life, s.recent_days) == (0.3, 1.0, 2.0, 7)
    assert s.generator == "extractive" and s.embed_backend == "onnx-int8" and s.embed_url is None
    assert s.local_model == "qwen2.5-coder-1.5b-instruct" and s.model_path is None
    assert s.openai_base_url == "http://127.0.0.1:8080/v1" and s.request_timeout == 60.0
    assert (s.chroma_tenant, s.chroma_database) == ("default_tenant", "default_database")
    assert s.max_article_chars == 1_000_000 and s.ui_auth is None
    assert s.threads == (os.cpu_count() or 2)


def test_each_field_is_read_from_its_rag_variable_with_its_type(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    for name, value in {"RAG_DATA_DIR": str(tmp_path / "d"), "RAG_TOP_K": "12", "RAG_BM25_WEIGHT": "0.5",
                        "RAG_CHROMA_URL": "http://10.0.0.5:8000", "RAG_GENERATOR": "openai",
                        "RAG_EMBED_BACKEND": "torch", "RAG_MODEL_PATH": str(tmp_path / "m.gguf"),
                        "RAG_UI_AUTH": "ann:secret"}.items():
        monkeypatch.setenv(name, value)
    s = Settings()
    assert s.data_dir == tmp_path / "d" and isinstance(s.data_dir, Path)
    assert s.top_k == 12 and s.bm25_weight == 0.5 and s.chroma_url == "http://10.0.0.5:8000"
    assert s.generator == "openai" and s.embed_backend == "torch" and s.model_path == tmp_path / "m.gguf"
    assert s.ui_auth == "ann:secret"
    assert (s.chroma_dir, s.keyword_dir, s.models_dir) == (tmp_path / "d" / "chroma", tmp_path / "d" / "keyword",
                                                           tmp_path / "d" / "models")


def test_the_environment_is_read_when_built_and_arguments_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_TOP_K", "3")
    first = Settings()
    monkeypatch.setenv("RAG_TOP_K", "4")
    assert first.top_k == 3 and Settings().top_k == 4  # read at construction, not at import or on access
    assert Settings(top_k=5).top_k == 5
    monkeypatch.setenv("RAG_NOT_A_SETTING", "x")
    monkeypatch.setenv("TOP_K", "9")  # not ours: no prefix
    assert Settings().top_k == 4


def test_a_settings_instance_cannot_change() -> None:
    s = Settings()
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        s.top_k = 20
    assert s.top_k == 8


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("RAG_TOP_K", "0", "RAG_TOP_K='0': Input should be greater than or equal to 1"),
    ("RAG_TOP_K", str(MAX_K + 1), f"less than or equal to {MAX_K}"),
    ("RAG_TOP_K", "many", "RAG_TOP_K='many'"),
    ("RAG_EMBED_BACKEND", "tensorflow", "RAG_EMBED_BACKEND='tensorflow'"),
    ("RAG_CHROMA_URL", "localhost:8000", "not an http(s) URL"),
    ("RAG_OPENAI_BASE_URL", "ftp://host/v1", "not an http(s) URL"),
    ("RAG_EMBED_URL", "http://", "not an http(s) URL"),
    ("RAG_CHUNK_OVERLAP", "600", "chunk_overlap (600) must be smaller than chunk_size (600)"),
    ("RAG_REQUEST_TIMEOUT", "0", "RAG_REQUEST_TIMEOUT='0'"),
])
def test_a_bad_value_is_a_rag_error_naming_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str,
                                                        value: str, says: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(RagError, match="Bad configuration") as err:
        Settings()
    assert says in str(err.value) and "\n" not in str(err.value)


def test_several_bad_values_are_named_in_one_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_TOP_K", "0")
    monkeypatch.setenv("RAG_FETCH_K", "-1")
    with pytest.raises(RagError) as err:
        Settings()
    assert "RAG_TOP_K='0'" in str(err.value) and "RAG_FETCH_K='-1'" in str(err.value)


def test_importing_reads_nothing() -> None:
    """A bad variable breaks only the construction that reads it, never an import."""
    code = "import rag, rag.settings\ntry:\n    rag.Settings()\nexcept rag.RagError:\n    print('refused')"
    env = {**os.environ, "RAG_TOP_K": "0"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0 and done.stdout.strip() == "refused", done.stderr[-2000:]
