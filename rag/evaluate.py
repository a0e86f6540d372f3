"""`rag eval FILE.jsonl`: score retrieval, answers and citations on a question set.

Each line of FILE is one question (the format of eval/dev.jsonl):
    id, question, history (optional list of [question, answer]), doc (gold article id),
    evidence (a string inside the gold passage), answer_any / answer_all (expected words,
    case-insensitive, matched as whole words), unanswerable (bool).

Measured per question and overall:
- retrieval (k=10 on the query the pipeline actually searched, i.e. after condensation):
  rank of the first passage from the gold article -> Hits@1/3/5/10 and MRR@10; whether the
  evidence string is inside one of the 10 passages, and inside the passages the generator saw;
- answers: expected words present; for unanswerable questions, a refusal with no citations;
  "right article cited" (some citation's article_id == doc);
- citations, ALCE-style (Gao et al. 2023): recall = share of answer sentences whose cited
  passages (together) support them; precision = share of citations that on their own support
  their sentence. Judged by `rag.verify.support` (the pipeline's own lexical check, so it
  mostly confirms that verification ran) and, when a language-model generator is configured,
  also by that model with prompts/judge.txt (yes/no). Each figure names its judge;
- time per question: retrieval, first token, full answer (Answer.timings).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import prompts
from rag.errors import RagError
from rag.metrics import HITS_AT, RETRIEVAL_K, gold_rank, hits_and_rr, machine, mean, percentile
from rag.text import sentences, terms
from rag.types import REFUSAL, Answer, Chunk, Citation, Passage
from rag.verify import MARKER, SUPPORT_THRESHOLD, support

LLM_GENERATORS = ("llamacpp", "openai")


# -- input ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Question:
    id: str
    question: str
    history: tuple[tuple[str, str], ...] = ()
    doc: str = ""
    evidence: str = ""
    answer_any: tuple[str, ...] = ()
    answer_all: tuple[str, ...] = ()
    unanswerable: bool = False
    kind: str = ""  # date, who, follow_up, summary, off_corpus, false_premise, ... (eval/kinds.jsonl)
    expect: str = ""  # "synthesis", "refusal" or "refusal_or_correction"; "" = an answer with answer words
    min_articles: int = 2  # for "synthesis": verified citations must come from this many articles

    @property
    def synthesis(self) -> bool:
        return self.expect == "synthesis"


def load_questions(path: Path, limit: int | None = None) -> list[Question]:
    """The questions of a JSONL file; a malformed line raises RagError naming it."""
    if not path.is_file():
        raise RagError(f"{path}: no such file. Pass a JSONL question set such as eval/dev.jsonl.")
    out: list[Question] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            question = Question(
                id=str(obj.get("id", lineno)),
                question=str(obj["question"]),
                history=tuple((str(q), str(a)) for q, a in obj.get("history") or ()),
                doc=str(obj.get("doc") or ""),
                evidence=str(obj.get("evidence") or ""),
                answer_any=tuple(map(str, obj.get("answer_any") or ())),
                answer_all=tuple(map(str, obj.get("answer_all") or ())),
                unanswerable=bool(obj.get("unanswerable", False)) or obj.get("expect", "").startswith("refusal"),
                kind=str(obj.get("kind") or ""),
                expect=str(obj.get("expect") or ""),
                min_articles=int(obj.get("min_articles") or 2),
            )
        except (ValueError, KeyError, TypeError) as err:
            raise RagError(f"{path}:{lineno}: not a valid question line ({err!r}).") from err
        if not question.unanswerable and not question.synthesis and not question.doc:
            raise RagError(f"{path}:{lineno}: an answerable question needs 'doc' (the gold article id).")
        out.append(question)
        if limit is not None and len(out) >= limit:
            break
    if not out:
        raise RagError(f"{path}: no questions found.")
    return out


# -- answer words (rag.metrics has the retrieval measures) ------------------------------------

def normalise(text: str) -> str:
    return " ".join(re.sub(r"[“”„\"‘’']", "'", text).lower().split())


def contains_word(text: str, word: str) -> bool:
    """`word` (a word or phrase) occurs in `text` as whole words, case-insensitively."""
    pattern = r"(?<!\w)" + re.escape(normalise(word)) + r"(?!\w)"
    return re.search(pattern, normalise(text)) is not None


def expected_words_present(text: str, any_of: Sequence[str], all_of: Sequence[str]) -> bool:
    clean = MARKER.sub("", text)
    ok_any = not any_of or any(contains_word(clean, w) for w in any_of)
    ok_all = all(contains_word(clean, w) for w in all_of)
    return ok_any and ok_all


# -- citation judges -------------------------------------------------------------------------

Judge = Callable[[str, list[Citation]], bool]  # (claim, cited passages) -> supported?


def citation_passage(citations: list[Citation]) -> Passage:
    """One Passage holding the cited passages (one citation, or several read together)."""
    first = citations[0]
    text = "\n".join(c.passage for c in citations)
    title = " / ".join(dict.fromkeys(c.title for c in citations if c.title))
    chunk = Chunk(id=first.article_id, article_id=first.article_id, text=text, start=first.start,
                  end=first.start + len(text), title=title)
    return Passage(chunk, 1.0)


def support_judge(claim: str, cited: list[Citation]) -> bool:
    """The pipeline's own check (rag.verify.support): content words and numbers present."""
    return support(claim, citation_passage(cited)).score >= SUPPORT_THRESHOLD


