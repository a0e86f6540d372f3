"""`rag eval` and `rag bench`: the commands run end to end and report sensible numbers, and
the small measures they are built from (ranks, choice matching, citation scores) are right.

`rag bench` runs end to end on the test doubles of `rag.testing` and a six-article
RealTimeQA-shaped folder written here; the real RealTimeQA data and the dev questions live
outside the repository (evaluation only), and the tests that need them skip when they are
absent."""

from __future__ import annotations

import ast
import gzip
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest

from rag import Rag, bench, cli
from rag.bench import answering_articles, named_choices
from rag.errors import RagError
from rag.evaluate import (
    LLMJudge,
    citation_scores,
    contains_word,
    expected_words_present,
    load_questions,
    replayed,
    support_judge,
)
from rag.metrics import article_ranking, gold_rank, hits_and_rr, machine, mean, percentile
from rag.testing import HashEmbedder, MemoryStore
from rag.types import Answer, Citation

SHARED = Path(__file__).resolve().parents[2] / "shared"


def _shared(*parts: str) -> Path:
    local = SHARED.joinpath(*parts)
    return local if local.exists() else Path("/work/shared").joinpath(*parts)


DEV = _shared("eval", "dev.jsonl")
REALTIMEQA = _shared("bench", "realtimeqa")


# -- small measures ---------------------------------------------------------------------------------

def test_gold_rank_and_hits() -> None:
    ranking = ["a", "b", "c", "d"]
    assert gold_rank(ranking, "c") == 3
    assert gold_rank(ranking, {"x", "b"}) == 2
    assert gold_rank(ranking, "z") is None
    assert gold_rank(ranking, "d", k=3) is None
    row = hits_and_rr(3)
    assert row == {"hits@1": 0.0, "hits@3": 1.0, "hits@5": 1.0, "hits@10": 1.0, "mrr@10": pytest.approx(1 / 3)}
    assert hits_and_rr(None)["mrr@10"] == 0.0


def test_article_ranking_dedupes_in_rank_order() -> None:
    article_of = {"c1": "A", "c2": "B", "c3": "A", "c4": "C"}
    assert article_ranking(["c3", "c2", "c1", "c4", "unknown"], article_of) == ["A", "B", "C"]


def test_expected_words_are_whole_words_without_markers() -> None:
    assert contains_word("The US and EU refused [1].", "US")
    assert not contains_word("It was used by the museum.", "US")
    assert contains_word("He said “not a takeover” today", '"not a takeover"')
    assert expected_words_present("Oil and gas [2].", ["fuel", "oil"], [])
    assert not expected_words_present("Oil [2].", [], ["oil", "gas"])
    assert not expected_words_present("See passage [2019].", ["2019"], [])  # a marker is not an answer


def test_percentile_and_mean() -> None:
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([0.0, 10.0], 95) == pytest.approx(9.5)
    assert percentile([], 50) == 0.0
    assert mean([1.0, None, 2.0]) == 1.5 and mean([None]) is None


