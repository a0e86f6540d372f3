import subprocess
import sys

import rag
from rag import cli

PUBLIC = {"REFUSAL", "Answer", "AnswerStream", "ArticleInfo", "Check", "Citation", "Excerpt", "Filters", "GeneratorError",
          "GeneratorUnavailable", "IndexMismatchError", "IndexReport", "IngestError", "ModelServerError", "EmbedServerError",
          "Passage", "QuestionError", "Rag", "RagError", "Settings", "StoreError", "answer", "answer_stream",
          "articles", "check", "default", "index", "remove", "AnswerChain", "answer_chain"}


def test_all_lists_exactly_the_public_api():
    assert set(rag.__all__) == PUBLIC
    assert all(hasattr(rag, name) for name in PUBLIC)


def test_every_error_is_a_rag_error():
    for name in PUBLIC:
        obj = getattr(rag, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, rag.RagError)


def test_module_level_answer_builds_the_default_index_on_first_use():
    res = rag.answer("When was Putin's previous visit to Belarus before December 2022?")
    assert "2019" in res.text and res.citations
    c = res.citations[0]
    assert (c.number, c.article_id.endswith(".txt"), bool(c.title), bool(c.passage), c.end > c.start) == (1, True, True, True, True)
    assert len(rag.articles()) == 5


def test_rag_never_imports_the_ui():
    code = "import sys, rag, rag.cli, rag.pipeline; sys.exit(any(m == 'ui' or m.startswith('ui.') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_cli_ask_prints_answer_and_sources(capsys):
    assert cli.main(["ask", "What is landlocked Belarus dependent on Russia for?"]) == 0
    out = capsys.readouterr().out
    assert "security and fuel" in out and "Sources:" in out and "[1] Lukashenko and Putin Affirm" in out


def test_cli_reports_errors_in_one_line(capsys, tmp_path):
    assert cli.main(["index", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no such file" in err and "Traceback" not in err


def test_cli_help_for_every_command():
    for command in ["index", "ask", "list", "ui", "eval", "bench", "serve-check"]:
        proc = subprocess.run([sys.executable, "-m", "rag.cli", command, "--help"], capture_output=True, text=True,
                              check=False)
        assert proc.returncode == 0 and "usage: rag" in proc.stdout


def test_none_history_is_no_history_and_a_bare_string_is_one_path_or_id(tmp_path):
    """Issue 14, defect 1: history=None raised TypeError; index("folder") read "f", "o", ..."""
    from rag import Rag, Settings
    from rag.pipeline import default_corpus

    r = Rag(Settings(data_dir=tmp_path))
    assert r.index(str(default_corpus())).articles == 5
    res = r.answer("What is landlocked Belarus dependent on Russia for?", None)
    assert "fuel" in res.text and res.citations
    assert r.remove("000_e8aa4b56edb5f6c6.txt").articles == 1 and len(r.articles()) == 4
