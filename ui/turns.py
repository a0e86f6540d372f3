"""A conversation in the chat: what each browser session keeps in its `gr.State`.

The bottom of the UI's layers (turns <- render <- handlers <- app): plain data, no HTML, no Gradio.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.types import Answer, Citation


@dataclass(frozen=True)
class Turn:
    """One question and what came of it: the verified `Answer`, or, when answering failed,
    the message the user was shown (`answer` is then None and the turn is left out of the
    history, so a follow-up is condensed from the last real answer)."""

    question: str
    answer: Answer | None = None
    error: str = ""
    seconds: float | None = None  # from the question reaching the server to the finished answer

    @property
    def citations(self) -> list[Citation]:
        return self.answer.citations if self.answer else []

    @property
    def refused(self) -> bool:
        # an answer whose every sentence failed verification has no citations: a refusal too
        return self.answer is not None and (self.answer.refused or not self.answer.citations)


Conversation = tuple[Turn, ...]  # a tuple: a session's state is replaced, never changed in place


def history_pairs(turns: Conversation) -> list[tuple[str, str]]:
    """(question, answer text) of the turns that got an answer, for follow-up questions."""
    return [(t.question, t.answer.text) for t in turns if t.answer is not None]