def test_eval_and_bench_share_rag_metrics_and_never_import_each_other() -> None:
    """Issue 14: the measures live in rag.metrics; bench and evaluate imported each other."""
    root = Path(__file__).resolve().parents[1] / "rag"
    for module, other in (("bench", "rag.evaluate"), ("evaluate", "rag.bench")):
        tree = ast.parse((root / f"{module}.py").read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
            a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert other not in imported and "rag.metrics" in imported, (module, sorted(filter(None, imported)))


def test_named_choices_needs_the_choice_text() -> None:
    choices = ["“Game of Thrones”", "“Squid Game”", "“Breaking Bad”", "“Friends”"]
    assert named_choices("Netflix renewed Squid Game for a second season [1].", choices) == [1]
    assert named_choices("Unlike Breaking Bad, Squid Game returns [2].", choices) == [1, 2]
    assert named_choices("Friendship matters [1].", choices) == []  # whole words only


def test_an_article_of_the_round_that_names_the_right_choice_answers() -> None:
    q = {"id": "20220617_7", "question": "Which US national park was impacted by severe flooding?", "answer": [1],
         "choices": ["Glacier", "Yellowstone", "Yosemite", "Zion"], "gold_ids": ["g"]}
    articles = [{"id": "g", "week": "20220617", "text": "Roads washed out."},
                {"id": "same", "week": "20220617", "text": "Flooding closed Yellowstone on Monday."},
                {"id": "both", "week": "20220617", "text": "Yellowstone flooded; Yosemite burned."},  # names a wrong one too
                {"id": "older", "week": "20220610", "text": "Yellowstone reopened."},  # another round
                {"id": "part", "week": "20220617", "text": "Yellowstones of the mind."}]  # whole words only
    assert answering_articles([q], articles) == [{"g", "same"}]


def _citation(number: int, passage: str) -> Citation:
    return Citation(number, "art-1", "Belarus talks", "", "", "", passage, 0, len(passage), passage, 0,
                    len(passage), True, 1.0)


def test_citation_scores_alce_recall_and_precision() -> None:
    good = _citation(1, "Putin visited Minsk on Monday for talks with Lukashenko.")
    bad = _citation(2, "The weather in Vienna was sunny and warm.")
    answer = Answer("Putin visited Minsk for talks [1][2]. Vienna was sunny [2]. Nobody knows why.", [good, bad])
    scores = citation_scores(answer, support_judge)
    # sentences: 1 supported (jointly), 2 supported, 3 uncited -> recall 2/3
    assert scores["sentences"] == 3
    assert scores["recall"] == pytest.approx(2 / 3)
    # citations: [1] supports s1, [2] does not support s1, [2] supports s2 -> precision 2/3
    assert scores["citations"] == 3
    assert scores["precision"] == pytest.approx(2 / 3)
    refusal = Answer("The articles don't say.", [], refused=True)
    assert citation_scores(refusal, support_judge)["recall"] is None


def test_llm_judge_prompt_and_verdicts() -> None:
    calls: list[str] = []

    def complete(messages: list[dict[str, str]], max_tokens: int = 64) -> str:
        calls.append(messages[-1]["content"])
        return " Yes." if "Minsk" in messages[-1]["content"].split("Claim:")[1] else "No, it does not."

    judge = LLMJudge(complete)
    passage = _citation(1, "Putin visited Minsk on Monday.")
    assert judge("Putin went to Minsk.", [passage]) is True
    assert judge("Putin went to Vienna.", [passage]) is False
    assert judge("Putin went to Minsk.", [passage]) is True  # cached: no third call for a repeat
    assert len(calls) == 2
    assert "Putin visited Minsk on Monday." in calls[0] and "Claim: Putin went to Minsk." in calls[0]


def test_load_questions_rejects_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "x", "question": "Who?", "doc": "a.txt"}\n{"id": "y"}\n')
    with pytest.raises(RagError, match=r"q.jsonl:2"):
        load_questions(path)
    path.write_text('{"id": "x", "question": "Who?"}\n')
    with pytest.raises(RagError, match="needs 'doc'"):
        load_questions(path)
    with pytest.raises(RagError, match="no such file"):
        load_questions(tmp_path / "missing.jsonl")


def test_machine_description() -> None:
    m = machine()
    assert m["cpus"] and m["cpus"] >= 1
    assert m["memory_gb"] is None or m["memory_gb"] > 0
    assert m["cpu_model"] and len(m["loadavg"]) == 3


# -- rag bench on the test doubles ----------------------------------------------------------------

