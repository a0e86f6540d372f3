"""`rag bench PATH`: indexing speed, retrieval quality and answer accuracy on RealTimeQA.

PATH holds `articles.jsonl.gz` and `questions.jsonl` (see its README; evaluation data only,
never copied into the project). The bench:

1. indexes the articles into a fresh data dir through the normal `Rag.index()` path and
   measures wall time, chunks/s, peak RSS (ru_maxrss of this process) and index size on disk,
   with a breakdown (chunking, embedding, Chroma writes, keyword index); then embeds a sample
   of the same chunk texts alone, with the same embedder and call size, so the pipeline's
   overhead is a ratio measured in the same run (same machine load);
2. retrieves for every question (query = the question text only) with the HybridRetriever in
   "dense", "keyword" (BM25) and "hybrid" (RRF) mode, FETCH chunks each, deduplicated to
   articles in rank order -> article-level Hits@1/5/10 and MRR@10, and latency p50/p95 of
   one retrieval (BM25 is loaded once, never rebuilt per query). From the same dense and BM25
   lists it also recomputes fusion offline for other rrf_k, weights and fetch_k (no re-run);
3. answers each question with each requested generator from the question text alone, as a
   user types it (as of the question's date with `--as-of question`); an answer is correct
   when it names the right choice's text and no other choice's and cites a gold article.
   Reported for all questions and for the tune / held-out halves (before / from 2022-09-01).

`--limit N`: the first N articles, and only the questions whose gold article is among them.
Settings come from `rag.Settings` (RAG_CHUNK_SIZE, RAG_EMBED_BACKEND, RAG_RRF_K, ...), except
data_dir. The bench's own options are flags of `rag bench`: `--embed-sample N` caps the
embedding-only sample (default 3000 chunks; 0 = all), `--answer-limit N` answers only the first
N questions (a fixed subset, for quick runs), `--keep-index` keeps the index folder (its path
is printed).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from rag.errors import RagError
from rag.metrics import article_ranking, gold_rank, hits_and_rr, machine, percentile

if TYPE_CHECKING:
    from rag.pipeline import Rag
    from rag.settings import Settings
    from rag.types import Answer

FETCH = 40  # chunks per retrieval for the article-level metrics (enough for 10 distinct articles)
HITS_AT = (1, 5, 10)
MODES = ("dense", "keyword", "hybrid")
MODE_LABEL = {"dense": "dense only", "keyword": "BM25 only", "hybrid": "fused (default)"}
CALL_SIZE = 256  # = rag.indexer.EMBED_BUFFER: chunks per embedder call while indexing


# -- memory and disk (rag.metrics.machine describes the machine) ------------------------------

def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def disk_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# -- data ------------------------------------------------------------------------------------------

def read_articles(path: Path, limit: int | None) -> list[dict[str, Any]]:
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                out.append(json.loads(line))
                if limit is not None and len(out) >= limit:
                    break
    return out


def read_questions(path: Path, article_ids: set[str]) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [q for q in rows if set(q["gold_ids"]) & article_ids]


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def named_choices(answer_text: str, choices: Sequence[str]) -> list[int]:
    """Indexes of the choices whose text the answer names (whole words, punctuation ignored)."""
    from rag.verify import MARKER

    return _named_in(f" {_norm(MARKER.sub('', answer_text))} ", choices)


def _named_in(text: str, choices: Sequence[str]) -> list[int]:
    """Indexes of the choices named in `text`, already normalised (`_norm`) and padded with spaces."""
    return [i for i, c in enumerate(choices) if _norm(c) and f" {_norm(c)} " in text]


def answering_articles(questions: Sequence[dict[str, Any]], articles: Sequence[dict[str, Any]]) -> list[set[str]]:
    """Per question, its gold articles and every article of its weekly round (RealTimeQA pools
    each round's search results: `week`, the question id's prefix) whose text names a right
    choice and no wrong one. A round holds several reports of one story, all written before
    the question, and RealTimeQA marks one of them gold: a report ranked above it that states
    the answer is no miss for a reader (checked by hand in session 19: 14 of 15 sampled do
    answer the question)."""
    by_week: dict[str, list[tuple[str, str]]] = {}
    for a in articles:
        by_week.setdefault(str(a.get("week", "")), []).append((a["id"], f" {_norm(a.get('text', ''))} "))  # once each
    relevant = []
    for q in questions:
        right = set(q["answer"])
        named = {aid for aid, text in by_week.get(q["id"].split("_")[0], [])
                 if (hit := set(_named_in(text, q["choices"]))) and hit <= right}
        relevant.append(set(q["gold_ids"]) | named)
    return relevant


# -- timing helpers ----------------------------------------------------------------------------

@contextmanager
def timed_methods(targets: list[tuple[Any, str, str]], timers: dict[str, float]) -> Iterator[None]:
    """Accumulate wall time of obj.method calls into timers[label] (instance patching, restored)."""
    originals = []
    for obj, method, label in targets:
        original = getattr(obj, method)
        timers.setdefault(label, 0.0)

        def wrapper(*a: Any, _f: Callable[..., Any] = original, _l: str = label, **kw: Any) -> Any:
            started = time.perf_counter()
            try:
                return _f(*a, **kw)
            finally:
                timers[_l] += time.perf_counter() - started

        setattr(obj, method, wrapper)
        originals.append((obj, method))
    try:
        yield
    finally:
        for obj, method in originals:
            delattr(obj, method)


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=console)


# -- the bench ---------------------------------------------------------------------------------------

def retrieval_metrics(rankings: list[list[str]], golds: list[set[str]]) -> dict[str, float]:
    rows = [hits_and_rr(gold_rank(r, g, 10), HITS_AT, 10) for r, g in zip(rankings, golds, strict=True)]
    n = max(len(rows), 1)
    keys = rows[0] if rows else hits_and_rr(None, HITS_AT, 10)  # no questions (a --limit run's empty half): 0
    return {key: round(sum(r[key] for r in rows) / n, 4) for key in keys}


def index_corpus(rag: Rag, source: Path, n_articles: int, console: Console) -> dict[str, Any]:
    timers: dict[str, float] = {}
    targets = [(rag.embedder, "embed", "embedding"), (rag.store, "upsert", "chroma_upsert"),
               (rag.chunker, "chunks", "chunking"), (rag.keyword, "apply", "keyword_index")]
    rss_before = rss_mb()
    with _progress(console) as progress, timed_methods(targets, timers):
        task = progress.add_task("indexing articles", total=n_articles)
        started = time.perf_counter()
        report = rag.index([source], progress=lambda done, _id: progress.update(task, completed=done))
        seconds = time.perf_counter() - started
    chunks = report.added  # chunks embedded and written (new and updated articles)
    other = seconds - sum(timers.values())
    return {
        "articles": report.articles, "chunks": chunks, "errors": len(report.errors), "seconds": round(seconds, 1),
        "chunks_per_s": round(chunks / seconds, 1), "articles_per_s": round(report.articles / seconds, 2),
        "rss_before_mb": round(rss_before, 0), "peak_rss_mb": round(peak_rss_mb(), 0),
        "breakdown_s": {**{k: round(v, 1) for k, v in timers.items()},
                        "other (load, store reads, ...)": round(other, 1)},
    }


def embed_only(rag: Rag, cap: int, console: Console) -> dict[str, Any]:
    """Embed chunk texts alone (same text as indexing: title + passage), same embedder, same
    call size; a fixed evenly spaced sample when the corpus is larger than `cap`."""
    from rag.sync import keyword_text

    texts = [keyword_text(c) for c in rag.store.chunks()]
    total = len(texts)
    if cap and total > cap:
        step = total / cap
        texts = [texts[int(i * step)] for i in range(cap)]
    with _progress(console) as progress:
        task = progress.add_task("embedding only", total=len(texts))
        started = time.perf_counter()
        for begin in range(0, len(texts), CALL_SIZE):
            rag.embedder.embed(texts[begin : begin + CALL_SIZE])
            progress.advance(task, min(CALL_SIZE, len(texts) - begin))
        seconds = time.perf_counter() - started
    return {"chunks": len(texts), "of_total": total, "seconds": round(seconds, 1),
            "chunks_per_s": round(len(texts) / seconds, 1),
            "mean_chars": round(sum(map(len, texts)) / max(len(texts), 1))}


SPLIT = date(2022, 9, 1)  # tune on questions asked before it, report the later ones separately


def question_day(q: dict[str, Any]) -> date:
    return date.fromisoformat(q["date"].replace("/", "-"))


def run_retrieval(rag: Rag, questions: list[dict[str, Any]], console: Console,
                  as_of_modes: Sequence[bool] = (False,), answering: list[set[str]] | None = None) -> dict[str, Any]:
    """Article-level metrics for each mode (dense, BM25, fused) without and, when asked, with
    each question's own date as its as-of date; over all questions and each half; and, given
    `answering` (`answering_articles`), the same counting any article that answers as a hit."""
    results: dict[str, Any] = {}
    for as_of in as_of_modes:
        for mode in MODES:
            key = f"{mode}{' as of' if as_of else ''}"
            results[key] = _retrieve_mode(rag, questions, mode, as_of, console, answering)
    rag.retriever.mode = "hybrid"
    lists = {mode: results[mode].pop("_chunk_lists") for mode in MODES}
    article_of = results["dense"].pop("_article_of") | results["keyword"].pop("_article_of")
    for value in results.values():
        value.pop("_chunk_lists", None)
        value.pop("_article_of", None)
    golds = [set(q["gold_ids"]) for q in questions]
    results["fusion_sweep"] = fusion_sweep(lists, article_of, golds, rag.settings.rrf_k)
    return results


def _retrieve_mode(rag: Rag, questions: list[dict[str, Any]], mode: str, as_of: bool,
                   console: Console, answering: list[set[str]] | None = None) -> dict[str, Any]:
    retriever = rag.retriever
    retriever.mode = mode
    retriever.search(questions[0]["question"], FETCH)  # warm-up: loads BM25 and the HNSW index
    lists, latencies, article_of = [], [], {}
    with _progress(console) as progress:
        task = progress.add_task(f"retrieval: {MODE_LABEL[mode]}{' as of' if as_of else ''}", total=len(questions))
        for q in questions:
            started = time.perf_counter()
            scope = rag.scope(q["question"], question_day(q) if as_of else None)
            passages = retriever.search(q["question"], rag.settings.top_k, scope=scope)
            latencies.append(time.perf_counter() - started)
            passages = retriever.search(q["question"], FETCH, scope=scope)
            article_of.update({p.chunk.id: p.chunk.article_id for p in passages})
            lists.append([p.chunk.id for p in passages])
            progress.advance(task)
    rankings = [article_ranking(c, article_of) for c in lists]
    tune = [question_day(q) < SPLIT for q in questions]
    halves = {"tune": [i for i, t in enumerate(tune) if t], "held_out": [i for i, t in enumerate(tune) if not t]}
    golds = [set(q["gold_ids"]) for q in questions]
    return {
        **_by_half(rankings, golds, halves),
        **({"answering": _by_half(rankings, answering, halves)} if answering else {}),
        "latency_ms": {"p50": round(percentile(latencies, 50) * 1000, 1),
                       "p95": round(percentile(latencies, 95) * 1000, 1)},
        "per_question": [{"id": q["id"], "top10": r[:10]} for q, r in zip(questions, rankings, strict=True)],
        "_chunk_lists": lists, "_article_of": article_of,
    }


def _by_half(rankings: list[list[str]], relevant: list[set[str]], halves: dict[str, list[int]]) -> dict[str, Any]:
    return {**retrieval_metrics(rankings, relevant),
            **{half: retrieval_metrics([rankings[i] for i in idx], [relevant[i] for i in idx]) | {"questions": len(idx)}
               for half, idx in halves.items()}}


def fusion_sweep(chunk_lists: dict[str, list[list[str]]], article_of: dict[str, str], golds: list[set[str]],
                 rrf_k: int) -> list[dict[str, Any]]:
    """Fusion variants recomputed from the same dense and BM25 lists (no new retrieval)."""
    from rag.retrieve import rrf

    variants: list[dict[str, Any]] = []
    dense, sparse = chunk_lists["dense"], chunk_lists["keyword"]

    def add(name: str, rankings: list[list[str]]) -> None:
        variants.append({"variant": name, **retrieval_metrics(rankings, golds)})

    for k in sorted({20, 60, rrf_k}):
        for fetch in (20, FETCH):
            for w_dense, w_sparse in ((1.0, 1.0), (1.0, 0.5), (0.5, 1.0)):
                fused = [rrf([d[:fetch], s[:fetch]], k, [w_dense, w_sparse])
                         for d, s in zip(dense, sparse, strict=True)]
                add(f"chunk RRF k={k} fetch={fetch} w(dense,bm25)=({w_dense},{w_sparse})",
                    [article_ranking([c for c, _ in f[:FETCH]], article_of) for f in fused])
    for k in sorted({20, 60, rrf_k}):  # fuse article rankings instead of chunk rankings
        fused = [rrf([article_ranking(d, article_of), article_ranking(s, article_of)], k)
                 for d, s in zip(dense, sparse, strict=True)]
        add(f"article-level RRF k={k} fetch={FETCH}", [[a for a, _ in f] for f in fused])
    return variants


def run_answers(rag: Rag, questions: list[dict[str, Any]], generators: list[str], console: Console,
                as_of: bool = False, answering: dict[str, set[str]] | None = None) -> dict[str, Any]:
    """Each generator's answers to the question text alone, as a user types it (as of the
    question's own date with `as_of`). An answer is correct when it names the right choice's
    text and no other choice's, and cites a gold article (a verified citation); with
    `answering` (question id -> `answering_articles`), also when it cites any answering article."""
    out: dict[str, Any] = {}
    for name in generators:
        try:
            rag.generator(name)
        except RagError as err:
            out[name] = {"error": str(err)}
            continue
        out[name] = _answer_all(rag, questions, name, as_of, console, answering or {})
    return out


def _answer_all(rag: Rag, questions: list[dict[str, Any]], name: str, as_of: bool, console: Console,
                answering: dict[str, set[str]]) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    totals: list[float] = []
    with _progress(console) as progress:
        task = progress.add_task(f"answers: {name}{' as of' if as_of else ''}", total=len(questions))
        for q in questions:
            try:
                answer = rag.answer(str(q["question"]), generator=name, as_of=question_day(q) if as_of else None)
            except RagError as err:
                return {"error": str(err), "answered_before_error": len(rows)}
            rows.append(_answer_row(q, answer, answering.get(q["id"], set(q["gold_ids"]))))
            totals.append(answer.timings.get("total", 0.0))
            progress.advance(task)
    halves = {"tune": [r for r in rows if r["tune"]], "held_out": [r for r in rows if not r["tune"]]}
    return {**_answer_scores(rows), "as_of": as_of, "answer_s_p50": round(percentile(totals, 50), 3),
            **{half: _answer_scores(part) for half, part in halves.items()}, "per_question": rows}


def _answer_row(q: dict[str, Any], answer: Answer, answering: set[str]) -> dict[str, Any]:
    """One question's score. No answer text: it quotes the articles, which stay out of the project."""
    named = named_choices(answer.text, q["choices"])
    cited = {c.article_id for c in answer.citations if c.verified}
    right = len(named) == 1 and named[0] in q["answer"]
    gold = bool(cited & set(q["gold_ids"]))
    return {"id": q["id"], "tune": question_day(q) < SPLIT, "named": named, "right_choice": right,
            "cites_gold": gold, "correct": right and gold, "correct_answering": right and bool(cited & answering),
            "refused": answer.refused, "answer_chars": len(answer.text)}


