"""The generator registry (rag.generators) and the chat-model generators (rag.generate):
unknown names, plain-words availability, the UI's Generator dropdown, any LangChain chat model
plugged in (langchain_core's fake chat models), and the token limit reaching the server or model."""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from langchain_core.exceptions import ModelConnectionError, ModelTimeoutError
from langchain_core.language_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk

from rag import GeneratorError, GeneratorUnavailable, ModelServerError, Rag, Settings, generators
from rag.generate import ChatModelGenerator, OpenAIGenerator
from rag.types import Prompt
from ui.app import build_app, generator_choices

PROMPT = Prompt("q", [], [{"role": "system", "content": "Cite."}, {"role": "user", "content": "Why?"}])


# -- the registry -------------------------------------------------------------------------------------------

def test_an_unknown_name_is_refused_with_the_registered_ones(tmp_path: Path) -> None:
    with pytest.raises(GeneratorUnavailable, match="Unknown generator 'gpt-17'; use one of: extractive, llamacpp, openai"):
        generators.get("gpt-17")
    rag = Rag(Settings(data_dir=tmp_path, generator="gpt-17"))
    with pytest.raises(GeneratorUnavailable, match="extractive, llamacpp, openai"):
        rag.answer("Who is Putin?")


def test_extractive_is_always_available_and_not_a_language_model(tmp_path: Path) -> None:
    assert generators.get("extractive").available(Settings(data_dir=tmp_path)) is None
    assert not generators.is_language_model("extractive") and generators.is_language_model("openai")


def test_openai_is_available_once_a_server_is_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    available = generators.get("openai").available
    assert "Set RAG_OPENAI_BASE_URL to an OpenAI-compatible server" in str(available(Settings(data_dir=tmp_path)))
    monkeypatch.setenv("RAG_OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    assert available(Settings(data_dir=tmp_path)) is None
    monkeypatch.delenv("RAG_OPENAI_BASE_URL")
    assert available(Settings(data_dir=tmp_path, generator="openai")) is None  # the default URL, on purpose


def test_llamacpp_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    find_spec = importlib.util.find_spec

    def without_llama_cpp(name: str, *args: Any) -> ModuleSpec | None:
        return None if name == "llama_cpp" else find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_llama_cpp)
    assert generators.get("llamacpp").available(Settings(data_dir=tmp_path)) == "Run `make llm` to install the local model."


