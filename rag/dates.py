"""Publication dates of articles, wherever the article states one.

In order of trust:

1. the source's metadata (a JSONL `published` field, an HTML `<meta>` date; see `clean`);
2. a date line at the top or the bottom ("16 December 2022 - 13:59 By Benjamin Harvey",
   "Updated 10:32 AM EST, Fri February 24, 2023", "Published June 14, 2022");
3. the lead's dateline ("VALDMERE, March 14, 2023 —"; "KYIV, Feb 24 (Reuters) -", whose year
   comes from the text and is then marked inferred);
4. inferred from the text's own dated references: news writes "on Monday (19 December)" only
   for days of the week it is published in, and the weekday fixes the year (19 December was a
   Monday in 2022, not in 2021 or 2023). The latest such day is the date, marked inferred.

Parsing is python-dateutil's; the patterns here only find where a date is written.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from dateutil import parser as dateutil_parser

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# A full date: "16 December 2022", "Feb. 24, 2023", "2022-06-12", "2022/06/12".
FULL_DATE = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|"
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2})\b"
)
# A dateline opening the lead: optional place, a day without year, then the agency or a dash.
DATELINE = re.compile(
    rf"^(?:[A-Z][\w.'’-]*(?:[ ,]+[A-Z][\w.'’-]*)*,\s+)?(?P<day>{_MONTH}\s+\d{{1,2}}|\d{{1,2}}\s+{_MONTH})"
    r"(?:,?\s+(?P<year>\d{4}))?\s*(?:\((?:Reuters|AP|AFP|Bloomberg|UPI)\)\s*)?[—–-]{1,2}\s"
)
# A weekday with its day: "Monday (19 December)", "on Friday, Feb. 24", "Tuesday 20 December".
WEEKDAY_DATE = re.compile(
    rf"\b(?P<weekday>{_WEEKDAY})\s*[,(]?\s*(?P<day>{_MONTH}\s+\d{{1,2}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH})\b(?!,?\s+\d{{4}})"
)
YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")
CAPTION = re.compile(r"\b(photo|credit|getty|pictured|handout)\b", re.IGNORECASE)  # an old photo's date
EDGE_LINES = 6  # date lines sit within the first or last few lines
MAX_DATE_LINE_WORDS = 16  # a date line is short; a long line with a date is a sentence about it


@dataclass(frozen=True)
class Dated:
    """An ISO date ("" when unknown) and whether it was inferred rather than stated."""

    day: str = ""
    inferred: bool = False


def article_date(lines: Sequence[str], lead: str, body: str) -> Dated:
    """The publication date stated in an article's text: `lines` are its non-empty lines,
    `lead` its first body paragraph, `body` its body text (captions of old photos are not)."""
    edges = [*lines[:EDGE_LINES], *lines[-EDGE_LINES:]]
    for line in edges:
        if len(line.split()) <= MAX_DATE_LINE_WORDS and not CAPTION.search(line) and (found := first_date(line)):
            return Dated(found)
    return _dateline(lead, body) or _from_weekdays(body)


def first_date(text: str) -> str:
    """The first full date written in `text` as an ISO date, or ""."""
    return _parse(FULL_DATE.search(text))


def _dateline(lead: str, body: str) -> Dated | None:
    match = DATELINE.match(lead)
    if not match:
        return None
    if match.group("year"):
        return Dated(_parse_text(f"{match.group('day')} {match.group('year')}"))
    years = _years(body)
    return Dated(_parse_text(f"{match.group('day')} {max(years)}"), inferred=True) if years else None


def _from_weekdays(body: str) -> Dated:
    """The latest weekday-anchored day whose weekday fixes a year at or after the latest year
    the text mentions (the article is not older than what it reports)."""
    years = _years(body)
    if not years:
        return Dated()
    found = [d for m in WEEKDAY_DATE.finditer(body) if (d := _year_for(m.group("weekday"), m.group("day"), max(years)))]
    return Dated(max(found).isoformat(), inferred=True) if found else Dated()


def _year_for(weekday: str, day_month: str, earliest: int) -> date | None:
    """The first year from `earliest` (within six years: a weekday repeats on a date every 5-11)
    in which `day_month` falls on `weekday`."""
    for year in range(earliest, earliest + 7):
        if (found := _parse_text(f"{day_month} {year}")) and \
                date.fromisoformat(found).weekday() == WEEKDAYS.index(weekday.lower()):
            return date.fromisoformat(found)
    return None


def _years(text: str) -> list[int]:
    this_year = date.today().year
    return [y for y in map(int, YEAR.findall(text)) if y <= this_year]


def _parse(match: re.Match[str] | None) -> str:
    return _parse_text(match.group()) if match else ""


def _parse_text(text: str) -> str:
    """ISO date of a written date, "" when it is not one (30 February)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # dateutil warns about time zones it cannot name
            return str(dateutil_parser.parse(text.replace(".", " "), fuzzy=True, default=_DEFAULT).date().isoformat())
    except (ValueError, OverflowError):
        return ""


_DEFAULT = dateutil_parser.parse("2000-01-01")
