from rag.text import acronyms, is_digest, numbers, sentences, terms


def test_sentences_respect_initials_and_abbreviations():
    text = "President Vladimir V. Putin met Mr. Lukashenko in St. Petersburg. They talked. “Yes,” he said."
    got = [s for _, _, s in sentences(text)]
    assert got == ["President Vladimir V. Putin met Mr. Lukashenko in St. Petersburg.", "They talked.", "“Yes,” he said."]


def test_sentence_spans_are_exact():
    text = "  One. Two!\nThree?  "
    for start, end, s in sentences(text, offset=10):
        assert text[start - 10:end - 10] == s


def test_terms_stem_and_drop_stopwords():
    assert terms("Putin's visits to the Belarusian capital") == ["putin", "visit", "belarusian", "capit"]


def test_numbers_normalise_separators():
    assert numbers("200,000 troops and $43 billion in 2022") == {"200000", "43", "2022"}


def test_a_marker_after_the_full_stop_stays_with_its_sentence():
    text = "It was “solved.” [1] The war ended [2]. Then it rained. [3, 4] Done."
    assert [s for _, _, s in sentences(text)] == [
        "It was “solved.” [1]", "The war ended [2].", "Then it rained. [3, 4]", "Done."]


def test_a_british_spelling_is_the_same_term_as_the_american_one():
    assert terms("defence neighbours travelled programme") == terms("defense neighbors traveled program")
    assert terms("defence") != terms("offence")


def test_a_digest_of_many_stories_is_told_from_an_explainer_of_one():
    for title in ("5 things to know for June 17: Jan. 6, Church shooting, Ukraine ...",
                  "Ten Things You Need to Know Today: 17 June 2022 | The Week UK",
                  "Yellowstone floods, Fed meeting: 5 things to know Wednesday",
                  "Hurricane Ian, Joe Manchin, European Union: Daily Briefing", "The week in Tech: 5 must-know things",
                  "Four things to know today"):
        assert is_digest(title), title
    for title in ("Taiwan: What to know about Nancy Pelosi's visit", "LIV Golf series: Everything you need to know",
                  "5 things to know about monkeypox", "Ukraine live updates: NATO invites Sweden", "",
                  "5 things to know before the Fed meeting", "3 things to know as Ukraine's counteroffensive begins"):
        assert not is_digest(title), title


def test_names_give_their_acronyms_and_two_names_joined_by_and_do_not():
    text = ("Leaders of the Commonwealth of Independent States met. The US and European Union refused. "
            "He met the Chairman of the Board of the Eurasian Economic Commission Mikhail Myasnikovich.")
    found = acronyms(text)
    assert {"CIS", "EU", "EEC"} <= set(found) and "UEU" not in found and "USEU" not in found
    assert acronyms("Putin and Lukashenko met in Minsk.") == []
