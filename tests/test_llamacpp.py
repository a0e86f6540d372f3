"""The real local model (Qwen2.5-Coder-1.5B-Instruct GGUF through llama-cpp-python)."""

import pytest

from rag import REFUSAL, GeneratorUnavailable, Rag, Settings

llama_cpp = pytest.importorskip("llama_cpp", reason="make llm installs llama-cpp-python")
pytestmark = [pytest.mark.slow, pytest.mark.llm]


@pytest.fixture(scope="module")
def llm_rag(seed_rag):
    try:
        seed_rag.generator("llamacpp")._llm
    except GeneratorUnavailable as err:
        pytest.fail(f"the local model should be installed by `make test`: {err}")
    return seed_rag


def test_local_model_streams_a_cited_answer(llm_rag):
    stream = llm_rag.stream("What is landlocked Belarus dependent on Russia for?", generator="llamacpp")
    pieces = list(stream)
    assert len(pieces) > 3  # tokens arrive one by one
    res = stream.answer
    assert "fuel" in res.text.lower() or "security" in res.text.lower()
    assert any(c.article_id == "001_a956fa66d3677f6c.txt" and c.verified for c in res.citations), res.text


def test_local_model_refuses_what_the_articles_do_not_say(llm_rag):
    res = llm_rag.answer("What is Lukashenko's date of birth?", generator="llamacpp")
    assert res.text == REFUSAL and res.citations == []


def test_missing_model_file_is_a_clear_error(tmp_path):
    r = Rag(Settings(data_dir=tmp_path, model_path=tmp_path / "nope.gguf"))
    with pytest.raises(GeneratorUnavailable, match="RAG_MODEL_PATH"):
        r.answer("Who is Putin?", generator="llamacpp")


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    from rag.models import local_model

    return local_model(tmp_path_factory.mktemp("models"), "qwen2.5-coder-0.5b-instruct")


def _articles_prompt(question: str, reports: int = 40) -> list:
    from langchain_core.messages import HumanMessage, SystemMessage

    articles = " ".join(f"Report {n}: the river in town {n} rose by {n} metres on Monday." for n in range(1, reports))
    return [SystemMessage(f"Answer from these reports only.\n{articles}"), HumanMessage(question)]


def test_the_evaluated_articles_are_saved_and_a_new_process_continues_from_them(small_model, tmp_path):
    import numpy as np

    from rag.generate import ChatLlamaCpp, _model_stamp, load_prefix

    def chat():  # a new llama.cpp context each time, as in a new process
        return ChatLlamaCpp(model_path=small_model, n_threads=2, max_tokens=12, n_ctx=2048, state_dir=tmp_path)

    question = "How much did the river in town 7 rise?"
    first = chat()
    answer = first.invoke(_articles_prompt(question)).content
    saved = list(tmp_path.glob("*.prefix.npz"))
    assert len(saved) == 1 and saved[0].stat().st_size > 1_000_000  # the evaluated tokens' keys and values
    second = chat()
    assert second.invoke(_articles_prompt(question)).content == answer
    assert second._saved == first._saved  # continued from the saved state; nothing new to save

    # One more report at the end: the saved state still serves the reports before it
    third = chat()
    stamp = _model_stamp(small_model, 2048)
    assert load_prefix(third.llama(), saved[0], stamp) == first._saved and third.llama().n_tokens > 100
    assert "7" in third.invoke(_articles_prompt(question, reports=41)).content
    with np.load(saved[0]) as state:
        assert str(state["key"]) == third._prefix != first._saved  # saved again, for the longer prompt

    saved[0].write_bytes(b"torn")  # a damaged file is evaluated again, not an error
    assert chat().invoke(_articles_prompt(question)).content == answer
