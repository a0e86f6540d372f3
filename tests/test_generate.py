import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rag import ModelServerError
from rag.evidence import expected_type, has_type, render
from rag.generate import OpenAIGenerator
from rag.types import Prompt
from rag.types import Chunk, Passage
from tests.servers import free_port


def test_expected_type_reads_the_first_question_word():
    assert expected_type("When did Putin visit Minsk?") == "date"
    assert expected_type("How did Putin describe it when asked about absorption?") == "any"
    assert expected_type("How many troops were ready?") == "quantity"
    assert expected_type("Who backed the opposition leader?") == "name"


def test_has_type_needs_a_new_name_for_who_questions():
    q = "Who won the World Cup soccer final?"
    assert not has_type("They talked about Sunday's World Cup soccer final.", "name", q)
    assert has_type("Argentina won the World Cup final.", "name", q)


def test_prompt_numbers_passages_with_title_outlet_and_date():
    chunk = Chunk("id", "a.txt", "Some text.", 0, 10, "A title", "Daily", "2022-12-16")
    prompt = render("What?", [Passage(chunk, 1.0)])
    user = prompt.messages[-1]["content"]
    assert '[1] "A title" (Daily, 2022-12-16)\nSome text.' in user and "The articles don't say." in user


class _SSE(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for word in ["Putin ", "visited ", "Minsk [1]."]:
            self.wfile.write(f'data: {json.dumps({"choices": [{"delta": {"content": word}}]})}\n\n'.encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args):
        pass


def test_openai_generator_streams_from_a_real_local_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SSE)
    server.requests = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        gen = OpenAIGenerator(f"http://127.0.0.1:{server.server_port}/v1", "m", "k", timeout=10)
        pieces = list(gen.stream(Prompt("q", [], [{"role": "user", "content": "hi"}])))
    finally:
        server.shutdown()
    assert pieces == ["Putin ", "visited ", "Minsk [1]."]
    assert server.requests[0]["stream"] is True and server.requests[0]["model"] == "m"


def test_openai_generator_reports_a_closed_port_clearly():
    gen = OpenAIGenerator(f"http://127.0.0.1:{free_port()}/v1", "m", "k", timeout=5)
    with pytest.raises(ModelServerError, match="Cannot reach the model server"):
        list(gen.stream(Prompt("q", [], [{"role": "user", "content": "hi"}])))


def test_a_language_model_reads_the_best_sentences_under_their_passage_numbers() -> None:
    from rag.evidence import Candidate, excerpts

    def passage(text: str) -> Passage:
        return Passage(Chunk(id=text[:6], article_id="a.txt", text=text, start=0, end=len(text), title="T"), 1.0)

    passages = [passage("Alpha one. Alpha two. Alpha three."), passage("Beta one. Beta two."),
                passage("Gamma one.")]
    ranked = [Candidate(1, "Alpha three.", 0.9), Candidate(2, "Beta two.", 0.8), Candidate(1, "Alpha one.", 0.7),
              Candidate(3, "Gamma one.", 0.1)]
    chosen = excerpts(ranked, passages, limit=3)
    assert chosen == {1: "Alpha one. Alpha three.", 2: "Beta two."}  # passage order, best 3 only
    user = render("Q?", passages, chosen).messages[1]["content"]
    assert "[1] \"T\"" in user and "[2] \"T\"" in user and "[3] \"T\"" not in user and "Alpha two" not in user
