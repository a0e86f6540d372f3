"""The time a question asks about, resolved against its as-of date, and as-of retrieval."""

from datetime import date
from pathlib import Path

import pytest

from rag import Rag, Settings
from rag.testing import HashEmbedder, MemoryStore
from rag.types import Filters, TimeScope
from rag.when import scope

AS_OF = date(2022, 9, 15)  # a Thursday


@pytest.mark.parametrize("question, prefer", [
    ("When did Putin visit Minsk in December 2022?", (date(2022, 12, 1), date(2022, 12, 31))),
    ("What happened on 19 December?", (date(2021, 12, 19), date(2021, 12, 19))),  # the last 19 December
    ("What did Biden say last week?", (date(2022, 9, 2), date(2022, 9, 8))),
    ("Which holiday did India celebrate this week?", (date(2022, 9, 9), date(2022, 9, 15))),
    ("Who won yesterday?", (date(2022, 9, 14), date(2022, 9, 14))),
    ("What was announced on Monday?", (date(2022, 9, 12), date(2022, 9, 12))),
    ("What happened this year in Ukraine?", (date(2022, 1, 1), date(2022, 12, 31))),
    ("Which team won the Super Bowl in 2021?", (date(2021, 1, 1), date(2021, 12, 31))),
])
def test_time_words_resolve_against_the_as_of_date(question: str, prefer: tuple[date, date]) -> None:
    assert scope(question, AS_OF, date(2030, 1, 1)) == TimeScope(AS_OF, prefer, now=AS_OF)


@pytest.mark.parametrize("question", [
    "How much was Instagram fined, $11 million?",  # dateparser reads "$11" as a day
    "The 74th Emmy Awards: which show won?",  # and "74th" as a year
    "Which country's race goes to a second round?",
    "What may happen to the ceasefire talks?",  # "may" the verb
    "Who leads Belarus?",
])
def test_words_that_are_not_times_name_no_range(question: str) -> None:
    assert scope(question, AS_OF, date(2030, 1, 1)).prefer is None


def test_without_an_as_of_date_time_words_resolve_against_now() -> None:
    found = scope("What did Lukashenko say last month?", None, date(2023, 2, 24))
    assert found == TimeScope(None, (date(2023, 1, 1), date(2023, 1, 31)), now=date(2023, 2, 24))


def test_as_of_leaves_out_later_articles(seed_rag: Rag) -> None:
    # 002 is dated 2022-12-16; 003 2022-12-19, 001 2022-12-27, 004 and 000 February 2023
    found = seed_rag.retrieve("Putin visit Minsk", 40, scope=TimeScope(as_of=date(2022, 12, 17)))
    assert {p.chunk.article_id[:3] for p in found} == {"002"}
    answer = seed_rag.answer("When did Putin visit Minsk?", as_of=date(2022, 12, 17))
    assert answer.scope == TimeScope(as_of=date(2022, 12, 17), now=date(2022, 12, 17)) and answer.citations
    assert all(c.article_id[:3] != "003" for c in answer.citations)


def test_as_of_keeps_undated_articles_and_a_date_filter_says_how_many_it_left_out(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in {"dated.txt": "Minsk talks\n\nMINSK, Dec 19 (Reuters) - Putin visited Minsk on Monday.\n",
                       "undated1.txt": "Gas deal\n\nLukashenko said Belarus agreed a new gas price.\n",
                       "undated2.txt": "Jets\n\nBelarus is ready to produce Su-25 jets, Lukashenko said.\n"}.items():
        (folder / name).write_text(text)
    (folder / "dated.txt.meta.json").write_text('{"published": "2022-12-19"}')
    r = Rag(Settings(data_dir=tmp_path / "data"), embedder=HashEmbedder(), store=MemoryStore())
    r.index(folder)
    found = r.retrieve("Lukashenko Putin", 10, scope=TimeScope(as_of=date(2022, 12, 1)))
    assert {p.chunk.article_id for p in found} == {"undated1.txt", "undated2.txt"}  # the dated one is later
    answer = r.answer("When did Putin visit Minsk?", filters=Filters(date_from=date(2023, 1, 1)))
    assert answer.refused and "left out 2 articles with no known date" in answer.note


def test_an_as_of_that_is_not_a_date_is_refused_clearly(seed_rag: Rag) -> None:
    from rag.errors import QuestionError

    with pytest.raises(QuestionError, match="as_of must be a date"):
        seed_rag.answer("When did Putin visit Minsk?", as_of="2022-12-17")  # type: ignore[arg-type]


def test_rag_ask_json_prints_the_answer_as_the_api_returns_it(seed_rag: Rag, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    import json

    import rag as api
    from rag.cli import main

    monkeypatch.setattr(api, "_default", seed_rag)
    assert main(["ask", "When did Putin visit Minsk?", "--as-of", "2022-12-17", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["scope"] == {"as_of": "2022-12-17", "prefer": None} and out["citations"]
    assert all(c["article_id"][:3] != "003" and "dated" in c for c in out["citations"])
    assert set(out) >= {"answer", "refused", "refusal", "note", "query", "generator", "timings"}
