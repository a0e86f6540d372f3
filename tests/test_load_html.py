"""HTML news pages: main text without the site's furniture (trafilatura), title, author and
outlet from the page's metadata, the publication date from htmldate, and every chunk an exact
span of the text that is stored."""

from __future__ import annotations

from pathlib import Path

import htmldate.utils
import pytest

from rag.chunk import Chunker
from rag.clean import clean
from rag.load import RawArticle, load_paths

PARAGRAPHS = (
    ("Ferry crews in Tallport walked off the job on Tuesday, stranding thousands of commuters on both sides "
     "of the strait, after talks over a new pay deal collapsed late on Monday night."),
    ("The union representing about 900 deckhands and engineers said its members had not had a real-terms pay "
     "rise in six years, and that the operator's final offer of 3 percent fell far short of inflation."),
    ("“We did not want to strike, but the company left us no choice,” said Mara Lind, the union's regional "
     "secretary, speaking outside the main terminal as pickets gathered in the rain."),
    ("The operator, Strait Lines, said it was disappointed by the walkout and would run a reduced timetable "
     "with managers at the helm of two of its eleven vessels for the rest of the week."),
    ("The strike is the first on the route in 30 years. Regional officials urged both sides to return to "
     "talks and warned that a long stoppage would hit the island's tourism season."),
)
# A CNN-shaped page: menus, sign-in links, an ad slot, related stories and a footer around the
# article; the date only in <meta> tags (the URL has none), updated a day after publication.
CNN = f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Ferry crews strike in Tallport over pay | CNN</title>
<meta property="og:site_name" content="CNN">
<meta property="og:title" content="Ferry crews strike in Tallport over pay">
<meta property="og:url" content="https://edition.cnn.com/europe/tallport-ferry-strike/index.html">
<meta property="article:published_time" content="2023-03-14T09:12:00Z">
<meta property="article:modified_time" content="2023-03-15T16:40:00Z">
<meta name="author" content="Jane Okafor">
<script>window.CNN = {{"ads": true, "text": "<p>script text</p>"}};</script>
<style>.nav {{ display: flex }}</style>
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/business">Business</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<a href="/subscribe">Subscribe</a> <a href="/signin">Sign in</a></header>
<main><article>
<h1 class="headline">Ferry crews strike in Tallport over pay</h1>
<div class="byline">By <span class="byline__name">Jane Okafor</span>, CNN</div>
<div class="timestamp">Updated 4:40 PM GMT, Wed March 15, 2023</div>
<div class="article__content">
<p class="paragraph">{PARAGRAPHS[0].replace("thousands of", "thousands<br>of")}</p>
<p class="paragraph">{PARAGRAPHS[1]}</p>
<div class="ad-slot">Advertisement</div>
<p class="paragraph">{PARAGRAPHS[2]}</p>
<p class="paragraph">{PARAGRAPHS[3]}</p>
<p class="paragraph">
  {PARAGRAPHS[4]}
