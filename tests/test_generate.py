import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rag import ModelServerError
from rag.evidence import expected_type, has_type, render
from rag.types import Candidate
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


def test_prompt_puts_the_fixed_instructions_first_and_the_best_evidence_with_its_source():
    chunk = Chunk("id", "a.txt", "Some text. Other text.", 0, 22, "A title", "Daily", "2022-12-16")
    evidence = [Candidate(1, "Other text.", 0.9), Candidate(1, "Some text.", 0.5)]
    prompt = render("What?", [Passage(chunk, 1.0)], evidence, limit=1)
    system, user = (m["content"] for m in prompt.messages)
    assert "The articles don't say." in system and "[" not in system  # no markers asked of the model
    assert "- Other text. (Daily, 2022-12-16)" in user and "Some text." not in user
    assert user.rstrip().endswith("Question: What?\nAnswer:") and prompt.evidence == evidence


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