class LLMJudge:
    """Asks the configured chat model (prompts/judge.txt) whether the passage supports the claim."""

    def __init__(self, complete: Callable[..., str]) -> None:
        self.complete = complete
        self.cache: dict[tuple[str, str], bool] = {}

    def __call__(self, claim: str, cited: list[Citation]) -> bool:
        passage = citation_passage(cited).chunk
        key = (claim, passage.text)
        if key not in self.cache:
            user = prompts.text("judge").format(title=passage.title, passage=passage.text, claim=claim)
            reply = self.complete([{"role": "user", "content": user}], max_tokens=4)
            self.cache[key] = reply.strip().lower().lstrip("\"'*").startswith("yes")
        return self.cache[key]


def citation_scores(answer: Answer, judge: Judge) -> dict[str, Any]:
    """ALCE-style citation recall and precision of one answer under one judge.
    None for a refusal (no sentences to score)."""
    if answer.refused or answer.text == REFUSAL:
        return {"recall": None, "precision": None, "sentences": 0, "citations": 0}
    by_number = {c.number: c for c in answer.citations}
    supported_sentences = total_sentences = precise = total_citations = 0
    for _, _, sentence in sentences(answer.text):
        claim = MARKER.sub("", sentence).strip()
        if not terms(claim):
            continue
        total_sentences += 1
        numbers = [int(n) for group in MARKER.findall(sentence) for n in group.split(",")]
        cited = [by_number[n] for n in dict.fromkeys(numbers) if n in by_number]
        if cited and judge(claim, cited):
            supported_sentences += 1
        for citation in cited:
            total_citations += 1
            precise += judge(claim, [citation])
    return {
        "recall": supported_sentences / total_sentences if total_sentences else None,
        "precision": precise / total_citations if total_citations else None,
        "sentences": total_sentences,
        "citations": total_citations,
    }


# -- one question ------------------------------------------------------------------------------

def replayed(rag: Any, history: Sequence[tuple[str, str]], generator: str | None) -> list[tuple[str, str]]:
    """The conversation a person would have had: each earlier question of `history` asked in
    turn, with our own answers instead of the ones the question set wrote."""
    conversation: list[tuple[str, str]] = []
    for asked, _ in history:
        conversation.append((asked, rag.answer(asked, list(conversation), generator=generator).text))
    return conversation


def evaluate_question(rag: Any, q: Question, judges: dict[str, Judge], generator: str | None,
                      replay: bool = False) -> dict[str, Any]:
    """Score one question. `replay`: a follow-up comes after our own answers to its history's
    questions (`replayed`), not after the answers written in the question set."""
    history = replayed(rag, q.history, generator) if replay else list(q.history)
    answer: Answer = rag.answer(q.question, history, generator=generator)
    started = time.perf_counter()
    retrieved = rag.retrieve(answer.query, k=RETRIEVAL_K)
    retrieve10 = time.perf_counter() - started
    article_ids = [p.chunk.article_id for p in retrieved]
    row: dict[str, Any] = {
        "id": q.id, "question": q.question, "query": answer.query, "unanswerable": q.unanswerable,
        "doc": q.doc or None, "retrieved_articles": article_ids,
        "answer": answer.text, "refused": answer.refused,
        "cited_articles": [c.article_id for c in answer.citations],
        "unverified_citations": sum(not c.verified for c in answer.citations),
        "timings": {
            "retrieval": answer.timings.get("retrieval"),
            "first_token": answer.timings.get("first_token"),
            "total": answer.timings.get("total"),
            "retrieval_k10": retrieve10,
        },
    }
    row["kind"], row["refusal"], row["note"] = q.kind or ("unanswerable" if q.unanswerable else ""), \
        answer.refusal, answer.note
    if q.unanswerable:
        row["refusal_correct"] = (answer.refused and answer.text == REFUSAL and not answer.citations) or (
            # a false premise may instead be corrected: what the articles do say, every citation verified
            q.expect == "refusal_or_correction" and answer.refusal == "corrected" and bool(answer.citations)
            and all(c.verified for c in answer.citations))
    elif q.synthesis:
        verified = {c.article_id for c in answer.citations if c.verified}
        row["synthesis_articles"] = len(verified)
        row["synthesis_ok"] = not answer.refused and len(verified) >= q.min_articles and \
            sum(c.verified for c in answer.citations) >= 2
    else:
        rank = gold_rank(article_ids, q.doc)
        row["gold_rank"] = rank
        row.update(hits_and_rr(rank))
        evidence = normalise(q.evidence)
        row["evidence_retrieved"] = bool(evidence) and any(evidence in normalise(p.chunk.text) for p in retrieved)
        row["evidence_in_context"] = bool(evidence) and any(
            evidence in normalise(p.chunk.text) for p in answer.passages)
        row["answer_correct"] = not answer.refused and expected_words_present(answer.text, q.answer_any, q.answer_all)
        row["right_article_cited"] = any(c.article_id == q.doc for c in answer.citations)
        # a refusal that shows, as a closest passage, a sentence of the right article holding the answer words
        row["closest_holds_answer"] = answer.refused and any(
            c.article_id == q.doc and expected_words_present(c.quote, q.answer_any, q.answer_all) for c in answer.closest)
    row["citations"] = {name: citation_scores(answer, judge) for name, judge in judges.items()}
    return row


