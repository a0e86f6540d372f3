"""The integration tests of the pipeline, once against the embedded store and once against a
real `chroma run` server on 127.0.0.1 (the `chroma_url` fixture), with the real embedding model.
Plus what only server mode has: tenants and databases, a token, and the server going away."""

from __future__ import annotations

import shutil
from pathlib import Path

import chromadb
import pytest

import rag
from rag import Filters, IndexMismatchError, Rag, RagError, Settings, StoreError, cli
from rag.pipeline import default_corpus
from vectorstore import IndexSpec, open_store

from .chroma_server import TokenGate, chroma_server, free_port
from .conftest import DEV_SET, questions, store_settings_for

pytestmark = pytest.mark.timeout(300)

BELARUS = "001_a956fa66d3677f6c.txt"
MUNICH = "004_ca0406cabf985ff4.txt"


@pytest.fixture(scope="module", params=["embedded", "server"])
def indexed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Rag:
    """The built-in corpus indexed once per mode; the tests using it only read (or re-index
    the same files, which changes nothing)."""
    url = request.getfixturevalue("chroma_url") if request.param == "server" else None
    instance = Rag(store_settings_for(request.param, tmp_path_factory.mktemp("data"), url))
    instance.index([default_corpus()])
    return instance


def remote(url: str, **where: str) -> chromadb.ClientAPI:
    """An independent client of the server, to look at what newsrag stored there."""
    settings = chromadb.config.Settings(anonymized_telemetry=False)
    return chromadb.HttpClient(host="127.0.0.1", port=int(url.rsplit(":", 1)[1]), settings=settings, **where)


def two_articles(folder: Path) -> Path:
    folder.mkdir()
    for name in (BELARUS, MUNICH):
        shutil.copy(default_corpus() / name, folder / name)
    return folder


@pytest.mark.parametrize("qid", ["d05", "d08", "d12"])
def test_dev_questions_cite_the_gold_article(indexed, qid):
    q = next(q for q in questions(DEV_SET) if q["id"] == qid)
    res = indexed.answer(q["question"])
    assert any(c.article_id == q["doc"] and c.verified for c in res.citations), res.text
    assert any(w.lower() in res.text.lower() for w in q["answer_any"]), res.text


def test_reindexing_adds_nothing_and_keyword_matches_the_store(indexed):
    count = indexed.store.count()
    report = indexed.index([default_corpus()])
    assert (report.added, report.updated, report.unchanged) == (0, 0, count) and indexed.store.count() == count
    assert len(indexed.keyword) == count and sorted(indexed.keyword.ids) == sorted(c.id for c in indexed.store.chunks())


def test_filters_restrict_dense_and_keyword_retrieval(indexed):
    only = Filters(article_ids=(MUNICH,))
    washington = Filters(outlet="the washington post")
    for mode in ("dense", "keyword"):
        indexed.retriever.mode = mode
        try:
            assert {p.chunk.article_id for p in indexed.retrieve("Putin Lukashenko", filters=only)} == {MUNICH}
            assert {p.chunk.outlet for p in indexed.retrieve("Putin", filters=washington)} == {"The Washington Post"}
        finally:
            indexed.retriever.mode = "hybrid"


def test_a_changed_file_replaces_its_chunks_and_remove_empties_both_searches(store_settings, tmp_path):
    corpus = two_articles(tmp_path / "corpus")
    r = Rag(store_settings)
    count = r.index([corpus]).added
    path = corpus / BELARUS
    path.write_text(path.read_text().replace("security and fuel", "security and grain"))
    changed = r.index([corpus])
    assert changed.updated == 1 and changed.added == changed.removed >= 1 and r.store.count() == count
    assert "grain" in r.answer("What is landlocked Belarus dependent on Russia for?").text
    report = r.remove([MUNICH])
    assert report.removed > 0 and len(r.keyword) == r.store.count() == count - report.removed
    assert all(p.chunk.article_id == BELARUS for p in r.retrieve("Tikhanovskaya Munich Security Conference"))
    assert [a.id for a in r.articles()] == [BELARUS]


def test_a_mismatched_spec_is_refused(store_settings):
    open_store(store_settings, IndexSpec("model-a", 3, "chunker-1"))
    with pytest.raises(IndexMismatchError, match="rag index --rebuild"):
        Rag(store_settings)  # the real embedder: all-MiniLM-L6-v2, 384 dimensions


