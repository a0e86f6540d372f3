"""RAG_EMBED_URL: embedding on an OpenAI-compatible server (rag/embed_http.py).

The real server is Infinity (`make embedserver` installs it into .venv-embed), started on a free
127.0.0.1 port, offline (HF_HUB_OFFLINE, an empty HF_HOME), on the bundled all-MiniLM-L6-v2
folder. A proxy in front of it answers the first request and then misbehaves, so a failure hits
the indexing write itself. Answer-format edge cases use httpx.MockTransport; the unreachable and
silent servers are real sockets."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import numpy as np
import pytest

from rag import Rag, Settings, embed_http
from rag.embed import MODEL_NAME, OnnxEmbedder, TorchEmbedder, make_embedder, model_folder
from rag.embed_http import EmbedServerError, HttpEmbedder
from rag.errors import IndexMismatchError
from rag.pipeline import default_corpus
from rag.sync import keyword_text  # what indexing embeds of a chunk

from .servers import free_port, silent_server, stop, stub_server, wait_until_up

pytestmark = pytest.mark.timeout(600)

ROOT = Path(__file__).resolve().parents[1]
INFINITY = ROOT / ".venv-embed" / "bin" / "infinity_emb"
SERVED = "all-MiniLM-L6-v2"  # --served-model-name: the id the server reports
TIMEOUT = 2.0  # RAG_EMBED_TIMEOUT for the misbehaving servers
SLACK = 8.0  # scheduling delay allowed on top of it on two shared cores
QUESTIONS = ["What is landlocked Belarus dependent on Russia for?", "When did Putin visit Minsk?"]


# -- the real server ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def embed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Infinity on a free port, serving model_folder() offline; yields its /v1 base URL."""
    if not INFINITY.exists():
        pytest.fail(f"The embedding server is not installed ({INFINITY} is missing): run `make embedserver` "
                    "(`make test` does it).")
    home, port = tmp_path_factory.mktemp("infinity"), free_port()
    command = [str(INFINITY), "v2", "--model-id", str(model_folder()), "--served-model-name", SERVED,
               "--host", "127.0.0.1", "--port", str(port), "--url-prefix", "/v1", "--device", "cpu",
               "--engine", "torch", "--no-bettertransformer", "--no-compile", "--no-model-warmup"]
    with (home / "server.log").open("wb") as out:
        proc = subprocess.Popen(command, env=_offline_env(home), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", proc, home / "server.log", "infinity_emb", timeout=180)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        stop(proc)


def _offline_env(home: Path) -> dict[str, str]:
    """No hub, no telemetry, an empty cache: the weights can only come from the folder."""
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
            "HF_HOME": str(home / "hf"), "DO_NOT_TRACK": "1", "INFINITY_ANONYMOUS_USAGE_STATS": "0"}