# -- summary -------------------------------------------------------------------------------------

def passed(row: dict[str, Any]) -> bool:
    """The question's own test: the answer words, the refusal, or a cited multi-article summary."""
    if row["unanswerable"]:
        return bool(row["refusal_correct"])
    if "synthesis_ok" in row:
        return bool(row["synthesis_ok"])
    return bool(row["answer_correct"])


def by_kind(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    kinds: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        kinds.setdefault(r.get("kind") or "other", []).append(r)
    return {k: {"n": len(rs), "passed": mean([float(passed(r)) for r in rs]) or 0.0} for k, rs in sorted(kinds.items())}


def summarize(rows: list[dict[str, Any]], judges: Sequence[str]) -> dict[str, Any]:
    synthesis = [r for r in rows if "synthesis_ok" in r]
    answerable = [r for r in rows if not r["unanswerable"] and "synthesis_ok" not in r]
    unanswerable = [r for r in rows if r["unanswerable"]]
    out: dict[str, Any] = {"questions": len(rows), "answerable": len(answerable), "unanswerable": len(unanswerable),
                           "synthesis": len(synthesis)}
    retrieval = {key: mean([r[key] for r in answerable]) for key in
                 [*(f"hits@{n}" for n in HITS_AT), f"mrr@{RETRIEVAL_K}"]}
    retrieval["evidence_in_top10"] = mean([float(r["evidence_retrieved"]) for r in answerable])
    retrieval["evidence_in_context"] = mean([float(r["evidence_in_context"]) for r in answerable])
    out["retrieval"] = retrieval
    out["answers"] = {
        "expected_words": mean([float(r["answer_correct"]) for r in answerable]),
        "right_article_cited": mean([float(r["right_article_cited"]) for r in answerable]),
        "refused_answerable": mean([float(r["refused"]) for r in answerable]),
        "refused_closest_holds_answer": mean([r.get("closest_holds_answer") for r in answerable if r["refused"]]),
        "unanswerable_refused": mean([float(r["refusal_correct"]) for r in unanswerable]),
        "synthesis_cited_across_articles": mean([float(r["synthesis_ok"]) for r in synthesis]),
    }
    out["by_kind"] = by_kind(rows)
    out["citations"] = {
        judge: {
            "recall": mean([r["citations"][judge]["recall"] for r in rows]),
            "precision": mean([r["citations"][judge]["precision"] for r in rows]),
            "answers_scored": sum(r["citations"][judge]["sentences"] > 0 for r in rows),
        }
        for judge in judges
    }
    timing: dict[str, Any] = {}
    for key in ("retrieval", "first_token", "total"):
        values = [r["timings"][key] for r in rows if r["timings"].get(key) is not None]
        timing[key] = {"mean": mean(values), "p50": percentile(values, 50), "p95": percentile(values, 95)}
    out["timings_s"] = timing
    return out


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f}"


def question_table(rows: list[dict[str, Any]], judges: Sequence[str]) -> Table:
    table = Table(title="Per question", show_lines=False)
    for col in ("id", "gold rank", "evidence@10", "answer ok", "right art. cited", "refused"):
        table.add_column(col)
    for judge in judges:
        table.add_column(f"cit R/P ({judge})")
    for col in ("retrieval ms", "first token ms", "total ms"):
        table.add_column(col, justify="right")
    for r in rows:
        if r["unanswerable"]:
            cells = [r["id"], "n/a", "n/a", _fmt(r["refusal_correct"]) + " (refusal)", "n/a", _fmt(r["refused"])]
        elif "synthesis_ok" in r:
            cells = [r["id"], "n/a", "n/a", f"{_fmt(r['synthesis_ok'])} ({r['synthesis_articles']} art.)", "n/a",
                     _fmt(r["refused"])]
        else:
            cells = [r["id"], _fmt(r["gold_rank"]) if r["gold_rank"] else ">10", _fmt(r["evidence_retrieved"]),
                     _fmt(r["answer_correct"]), _fmt(r["right_article_cited"]), _fmt(r["refused"])]
        for judge in judges:
            c = r["citations"][judge]
            cells.append(f"{_fmt(c['recall'], 2)}/{_fmt(c['precision'], 2)}")
        t = r["timings"]
        cells += [_ms(t["retrieval"]), _ms(t["first_token"]), _ms(t["total"])]
        table.add_row(*cells)
    return table


