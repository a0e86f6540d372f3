"""The `openai` generator against a real OpenAI-compatible server on 127.0.0.1: llama-cpp-python's
own server (`python -m llama_cpp.server`, the `server` extra) serving the local GGUF model,
configured only through the environment, as a user would point newsrag at Ollama or vLLM."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

import rag
from rag import ModelServerError
from rag.models import local_model

from .servers import free_port, stop, wait_until_up

pytest.importorskip("llama_cpp", reason="make llm installs llama-cpp-python")
pytest.importorskip("sse_starlette", reason="the llama-cpp-python[server] extra (make llm)")
pytestmark = [pytest.mark.slow, pytest.mark.llm, pytest.mark.timeout(1200)]

ALIAS = "newsrag-test"
BELARUS = "001_a956fa66d3677f6c.txt"


@pytest.fixture(scope="module")
def model_server(seed_rag, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m llama_cpp.server` with the local model (the copy test_llamacpp also uses)."""
    model = local_model(seed_rag.settings.models_dir)
    port, log = free_port(), tmp_path_factory.mktemp("llama-server") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", ALIAS,
             "--host", "127.0.0.1", "--port", str(port), "--n_threads", "2", "--n_ctx", "4096"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_up(f"{base}/models", proc, log, "llama_cpp.server", timeout=180)
        yield base
    finally:
        stop(proc, timeout=30)


@pytest.fixture
def openai_env(model_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("RAG_GENERATOR", "openai")
    monkeypatch.setenv("RAG_OPENAI_BASE_URL", model_server)
    monkeypatch.setenv("RAG_MODEL", ALIAS)
    monkeypatch.setenv("RAG_MAX_ANSWER_TOKENS", "80")
    monkeypatch.setenv("RAG_LLM_TOP_K", "3")  # a shorter prompt: the first token comes sooner on 2 cores
    # Prompt processing of four passages on two shared cores can take minutes under load.
    monkeypatch.setenv("RAG_REQUEST_TIMEOUT", "900")
    return model_server


def test_streams_a_verified_cited_answer_from_the_server(openai_env):
    stream = rag.answer_stream("What is landlocked Belarus dependent on Russia for?")
    pieces = list(stream)
    res = stream.answer
    assert len(pieces) > 3 and res.generator == "openai"  # tokens arrived one by one over SSE
    assert "fuel" in res.text.lower() or "security" in res.text.lower(), res.text
    assert any(c.article_id == BELARUS and c.verified for c in res.citations), res.text
    assert all(c.verified for c in res.citations), res.text


def test_serve_check_sees_the_server_and_its_model(openai_env, monkeypatch):
    assert all(c.ok for c in rag.check()), rag.check()
    monkeypatch.setenv("RAG_MODEL", "qwen2.5:1.5b-instruct")
    generator = rag.check()[2]
    assert not generator.ok and f"serves {ALIAS}" in generator.detail


def test_a_stopped_server_is_a_model_server_error(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_GENERATOR", "openai")
    monkeypatch.setenv("RAG_OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(ModelServerError, match="Cannot reach the model server.*RAG_OPENAI_BASE_URL"):
        rag.answer("What is landlocked Belarus dependent on Russia for?")
