"""`rag serve-check` / `rag.check()` against real servers: a `chroma run` server that is up,
then stopped; a closed port for the OpenAI-compatible generator."""

from __future__ import annotations

import http.server
import json
import threading

import pytest

import rag
from rag import Check, Rag, Settings, cli
from rag.pipeline import default_corpus
from vectorstore import IndexSpec, open_store

from .chroma_server import chroma_server, free_port

pytestmark = pytest.mark.timeout(180)


def lines(capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    return {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}


def test_embedded_store_and_extractive_generator_are_ok(capsys):
    assert cli.main(["serve-check"]) == 0
    out = lines(capsys)
    assert set(out) == {"store", "embedder", "generator"} and all(" ok " in line for line in out.values())
    assert "not created yet" in out["store"] and "384 dimensions" in out["embedder"]


def test_server_up_then_down(tmp_path, monkeypatch, capsys):
    port = free_port()
    monkeypatch.setenv("RAG_CHROMA_URL", f"http://127.0.0.1:{port}")
    with chroma_server(tmp_path / "db", port) as url:
        Rag(Settings(chroma_url=url)).index([default_corpus() / "001_a956fa66d3677f6c.txt"])
        assert cli.main(["serve-check"]) == 0
        assert f"Chroma server {url}" in (up := lines(capsys)["store"]) and " chunks" in up and " ok " in up
    assert cli.main(["serve-check"]) == 1
    out = lines(capsys)
    assert "DOWN" in out["store"] and "Cannot reach the Chroma server" in out["store"] and "chroma run" in out["store"]
    assert " ok " in out["embedder"] and " ok " in out["generator"]  # one line per component, each judged alone


def test_a_collection_built_with_another_model_is_down(chroma_url, tmp_path):
    settings = Settings(data_dir=tmp_path, chroma_url=chroma_url, collection="other-model")
    open_store(settings, IndexSpec("model-b", 3, "chunker-1"))
    store = rag.check(settings)[0]
    assert store == Check("store", False, store.detail) and "rag index --rebuild" in store.detail


def test_missing_database_names_the_setting(chroma_url, tmp_path):
    store = rag.check(Settings(data_dir=tmp_path, chroma_url=chroma_url, chroma_database="nowhere"))[0]
    assert not store.ok and "RAG_CHROMA_DATABASE" in store.detail


def test_openai_on_a_closed_port_is_down_with_the_reason(monkeypatch, capsys):
    monkeypatch.setenv("RAG_GENERATOR", "openai")
    monkeypatch.setenv("RAG_OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    assert cli.main(["serve-check"]) == 1
    out = lines(capsys)["generator"]
    assert "DOWN" in out and "cannot reach" in out and "RAG_OPENAI_BASE_URL" in out


class _Models(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = json.dumps({"object": "list", "data": [{"id": "served-model", "object": "model"}]}).encode()
        self.send_response(200 if self.path == "/v1/models" else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_openai_model_must_be_one_the_server_lists(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Models)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/v1"
    try:
        ok = rag.check(Settings(data_dir=tmp_path, openai_base_url=base, model="served-model"), "openai")[2]
        wrong = rag.check(Settings(data_dir=tmp_path, openai_base_url=base, model="gpt-17"), "openai")[2]
    finally:
        server.shutdown()
        server.server_close()
    assert ok.ok and "served-model" in ok.detail
    assert not wrong.ok and "serves served-model" in wrong.detail and "RAG_MODEL" in wrong.detail


@pytest.mark.llm  # needs llama-cpp-python, installed (make llm) before the tier after the fast one
def test_llamacpp_with_a_missing_model_file_is_down(tmp_path):
    pytest.importorskip("llama_cpp", reason="make llm installs llama-cpp-python")
    gen = rag.check(Settings(data_dir=tmp_path, model_path=tmp_path / "nope.gguf"), "llamacpp")[2]
    assert not gen.ok and "RAG_MODEL_PATH" in gen.detail


def test_an_unwritable_data_dir_is_reported(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = rag.check(Settings(data_dir=blocker))[0]
    assert not store.ok and "RAG_DATA_DIR" in store.detail