</p>
</div>
</article>
<aside class="related"><h2>Related articles</h2>
<ul><li><a href="/a">Rail workers vote on new contract in Varna</a></li>
<li><a href="/b">Port of Kelvale reopens after storm</a></li>
<li><a href="/c">Ten things to do in Tallport this spring</a></li></ul>
</aside>
</main>
<footer><p>© 2023 Cable News Network. A Warner Bros. Discovery Company. All Rights Reserved.</p>
<ul><li><a href="/terms">Terms of Use</a></li><li><a href="/privacy">Privacy Policy</a></li></ul>
</footer>
</body></html>"""
FURNITURE = ("Home", "Business", "Subscribe", "Sign in", "Jane Okafor", "Updated", "Advertisement",
             "Related articles", "Rail workers vote", "Ten things to do", "Cable News Network", "Terms of Use",
             "script text", "display")

DAM = (("The Brenna dam opened on Tuesday after ten years of construction, and engineers began filling the "
        "reservoir behind it, the regional water authority said."),
       ("The dam holds 40 million cubic meters of water and will supply three towns in the valley, replacing "
        "wells that ran dry in the drought two summers ago."),
       ("Residents who lost farmland to the reservoir were paid compensation, though some said the sums did "
        "not reflect what their land had been worth to them."))
# The date only in a visible line under the headline, no markup saying it is one.
VISIBLE_DATE = f"""<html><head><title>Brenna dam opens after a decade - Valley Courier</title>
<meta property="og:site_name" content="Valley Courier"></head><body>
<div class="menu"><a href="/">Front page</a> | <a href="/news">News</a> | <a href="/weather">Weather</a></div>
<div id="story">
<h1>Brenna dam opens after a decade</h1>
<p>Published June 14, 2022</p>
{"".join(f"<p>{p}</p>" for p in DAM)}
</div>
<div class="footer">Valley Courier · Contact us · Advertise with us</div>
</body></html>"""

LAKE = (("Lake Orvel froze over on Thursday for the first time since 1987, and skaters were on the ice by the "
         "afternoon despite warnings from the municipality that it was not yet safe."),
        ("The ice was eight centimeters thick near the shore but much thinner in the middle, where a spring "
         "feeds the lake, a spokesman for the rescue service said."),
        "Temperatures are expected to stay below minus 15 degrees until the weekend.")
# The date only in JSON-LD, as a timestamp one hour east of UTC.
JSON_LD = f"""<html><head><title>Lake Orvel freezes over</title>
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
"headline": "Lake Orvel freezes over for the first time since 1987",
"datePublished": "2024-01-05T07:30:00+01:00", "author": {{"@type": "Person", "name": "Ola Berg"}},
"publisher": {{"@type": "Organization", "name": "North Herald"}}}}</script>
</head><body>
<nav><a href="/">Home</a> <a href="/local">Local news</a></nav>
<article><h1>Lake Orvel freezes over for the first time since 1987</h1>
{"".join(f"<p>{p}</p>" for p in LAKE)}
</article>
<footer>North Herald · All rights reserved</footer>
</body></html>"""

MILL = (("The Ostrava mill closed after 90 years of steel making, its owner said, and about 2,400 workers "
         "lose their jobs at the end of the month."),
        ("Unions called the closure and its timing brutal and said they would strike if the owner did not "
         "pay the severance it had promised them."))
NO_DATE = f"""<html><head><title>Mill closes</title><meta property="og:site_name" content="Ostrava Daily"></head>
<body><nav><a href="/">Home</a></nav><h1>Mill closes</h1>{"".join(f"<p>{p}</p>" for p in MILL)}</body></html>"""


def load(tmp_path: Path, html: str, name: str = "page.html") -> RawArticle:
    (tmp_path / name).write_text(html)
    [item] = load_paths([tmp_path / name])
    assert isinstance(item, RawArticle), item
    return item


def paragraphs(raw: RawArticle) -> list[str]:
    return raw.text.split("\n\n")


def test_a_news_page_is_its_article_without_the_site_around_it(tmp_path: Path) -> None:
    raw = load(tmp_path, CNN)
    assert paragraphs(raw) == ["Ferry crews strike in Tallport over pay", *PARAGRAPHS]  # a <br> mid-sentence is a space
    for junk in FURNITURE:
        assert junk not in raw.text, junk
    assert raw.meta == {"title": "Ferry crews strike in Tallport over pay", "outlet": "CNN", "author": "Jane Okafor",
                        "url": "https://edition.cnn.com/europe/tallport-ferry-strike/index.html",
                        "published": "2023-03-14"}  # first published, not updated


def test_metadata_reaches_the_article(tmp_path: Path) -> None:
    article = clean(load(tmp_path, CNN))
    assert (article.title, article.outlet, article.published, article.date_inferred) == (
        "Ferry crews strike in Tallport over pay", "CNN", "2023-03-14", False)
    assert [article.text[s:e] for s, e in article.body] == list(PARAGRAPHS)


def test_a_site_name_that_is_only_a_domain_is_left_to_clean(tmp_path: Path) -> None:
    """Without og:site_name trafilatura names the site by its domain; clean() knows the
    outlet's proper name for it."""
    page = CNN.replace('<meta property="og:site_name" content="CNN">', "").replace("edition.cnn.com", "www.cnn.com")
    raw = load(tmp_path, page)
    assert "outlet" not in raw.meta and clean(raw).outlet == "CNN"


def test_a_date_only_written_on_the_page_is_found(tmp_path: Path) -> None:
    raw = load(tmp_path, VISIBLE_DATE)
    assert raw.meta["published"] == "2022-06-14"
    assert raw.meta["title"] == "Brenna dam opens after a decade" and raw.meta["outlet"] == "Valley Courier"
    assert paragraphs(raw)[-3:] == list(DAM)
    assert "Front page" not in raw.text and "Contact us" not in raw.text
    assert clean(raw).published == "2022-06-14"