@pytest.fixture(scope="module")
def server_index(embed_server: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose index of the built-in corpus was built through the server."""
    folder = tmp_path_factory.mktemp("server-index")
    report = Rag(Settings(data_dir=folder, embed_url=embed_server)).index([default_corpus()])
    assert report.added > 0 and not report.errors
    return folder


@pytest.fixture(scope="module")
def passages(server_index: Path) -> list[str]:
    """The built-in corpus's chunks as indexing embeds them (read back, not embedded again), and two questions."""
    rag = Rag(Settings(data_dir=server_index))
    chunks = [c for info in rag.articles() for c in rag.article_chunks(info.id)]
    return [keyword_text(c) for c in chunks] + QUESTIONS


def test_server_vectors_match_the_local_model(embed_server: str, passages: list[str]) -> None:
    server = HttpEmbedder(embed_server, batch_size=16).embed(passages)
    cosines = {name: (server * local.embed(passages)).sum(axis=1)
               for name, local in (("onnx-int8", OnnxEmbedder(threads=1)), ("torch", TorchEmbedder(threads=1)))}
    print({name: (round(float(c.min()), 6), round(float(c.mean()), 6)) for name, c in cosines.items()})
    # Infinity runs the same fp32 weights through sentence-transformers: it is TorchEmbedder's twin
    # (1.0 here). The int8 ONNX default differs from both by its quantisation alone: 0.9992 at
    # least here (0.9994 on average), 0.9990 at least on 200 RealTimeQA passages.
    assert cosines["torch"].min() >= 0.99999
    assert cosines["onnx-int8"].mean() >= 0.999 and cosines["onnx-int8"].min() >= 0.998


def test_server_index_is_the_local_index(embed_server: str, server_index: Path) -> None:
    """Same weights, same name: an index built through the server opens and answers locally.
    Local fp32 queries rank exactly as the server's do; int8 ONNX ones (cosine 0.999) agree on
    the best passage, and may swap near-ties below it."""
    remote = Rag(Settings(data_dir=server_index, embed_url=embed_server))
    fp32 = Rag(Settings(data_dir=server_index, embed_backend="torch"))
    int8 = Rag(Settings(data_dir=server_index))
    assert {(r.embedder.name, r.embedder.dim) for r in (remote, fp32, int8)} == {(MODEL_NAME, 384)}
    assert remote.store.count() == int8.store.count() > 0
    for question in QUESTIONS:
        ranked = [[p.chunk.id for p in r.retrieve(question, k=3)] for r in (remote, fp32, int8)]
        assert ranked[0] == ranked[1] and ranked[0][0] == ranked[2][0]


def test_settings_choose_the_server(embed_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_EMBED_URL", f"{embed_server}/embeddings")  # the full address works too
    embedder = make_embedder(Settings())
    assert isinstance(embedder, HttpEmbedder) and embedder.name == MODEL_NAME
    assert embedder.embed(["one", "two"]).shape == (2, 384)


# -- a failing server leaves the index as it was --------------------------------------------------

FAULTS: dict[str, tuple[Callable[[BaseHTTPRequestHandler, bytes, threading.Event], None], str]] = {}


def fault(match: str) -> Callable[[Callable[[BaseHTTPRequestHandler, bytes, threading.Event], None]], None]:
    def register(reply: Callable[[BaseHTTPRequestHandler, bytes, threading.Event], None]) -> None:
        FAULTS[reply.__name__] = (reply, match)
    return register


def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, kind: str = "application/json") -> None:
    h.send_response(status)
    h.send_header("Content-Type", kind)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


@fault("answered HTTP 500")
def http_500(h: BaseHTTPRequestHandler, upstream: bytes, release: threading.Event) -> None:
    _send(h, 500, b'{"error": "CUDA out of memory"}')


@fault("not JSON")
def html_page(h: BaseHTTPRequestHandler, upstream: bytes, release: threading.Event) -> None:
    _send(h, 200, b"<html>Welcome to nginx!</html>", "text/html")


@fault("embeddings for")
def one_missing(h: BaseHTTPRequestHandler, upstream: bytes, release: threading.Event) -> None:
    answer = json.loads(upstream)
    _send(h, 200, json.dumps({**answer, "data": answer["data"][:-1]}).encode())


@fault("768 dimensions")
def wrong_dimension(h: BaseHTTPRequestHandler, upstream: bytes, release: threading.Event) -> None:
    answer = json.loads(upstream)
    data = [{**item, "embedding": item["embedding"] * 2} for item in answer["data"]]
    _send(h, 200, json.dumps({**answer, "data": data}).encode())


@fault("did not answer within")
def stalls(h: BaseHTTPRequestHandler, upstream: bytes, release: threading.Event) -> None:
    release.wait(60)


@fault("broke off")
def hangs_up(h: BaseHTTPRequestHandler, upstream: bytes, release: threading.Event) -> None:
    h.close_connection = True
    h.connection.shutdown(socket.SHUT_RDWR)


@contextmanager
def faulty_proxy(upstream: str, reply: Callable[[BaseHTTPRequestHandler, bytes, threading.Event], None],
                 good: int = 1) -> Iterator[str]:
    """Forwards to `upstream`; from the (good+1)-th embeddings request on, `reply` answers instead
    (given what the server said). The first request is the embedder's probe: it must pass, so the
    failure hits a batch that indexing is about to write."""
    release, seen = threading.Event(), [0]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            answer = httpx.post(upstream + self.path.removeprefix("/v1"), content=body, timeout=60,
                                headers={"Content-Type": "application/json"})
            seen[0] += 1
            if seen[0] <= good:
                _send(self, answer.status_code, answer.content)
            else:
                reply(self, answer.content, release)

        def log_message(self, *args: object) -> None:
            pass

    with stub_server(Handler, release) as url:
        yield url


@pytest.mark.parametrize("name", list(FAULTS))
def test_a_failing_server_leaves_the_index_unchanged(name: str, embed_server: str, server_index: Path,
                                                     tmp_path: Path) -> None:
    reply, match = FAULTS[name]
    article = tmp_path / "new_article.txt"
    article.write_text("Harbour strike ends\n\n" + " ".join(
        f"Dock workers in Valdmere ended a {n}-day strike on Tuesday after the port authority agreed to a "
        f"{n}% pay rise and new safety rules for the night shifts." for n in range(2, 20)))
    with faulty_proxy(embed_server, reply) as url:
        rag = Rag(Settings(data_dir=server_index, embed_url=url, embed_model=SERVED, embed_timeout=TIMEOUT))
        before = (rag.store.count(), rag.articles())
        started = time.monotonic()
        with pytest.raises(EmbedServerError, match=match) as caught:
            rag.index([article])
        assert time.monotonic() - started < TIMEOUT + SLACK
        assert (rag.store.count(), rag.articles()) == before
    print(caught.value)


def test_an_unreachable_server_changes_nothing(server_index: Path) -> None:
    count = Rag(Settings(data_dir=server_index)).store.count()
    with pytest.raises(EmbedServerError, match="Cannot reach .* RAG_EMBED_URL"):
        Rag(Settings(data_dir=server_index, embed_url=f"http://127.0.0.1:{free_port()}/v1")).index([default_corpus()])
    assert Rag(Settings(data_dir=server_index)).store.count() == count


def test_another_models_dimension_is_refused_by_the_index(server_index: Path) -> None:
    other = embedder(lambda t: openai_answer(t, model="nomic-embed-text", dim=768))
    with pytest.raises(IndexMismatchError, match="rag index --rebuild") as caught:
        Rag(Settings(data_dir=server_index), embedder=other)
    assert "nomic-embed-text" in str(caught.value) and "768" in str(caught.value)
    assert Rag(Settings(data_dir=server_index)).store.count() > 0


def test_a_silent_server_times_out_with_advice() -> None:
    with silent_server() as url:
        started = time.monotonic()
        with pytest.raises(EmbedServerError, match="within 2 s.*RAG_EMBED_TIMEOUT"):
            HttpEmbedder(url, model="m", timeout=TIMEOUT).embed(["x"])
        assert time.monotonic() - started < TIMEOUT + SLACK


# -- the answer format, with a fake server --------------------------------------------------------

Reply = Callable[[list[str]], httpx.Response]


def vector(text: str, dim: int = 384) -> list[float]:
    """A stable pseudo-random vector per text (not the local model's)."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
    return [float(x) for x in np.random.default_rng(seed).normal(size=dim)]


def openai_answer(texts: list[str], model: str = "fake/model", dim: int = 384, reverse: bool = False) -> httpx.Response:
    data = [{"object": "embedding", "index": i, "embedding": vector(t, dim)} for i, t in enumerate(texts)]
    return httpx.Response(200, json={"object": "list", "model": model, "data": data[::-1] if reverse else data})


def fake(reply: Reply, models: list[str] | None = None, log: list[dict] | None = None) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/v1/models":
            return httpx.Response(200, json={"object": "list", "data": [{"id": m} for m in models or []]})
        body = json.loads(request.content)
        (log if log is not None else []).append({**body, "auth": request.headers.get("authorization")})
        return reply(body["input"])
    return httpx.MockTransport(handle)


def embedder(reply: Reply, models: list[str] | None = None, log: list[dict] | None = None, **kw: object) -> HttpEmbedder:
    options: dict = {"model": None if models else "fake/model", **kw}
    return HttpEmbedder("http://embed.test/v1", transport=fake(reply, models, log), **options)


def test_results_follow_each_items_index() -> None:
    texts = [f"text {i}" for i in range(10)]
    got = embedder(lambda t: openai_answer(t, reverse=True)).embed(texts)
    want = np.array([vector(t) for t in texts])
    np.testing.assert_allclose(got, want / np.linalg.norm(want, axis=1, keepdims=True), rtol=1e-5)


def test_requests_are_batched_bounded_and_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embed_http, "MAX_REQUEST_CHARS", 1000)
    log: list[dict] = []
    texts = [f"short {i}" for i in range(20)] + ["x" * 600, "y" * 600, "z" * 5000]
    vectors = embedder(openai_answer, log=log, batch_size=8).embed(texts)
    sent = [body["input"] for body in log[1:]]  # after the probe
    assert [len(batch) for batch in sent] == [8, 8, 5, 1, 1]  # 20 short, then x with the last 4
    assert all(sum(map(len, batch)) <= 1000 for batch in sent)
    assert [t for batch in sent for t in batch] == texts[:-1] + ["z" * 1000]  # order kept, the long one cut
    assert vectors.shape == (23, 384)
    assert all(body["model"] == "fake/model" and body["encoding_format"] == "float" for body in log)


def test_the_key_is_sent() -> None:
    log: list[dict] = []
    embedder(openai_answer, log=log, api_key="sk-test").embed(["x"])
    assert {body["auth"] for body in log} == {"Bearer sk-test"}


def test_the_one_served_model_is_used_when_none_is_set() -> None:
    log: list[dict] = []
    e = embedder(lambda t: openai_answer(t, model="BAAI/bge-small-en-v1.5"), models=["BAAI/bge-small-en-v1.5"], log=log)
    assert (e.name, e.dim) == ("BAAI/bge-small-en-v1.5", 384)
    assert log[0]["model"] == "BAAI/bge-small-en-v1.5"
    with pytest.raises(EmbedServerError, match="serves a, b; set RAG_EMBED_MODEL"):
        _ = embedder(openai_answer, models=["a", "b"]).name
    with pytest.raises(EmbedServerError, match="ending in /v1; if it is, set RAG_EMBED_MODEL"):
        _ = HttpEmbedder("http://embed.test", transport=httpx.MockTransport(lambda r: httpx.Response(404))).name


def test_another_model_is_named_by_the_server() -> None:
    e = embedder(lambda t: openai_answer(t, model="nomic-embed-text", dim=768))
    assert (e.name, e.dim) == ("nomic-embed-text", 768)


def test_the_local_models_vectors_are_the_local_model_under_any_label() -> None:
    local = OnnxEmbedder(threads=1)

    def reply(texts: list[str]) -> httpx.Response:
        data = [{"index": i, "embedding": v.tolist()} for i, v in enumerate(local.embed(texts))]
        return httpx.Response(200, json={"model": "/srv/models/minilm", "data": data})
    assert embedder(reply).name == MODEL_NAME


def test_a_server_claiming_the_local_model_must_compute_it() -> None:
    with pytest.raises(EmbedServerError, match="says it serves sentence-transformers/all-MiniLM-L6-v2.*cosine"):
        _ = embedder(lambda t: openai_answer(t, model="sentence-transformers/all-MiniLM-L6-v2")).name
    with pytest.raises(EmbedServerError, match="768 dimensions, not 384"):
        _ = embedder(lambda t: openai_answer(t, model="all-MiniLM-L6-v2", dim=768)).name


def test_base64_vectors_are_read() -> None:
    def reply(texts: list[str]) -> httpx.Response:
        import base64
        data = [{"index": i, "embedding": base64.b64encode(np.array(vector(t), "<f4").tobytes()).decode()}
                for i, t in enumerate(texts)]
        return httpx.Response(200, json={"model": "m", "data": data})
    np.testing.assert_allclose(embedder(reply).embed(["a"])[0] * np.linalg.norm(vector("a")), vector("a"), rtol=1e-5)


def test_a_model_change_midway_is_refused() -> None:
    calls = [0]

    def reply(texts: list[str]) -> httpx.Response:
        calls[0] += 1
        return openai_answer(texts, dim=384 if calls[0] == 1 else 256)
    with pytest.raises(EmbedServerError, match="model changed.*rag index --rebuild"):
        embedder(reply).embed(["x"])


BAD_ANSWERS: dict[str, tuple[httpx.Response, str]] = {
    "unauthorised": (httpx.Response(401, text="no"), "RAG_EMBED_API_KEY"),
    "no such path": (httpx.Response(404, text="Not Found"), "ending in /v1"),
    "server error": (httpx.Response(503, text="loading"), "HTTP 503.*loading"),
    "html": (httpx.Response(200, text="<html></html>"), "not JSON"),
    "no data": (httpx.Response(200, json={"error": "bad"}), "OpenAI embeddings"),
    "not numbers": (httpx.Response(200, json={"data": [{"index": 0, "embedding": ["a", "b"]}] * 3}),
                    "OpenAI embeddings"),
    "ragged": (httpx.Response(200, json={"data": [{"index": i, "embedding": [0.1] * (i + 1)} for i in range(3)]}),
               "OpenAI embeddings"),
    "repeated index": (httpx.Response(200, json={"data": [{"index": 0, "embedding": [0.1]}] * 3}), "repeated"),
    "nan": (httpx.Response(200, content=json.dumps({"data": [{"index": i, "embedding": [float("nan")]}
                                                            for i in range(3)]}).encode()), "non-finite"),
}


@pytest.mark.parametrize("case", list(BAD_ANSWERS))
def test_bad_answers_are_explained(case: str) -> None:
    response, match = BAD_ANSWERS[case]
    with pytest.raises(EmbedServerError, match=match):
        embedder(lambda t: response).embed(["x"])
