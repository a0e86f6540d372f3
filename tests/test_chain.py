"""The answer chain as a LangChain Runnable (rag.chain) on the built-in articles with the
extractive generator: invoke, batch and stream give what `Rag.answer` gives."""

from __future__ import annotations

import asyncio

import pytest
from langchain_core.runnables import RunnableLambda

from rag import Answer, Filters, QuestionError, Rag, answer_chain

BELARUS = "What is landlocked Belarus dependent on Russia for?"
MUNICH = "What did Tikhanovskaya call for in Munich?"


def cited(answer: Answer) -> tuple[str, list[tuple[int, str, bool]]]:
    return answer.text, [(c.number, c.article_id, c.verified) for c in answer.citations]


def test_invoke_returns_the_verified_answer_rag_answer_gives(seed_rag: Rag) -> None:
    chain = answer_chain(seed_rag)
    assert cited(chain.invoke(BELARUS)) == cited(seed_rag.answer(BELARUS))
    options = {"k": 3, "filters": Filters(article_ids=("001_a956fa66d3677f6c.txt",)), "generator": "extractive"}
    answer = chain.invoke({"question": BELARUS, "history": [], **options})
    assert cited(answer) == cited(seed_rag.answer(BELARUS, **options))
    assert answer.citations and {c.article_id for c in answer.citations} == {"001_a956fa66d3677f6c.txt"}


def test_a_follow_up_is_answered_in_the_context_of_its_history(seed_rag: Rag) -> None:
    history = [(BELARUS, seed_rag.answer(BELARUS).text)]
    answer = answer_chain(seed_rag).invoke({"question": "And what about its economy?", "history": history})
    assert cited(answer) == cited(seed_rag.answer("And what about its economy?", history))


def test_batch_answers_each_question(seed_rag: Rag) -> None:
    answers = answer_chain(seed_rag).batch([BELARUS, {"question": MUNICH}])
    assert [cited(a) for a in answers] == [cited(seed_rag.answer(BELARUS)), cited(seed_rag.answer(MUNICH))]


def test_stream_yields_the_text_pieces_then_the_answer(seed_rag: Rag) -> None:
    *pieces, last = answer_chain(seed_rag).stream(BELARUS)
    assert pieces and all(isinstance(p, str) for p in pieces)
    assert isinstance(last, Answer) and cited(last) == cited(seed_rag.answer(BELARUS))


def test_astream_keeps_the_same_contract(seed_rag: Rag) -> None:
    async def collect() -> list[object]:
        return [item async for item in answer_chain(seed_rag).astream(MUNICH)]

    *pieces, last = asyncio.run(collect())
    assert pieces and all(isinstance(p, str) for p in pieces) and isinstance(last, Answer) and last.citations


def test_a_step_piped_after_the_chain_receives_the_answer(seed_rag: Rag) -> None:
    titles = answer_chain(seed_rag) | RunnableLambda(lambda answer: [c.title for c in answer.citations])
    assert titles.invoke(BELARUS) == list(titles.stream(BELARUS))[-1]
    assert titles.invoke(BELARUS) and all(isinstance(t, str) for t in titles.invoke(BELARUS))


@pytest.mark.parametrize(("bad", "reason"), [
    ({"query": BELARUS}, "takes a question"),
    ({"question": BELARUS, "top_k": 3}, "does not take 'top_k'"),
    ({"question": "   "}, "The question is empty"),
    (42, "takes a question"),
])
def test_input_it_cannot_use_is_refused_with_the_reason(seed_rag: Rag, bad: object, reason: str) -> None:
    with pytest.raises(QuestionError, match=reason):
        answer_chain(seed_rag).invoke(bad)  # type: ignore[arg-type]