def test_a_json_ld_date_author_and_publisher_are_found(tmp_path: Path) -> None:
    raw = load(tmp_path, JSON_LD)
    assert raw.meta == {"title": "Lake Orvel freezes over for the first time since 1987", "outlet": "North Herald",
                        "author": "Ola Berg", "published": "2024-01-05"}
    assert paragraphs(raw) == [raw.meta["title"], *LAKE]


def test_a_page_without_a_date_has_none(tmp_path: Path) -> None:
    raw = load(tmp_path, NO_DATE)
    assert "published" not in raw.meta
    assert clean(raw).published == ""
    assert paragraphs(raw) == ["Mill closes", *MILL] and raw.meta["outlet"] == "Ostrava Daily"


@pytest.mark.parametrize("html", [
    NO_DATE.replace("its owner said,", "its owner said on 3 May 2024,"),
    NO_DATE.replace("</h1>", "</h1><p>The mill closed on 3 May 2024.</p>"),  # a short sentence, not a date line
], ids=["in-a-sentence", "in-a-short-sentence"])
def test_a_date_the_article_mentions_is_not_its_publication_date(tmp_path: Path, html: str) -> None:
    """The day of an event the article reports is not the day it was published: the loader
    leaves such days to clean(), which marks a date it infers from them as inferred."""
    raw = load(tmp_path, html)
    assert "3 May 2024" in raw.text and "published" not in raw.meta


@pytest.mark.parametrize("html", [CNN, VISIBLE_DATE, JSON_LD, NO_DATE], ids=["cnn", "visible", "json-ld", "no-date"])
@pytest.mark.parametrize("size, overlap", [(600, 0), (120, 40)])
def test_every_chunk_is_an_exact_span_of_the_stored_text(tmp_path: Path, html: str, size: int, overlap: int) -> None:
    raw = load(tmp_path, html)
    article = clean(raw)
    chunks = Chunker(size, overlap).chunks(article)
    assert article.text == raw.text and chunks
    assert all(article.text[c.start:c.end] == c.text for c in chunks)
    covered = " ".join(c.text for c in chunks)
    assert all(word in covered for s, e in article.body for word in article.text[s:e].split())


def test_what_the_page_does_not_show_is_not_its_text(tmp_path: Path) -> None:
    """trafilatura's rescue pass for short pages used to bring back <noscript> and <iframe> text."""
    raw = load(tmp_path, f"<html><body><h1>Mill closes</h1><p>{MILL[0]}<noscript>Enable JavaScript</noscript>"
                         '<iframe src="x"><p>framed</p></iframe></p></body></html>')
    assert paragraphs(raw) == ["Mill closes", MILL[0]]


def test_a_fragment_is_read_by_the_plain_parser(tmp_path: Path) -> None:
    """trafilatura finds no main text in a bare fragment; the page is still read."""
    raw = load(tmp_path, "<div>Ferry crews in Tallport went on strike on Monday.<br>Talks resume on Friday.</div>")
    assert raw.text == "Ferry crews in Tallport went on strike on Monday.\n\nTalks resume on Friday."


@pytest.mark.parametrize("html", [
    "<svg>]<html><br>ep<p>Some words of text here about the port.</p>",  # htmldate asserts on this root
    "<div>Port news<![if !IE]> from Varna</div><![endif]>",  # Python 3.11's HTMLParser asserts on "<![if"
    "<!DOCTYPE html [<p>Port</p>",
])
def test_odd_markup_gives_text_or_a_reason_never_a_traceback(tmp_path: Path, html: str) -> None:
    (tmp_path / "odd.html").write_text(html)
    [item] = load_paths([tmp_path / "odd.html"])
    assert isinstance(item, RawArticle) and item.text.strip() or isinstance(item, str) and "odd.html" in item


def test_a_file_holding_a_url_is_read_not_fetched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """htmldate downloads a string that looks like a URL; a file's content is never fetched."""
    fetched: list[str] = []
    monkeypatch.setattr(htmldate.utils, "fetch_url", lambda url, *args, **kwargs: fetched.append(url))
    raw = load(tmp_path, "http://127.0.0.1:9/<html><body><p>Ferry-strike</p></body></html>")  # a URL to htmldate
    assert "Ferry-strike" in raw.text and fetched == []