def test_module_api_and_cli_use_the_server_from_the_environment(chroma_url, monkeypatch, capsys):
    monkeypatch.setenv("RAG_CHROMA_URL", chroma_url)
    monkeypatch.setenv("RAG_COLLECTION", "from-env")
    res = rag.answer("What is landlocked Belarus dependent on Russia for?")
    assert res.citations[0].article_id == BELARUS
    assert remote(chroma_url).get_collection("from-env").count() == rag.default().store.count() > 0
    assert cli.main(["list"]) == 0 and BELARUS in capsys.readouterr().out


# -- server mode only ---------------------------------------------------------------------------

def test_database_and_tenant_select_where_the_collection_lives(chroma_url, tmp_path):
    admin = chromadb.AdminClient(chromadb.config.Settings(
        chroma_api_impl="chromadb.api.fastapi.FastAPI", chroma_server_host="127.0.0.1",
        chroma_server_http_port=int(chroma_url.rsplit(":", 1)[1]), anonymized_telemetry=False))
    admin.create_tenant("newsroom")
    admin.create_database("archive", tenant="newsroom")
    settings = Settings(data_dir=tmp_path, chroma_url=chroma_url, chroma_tenant="newsroom",
                        chroma_database="archive", collection="news")
    r = Rag(settings)
    r.index([two_articles(tmp_path / "corpus")])
    archive = remote(chroma_url, tenant="newsroom", database="archive")
    assert archive.get_collection("news").count() == r.store.count() > 0
    with pytest.raises(StoreError, match="no database 'nothing'.*RAG_CHROMA_DATABASE"):
        Rag(settings.model_copy(update={"chroma_database": "nothing"}))
    with pytest.raises(StoreError, match="no tenant 'nobody'.*RAG_CHROMA_TENANT"):
        Rag(settings.model_copy(update={"chroma_tenant": "nobody"}))


def test_the_token_goes_with_every_request_and_a_wrong_one_is_explained(chroma_url, tmp_path):
    with TokenGate(chroma_url, "s3cret") as gate:
        settings = Settings(data_dir=tmp_path, chroma_url=gate.url, chroma_token="s3cret", collection="gated")
        r = Rag(settings)
        r.index([two_articles(tmp_path / "corpus")])
        assert r.answer("What is landlocked Belarus dependent on Russia for?").citations
        assert len(gate.tokens) > 5 and set(gate.tokens) == {"s3cret"}
        with pytest.raises(StoreError, match="refused access.*RAG_CHROMA_TOKEN was refused"):
            Rag(settings.model_copy(update={"chroma_token": "wrong"}))
        with pytest.raises(StoreError, match="RAG_CHROMA_TOKEN is not set"):
            Rag(settings.model_copy(update={"chroma_token": None}))


def test_a_server_that_is_down_gives_advice_and_the_index_survives_a_restart(tmp_path, capsys):
    port = free_port()
    with pytest.raises(StoreError, match="Cannot reach the Chroma server.*chroma run"):
        Rag(Settings(data_dir=tmp_path, chroma_url=f"http://127.0.0.1:{port}"))
    db = tmp_path / "db"
    with chroma_server(db, port) as url:
        settings = Settings(data_dir=tmp_path, chroma_url=url, collection="news")
        r = Rag(settings)
        count = r.index([two_articles(tmp_path / "corpus")]).added
    with pytest.raises(StoreError, match="Chroma server in RAG_CHROMA_URL is running"):
        r.answer("What is landlocked Belarus dependent on Russia for?")
    with pytest.raises(StoreError):
        r.index([tmp_path / "corpus"])
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RAG_CHROMA_URL", url)
        assert cli.main(["ask", "Who is Lukashenko?"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Cannot reach the Chroma server") and "Traceback" not in err
    with chroma_server(db, port):
        assert r.store.count() == count and len(Rag(settings).articles()) == 2
        assert r.answer("What is landlocked Belarus dependent on Russia for?").citations[0].article_id == BELARUS


def test_a_malformed_url_is_named(tmp_path):
    with pytest.raises(RagError, match="RAG_CHROMA_URL='127.0.0.1:8000'.* is not an http"):  # Settings checks it
        Rag(Settings(data_dir=tmp_path, chroma_url="127.0.0.1:8000"))
