from rag.text import numbers, sentences, terms


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
