"""Property tests (hypothesis) of indexing invariants:
- re-indexing the same files changes nothing, and indexing an old version then a new one
  gives exactly the chunks of a clean index of the new one;
- every chunk's span points at its exact text in the source as loaded, whatever the text
  (unicode, odd whitespace, CRLF, repeated sentences, boilerplate lines).

The many-example runs use real Chroma with a tiny deterministic embedder (the property is
about ids and spans, not vectors); one test checks the same invariants with the real model.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rag.indexer
from rag import Rag, Settings
from rag.chunk import Chunker
from rag.clean import clean
from rag.load import RawArticle, load_paths
from tests.synthetic import HashEmbedder

_example = itertools.count()


# -- strategies ---------------------------------------------------------------------------------

WORD = st.text(alphabet="abcdefghijklmnoprstuvwyzÉéßøçÆæ你好😀\u0301-'", min_size=1, max_size=10)
SPACE = st.sampled_from([" ", " ", " ", "  ", "\t", "\u00a0", "\u2003"])
BOILERPLATE = st.sampled_from(["Subscribe now", "Advertisement", "Photo: Getty Images", "By Anna Berg",
                               "Share on Facebook", "Related articles", "Sign up for our newsletter", "12 May 2023"])


@st.composite
def sentence(draw: st.DrawFn) -> str:
    words = draw(st.lists(WORD, min_size=3, max_size=14))
    spaces = draw(st.lists(SPACE, min_size=len(words), max_size=len(words)))
    text = "".join(w + s for w, s in zip(words, spaces, strict=True)).strip()
    return text[:1].upper() + text[1:] + draw(st.sampled_from([".", "!", "?", ".”", "…", ""]))


@st.composite
def article_text(draw: st.DrawFn) -> str:
    """Lines of prose (some repeated, as scraped captions are), boilerplate and blank lines."""
    pool = draw(st.lists(sentence(), min_size=1, max_size=6))
    lines = draw(st.lists(st.one_of(st.sampled_from(pool), BOILERPLATE, st.just(""),
                                    st.lists(st.sampled_from(pool), min_size=2, max_size=8).map(" ".join)),
                          min_size=1, max_size=14))
    newline = draw(st.sampled_from(["\n", "\r\n", "\n\n"]))
    indent = draw(st.sampled_from(["", " ", "\t"]))
    return newline.join(indent + line for line in [draw(sentence()), *lines]) + draw(st.sampled_from(["", "\n"]))


ARTICLE_SETS = st.lists(article_text(), min_size=1, max_size=4)


def write(folder: Path, texts: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for i, text in enumerate(texts):
        (folder / f"a{i}.txt").write_bytes(text.encode("utf-8"))
    return folder


def expected_ids(folder: Path, chunker: Chunker) -> set[str]:
    articles = [a for a in load_paths([folder]) if isinstance(a, RawArticle)]
    return {c.id for a in articles for c in chunker.chunks(clean(a))}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("props")


def fresh_rag(data_dir: Path) -> Rag:
    """A pipeline on its own collection in the shared data folder (one Chroma client)."""
    return Rag(Settings(data_dir=data_dir, collection=f"props{next(_example)}"), embedder=HashEmbedder())


def stored(r: Rag) -> list[str]:
    return sorted(c.id for c in r.store.chunks())


def by_article(r: Rag) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for chunk in r.store.chunks():
        found.setdefault(chunk.article_id, set()).add(chunk.id)
    return found


# -- index / re-index idempotence -----------------------------------------------------------------

@settings(max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(before=ARTICLE_SETS, after=ARTICLE_SETS, buffer=st.sampled_from([1, 3, 256]))
def test_reindexing_changes_nothing_and_an_update_equals_a_clean_index(data_dir, tmp_path, before, after, buffer,
                                                                        monkeypatch):
    monkeypatch.setattr(rag.indexer, "EMBED_BUFFER", buffer)  # batches of 1 chunk up to all at once
    source = write(tmp_path / "src", before)
    r = fresh_rag(data_dir)
    first = r.index([source])
    ids = stored(r)
    assert set(ids) == expected_ids(source, r.chunker) and first.added == len(ids) == r.store.count()
    again = r.index([source])
    assert (again.added, again.removed, again.new, again.updated, again.unchanged) == (0, 0, 0, 0, len(ids))
    assert stored(r) == ids and sorted(r.keyword.ids) == ids

    before_chunks = by_article(r)
    write(source, after)
    update = r.index([source])
    clean_run = fresh_rag(data_dir)
    clean_run.index([source])
    # Articles of the new files replace their old versions; an article that is no longer in
    # the files, or whose file now has nothing to index (skipped with a message), is kept.
    expected = by_article(clean_run)
    expected |= {aid: ids for aid, ids in before_chunks.items() if aid not in expected}
    assert by_article(r) == expected and sorted(r.keyword.ids) == stored(r)
    now = stored(r)
    assert update.added + update.unchanged == sum(map(len, by_article(clean_run).values()))
    assert update.removed == len(set(ids) - set(now))


# -- chunk spans ----------------------------------------------------------------------------------

@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=article_text(), form=st.sampled_from(["txt", "md", "jsonl"]))
def test_every_chunk_span_is_the_exact_text_of_the_loaded_source(tmp_path, text, form):
    path = tmp_path / f"article.{form}"
    if form == "jsonl":
        path.write_text(json.dumps({"id": "x", "text": text}) + "\n", encoding="utf-8")
    else:
        path.write_bytes(text.encode("utf-8"))
    (raw,) = list(load_paths([path]))
    if isinstance(raw, str):  # e.g. a file the loader refuses with a message; not a span case
        return
    assert raw.text == (text if form == "jsonl" else text.removeprefix("\ufeff"))
    for chunk in Chunker(Settings().chunk_size, Settings().chunk_overlap).chunks(clean(raw)):
        assert 0 <= chunk.start < chunk.end <= len(raw.text)
        assert raw.text[chunk.start : chunk.end] == chunk.text


def test_small_chunks_keep_exact_spans_too():
    """The same invariant where every sentence must be split (chunk size far below a line)."""
    line = "Satz {0} über Größe, 你好世界。 Sentence {0} here!\r\nLine {0} with émoji 😀 and more.\n"
    text = "".join(line.format(i) for i in range(5))
    raw = RawArticle("x", text, "")
    chunks = Chunker(40, 0).chunks(clean(raw))
    assert len(chunks) > 10 and all(text[c.start : c.end] == c.text for c in chunks)


# -- the same invariants with the real model --------------------------------------------------------

def test_real_model_index_is_idempotent_and_stored_spans_are_exact(tmp_path):
    texts = ["Zürich’s council voted 7–2 on Tuesday.\r\nThe vote ends a ten-year dispute over the\u00a0bridge.\n\n"
             "Advertisement\nThe bridge opens in 2026, the mayor said. The bridge opens in 2026, the mayor said.\n",
             "東京 — Officials met on 3 May 2024.\n\nThey agreed a plan for the harbour.\n\nSubscribe now\n"]
    source = write(tmp_path / "src", texts)
    r = Rag(Settings(data_dir=tmp_path / "data"))
    first = r.index([source])
    again = r.index([source])
    assert first.added == r.store.count() > 0 and (again.added, again.unchanged) == (0, first.added)
    loaded = {a.id: a.text for a in load_paths([source]) if isinstance(a, RawArticle)}
    for chunk in r.store.chunks():  # spans as stored in Chroma and read back
        assert loaded[chunk.article_id][chunk.start : chunk.end] == chunk.text
    assert sorted(r.keyword.ids) == sorted(c.id for c in r.store.chunks())
