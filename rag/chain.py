"""The answer chain as a LangChain Runnable, to use newsrag inside LangChain pipelines.

    chain = answer_chain(rag)
    chain.invoke("When did Putin visit Minsk?")                   # the verified rag.Answer
    chain.invoke({"question": "And why?", "history": [(q, a)], "k": 5,
                  "filters": Filters(outlet="Reuters"), "generator": "extractive"})
    chain.batch(["Q1?", "Q2?"])                                   # [Answer, Answer]
    for item in chain.stream("Q?"): ...                           # str, str, ..., Answer

The stream contract: every item but the last is a `str`, a piece of the text as the generator
writes it; the last item is the verified `Answer` (the same `invoke` returns), whose text may
differ from the pieces joined (citations checked and renumbered, unsupported sentences dropped,
or a refusal): show the pieces while they come, then replace them with the Answer. A step piped
after the chain (`answer_chain(rag) | step`) receives the Answer alone, as LangChain hands a
step the last item of a stream whose items do not add up. `astream` keeps the same contract.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import run_in_executor

from rag.errors import QuestionError
from rag.pipeline import AnswerStream, Rag
from rag.types import Answer

ChainInput = str | Mapping[str, Any]
KEYS = ("question", "history", "k", "filters", "generator")  # the first is required


class AnswerChain(Runnable[ChainInput, Answer]):
    """`Rag.stream` / `Rag.answer` as a Runnable. Build it with `answer_chain(rag)`."""

    name = "newsrag_answer"

    def __init__(self, rag: Rag) -> None:
        self.rag = rag

    def invoke(self, input: ChainInput, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        return self._call_with_config(self._answer, input, config)

    def stream(self, input: ChainInput, config: RunnableConfig | None = None,  # type: ignore[override]
               **kwargs: Any) -> Iterator[str | Answer]:
        # The Runnable type says Output items; the contract above (pieces, then the Answer) is wider.
        yield from self._transform_stream_with_config(iter([input]), self._pieces, config)  # type: ignore[arg-type]

    async def astream(self, input: ChainInput, config: RunnableConfig | None = None,  # type: ignore[override]
                      **kwargs: Any) -> AsyncIterator[str | Answer]:
        """The same items as `stream`; each is waited for on a worker thread (the pipeline is synchronous)."""
        items = self.stream(input, config)
        while (item := await run_in_executor(config, next, items, None)) is not None:
            yield item

    def _answer(self, input: ChainInput) -> Answer:
        question, history, options = _arguments(input)
        return self.rag.answer(question, history, **options)

    def _pieces(self, inputs: Iterator[ChainInput]) -> Iterator[str | Answer]:
        for input in inputs:  # `stream` passes exactly one
            answering = _start(self.rag, input)
            yield from answering
            yield answering.answer


def answer_chain(rag: Rag) -> AnswerChain:
    """The answer chain of `rag` as a LangChain Runnable (see this module's docstring)."""
    return AnswerChain(rag)


def _start(rag: Rag, input: ChainInput) -> AnswerStream:
    question, history, options = _arguments(input)
    return rag.stream(question, history, **options)


def _arguments(input: ChainInput) -> tuple[str, Any, dict[str, Any]]:
    """The chain's input as `Rag.stream` arguments: (question, history, options)."""
    if isinstance(input, str):
        return input, (), {}
    if not isinstance(input, Mapping) or "question" not in input:
        raise QuestionError('The answer chain takes a question: a string, or a dict {"question": ..., '
                            '"history": [(question, answer), ...], "k": ..., "filters": ..., "generator": ...}.')
    unknown = sorted(set(input) - set(KEYS))
    if unknown:
        raise QuestionError(f"The answer chain does not take {', '.join(map(repr, unknown))}; "
                            f"its input keys are {', '.join(KEYS)}.")
    options = {key: input[key] for key in KEYS[2:] if input.get(key) is not None}
    return input["question"], input.get("history") or (), options
