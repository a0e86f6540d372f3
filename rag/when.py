"""The time a question is about: "as of" a date, and the dates it names, resolved against it.

News questions are about a time. `as_of` is the moment the question is asked: articles
published after it cannot be used. Expressions in the question ("in December 2022", "on 19
December", "last week", "this year", "yesterday") name the time it asks about, as a date range
that retrieval prefers (softly: an article outside it can still answer). Parsing is
dateparser's, which resolves relative expressions against `as_of`; the checks here only keep
its matches that are really about time ("$11 million", "the 74th Emmys", "a second round" are
not).
"""

from __future__ import annotations

import calendar
import re
import warnings
from datetime import date, datetime, timedelta

from rag.types import TimeScope

# A match is about time only if it holds one of these (dateparser also reads "$11", "62nd").
TIME_WORD = re.compile(
    r"\b(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|"
    r"nov(ember)?|dec(ember)?|monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|"
    r"tonight|week|month|year|(19|20)\d\d)\b", re.IGNORECASE,
)
# "may" is a month only beside a day or a year ("May 2022", "9 May"), never "it may rain".
BARE_MAY = re.compile(r"^\W*(in |on |the )?may\W*$", re.IGNORECASE)
NOT_A_TIME = re.compile(r"[$%£€]|\b\d+(st|nd|rd|th)\b(?!\s+(of\s+)?[A-Za-z]{3})", re.IGNORECASE)
YEAR_ONLY = re.compile(r"^\W*(in |of |since |from |during )?(19|20)\d\d\W*$", re.IGNORECASE)


def scope(question: str, as_of: date | None, now: date) -> TimeScope:
    """The question's time scope: `as_of` (a hard limit when given) and the range its own time
    expressions name, resolved against `as_of`, or `now` when the question has no as-of date."""
    anchor = as_of or now
    ranges = [r for text in _time_expressions(question, anchor) if (r := _range(text, anchor))]
    prefer = (min(r[0] for r in ranges), max(r[1] for r in ranges)) if ranges else None
    return TimeScope(as_of=as_of, prefer=prefer, now=anchor)


def _time_expressions(question: str, anchor: date) -> list[str]:
    from dateparser.search import search_dates  # imported here: loading it takes 0.2 s

    settings = {"RELATIVE_BASE": datetime.combine(anchor, datetime.min.time()), "PREFER_DATES_FROM": "past",
                "RETURN_AS_TIMEZONE_AWARE": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dateparser's own deprecation noise
        found = search_dates(question, languages=["en"], settings=settings) or []
    return [text for text, _ in found if _is_time(text)]


def _is_time(text: str) -> bool:
    return bool(TIME_WORD.search(text)) and not BARE_MAY.match(text) and not NOT_A_TIME.search(text)


def _range(text: str, anchor: date) -> tuple[date, date] | None:
    """The days `text` names, by the granularity dateparser reads in it (a day, a week, a
    month, a year). A bare year names the year; "this week" the seven days up to `anchor`."""
    from dateparser.date import DateDataParser

    parser = DateDataParser(languages=["en"], settings={
        "RELATIVE_BASE": datetime.combine(anchor, datetime.min.time()), "PREFER_DATES_FROM": "past",
        "RETURN_AS_TIMEZONE_AWARE": False})
    data = parser.get_date_data(text)
    if data is None or data.date_obj is None:
        return None
    day, period = data.date_obj.date(), "year" if YEAR_ONLY.match(text) else data.period
    if period == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    if period == "month":
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    if period == "week":
        return day - timedelta(days=6), day
    return day, day