def summary_rows(summary: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(metric, value, over what) rows, shared by the rich table and the markdown output."""
    n_ans, n_un = summary["answerable"], summary["unanswerable"]
    rows = [(f"retrieval {k}", _fmt(v), f"{n_ans} answerable, k=10") for k, v in summary["retrieval"].items()]
    a = summary["answers"]
    rows += [
        ("answer has expected words", _fmt(a["expected_words"]), f"{n_ans} answerable"),
        ("right article cited", _fmt(a["right_article_cited"]), f"{n_ans} answerable"),
        ("refused although answerable", _fmt(a["refused_answerable"]), f"{n_ans} answerable"),
        ("... a closest passage shown holds the answer words", _fmt(a.get("refused_closest_holds_answer")),
         "those refusals"),
        ("unanswerable -> refusal, no citations", _fmt(a["unanswerable_refused"]), f"{n_un} unanswerable"),
        ("summary/comparison: >= 2 verified citations from >= 2 articles",
         _fmt(a["synthesis_cited_across_articles"]), f"{summary['synthesis']} synthesis"),
    ]
    rows += [(f"passed: {kind}", _fmt(k["passed"]), f"{k['n']:.0f} questions") for kind, k in summary["by_kind"].items()]
    for judge, c in summary["citations"].items():
        over = f"{c['answers_scored']} non-refused answers"
        rows.append((f"citation recall (judge: {judge})", _fmt(c["recall"]), over))
        rows.append((f"citation precision (judge: {judge})", _fmt(c["precision"]), over))
    for key, t in summary["timings_s"].items():
        spread = f"mean {_ms(t['mean'])}, p50 {_ms(t['p50'])}, p95 {_ms(t['p95'])}"
        rows.append((f"time to {key.replace('_', ' ')} (ms)", spread, f"{summary['questions']} questions"))
    return rows


def summary_table(summary: dict[str, Any], generator: str) -> Table:
    table = Table(title=f"Overall (generator: {generator})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("over")
    for row in summary_rows(summary):
        table.add_row(*row)
    return table


def markdown(summary: dict[str, Any]) -> str:
    lines = ["| metric | value | over |", "|---|---|---|"]
    lines += [f"| {m} | {v} | {o} |" for m, v, o in summary_rows(summary)]
    return "\n".join(lines) + "\n"


# -- command -------------------------------------------------------------------------------------

def main(args: argparse.Namespace) -> int:
    from rag.pipeline import Rag
    from rag.settings import Settings

    questions = load_questions(Path(args.file), args.limit)
    settings = Settings(**({"generator": args.generator} if getattr(args, "generator", None) else {}))
    rag = Rag(settings)
    rag.ensure_default_corpus()
    generator = settings.generator
    judges: dict[str, Judge] = {"support": support_judge}
    if generator in LLM_GENERATORS and getattr(args, "llm_judge", False):
        judges[f"llm:{generator}"] = LLMJudge(rag.generator(generator).complete)  # type: ignore[attr-defined]

    console = Console(stderr=True)
    rows: list[dict[str, Any]] = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("eval", total=len(questions))
        for q in questions:
            rows.append(evaluate_question(rag, q, judges, generator, getattr(args, "replay_history", False)))
            progress.advance(task)

    summary = summarize(rows, list(judges))
    out = Console(width=160) if not sys.stdout.isatty() else Console()
    out.print(question_table(rows, list(judges)))
    out.print(summary_table(summary, generator))
    if args.json:
        result = {
            "file": str(args.file), "generator": generator, "judges": list(judges),
            "replay_history": getattr(args, "replay_history", False),
            "settings": {k: getattr(settings, k) for k in ("chunk_size", "chunk_overlap", "top_k", "fetch_k",
                                                           "rrf_k", "embed_backend")},
            "machine": machine(), "summary": summary, "questions": rows, "markdown": markdown(summary),
        }
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
        Path(args.json).with_suffix(".md").write_text(markdown(summary), encoding="utf-8")
        out.print(f"JSON written to {args.json} (summary table: {Path(args.json).with_suffix('.md')})")
    return 0
