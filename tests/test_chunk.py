from hypothesis import given, settings, strategies as st

from rag.chunk import Chunker
from rag.clean import clean
from rag.load import RawArticle
from rag.pipeline import default_corpus
from rag.text import is_credit


def test_every_chunk_is_an_exact_slice_and_ends_at_a_sentence():
    chunker = Chunker(600, 0)
    for path in default_corpus().glob("*.txt"):
        article = clean(RawArticle(path.name, path.read_text(), str(path)))
        chunks = chunker.chunks(article)
        assert chunks, path.name
        for c in chunks:
            assert article.text[c.start:c.end] == c.text
            assert len(c.text) <= 600
            # a credit line ("16 December 2022 - 13:59 By Benjamin Harvey") has no full stop
            assert c.text[-1] in ".!?\"”’)" or c.end == len(article.text.rstrip()) or \
                is_credit(c.text.splitlines()[-1]), c.text[-40:]


def test_ids_are_stable_and_unique():
    article = clean(RawArticle("a.txt", "Title\n\n" + "A sentence here. " * 200, "a.txt"))
    first, second = Chunker(300, 0).chunks(article), Chunker(300, 0).chunks(article)
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)


prose = st.lists(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=120),
    min_size=1, max_size=30,
).map(lambda parts: "Title line\n" + "\n".join(p + "." for p in parts))


@settings(max_examples=60, deadline=None)
@given(prose, st.sampled_from([80, 200, 600]))
def test_spans_always_point_at_the_exact_text(text, size):
    article = clean(RawArticle("p.txt", text, "p.txt"))
    for c in Chunker(size, 0).chunks(article):
        assert article.text[c.start:c.end] == c.text