def realtimeqa_folder(folder: Path, gold_prefix: str = "a") -> Path:
    """Six articles and six multiple-choice questions in RealTimeQA's layout, one question per
    article (gold ids `{gold_prefix}0`..)."""
    folder.mkdir(parents=True, exist_ok=True)
    towns = ["Kelvale", "Ostrava", "Tallport", "Maribel", "Dunmore", "Brenholm"]
    with gzip.open(folder / "articles.jsonl.gz", "wt", encoding="utf-8") as fh:
        for i, town in enumerate(towns):
            text = (f"The mayor of {town} opened the new river bridge on Monday. The {town} council paid for it "
                    f"with a grain export levy. Traffic on the old ferry route fell by {i + 2}0 percent.")
            fh.write(json.dumps({"id": f"a{i}", "title": f"{town} opens a bridge", "text": text,
                                 "published": f"2022-0{i + 3}-01"}) + "\n")
    questions = [{"id": f"q{i}", "date": f"2022/0{i + 4}/01", "question": f"Who opened the river bridge in {town}?",
                  "choices": [f"The mayor of {town}", "A king", "The army", "Nobody"], "answer": [0],
                  "gold_ids": [f"{gold_prefix}{i}"]} for i, town in enumerate(towns)]
    (folder / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8")
    return folder


@pytest.fixture
def bench_on_doubles(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """`rag bench` measures a Rag on the doubles (no model, no Chroma), and makes its working
    index under the returned folder."""
    monkeypatch.setattr(bench, "open_rag", lambda settings: Rag(settings, embedder=HashEmbedder(), store=MemoryStore()))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return scratch


def test_bench_options_are_flags_and_the_index_goes_unless_kept(
    bench_on_doubles: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 14, defect 7: RAG_BENCH_KEEP_INDEX=0 kept the index; the bench's options were
    environment variables read outside Settings. Now they are flags, and the variables mean nothing."""
    data, out = realtimeqa_folder(tmp_path / "rtqa"), tmp_path / "out"
    monkeypatch.setenv("RAG_BENCH_KEEP_INDEX", "0")
    monkeypatch.setenv("RAG_BENCH_ANSWER_LIMIT", "5")
    assert cli.main(["bench", str(data), "--out", str(out), "--embed-sample", "2", "--answer-limit", "1"]) == 0
    result = json.loads((out / "realtimeqa.json").read_text())
    assert result["questions"] == 6 and result["limit"] is None and result["indexing"]["articles"] == 6
    assert result["embed_only"]["chunks"] == 2 and result["answers"]["extractive"]["questions"] == 1
    assert list(bench_on_doubles.iterdir()) == []  # the working index is gone
    assert "index kept" not in capsys.readouterr().err

    assert cli.main(["bench", str(data), "--out", str(out), "--keep-index", "--limit", "3"]) == 0
    kept = [p for p in bench_on_doubles.iterdir()]
    assert len(kept) == 1 and (kept[0] / "data").is_dir()
    assert f"index kept in {kept[0] / 'data'}" in capsys.readouterr().err.replace("\n", "")
    result = json.loads((out / "realtimeqa.json").read_text())
    assert result["limit"] == 3 and result["questions"] == 3 and result["answers"]["extractive"]["questions"] == 3
    assert result["embed_only"]["chunks"] == result["indexing"]["chunks"]  # fewer chunks than the sample: all


def test_bench_flags_reject_negative_counts(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["bench", "somewhere", "--answer-limit", "-1"])
    assert exit_.value.code == 2 and "not a whole number" in capsys.readouterr().err


def test_bench_without_matching_questions_says_so_without_a_limit(
    bench_on_doubles: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 14, defect 7: the message read "among the first None articles" without --limit."""
    data = realtimeqa_folder(tmp_path / "rtqa", gold_prefix="elsewhere-")
    assert cli.main(["bench", str(data), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "None" not in err and "same RealTimeQA copy" in err
    assert cli.main(["bench", str(data), "--out", str(tmp_path / "out"), "--limit", "2"]) == 1
    assert "among the first 2 articles; raise --limit" in capsys.readouterr().err
    assert list(bench_on_doubles.iterdir()) == []


def test_bench_closes_every_file_it_opens(
    bench_on_doubles: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14, defect 7: a gzip handle was left open (counting the articles), for the garbage
    collector to close. Every handle is kept here, so only the bench itself can close it."""
    data, opened, real_open = realtimeqa_folder(tmp_path / "rtqa"), [], gzip.open

    def recording_open(*args: Any, **kwargs: Any) -> Any:
        opened.append(real_open(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(gzip, "open", recording_open)
    assert cli.main(["bench", str(data), "--out", str(tmp_path / "out"), "--answer-limit", "1"]) == 0
    assert cli.main(["bench", str(data), "--out", str(tmp_path / "out"), "--answer-limit", "1", "--limit", "4"]) == 0
    assert len(opened) >= 4 and [fh.name for fh in opened if not fh.closed] == []


def test_a_replayed_follow_up_comes_after_our_own_answers_not_the_files() -> None:
    asked: list[tuple[str, list[tuple[str, str]]]] = []

    class Recorder:
        def answer(self, question: str, history: list[tuple[str, str]], generator: str | None = None) -> Answer:
            asked.append((question, history))
            return Answer(f"our answer to {question}", [])

    history = (("Where did they meet?", "written in the file [1]"), ("When?", "also written [1]"))
    assert replayed(Recorder(), history, None) == [("Where did they meet?", "our answer to Where did they meet?"),
                                                   ("When?", "our answer to When?")]
    assert asked == [("Where did they meet?", []), ("When?", [("Where did they meet?", "our answer to Where did they meet?")])]


# -- end to end ---------------------------------------------------------------------------------------

@pytest.mark.model
@pytest.mark.skipif(not DEV.is_file(), reason="eval/dev.jsonl not available")
def test_rag_eval_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RAG_GENERATOR", "extractive")
    out = tmp_path / "eval.json"
    assert cli.main(["eval", str(DEV), "--limit", "4", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    summary = result["summary"]
    assert summary["questions"] == 4
    assert [q["id"] for q in result["questions"]] == [json.loads(x)["id"] for x in DEV.read_text().splitlines()[:4]]
    assert summary["retrieval"]["hits@10"] > 0
    assert 0 < summary["retrieval"]["mrr@10"] <= summary["retrieval"]["hits@10"] <= 1
    assert summary["retrieval"]["hits@1"] <= summary["retrieval"]["hits@5"]
    assert 0 <= summary["answers"]["expected_words"] <= 1
    assert "support" in summary["citations"] and result["judges"][0] == "support"
    for q in result["questions"]:
        assert q["timings"]["retrieval"] > 0 and q["timings"]["total"] >= q["timings"]["retrieval"]
        assert len(q["retrieved_articles"]) <= 10
    printed = capsys.readouterr().out
    assert "Overall (generator: extractive)" in printed and "hits@10" in printed


@pytest.mark.model
@pytest.mark.skipif(not (REALTIMEQA / "questions.jsonl").is_file(), reason="RealTimeQA data not available")
def test_rag_bench_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # the bench's working index goes here
    out = tmp_path / "results"
    assert cli.main(["bench", str(REALTIMEQA), "--limit", "60", "--out", str(out), "--generators", "extractive",
                     "--as-of", "question", "--embed-sample", "50", "--answer-limit", "3"]) == 0
    result = json.loads((out / "realtimeqa.json").read_text())
    # 2 of the first 60 are ad-feedback scrapes with no article text: skipped and counted as errors
    assert result["limit"] == 60 and result["indexing"]["articles"] + result["indexing"]["errors"] == 60
    assert result["indexing"]["errors"] <= 2
    assert 0 < result["questions"] <= 60
    ix = result["indexing"]
    assert ix["chunks"] > 60 and ix["chunks_per_s"] > 0 and ix["peak_rss_mb"] > 0
    assert result["embed_only"]["chunks"] == 50 and result["index_vs_embed_speed"] > 0
    assert result["index_size_mb"] > 0
    for mode in ("dense", "keyword", "hybrid", "dense as of", "keyword as of", "hybrid as of"):
        r = result["retrieval"][mode]
        assert set(r) >= {"hits@1", "hits@5", "hits@10", "mrr@10", "latency_ms", "tune", "held_out"}
        assert r["tune"]["questions"] + r["held_out"]["questions"] == result["questions"]
        assert 0 < r["hits@10"] <= 1 and r["hits@1"] <= r["hits@5"] <= r["hits@10"]
        assert r["latency_ms"]["p50"] <= r["latency_ms"]["p95"]
        # an article answering the question, gold or not, is a hit: never fewer hits than the gold alone
        assert r["answering"]["hits@10"] >= r["hits@10"] and r["answering"]["mrr@10"] >= r["mrr@10"]
    assert result["retrieval"]["fusion_sweep"]
    answers = result["answers"]["extractive"]
    assert answers["questions"] == 3 and 0 <= answers["correct"] <= answers["right_choice"] <= 1
    assert answers["tune"]["questions"] + answers["held_out"]["questions"] == 3 and answers["as_of"]
    assert all(r["correct"] == (r["right_choice"] and r["cites_gold"]) for r in answers["per_question"])
    assert all(r["correct_answering"] >= r["correct"] for r in answers["per_question"])  # a gold article answers
    assert result["machine"]["cpus"] >= 1
    md = (out / "realtimeqa.md").read_text()
    assert "| fused (default) |" in md and "| fused (default), as of |" in md and "embed-only" in md and "## Multiple-choice answers" in md
    assert "names the right choice and no wrong one" in md
    assert list(scratch.iterdir()) == []  # the temporary index was removed
    assert sorted(p.name for p in out.iterdir()) == ["realtimeqa.json", "realtimeqa.md"]
