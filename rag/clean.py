"""Turn scraped article text into an `Article`: title, outlet, date, and the body spans.

Cleaning never rewrites text. It decides which lines are article body and records their
spans, so every chunk cut from the body is an exact slice of the source and a citation can
point at the very characters it quotes. Dropped: site boilerplate (subscribe banners,
share buttons, footers, related-article lists), photo captions repeated two or three times,
credit lines, bylines and lone headlines of other stories.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from urllib.parse import urlparse

from rag.dates import Dated, article_date, first_date
from rag.embed import vocabulary
from rag.load import RawArticle
from rag.text import is_credit
from rag.types import Article

Line = tuple[int, int, str]  # start, end, stripped text

# A line matching one of these ends the article: everything after it is site furniture.
FOOTER_START = re.compile(
    r"^(share this article|related articles?|related stories|related posts|back to top|"
    r"more stories like this|read more\b|you may also like|recommended for you|"
    r"sign up for our newsletter|most popular|trending now)",
    re.IGNORECASE,
)
# Lines dropped wherever they appear.
BOILERPLATE = re.compile(
    r"^(subscribe( now)?\b|support independent journalism|advertisement$|skip to (main )?content|"
    r"image:|file photo\.?$|\(?(photo )?credit:|photo:|getty images$|click here to|"
    r"sign in$|log in$|follow us\b|share on\b|copy link$|listen to (this )?article|"
    # video-player furniture and ad-feedback forms scraped from news sites (CNN in RealTimeQA):
    # a page that is only this has no article at all
    r"video ad feedback\b|(\d+\.\s*)?how relevant is this ad to you\??$|video player was slow to load|"
    r"thank you for your feedback|ad feedback$)",
    re.IGNORECASE,
)
BYLINE = re.compile(r"^(by\s+[A-Z][\w.'-]+(\s+[A-Z][\w.'-]+){0,3}\s*$)", re.IGNORECASE)
SENTENCE_END = re.compile(r"[.!?:;…][\"”’')\]]*$")
# A wire-style dateline standing alone where a title would be: "New York CNN Business —".
DATELINE = re.compile(r"^[A-Z][\w.,'’() ]{0,60}\s[—–-]$")

# A slug's trailing word this short and not English is an edition or section code ("intl", "hnk", "spt");
# one of two letters always is ("ml", "nr").
SLUG_CODE = 4

# Footer signatures that name the outlet, and bare site names some scrapers leave at the end.
OUTLET_PATTERNS = (
    re.compile(r"^([A-Z][\w .&'-]{1,40}?) publishes articles"),
    re.compile(r"^([A-Z][\w.&'-]{1,30}): (update|the latest|latest news)", re.IGNORECASE),
    re.compile(r"available on (?:www\.)?([a-z0-9-]+)\.(?:com|co\.uk|org|net)\b", re.IGNORECASE),
    re.compile(r"^©\s*(?:\d{4}\s+)?([A-Z][\w .&'-]{1,40})$"),
)
KNOWN_OUTLETS = {
    "washingtonpost": "The Washington Post", "nytimes": "The New York Times",
    "bloomberg": "Bloomberg", "reuters": "Reuters", "cnn": "CNN", "bbc": "BBC",
    "theguardian": "The Guardian", "apnews": "AP News", "usatoday": "USA Today",
    "jpost": "The Jerusalem Post", "aljazeera": "Al Jazeera", "foxnews": "Fox News",
}


def clean(raw: RawArticle) -> Article:
    """The cleaned `Article` for `raw`; its body is empty only if nothing looks like prose."""
    lines = list(_lines(raw.text))
    given = raw.meta.get("title", "")
    # With a title from the source's metadata, the text starts with the body unless it repeats it.
    title_idx = _title_index(raw.text, lines) if not given else 0 if lines and lines[0][2] == given else -1
    title = given or (lines[title_idx][2] if lines and title_idx >= 0 else "") or slug_title(raw.meta.get("url", ""))
    body = _body(raw.text, lines, title_idx) or _lone_paragraph(lines, title_idx)
    dated = _date(raw.meta.get("published", ""), lines, body, raw.meta.get("date_inferred") == "true")
    return Article(
        id=raw.id,
        text=raw.text,
        title=title[:300],
        outlet=raw.meta.get("outlet") or _outlet(lines, raw.meta.get("url", "")),
        published=dated.day,
        date_inferred=dated.inferred,
        url=raw.meta.get("url", ""),
        source=raw.source,
        body=tuple((s, e) for s, e, _ in body),
    )


def _lines(text: str) -> Iterator[Line]:
    """Non-empty lines with the span of their stripped content."""
    for match in re.finditer(r"[^\n]+", text):
        stripped = match.group().strip()
        if stripped:
            start = match.start() + (len(match.group()) - len(match.group().lstrip()))
            yield start, start + len(stripped), stripped


def _title_index(text: str, lines: list[Line]) -> int:
    """Index of the title line: the first line, unless it is a breadcrumb ("Home News X")
    repeated by the next line, or a one- or two-word section label ("Belarus") before a line
    that looks like a headline: a line of its own that is not a sentence; -1 (no title) when
    the text opens with a dateline ("Washington CNN —"), which a title would only mislabel.
    (A lead paragraph after "CNN —" is the body, not a title: taking it for one dropped it
    from the index.)"""
    if len(lines) < 2:
        return 0
    first, second = lines[0][2], lines[1][2]
    if DATELINE.match(first) and len(first.split()) <= 6:
        return -1  # no title: the dateline is furniture, the next line is the lead
    if first.endswith(second) and first != second:
        return 1
    alone = len(lines) == 2 or text.count("\n", lines[1][1], lines[2][0]) >= 2
    if (len(first.split()) <= 2 and len(second.split()) > 3 and not SENTENCE_END.search(first)
            and not SENTENCE_END.search(second) and alone):
        return 1
    return 0


def _body(text: str, lines: list[Line], title_idx: int) -> list[Line]:
    """The body lines. Each paragraph is judged as a whole: one line of scraped text, or the
    run of lines a hard-wrapped text splits it into (whose pieces are not sentences alone)."""
    rest = lines[title_idx + 1 :]
    units = _paragraphs(text, rest) if _hard_wrapped(lines) else [[line] for line in rest]
    kept: list[tuple[str, list[Line]]] = []
    seen: list[str] = [_norm(lines[title_idx][2])] if lines and title_idx >= 0 else []
    for unit in units:
        joined = " ".join(line[2] for line in unit)
        if FOOTER_START.match(joined):
            break
        norm = _norm(joined)
        if not kept and is_credit(joined):
            kept.append((norm, unit))  # "16 December 2022 - 13:59 By Benjamin Harvey": who wrote it, and when
        elif _is_prose(joined):
            if not _repeats(norm, seen[-4:]):
                kept.append((norm, unit))
            elif kept and norm != kept[-1][0] and norm in kept[-1][0]:
                kept[-1] = (norm, unit)  # a repeated caption: keep the copy without the photo credit
        seen.append(norm)
    return [line for _, unit in kept for line in unit]


def _hard_wrapped(lines: list[Line]) -> bool:
    """Text wrapped at a fixed width (e-mail, plain-text exports): no line much longer than a
    terminal, most lines ending near the widest one, and most of those in mid-sentence.
    (Scraped pages put a whole paragraph on each line, often hundreds of characters long.)"""
    widest = max((end - start for start, end, _ in lines), default=0)
    full = [text for start, end, text in lines if end - start >= 0.6 * widest]
    if len(lines) < 6 or widest > 100 or len(full) < 0.5 * len(lines):
        return False
    return sum(not SENTENCE_END.search(text) for text in full) >= 0.5 * len(full)


def _paragraphs(text: str, lines: list[Line]) -> list[list[Line]]:
    """Lines grouped into paragraphs: a blank line starts a new one."""
    groups: list[list[Line]] = []
    for line in lines:
        if groups and text.count("\n", groups[-1][-1][1], line[0]) == 1:
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def _lone_paragraph(lines: list[Line], title_idx: int) -> list[Line]:
    """A text whose only prose is its first line (a one-paragraph note) is that paragraph, not
    a title with an empty body: otherwise it would be indexed as nothing."""
    rest = lines[title_idx + 1 :] if title_idx >= 0 else lines
    first = lines[max(title_idx, 0)] if lines else None
    if first and not rest and _is_prose(first[2]):
        return [first]
    return []


def _is_prose(text: str) -> bool:
    """Body prose, as opposed to furniture: banners, bylines, dates, counters, and the short
    unpunctuated lines scrapers leave behind (links to other stories, section labels)."""
    if BOILERPLATE.match(text) or BYLINE.match(text) or not re.search(r"[A-Za-z]{2}", text):
        return False
    if any(pattern.search(text) for pattern in OUTLET_PATTERNS[:2]):
        return False  # the site's own footer ("EU Reporter publishes articles ...")
    if first_date(text) and len(text.split()) <= 8:
        return False  # a dateline such as "16 December 2022 - 13:59 By Benjamin Harvey"
    return bool(SENTENCE_END.search(text)) or len(text.split()) > 14


def _date(given: str, lines: list[Line], body: list[Line], inferred: bool = False) -> Dated:
    """The source's own date (`inferred` when its metadata says so), else the one the text
    states (rag.dates). Only body lines count as the text's references: captions of old photos
    carry other dates."""
    if day := _iso_date(given):
        return Dated(day, inferred)
    lead = body[0][2] if body else ""
    return article_date([text for _, _, text in lines], lead, " ".join(text for _, _, text in body))


def _repeats(norm: str, recent: list[str]) -> bool:
    """A caption repeated in the lines just before (exactly, or minus its credit)."""
    return any(norm == prev or (len(norm) > 30 and norm in prev) for prev in recent)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _iso_date(value: str) -> str:
    """An ISO date from whatever the source gave: an ISO timestamp, 2022/06/12 or 2022.06.12
    (RealTimeQA and many scrapers write slashes; missing them left the date empty, and a date
    filter then excluded the article), or a written date."""
    value = value.strip()
    if match := re.match(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)", value):
        try:
            return date(*map(int, match.groups())).isoformat()
        except ValueError:
            return ""
    return first_date(value) if value else ""


def slug_title(url: str) -> str:
    """A title for an article whose text and metadata give none, from its address's slug:
    ".../2022/06/26/sport/colorado-avalanche-stanley-cup-winner/index.html" -> "Colorado avalanche
    stanley cup winner". A news address names its story in words chosen to be found; a source
    card is better labelled by them than by nothing, and both searches read a title with every
    passage (`rag.sync.keyword_text`), so an untitled article is not found less often than a
    titled one of the same story. The last path segment of two or more words is the slug (not
    "index.html", an id, a date); trailing edition codes ("intl-hnk", "07-12-22") are dropped."""
    for segment in reversed([s for s in urlparse(url).path.split("/") if s]):
        words = [w for w in re.split(r"[-_]+", re.sub(r"\.[a-z]{2,5}$", "", segment.lower())) if w]
        while words and (words[-1].isdigit() or len(words[-1]) <= 2
                         or (len(words[-1]) <= SLUG_CODE and words[-1] not in vocabulary())):
            words.pop()
        if len(words) >= 2 and all(w.isalnum() for w in words) and any(len(w) >= 4 and w.isalpha() for w in words):
            return " ".join(words).capitalize()
    return ""


def _outlet(lines: list[Line], url: str) -> str:
    if url and (host := urlparse(url).hostname):
        # edition.cnn.com, eu.usatoday.com: the known label wherever it stands, else the first
        labels = host.removeprefix("www.").split(".")
        return next((KNOWN_OUTLETS[label] for label in labels if label in KNOWN_OUTLETS), _outlet_name(labels[0]))
    for _, _, text in reversed(lines[-40:]):
        for pattern in OUTLET_PATTERNS:
            if match := pattern.search(text):
                return _outlet_name(match.group(1).strip())
    last = lines[-1][2] if lines else ""
    return KNOWN_OUTLETS.get(last.lower(), "") if re.fullmatch(r"[a-z]+", last) else ""


def _outlet_name(name: str) -> str:
    return KNOWN_OUTLETS.get(name.lower().replace(" ", ""), name)
