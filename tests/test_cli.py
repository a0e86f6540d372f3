"""`rag` (rag/cli.py) on the test doubles: what a user sees, and the exit status a script sees.
The same commands against the real model and index are in tests/test_api.py."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import rag
from rag import REFUSAL, Rag, Settings, cli
from rag.testing import HashEmbedder, MemoryStore
from rag.types import Answer, Citation, Excerpt


def doubles(settings: Settings | None = None) -> Rag:
    """A Rag on the doubles of rag.testing, over the environment's settings (a temporary data dir)."""
    return Rag(settings or Settings(), embedder=HashEmbedder(), store=MemoryStore())


@pytest.fixture
def shared_doubles(monkeypatch: pytest.MonkeyPatch) -> Rag:
    """The module-level functions (`rag.answer`, ...) use a Rag on the doubles with the built-in articles."""
    instance = doubles()
    instance.ensure_default_corpus()
    monkeypatch.setattr(rag, "_default", instance)
    return instance


def _citation(quote: str) -> Citation:
    passage = f"Minsk, Monday. {quote} The talks went on."
    return Citation(1, "001.txt", "Putin in Minsk", "News7F", "2022-12-19", "", passage, 0, len(passage), quote,
                    15, 15 + len(quote), True, 1.0)


@pytest.mark.parametrize(("quote", "shown"), [
    ("“I was informed of the visit,” he said.", "    “I was informed of the visit,” he said."),
    ("He called it a “betrayal.”", "    He called it a “betrayal.”"),
    ('"We will see," she said.', '    "We will see," she said.'),
    ("Landlocked Belarus is dependent on Russia.", "    “Landlocked Belarus is dependent on Russia.”"),
])
def test_a_quote_is_shown_in_quotation_marks_never_doubled(quote: str, shown: str) -> None:
    """Issue 14, defect 11: a quote that began with a quotation mark printed as ““I was informed..."""
    printed = cli.format_answer(Answer("He was informed [1].", [_citation(quote)]))
    assert shown in printed.splitlines()
    assert "““" not in printed and "””" not in printed and '“"' not in printed


def test_a_refusal_prints_its_closest_passage_apart_from_the_sources() -> None:
    near = [Excerpt("001.txt", "Putin in Minsk", "News7F", "2022-12-19", "", "Putin was in Minsk.", 15, 34),
            Excerpt("002.txt", "", "", "", "", "“We met,” he said.", 0, 18)]
    printed = cli.format_answer(Answer(REFUSAL, [], refused=True, refusal="not_answered", note="None answers it.",
                                       closest=near)).splitlines()
    at = printed.index("Closest passages (not taken as an answer):")
    assert printed[at + 1:] == ["    Putin in Minsk (News7F, 2022-12-19)  001.txt:15-34", "        “Putin was in Minsk.”",
                                "    002.txt (date unknown)  002.txt:0-18", "        “We met,” he said."]
    assert "Sources:" not in printed


@pytest.mark.parametrize(("options", "message"), [
    (["--from", "2023-13-01"], "The 'from' date '2023-13-01' is not a date; write it as YYYY-MM-DD"),
    (["--until", "yesterday"], "The 'to' date 'yesterday' is not a date"),
    (["--since", "2023-02-01", "--until", "2022-01-01"], "Swap the two dates"),
    (["--as-of", "2022-02-30"], "The 'as of' date '2022-02-30' is not a date"),
])
def test_a_filter_that_cannot_be_applied_exits_1_with_the_reason(
    options: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 14, defect 11: a failed filter exited 0 (or with argparse's usage text)."""
    assert cli.main(["ask", "Where did Putin go?", *options]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and message in captured.err and captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1


def test_ask_prints_the_answer_with_numbered_sources(shared_doubles: Rag, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ask", "What is landlocked Belarus dependent on Russia for?"]) == 0
    out = capsys.readouterr().out
    assert "security and fuel" in out and "\nSources:\n[1] " in out
    assert cli.main(["ask", "What is landlocked Belarus dependent on Russia for?", "--from", "2022-12-01",
                     "--to", "2022-12-31", "--as-of", "2023-01-01"]) == 0  # valid filters pass through
    assert "\nSources:\n[1] " in capsys.readouterr().out


def test_ask_json_prints_the_fields_of_ask(shared_doubles: Rag, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ask", "What is landlocked Belarus dependent on Russia for?", "--json", "-k", "3"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["citations"] and {"answer", "refused", "note", "scope", "timings"} <= set(printed)


def test_ui_says_that_it_indexed_the_built_in_articles_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 14, defect 11: `make run` never said that the built-in articles were indexed."""
    launched: list[dict[str, Any]] = []
    fake_app = types.ModuleType("ui.app")
    fake_app.launch = lambda **kwargs: launched.append(kwargs)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ui.app", fake_app)  # no Gradio: only what the command prints
    monkeypatch.setattr(rag, "Rag", lambda settings: doubles(settings))

    assert cli.main(["ui", "--port", "7999"]) == 0
    out = capsys.readouterr().out
    assert "indexed the 5 built-in articles" in out and "http://127.0.0.1:7999" in out
    assert launched[0]["host"] == "127.0.0.1" and launched[0]["port"] == 7999
    assert launched[0]["rag"].articles() and len(launched[0]["rag"].articles()) == 5

    assert cli.main(["ui"]) == 0  # the data folder was seeded: nothing indexed this time
    assert "indexed the" not in capsys.readouterr().out


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ["index", "ask", "list", "ui", "eval", "bench", "serve-check"]:
        with pytest.raises(SystemExit) as exit_:
            cli.main([command, "--help"])
        assert exit_.value.code == 0 and capsys.readouterr().out.startswith(f"usage: rag {command}")


def test_index_and_list_on_the_doubles(shared_doubles: Rag, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    article = tmp_path / "harbor.txt"
    article.write_text("Harbor strike ends\n\nThe Kelvale harbor strike ended on Friday after nine days.\n")
    (tmp_path / "empty.txt").write_text("")
    assert cli.main(["index", str(article), str(tmp_path / "empty.txt")]) == 0  # a good file: success
    printed = capsys.readouterr()
    assert printed.out.startswith("Indexed 1 article: ") and "(1 new, 0 updated articles)" in printed.out
    assert printed.err.startswith("skipped: ") and "empty.txt" in printed.err
    assert cli.main(["list"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 6
    assert cli.main(["index", str(tmp_path / "missing.txt")]) == 1
    assert capsys.readouterr().err.startswith("error: ")


def test_the_question_searched_is_shown_when_it_is_not_the_one_asked() -> None:
    answer = Answer("He was informed [1].", [_citation("He was informed.")], query="what was it about")
    assert cli.format_answer(answer, "what was it abuot").startswith("Searched for: “what was it about”\n")
    assert "Searched for" not in cli.format_answer(answer, "what was it about")
