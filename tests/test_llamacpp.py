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
