"""A language model reads every indexed article when they fit (`Settings.corpus_prompt_chars`):
the articles are the fixed system prompt, which llama.cpp evaluates once and reuses."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from rag import Filters, Rag, Settings
from rag.evidence import corpus_text, render_corpus
from rag.generate import PREFIX_CHARS, _prefix_key
from rag.testing import HashEmbedder, MemoryStore, ScriptedGenerator
from rag.types import Chunk, Prompt

ARTICLES = {
    "minsk.txt": "Putin visits Minsk\n\nPutin met Lukashenko in Minsk on Monday. They discussed Iskander-M missiles.\n",
    "gas.txt": "Gas price deal\n\nLukashenko said Belarus agreed a new gas price with Russia. Details will follow.\n",
}


def _rag(tmp_path: Path, generator: ScriptedGenerator, **settings: object) -> Rag:
    folder = tmp_path / "articles"
    folder.mkdir(parents=True)
    for name, text in ARTICLES.items():
        (folder / name).write_text(text)
    r = Rag(Settings(data_dir=tmp_path / "data", **settings), embedder=HashEmbedder(), store=MemoryStore(),
            generator=generator)
    r.index(folder)
    return r


def test_a_language_model_reads_every_article_then_the_conversation_then_the_question(tmp_path):
    model = ScriptedGenerator(["They discussed Iskander-M missiles."])
    r = _rag(tmp_path, model)
    r.answer("What weapons did they discuss?", history=[("Where did Putin meet Lukashenko?", "In Minsk [1].")],
             generator="scripted")
    messages = model.prompts[0].messages
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert "Iskander-M" in messages[0]["content"] and "new gas price" in messages[0]["content"]
    assert messages[1]["content"] == "Where did Putin meet Lukashenko?"
    assert messages[-1]["content"].endswith("Question: What weapons did they discuss?")


def test_the_articles_prefix_is_the_same_for_every_question(tmp_path):
    model = ScriptedGenerator(["Minsk."])
    r = _rag(tmp_path, model)
    r.answer("Where did Putin meet Lukashenko?", generator="scripted")
    r.answer("What did Lukashenko say about gas?", generator="scripted")
    first, second = (p.messages[0]["content"] for p in model.prompts)
    assert first == second


@pytest.mark.parametrize("limit, options", [(0, {}), (24_000, {"as_of": date(2023, 1, 1)}),
                                            (24_000, {"filters": Filters(article_ids=("gas.txt",))}),
                                            (50, {})])
def test_excerpts_instead_when_the_articles_do_not_fit_or_a_filter_leaves_some_out(tmp_path, limit, options):
    model = ScriptedGenerator(["Minsk."])
    r = _rag(tmp_path, model, corpus_prompt_chars=limit)
    r.answer("Where did Putin meet Lukashenko?", generator="scripted", **options)
    assert "Evidence:" in model.prompts[0].messages[1]["content"]
    assert "new gas price" not in model.prompts[0].messages[0]["content"]


def test_an_index_change_changes_the_articles_read(tmp_path):
    model = ScriptedGenerator(["Minsk."])
    r = _rag(tmp_path, model)
    r.answer("Where did Putin meet Lukashenko?", generator="scripted")
    r.remove("gas.txt")
    r.answer("Where did Putin meet Lukashenko?", generator="scripted")
    assert "new gas price" in model.prompts[0].messages[0]["content"]
    assert "new gas price" not in model.prompts[1].messages[0]["content"]


def test_the_extractive_generator_is_not_given_the_articles(tmp_path):
    r = _rag(tmp_path, ScriptedGenerator(["x"]))
    stream = r.stream("Where did Putin meet Lukashenko?", generator="extractive")
    assert "new gas price" not in stream.prompt.messages[0]["content"]


class CompletingGenerator(ScriptedGenerator):
    """A language model that can also complete a chat (as the warm-up asks)."""

    def __init__(self) -> None:
        super().__init__(["Minsk."], name="completing")
        self.completed: list[list[dict[str, str]]] = []
        self.warming: list[bool] = []  # what Rag.warming_up said while each completion ran
        self.rag: Rag | None = None

    def complete(self, messages: list[dict[str, str]], max_tokens: int = 64) -> str:
        self.completed.append(messages)
        self.warming.append(self.rag is not None and self.rag.warming_up)
        return "OK"


def test_warm_up_evaluates_the_prefix_the_first_question_then_shares(tmp_path):
    model = CompletingGenerator()
    r = model.rag = _rag(tmp_path, model)
    assert not r.warming_up
    assert r.warm_up("completing")
    assert model.warming == [True] and not r.warming_up  # said while it ran, not after
    r.answer("Where did Putin meet Lukashenko?", generator="completing")
    assert "Iskander-M" in model.completed[0][0]["content"]
    assert model.prompts[0].messages[0] == model.completed[0][0]
    assert not r.warm_up("extractive")  # nothing to evaluate
    assert not _rag(tmp_path / "big", CompletingGenerator(), corpus_prompt_chars=50).warm_up("completing")


def _chunk(article: str, start: int, text: str, published: str = "", title: str = "") -> Chunk:
    return Chunk(f"{article}-{start}", article, text, start, start + len(text), title=title, published=published)


def test_corpus_text_orders_articles_by_date_and_passages_by_position():
    chunks = [_chunk("b", 7, "second half.", "2023-02-17", "B"), _chunk("undated", 0, "No date.", title="U"),
              _chunk("a", 0, "Older.", "2022-12-19", "A"), _chunk("b", 0, "First ", "2023-02-17", "B")]
    text = corpus_text(chunks)
    assert text.index("Older.") < text.index("First \nsecond half.") < text.index("No date.")
    assert "Article 3: U (date unknown)" in text


def test_render_corpus_keeps_the_retrieved_passages_for_verification():
    prompt = Prompt("q?", passages=[], messages=[{"role": "system", "content": "excerpts"}])
    rendered = render_corpus(prompt, "ARTICLES", "q?")
    assert rendered.passages is prompt.passages and "ARTICLES" in rendered.messages[0]["content"]


def test_only_a_long_system_prompt_is_saved(tmp_path):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"gguf")
    short = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "q"}]
    long = [{"role": "system", "content": "x" * PREFIX_CHARS}, {"role": "user", "content": "q"}]
    assert _prefix_key(model, 8192, short) == ""
    assert _prefix_key(model, 8192, long) != _prefix_key(model, 4096, long) != ""


class _Llama:
    """Stands in for llama_cpp.Llama: streams a fixed reply and counts state loads."""

    def __init__(self) -> None:
        self.loads = 0

    def create_chat_completion(self, **_: object):
        return iter([{"choices": [{"delta": {"content": word}}]} for word in ("In ", "Minsk.")])

    def save_state(self) -> SimpleNamespace:
        return SimpleNamespace(input_ids=np.zeros(3, dtype=np.intc), n_tokens=3, seed=0, llama_state=b"kv")

    def load_state(self, state: object) -> None:
        self.loads += 1

    def n_vocab(self) -> int:
        return 4


def test_an_answer_read_only_in_part_still_says_what_llama_cpp_holds(tmp_path):
    """A reader that stops mid-answer (a cancelled UI request) after a short prompt: the next
    articles prompt loads the saved state (0.2 s) instead of evaluating the articles again (minutes)."""
    pytest.importorskip("llama_cpp")
    from langchain_core.messages import HumanMessage, SystemMessage

    from rag.generate import ChatLlamaCpp

    model = tmp_path / "m.gguf"
    model.write_bytes(b"gguf")
    chat = ChatLlamaCpp(model_path=model, n_threads=1, state_dir=tmp_path / "state")
    chat._llama = llama = _Llama()
    articles = [SystemMessage("x" * PREFIX_CHARS), HumanMessage("Where?")]
    assert chat.invoke(articles).content == "In Minsk."  # evaluated, then saved
    stream = chat.stream([SystemMessage("Be brief."), HumanMessage("Where?")])
    next(stream)
    stream.close()  # llama.cpp's cache now starts with the short prompt
    chat.invoke(articles)
    assert llama.loads == 1
