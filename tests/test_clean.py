import pytest

from rag.clean import clean, slug_title
from rag.load import RawArticle
from rag.pipeline import default_corpus


def _article(name: str):
    path = default_corpus() / name
    return clean(RawArticle(name, path.read_text(), str(path)))


def test_title_skips_breadcrumb_and_section_label():
    assert _article("004_ca0406cabf985ff4.txt").title.startswith("At awkward meeting, Putin and Lukashenko")
    assert _article("003_62f8eac0694ddbc9.txt").title == "Putin and Lukashenko dwell on co-operation, not Ukraine war"


def test_outlet_and_date_from_the_text():
    a = _article("002_eaf04aac8d9af5c0.txt")
    assert (a.outlet, a.published) == ("Bloomberg", "2022-12-16")
    assert _article("004_ca0406cabf985ff4.txt").outlet == "The Washington Post"
    assert _article("003_62f8eac0694ddbc9.txt").outlet == "EU Reporter"
    # a caption's photo date is not the article's date
    assert _article("000_e8aa4b56edb5f6c6.txt").published == ""


def test_boilerplate_and_repeated_captions_are_dropped():
    a = _article("002_eaf04aac8d9af5c0.txt")
    body = [a.text[s:e] for s, e in a.body]
    assert not any("subscribe" in line.lower() or "More stories like this" in line for line in body)
    assert sum("during an earlier visit" in line for line in body) == 1  # caption kept once, not twice
    footer = _article("003_62f8eac0694ddbc9.txt")
    assert not any("Share this article" in footer.text[s:e] or "days ago" in footer.text[s:e] for s, e in footer.body)
    news7f = _article("001_a956fa66d3677f6c.txt")
    assert not any("Back to top" in news7f.text[s:e] or "News7F:" in news7f.text[s:e] for s, e in news7f.body)


def test_body_spans_are_exact_slices_of_the_source():
    a = _article("000_e8aa4b56edb5f6c6.txt")
    for s, e in a.body:
        assert a.text[s:e] == a.text[s:e].strip() and a.text[s:e]
    assert "(photo credit" not in " ".join(a.text[s:e] for s, e in a.body)


def test_jsonl_metadata_wins_over_guesses():
    raw = RawArticle("x", "Headline\n\nBody sentence one. Body two.", "x.jsonl:1",
                     {"title": "Given title", "published": "2022-07-01T10:00:00Z", "url": "https://www.cnn.com/a"})
    a = clean(raw)
    assert (a.title, a.published, a.outlet) == ("Given title", "2022-07-01", "CNN")


@pytest.mark.parametrize(("given", "stored"), [("2022/06/12", "2022-06-12"), ("2022.6.3", "2022-06-03"),
                                                ("2022-07-01T10:00:00Z", "2022-07-01"), ("2022/13/45", ""),
                                                ("12 June 2022", "2022-06-12")])
def test_jsonl_dates_in_common_numeric_forms_are_kept(given: str, stored: str):
    # RealTimeQA writes 2022/06/12: read as "no date", every article vanished under a date filter.
    raw = RawArticle("x", "Headline\n\nBody sentence one. Body two.", "x.jsonl:1", {"published": given})
    assert clean(raw).published == stored


def test_a_dateline_where_the_title_would_be_is_not_the_title():
    # RealTimeQA's CNN articles open with "Washington CNN —": as a title it labelled the article
    # in the UI and was embedded with every passage of it.
    raw = RawArticle("x", "Washington CNN —\n\nSenators unveiled an agreement on Sunday.\n\nIt passed.", "x.jsonl:1", {})
    a = clean(raw)
    assert a.title == ""
    assert [a.text[s:e] for s, e in a.body] == ["Senators unveiled an agreement on Sunday.", "It passed."]


@pytest.mark.parametrize(("url", "title"), [
    ("https://www.cnn.com/2022/06/26/sport/colorado-avalanche-stanley-cup-winner/index.html",
     "Colorado avalanche stanley cup winner"),
    ("https://www.cnn.com/2022/08/03/asia/china-taiwan-military-exercises-intl-hnk-ml/index.html",
     "China taiwan military exercises"),  # edition codes dropped
    ("https://www.cnn.com/2022/07/12/world/live-news/russia-ukraine-war-news-07-12-22/h_c164ac931cc84141", "Russia ukraine war news"),
    ("https://www.cnn.com/2022/09/20/politics/desantis-marthas-vineyard-investigation-nr-vpx.cnn", "Desantis marthas vineyard investigation"),
    ("https://www.cnn.com/2022/08/29/business/starbucks-pumpkin-spice-latte-2022/index.html", "Starbucks pumpkin spice latte"),
    ("https://e.newsletters.cnn.com/click?EX=abc123", ""),  # no words: no title
    ("https://eu.usatoday.com/story/money/2022/06/11/7592466001/", ""),
    ("", ""),
])
def test_a_title_from_the_address_slug(url: str, title: str):
    assert slug_title(url) == title