def _answer_scores(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = max(len(rows), 1)
    return {"questions": len(rows), **{key: round(sum(bool(r[key]) for r in rows) / n, 4)
                                       for key in ("correct", "correct_answering", "right_choice", "cites_gold",
                                                   "refused")}}


def markdown(result: dict[str, Any]) -> str:
    m, s = result["machine"], result["settings"]
    lines = [
        f"# RealTimeQA bench ({result['label']})", "",
        (f"- date: {result['date']}; corpus: {result['articles']} articles, {result['questions']} questions"
         f"{' (--limit ' + str(result['limit']) + ')' if result['limit'] else ''}"),
        (f"- machine: {m['cpus']} cores, {m['cpu_model']}, {m['memory_gb']} GB RAM; load average at start "
         f"{m['loadavg']}, at end {result['loadavg_end']}"),
        "- settings: " + ", ".join(f"{k}={v}" for k, v in s.items()),
        ("- retrieval query: the question text only; article-level metrics from "
         f"{FETCH} retrieved chunks deduplicated to articles in rank order; 'as of': each question asked as of "
         f"its own date; tune = questions asked before {SPLIT}, held out = the rest"), "",
        *indexing_lines(result),
        "## Retrieval (article level)", "",
        ("| mode | Hits@1 | Hits@5 | Hits@10 | MRR@10 | held out: Hits@1 | Hits@5 | Hits@10 | MRR@10 "
         "| tune: Hits@10 | MRR@10 | p50 ms (top_k) | p95 ms |"),
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, r in result["retrieval"].items():
        if key == "fusion_sweep":
            continue
        mode, _, as_of = key.partition(" ")
        h, t = r["held_out"], r["tune"]
        lines.append(f"| {MODE_LABEL[mode]}{', as of' if as_of else ''} | {r['hits@1']:.3f} | {r['hits@5']:.3f} | "
                     f"{r['hits@10']:.3f} | {r['mrr@10']:.3f} | {h['hits@1']:.3f} | {h['hits@5']:.3f} | "
                     f"{h['hits@10']:.3f} | {h['mrr@10']:.3f} | {t['hits@10']:.3f} | {t['mrr@10']:.3f} | "
                     f"{r['latency_ms']['p50']} | {r['latency_ms']['p95']} |")
    lines += answering_lines(result["retrieval"])
    lines += ["", "Fusion variants recomputed from the same dense and BM25 lists (no as-of):", "",
              "| variant | Hits@1 | Hits@5 | Hits@10 | MRR@10 |", "|---|---|---|---|---|"]
    for v in result["retrieval"]["fusion_sweep"]:
        lines.append(f"| {v['variant']} | {v['hits@1']:.3f} | {v['hits@5']:.3f} | {v['hits@10']:.3f} "
                     f"| {v['mrr@10']:.3f} |")
    lines += ["", "## Multiple-choice answers", "", *answers_table(result["answers"])]
    return "\n".join(lines) + "\n"


def answering_lines(retrieval: dict[str, Any]) -> list[str]:
    """The retrieval table again, any article of the question's round that names the right
    choice (and no wrong one) counting as a hit (`answering_articles`)."""
    rows = [(key, r["answering"]) for key, r in retrieval.items() if key != "fusion_sweep" and "answering" in r]
    if not rows:
        return []
    lines = ["", ("Counting as a hit any article of the question's weekly round that names the right choice and no "
                  "wrong one, not only the one RealTimeQA marks gold (several reports of one story answer it):"), "",
             "| mode | Hits@1 | Hits@10 | MRR@10 | held out: Hits@1 | Hits@10 | MRR@10 | tune: Hits@10 | MRR@10 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for key, r in rows:
        mode, _, as_of = key.partition(" ")
        h, t = r["held_out"], r["tune"]
        lines.append(f"| {MODE_LABEL[mode]}{', as of' if as_of else ''} | {r['hits@1']:.3f} | {r['hits@10']:.3f} | "
                     f"{r['mrr@10']:.3f} | {h['hits@1']:.3f} | {h['hits@10']:.3f} | {h['mrr@10']:.3f} | "
                     f"{t['hits@10']:.3f} | {t['mrr@10']:.3f} |")
    return lines


def indexing_lines(result: dict[str, Any]) -> list[str]:
    ix, emb = result.get("indexing"), result.get("embed_only")
    if not ix or not emb:
        return [f"Index reused from {result.get('index_reused')} (not timed in this run).", ""]
    return [
        "## Indexing", "",
        ("| chunks | time (s) | chunks/s | embed-only chunks/s | indexing / embed-only speed | peak RSS (MB) "
         "| index size (MB) |"),
        "|---|---|---|---|---|---|---|",
        (f"| {ix['chunks']:,} | {ix['seconds']:,} | {ix['chunks_per_s']} | {emb['chunks_per_s']} "
         f"({emb['chunks']:,} chunk sample) | {result['index_vs_embed_speed']} | {ix['peak_rss_mb']:,.0f} | "
         f"{result['index_size_mb']:,} |"), "",
        "Time breakdown (s): " + ", ".join(f"{k} {v}" for k, v in ix["breakdown_s"].items()), "",
    ]


def answers_table(answers: dict[str, Any]) -> list[str]:
    """The markdown rows for `run_answers` results: one generator a row, then its two halves."""
    header = ("| generator | questions | correct (right choice and gold article cited) | right choice and an "
              "answering article cited | right choice | cites a gold article | refused | p50 s |")
    lines = [header, "|---|---|---|---|---|---|---|---|"]
    for name, a in answers.items():
        if "error" in a:
            lines.append(f"| {name} | - | unavailable: {a['error'][:120]} | | | | | |")
            continue
        label = f"{name}{', as of' if a.get('as_of') else ''}"
        for part, row in ((label, a), (f"{label}: tune", a["tune"]), (f"{label}: held out", a["held_out"])):
            lines.append(f"| {part} | {row['questions']} | {row['correct']:.3f} | {row['correct_answering']:.3f} | "
                         f"{row['right_choice']:.3f} | "
                         f"{row['cites_gold']:.3f} | {row['refused']:.3f} | {a['answer_s_p50'] if part == label else ''} |")
    return lines


SETTINGS_SHOWN = ("chunk_size", "chunk_overlap", "embed_backend", "embed_batch_size", "top_k", "fetch_k", "rrf_k",
                  "bm25_weight", "article_weight", "recency_weight", "recency_half_life", "digest_weight", "lead_weight")


def open_rag(settings: Settings) -> Rag:
    """The pipeline the bench measures, on the configured backends, its embedding model loaded
    before anything is timed. (The tests put one on the doubles of `rag.testing` here.)"""
    from rag.embed import make_embedder
    from rag.pipeline import Rag

    embedder = make_embedder(settings)
    embedder.embed(["warm-up: load the model before timing"])
    return Rag(settings, embedder=embedder)


def main(args: argparse.Namespace) -> int:
    """`rag bench`: args has path, out, limit, generators, as_of, index, embed_sample,
    answer_limit and keep_index (see rag.cli)."""
    folder = Path(args.path)
    articles_file, questions_file = folder / "articles.jsonl.gz", folder / "questions.jsonl"
    for needed in (articles_file, questions_file):
        if not needed.is_file():
            raise RagError(f"{needed}: missing. PATH must hold articles.jsonl.gz and questions.jsonl (RealTimeQA).")
    if args.index is not None and not Path(args.index).is_dir():
        raise RagError(f"--index {args.index}: no such folder. Give the data dir of an existing index.")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    console = Console(stderr=True)
    work = Path(tempfile.mkdtemp(prefix="newsrag-bench-"))
    try:
        result = run(args, articles_file, questions_file, work, console)
        (out / "realtimeqa.json").write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
        (out / "realtimeqa.md").write_text(markdown(result), encoding="utf-8")
        Console().print(markdown(result))
        Console().print(f"Results written to {out / 'realtimeqa.json'} and {out / 'realtimeqa.md'}")
    finally:
        if args.keep_index and args.index is None:
            console.print(f"index kept in {work / 'data'}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def run(args: argparse.Namespace, articles_file: Path, questions_file: Path, work: Path,
        console: Console) -> dict[str, Any]:
    """Index (into `work`, unless --index), retrieve and answer; the result `main` writes."""
    from rag.settings import Settings

    limit = args.limit if args.limit and args.limit > 0 else None
    started_machine = machine()
    settings = Settings(data_dir=Path(args.index) if args.index is not None else work / "data")
    rag = open_rag(settings)
    result: dict[str, Any] = {}
    if args.index is not None:
        # every article of the file, indexed or not: a question whose gold article had no text
        # to index (a stub) still counts, as a miss, so the numbers compare with a fresh run
        indexed = {a["id"] for a in read_articles(articles_file, limit)}
        result["index_reused"] = str(args.index)
    else:
        indexed, indexing = _index_fresh(rag, articles_file, limit, work, console, args.embed_sample)
        result.update(indexing)
    questions = read_questions(questions_file, indexed)
    if not questions:
        raise RagError(_no_questions(limit))
    as_of_modes = (False, True) if args.as_of == "question" else (False,)
    answering = answering_articles(questions, [a for a in read_articles(articles_file, limit) if a["id"] in indexed])
    retrieval = run_retrieval(rag, questions, console, as_of_modes, answering)
    generators = [g.strip() for g in (args.generators or "").split(",") if g.strip()]
    answers = run_answers(rag, questions[: args.answer_limit or None], generators, console, args.as_of == "question",
                          {q["id"]: found for q, found in zip(questions, answering, strict=True)})
    return result | {
        "label": f"chunk {settings.chunk_size}/{settings.chunk_overlap}, {settings.embed_backend}, "
                 f"rrf_k {settings.rrf_k}, fetch_k {settings.fetch_k}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": started_machine, "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        "limit": limit, "articles": len(indexed), "questions": len(questions), "query": "question text only",
        "settings": {k: getattr(settings, k) for k in SETTINGS_SHOWN},
        "retrieval": retrieval, "answers": answers,
    }


def _no_questions(limit: int | None) -> str:
    if limit is not None:
        return f"No question has its gold article among the first {limit} articles; raise --limit."
    return ("No question in questions.jsonl has its gold article in articles.jsonl.gz: are both files from "
            "the same RealTimeQA copy?")


def _index_fresh(rag: Rag, articles_file: Path, limit: int | None, work: Path, console: Console,
                 embed_sample: int) -> tuple[set[str], dict[str, Any]]:
    """Index the articles (the first `limit`) into the fresh data dir; timings and sizes."""
    articles = read_articles(articles_file, limit)
    source = articles_file
    if limit is not None:
        source = work / "articles.jsonl.gz"
        with gzip.open(source, "wt", encoding="utf-8") as fh:
            fh.writelines(json.dumps(a) + "\n" for a in articles)
    ids = {a["id"] for a in articles}
    n_articles = len(articles) if limit is not None else count_lines(articles_file)
    indexing = index_corpus(rag, source, n_articles, console)
    embedding = embed_only(rag, embed_sample, console)
    return ids, {
        "indexing": indexing, "embed_only": embedding,
        "index_vs_embed_speed": round(indexing["chunks_per_s"] / embedding["chunks_per_s"], 3),
        "index_size_mb": round(disk_size(rag.settings.data_dir) / 1024**2, 1),
    }


def count_lines(path: Path) -> int:
    """Lines of a gzipped file (for the progress bar's total), its handle closed."""
    with gzip.open(path, "rb") as fh:
        return sum(1 for _ in fh)
