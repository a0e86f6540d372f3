"""`rag eval` and `rag bench`: the commands run end to end and report sensible numbers, and
the small measures they are built from (ranks, choice matching, citation scores) are right.

The RealTimeQA data and the dev questions live outside the repository (evaluation only);
the tests that need them skip when they are absent."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from rag import cli
from rag.bench import article_ranking, machine, mc_text, named_choices
from rag.evaluate import (
    contains_word,
    expected_words_present,
    LLMJudge,
    gold_rank,
    hits_and_rr,
    load_questions,
    percentile,
    support_judge,
    citation_scores,
)
from rag.errors import RagError
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


def test_percentile() -> None:
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([0.0, 10.0], 95) == pytest.approx(9.5)
    assert percentile([], 50) == 0.0


def test_named_choices_needs_the_choice_text() -> None:
    choices = ["“Game of Thrones”", "“Squid Game”", "“Breaking Bad”", "“Friends”"]
    assert named_choices("Netflix renewed Squid Game for a second season [1].", choices) == [1]
    assert named_choices("Unlike Breaking Bad, Squid Game returns [2].", choices) == [1, 2]
    assert named_choices("Friendship matters [1].", choices) == []  # whole words only
    text = mc_text({"question": "Which show?", "choices": choices})
    assert text.startswith("Which show?\nChoices: (A) “Game of Thrones” (B)")


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
    assert len(m["loadavg"]) == 3


# -- end to end ---------------------------------------------------------------------------------------

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


@pytest.mark.skipif(not (REALTIMEQA / "questions.jsonl").is_file(), reason="RealTimeQA data not available")
def test_rag_bench_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_BENCH_EMBED_SAMPLE", "50")
    monkeypatch.setenv("RAG_BENCH_ANSWER_LIMIT", "3")
    monkeypatch.delenv("RAG_BENCH_KEEP_INDEX", raising=False)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # the bench's working index goes here
    out = tmp_path / "results"
    assert cli.main(["bench", str(REALTIMEQA), "--limit", "60", "--out", str(out), "--generators", "extractive",
                     "--as-of", "question"]) == 0
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
    assert result["retrieval"]["fusion_sweep"]
    answers = result["answers"]["extractive"]
    assert answers["questions"] == 3 and 0 <= answers["accuracy"] <= 1
    assert result["machine"]["cpus"] >= 1
    md = (out / "realtimeqa.md").read_text()
    assert "| fused (default) |" in md and "| fused (default), as of |" in md and "embed-only" in md and "## Multiple-choice answers" in md
    assert list(scratch.iterdir()) == []  # the temporary index was removed
    assert sorted(p.name for p in out.iterdir()) == ["realtimeqa.json", "realtimeqa.md"]