@pytest.mark.llm  # needs llama-cpp-python, installed (make llm) before the tier after the fast one
def test_llamacpp_with_a_missing_model_file_names_the_setting(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp", reason="make llm installs llama-cpp-python")
    reason = generators.get("llamacpp").available(Settings(data_dir=tmp_path, model_path=tmp_path / "nope.gguf"))
    assert reason is not None and "RAG_MODEL_PATH" in reason


@pytest.fixture
def fake_entry() -> Iterator[str]:
    """A LangChain chat model registered as a generator of its own, for one test."""
    reply = AIMessage("Landlocked Belarus is dependent on Russia for security and fuel [1].")
    generators.register(generators.Entry(
        "fake", "A fake chat model.", lambda s, parts: ChatModelGenerator("fake", FakeListChatModel(
            responses=[str(reply.content)] * 4)), is_language_model=True, available=lambda s: None))
    yield "fake"
    del generators.REGISTRY["fake"]


def test_any_registered_chat_model_answers_through_the_pipeline(seed_rag: Rag, fake_entry: str) -> None:
    rag = Rag(seed_rag.settings, embedder=seed_rag.embedder, store=seed_rag.store)
    stream = rag.stream("What is landlocked Belarus dependent on Russia for?", generator=fake_entry)
    assert "".join(stream).startswith("Landlocked Belarus is dependent on Russia for security and fuel")
    assert stream.answer.generator.startswith("fake") and stream.answer.citations


# -- the UI's Generator dropdown ------------------------------------------------------------------------------

def dropdown(demo: gr.Blocks, label: str) -> gr.Dropdown:
    return next(b for b in demo.blocks.values() if isinstance(b, gr.Dropdown) and b.label == label)


def test_the_ui_offers_only_generators_that_work_here_and_says_how_to_get_the_others(seed_rag: Rag) -> None:
    settings = Settings(data_dir=seed_rag.settings.data_dir)
    menu = dropdown(build_app(Rag(settings, embedder=seed_rag.embedder, store=seed_rag.store)), "Generator")
    offered = [value for _, value in menu.choices]
    assert offered == [e.name for e in generators.usable(settings)] and "extractive" in offered
    assert "openai" not in offered and "For openai: Set RAG_OPENAI_BASE_URL" in str(menu.info)
    for name, reason in generators.missing(settings).items():
        assert name not in offered and reason in str(menu.info)


def test_a_configured_server_or_default_generator_is_offered(tmp_path: Path) -> None:
    names, info = generator_choices(Settings(data_dir=tmp_path, openai_base_url="http://127.0.0.1:8000/v1"))
    assert "openai" in names and "OpenAI-compatible server" in info and "For openai" not in info
    names, _ = generator_choices(Settings(data_dir=tmp_path, generator="llamacpp", model_path=tmp_path / "x.gguf"))
    assert "llamacpp" in names  # chosen by RAG_GENERATOR: offered even when it would fail, which then says why


# -- any LangChain chat model as a generator ------------------------------------------------------------------

class RecordingChatModel(GenericFakeChatModel):
    """langchain_core's fake chat model, also keeping the keyword arguments of each call."""

    calls: list[dict[str, Any]]

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        self.calls.append({"messages": [m.type for m in messages], **kwargs})
        yield from super()._stream(messages, stop, run_manager, **kwargs)


def test_a_chat_model_streams_the_text_of_each_chunk() -> None:
    model = RecordingChatModel(messages=iter([AIMessage("Putin visited Minsk on Monday [1].")]), calls=[])
    pieces = list(ChatModelGenerator("fake", model).stream(PROMPT))
    assert len(pieces) > 3 and "".join(pieces) == "Putin visited Minsk on Monday [1]."
    assert model.calls == [{"messages": ["system", "human"]}]


def test_complete_asks_the_model_itself_for_the_token_limit() -> None:
    model = RecordingChatModel(messages=iter([AIMessage("Standalone question?")]), calls=[])
    gen = ChatModelGenerator("fake", model, token_limit=lambda n: {"num_predict": n})
    assert gen.complete([{"role": "user", "content": "Rewrite"}], max_tokens=12) == "Standalone question?"
    assert model.calls[0]["num_predict"] == 12


def test_a_failing_chat_model_is_a_generator_error() -> None:
    model = FakeListChatModel(responses=["Putin visited Minsk [1]."], error_on_chunk_number=3)
    with pytest.raises(GeneratorError, match="The fake model failed"):
        list(ChatModelGenerator("fake", model).stream(PROMPT))


class FailingChatModel(GenericFakeChatModel):
    error: Exception

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        raise self.error


@pytest.mark.parametrize(("error", "expected"), [
    (ModelConnectionError("refused"), "The ollama model cannot be reached: start it, or fix its address (refused)."),
    (ModelTimeoutError("60 s"), "The ollama model did not answer in time"),
])
def test_langchains_provider_neutral_errors_say_what_to_do(error: Exception, expected: str) -> None:
    gen = ChatModelGenerator("ollama", FailingChatModel(messages=iter([]), error=error))
    with pytest.raises(ModelServerError) as raised:
        list(gen.stream(PROMPT))
    assert str(raised.value).startswith(expected)


# -- the token limit reaches the model ---------------------------------------------------------------------

class _Recorder(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        self.server.requests.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.wfile.write(f'data: {json.dumps({"choices": [{"delta": {"content": "Yes [1]."}}]})}\n\n'.encode())
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args: object) -> None:
        pass


def test_openai_sends_max_tokens_which_every_compatible_server_reads() -> None:
    """Not only `max_completion_tokens` (ChatOpenAI's name for it): llama-cpp-python's server ignores that one."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.requests = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        gen = OpenAIGenerator(f"http://127.0.0.1:{server.server_port}/v1", "m", "k", timeout=10, max_tokens=50)
        assert "".join(gen.stream(PROMPT)) == "Yes [1]." and gen.complete(PROMPT.messages, max_tokens=7) == "Yes [1]."
    finally:
        server.shutdown()
        server.server_close()
    answer, short = server.requests  # type: ignore[attr-defined]
    assert (answer["max_tokens"], short["max_tokens"], answer["temperature"]) == (50, 7, 0.0)
    assert "max_completion_tokens" not in answer and answer["messages"][0] == {"role": "system", "content": "Cite."}


@pytest.mark.llm
@pytest.mark.slow
def test_llama_cpp_itself_stops_at_the_token_limit(seed_rag: Rag) -> None:
    pytest.importorskip("llama_cpp", reason="make llm installs llama-cpp-python")
    gen = seed_rag.generator("llamacpp")
    reply = gen.complete([{"role": "user", "content": "Count from one to fifty in words."}], max_tokens=4)  # type: ignore[attr-defined]
    assert 0 < len(gen._llm.tokenize(reply.encode(), add_bos=False)) <= 5, reply  # type: ignore[attr-defined]
