"""Publication dates from the ways real outlets write them, and inferred ones marked so."""

import pytest

from rag.clean import clean
from rag.load import RawArticle
from rag.pipeline import default_corpus

LEAD = "The president said on Thursday that talks would continue, officials told reporters in the capital."
BODY = "Officials gave no further details. The meeting was the first of its kind since 2019, they said."


def dated(text: str, **meta: str) -> tuple[str, bool]:
    article = clean(RawArticle("a", text, "a.txt", dict(meta)))
    return article.published, article.date_inferred


@pytest.mark.parametrize("text, day", [
    # CNN: a dateline without a date, the date line under it
    (f"Biden heads to Kyiv\n\nWashington CNN —\n\nUpdated 10:32 AM EST, Fri February 24, 2023\n\n{LEAD}\n\n{BODY}",
     "2023-02-24"),
    # AP: place and agency, then a "Published" line
    (f"Ukraine marks a year of war\n\nPublished 5:01 AM EST, February 24, 2023\n\nKYIV, Ukraine (AP) — {LEAD}\n\n{BODY}",
     "2023-02-24"),
    # Washington Post and Bloomberg: "Month D, YYYY at H:MM"
    (f"At awkward meeting, leaders avoid the war\n\nFebruary 17, 2023 at 5:53 p.m. EST\n\n{LEAD}\n\n{BODY}",
     "2023-02-17"),
    (f"Putin to make rare visit\n\nDecember 16, 2022 at 6:29 AM EST\n\n{LEAD}\n\n{BODY}", "2022-12-16"),
    # USA Today: two stamps on one line, the first is the publication
    (f"Storm hits coast\n\nPublished 3:05 p.m. ET June 14, 2022 | Updated 4:52 p.m. ET June 15, 2022\n\n{LEAD}\n\n{BODY}",
     "2022-06-14"),
    # The Week: a bare date line; abbreviated months with a dot
    (f"The week's best cartoons\n\nSept. 5, 2022\n\n{LEAD}\n\n{BODY}", "2022-09-05"),
    # a date line at the bottom
    (f"Markets slide\n\n{LEAD}\n\n{BODY}\n\n16 December 2022 - 13:59", "2022-12-16"),
    # a dateline with its year in the lead
    (f"Valdmere votes\n\nVALDMERE, March 14, 2023 — {LEAD}\n\n{BODY}", "2023-03-14"),
])
def test_a_stated_date_is_found_and_not_marked_inferred(text: str, day: str) -> None:
    assert dated(text) == (day, False)


def test_a_reuters_dateline_takes_its_year_from_the_text_and_is_marked_inferred() -> None:
    text = f"Lukashenko calls Putin\n\nMINSK, Feb 24 (Reuters) - {LEAD}\n\nHe won a disputed election in 2020, they said."
    assert dated(text) == ("2020-02-24", True)  # the latest year the text names: 2020


def test_a_weekday_with_its_day_fixes_the_year() -> None:
    text = "Leaders meet\n\nPutin met Lukashenko on Monday (19 December) in Minsk, the first visit since 2019."
    assert dated(text) == ("2022-12-19", True)  # 19 December was a Monday in 2022, not 2019-2021


def test_metadata_wins_and_a_photo_caption_date_is_not_the_articles() -> None:
    assert dated(f"Title\n\n{LEAD}\n\n{BODY}", published="2022/06/12") == ("2022-06-12", False)
    caption = "Lukashenko attends a meeting in Minsk, Belarus November 30, 2020. (photo credit: REUTERS)"
    assert dated(f"Title\n\n{LEAD}\n\n{caption}\n{caption}\n\n{BODY}\n\n{BODY}\n\n{BODY}\n\n{BODY}") == ("", False)


def test_no_date_anywhere_stays_unknown() -> None:
    assert dated(f"Title\n\n{LEAD}\n\n{BODY}") == ("", False)


def test_built_in_articles_get_every_date_their_text_states() -> None:
    found = {p.name: dated(p.read_text()) for p in sorted(default_corpus().glob("*.txt"))}
    assert found["002_eaf04aac8d9af5c0.txt"] == ("2022-12-16", False)  # "16 December 2022 - 13:59 By ..."
    assert found["003_62f8eac0694ddbc9.txt"] == ("2022-12-19", True)  # "on Monday (19 December)"
    # the other three never state theirs (a Friday, "a week before the anniversary"): unknown, not guessed
    assert [found[n][0] for n in ("000_e8aa4b56edb5f6c6.txt", "001_a956fa66d3677f6c.txt",
                                  "004_ca0406cabf985ff4.txt")] == ["", "", ""]