def test_an_untitled_article_is_titled_by_its_address():
    # RealTimeQA's CNN articles have no title and open with a dateline: their source cards said
    # nothing, and both searches read every other article's title with each passage.
    raw = RawArticle("x", "Washington CNN —\n\nSenators unveiled an agreement on Sunday.", "x.jsonl:1",
                     {"url": "https://www.cnn.com/2022/06/12/politics/whats-in-senate-gun-reform-agreement/index.html"})
    assert clean(raw).title == "Whats in senate gun reform agreement"
    titled = RawArticle("y", "Senators agree\n\nSenators unveiled an agreement on Sunday.", "y.jsonl:1",
                        {"url": "https://www.cnn.com/2022/06/12/politics/whats-in-senate-gun-reform-agreement/index.html"})
    assert clean(titled).title == "Senators agree"  # a title in the text wins


def test_outlet_from_any_label_of_the_url_host():
    body = "The president said on Thursday that talks would continue, officials told reporters."
    for url, outlet in (("https://edition.cnn.com/2022/06/12/x", "CNN"), ("https://eu.usatoday.com/story/x", "USA Today")):
        assert clean(RawArticle("a", f"Title\n\n{body}", "a", {"url": url})).outlet == outlet


def test_the_credit_line_before_the_lead_is_kept_as_text_to_cite():
    text = "Putin to visit Minsk\n\n16 December 2022 - 13:59 By Benjamin Harvey\nSubscribe now\n\n" \
           "Russian President Vladimir Putin is to travel to Belarus on Monday, his first visit in three years.\n\n" \
           "By the way, the talks are expected to last two days and cover security and trade."
    a = clean(RawArticle("a", text, "a"))
    kept = [a.text[s:e] for s, e in a.body]
    assert kept[0] == "16 December 2022 - 13:59 By Benjamin Harvey" and "Subscribe now" not in kept
    assert a.published == "2022-12-16" and len(kept) == 3


def test_the_built_in_articles_get_outlet_and_date_from_their_sidecar_files():
    from rag.load import load_paths

    articles = {a.id: a for a in map(clean, load_paths([default_corpus()]))}
    assert len(articles) == 5 and all(a.published for a in articles.values())
    about = {name[:3]: (a.outlet, a.published, a.date_inferred) for name, a in articles.items()}
    assert about["002"] == ("TimesLIVE (Bloomberg)", "2022-12-16", False)  # the date its credit line states
    assert about["003"] == ("EU Reporter", "2022-12-19", True)  # no sidecar: from the text
    assert about["004"] == ("The Washington Post", "2023-02-17", True)  # the day it reports on


def test_a_sidecar_file_gives_a_text_file_metadata_and_a_broken_one_is_reported(tmp_path):
    from rag.load import load_paths

    text = "Dam opens\n\nThe Brenna dam opened after a decade of work, the council said on Tuesday.\n"
    for name in ("dam.txt", "broken.txt", "listed.md", "page.html"):
        (tmp_path / name).write_text(text if not name.endswith("html") else
                                     f'<html><head><title>Dam opens</title><meta property="article:published_time" '
                                     f'content="2023-03-14"></head><body><p>{text}</p></body></html>')
    (tmp_path / "dam.txt.meta.json").write_text(
        '{"outlet": "Valley Courier", "published": "14 March 2023", "url": "https://example.org/dam", "extra": 1}')
    (tmp_path / "broken.txt.meta.json").write_text('{"outlet": ')
    (tmp_path / "listed.md.meta.json").write_text('["Valley Courier"]')
    (tmp_path / "page.html.meta.json").write_text('{"outlet": "Valley Courier", "date_inferred": true}')
    loaded = list(load_paths([tmp_path]))
    errors = sorted(item for item in loaded if isinstance(item, str))
    assert len(loaded) == 4 and len(errors) == 2  # the sidecars are not articles themselves
    assert "broken.txt.meta.json: not readable JSON" in errors[0] and "broken.txt was skipped" in errors[0]
    assert "listed.md.meta.json: must be a JSON object" in errors[1]
    dam, page = (clean(a) for a in loaded if not isinstance(a, str))
    assert (dam.outlet, dam.published, dam.date_inferred, dam.url) == (
        "Valley Courier", "2023-03-14", False, "https://example.org/dam")
    assert (page.outlet, page.published, page.date_inferred) == ("Valley Courier", "2023-03-14", False)  # the user's word over the page's;
    # "inferred" is about a date the sidecar gives, and this one gives none
