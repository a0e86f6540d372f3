"""Pseudo-relevance feedback (PRF) for HybridRetriever.search, offline on RealTimeQA, TUNE HALF ONLY.

    RAG_DATA_DIR=FULL_POOL_INDEX nice -n 10 .venv/bin/python scripts/realtimeqa_prf.py --out prf.json

Measured in session 18 and not adopted (docs/results/realtimeqa-session18-prf.md): at most +0.014
MRR@10 on the tune half, more questions moved down than up, 15-20 ms more per retrieval.

Questions dated on/after 2022-09-01 (the held-out half) are dropped right after reading the file:
nothing is retrieved, computed or printed for them.

For every tune question, with and without its as-of date (the scope built exactly as rag/bench.py
does: `rag.scope(question, date or None)`):
1. first search: the product's `retriever.search(question, 40, scope=scope)` (the baseline);
   article-level ranking = its 40 chunks deduplicated to articles in rank order (rag.bench).
2. each PRF variant runs the product's `search` a second time with
   - dense Rocchio: the embedder patched to return q' = normalize(q + beta * mean(top-m passage
     vectors)), the top m passages of the first fused ranking, their vectors read from Chroma;
   - RM3-like BM25 expansion: the keyword index's passage and article searches patched to add the
     n most distinctive terms (tf * BM25 idf over the top 3 passages' title + text, query terms
     excluded) as extra SHOULD clauses boosted by `weight`; the dense side unchanged (q);
   - both at once.
Added latency per query = reading the feedback (vectors from Chroma / terms) + the second search
(whose query embedding is reused, not recomputed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SPLIT = "2022-09-01"
FETCH = 40


def tune_questions(path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [q for q in rows if q["date"].replace("/", "-") < SPLIT]  # the held-out half is never kept


class FixedEmbedder:
    """The product's embedder, except that the query text embeds to a given vector."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.override: dict[str, np.ndarray] = {}

    def embed(self, texts: Any) -> np.ndarray:
        if len(texts) == 1 and texts[0] in self.override:
            return self.override[texts[0]][None, :]
        return self.inner.embed(texts)


def expanded_search(keyword: Any, extra: list[str], weight: float) -> tuple[Any, Any]:
    """keyword.search / keyword.search_articles with `extra` terms added at `weight`."""
    import tantivy

    from rag.keyword import ARTICLE_SCHEMA, SCHEMA, _filtered
    from rag.text import terms

    def run(searcher: Any, schema: Any, query: str, k: int, filters: Any) -> list[tuple[str, float]]:
        tokens = list(dict.fromkeys(terms(query)))
        more = [t for t in dict.fromkeys(extra) if t not in tokens]
        if not tokens or k <= 0:
            return []
        clauses = [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", t)) for t in tokens]
        clauses += [(tantivy.Occur.Should, tantivy.Query.boost_query(tantivy.Query.term_query(schema, "body", t), weight))
                    for t in more]
        hits = searcher.search(_filtered(tantivy.Query.boolean_query(clauses), filters, schema), k, count=False).hits
        return [(searcher.doc(address)["id"][0], float(score)) for score, address in hits]

    def search(query: str, k: int, filters: Any = None) -> list[tuple[str, float]]:
        return run(keyword._searcher, SCHEMA, query, k, filters)

    def search_articles(query: str, k: int, filters: Any = None) -> list[tuple[str, float]]:
        return run(keyword._article_searcher, ARTICLE_SCHEMA, query, k, filters)

    return search, search_articles


def distinctive_terms(rag: Any, query: str, passages: list[Any], n: int) -> list[str]:
    from rag.sync import keyword_text
    from rag.text import terms

    asked = set(terms(query))
    tf = Counter(t for p in passages for t in terms(keyword_text(p.chunk)) if t not in asked)
    scored = {t: c * rag.keyword.idf(t) for t, c in tf.items()}
    return [t for t, _ in sorted(scored.items(), key=lambda p: (-p[1], p[0]))[:n]]


def vectors_of(rag: Any, ids: list[str]) -> np.ndarray:
    got = rag.store._collection.get(ids=ids, include=["embeddings"])
    by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
    return np.array([by_id[i] for i in ids if i in by_id], dtype=np.float32)


def articles(passages: list[Any]) -> list[str]:
    return list(dict.fromkeys(p.chunk.article_id for p in passages))


VARIANTS: dict[str, dict[str, Any]] = {
    **{f"dense m={m} beta={b}": {"m": m, "beta": b} for m in (3, 5) for b in (0.3, 0.5, 1.0)},
    **{f"bm25 +{n} terms w=0.5": {"terms": n, "weight": 0.5} for n in (5, 10)},
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=Path, default=Path("/work/shared/bench/realtimeqa/questions.jsonl"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--only", default="", help="comma-separated variant names (default: all)")
    ap.add_argument("--extra", default="", help='JSON dict of more variants, e.g. {"both": {"m":5,"beta":0.5,"terms":5,"weight":0.5}}')
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()

    from rag.bench import retrieval_metrics
    from rag.pipeline import Rag
    from rag.settings import Settings

    variants = dict(VARIANTS)
    if args.only:
        variants = {k: v for k, v in variants.items() if k in args.only.split(",")}
    variants.update(json.loads(args.extra) if args.extra else {})

    questions = tune_questions(args.questions)[: args.limit or None]
    rag = Rag(Settings())
    retriever = rag.retriever
    fixed = FixedEmbedder(rag.embedder)
    retriever.embedder = fixed
    retriever.search(questions[0]["question"], FETCH)  # warm-up: model, HNSW, BM25
    print(f"{len(questions)} tune questions; settings fetch_k={retriever.fetch_k} bm25={retriever.bm25_weight} "
          f"article={retriever.article_weight} recency={retriever.recency_weight} lead={retriever.lead_weight} "
          f"digest={retriever.digest_weight}", flush=True)

    rankings: dict[str, dict[str, list[list[str]]]] = {}
    added: dict[str, list[float]] = {name: [] for name in variants}
    base_ms: list[float] = []
    golds = [set(q["gold_ids"]) for q in questions]
    for i, q in enumerate(questions):
        text = q["question"]
        for as_of in (False, True):
            key = "as of" if as_of else "no date"
            scope = rag.scope(text, date.fromisoformat(q["date"].replace("/", "-")) if as_of else None)
            fixed.override.clear()
            started = time.perf_counter()
            qvec = fixed.inner.embed([text])[0]
            fixed.override[text] = qvec
            first = retriever.search(text, FETCH, scope=scope)
            base_ms.append((time.perf_counter() - started) * 1000)
            rankings.setdefault("baseline", {}).setdefault(key, []).append(articles(first))
            for name, v in variants.items():
                started = time.perf_counter()
                if "m" in v:
                    pool = first
                    if v.get("distinct"):  # the best passage of each of the top m articles
                        pool = list({p.chunk.article_id: p for p in reversed(first)}.values())[::-1]
                        pool = sorted(pool, key=lambda p: -p.score)
                    fb = vectors_of(rag, [p.chunk.id for p in pool[: v["m"]]])
                    new = qvec + v["beta"] * fb.mean(axis=0) if len(fb) else qvec
                    fixed.override[text] = (new / np.linalg.norm(new)).astype(np.float32)
                patched = "terms" in v
                if patched:
                    extra = distinctive_terms(rag, text, first[:3], v["terms"])
                    rag.keyword.search, rag.keyword.search_articles = expanded_search(rag.keyword, extra, v["weight"])
                try:
                    second = retriever.search(text, FETCH, scope=scope)
                finally:
                    fixed.override[text] = qvec
                    if patched:
                        del rag.keyword.search, rag.keyword.search_articles
                added[name].append((time.perf_counter() - started) * 1000)
                rankings.setdefault(name, {}).setdefault(key, []).append(articles(second))
        if (i + 1) % 20 == 0 or i + 1 == len(questions):
            done = i + 1
            line = [f"[{done}/{len(questions)}]"]
            for name in ["baseline", *variants]:
                m0 = retrieval_metrics(rankings[name]["no date"], golds[:done])["mrr@10"]
                m1 = retrieval_metrics(rankings[name]["as of"], golds[:done])["mrr@10"]
                line.append(f"{name}: {m0:.3f}/{m1:.3f}")
            print("  ".join(line), flush=True)

    table = {}
    for name in ["baseline", *variants]:
        row = {}
        for key in ("no date", "as of"):
            row[key] = retrieval_metrics(rankings[name][key], golds)
        row["added_ms_p50"] = round(statistics.median(added[name]), 1) if name in added else 0.0
        table[name] = row
    lines = ["| variant (tune half, n=%d) | no date H@1 | H@10 | MRR@10 | as of H@1 | H@10 | MRR@10 | added ms p50 |" % len(questions),
             "|---|---|---|---|---|---|---|---|"]
    for name, row in table.items():
        a, b = row["no date"], row["as of"]
        lines.append(f"| {name} | {a['hits@1']:.3f} | {a['hits@10']:.3f} | {a['mrr@10']:.3f} | {b['hits@1']:.3f} | "
                     f"{b['hits@10']:.3f} | {b['mrr@10']:.3f} | {row['added_ms_p50']} |")
    lines.append("")
    lines.append(f"baseline search (k=40, embedding included) p50 ms: {statistics.median(base_ms):.1f}")
    md = "\n".join(lines) + "\n"
    print(md)
    args.out.write_text(json.dumps({"variants": variants, "table": table, "questions": [q["id"] for q in questions],
                                    "rankings": rankings}, indent=1))
    args.out.with_suffix(".md").write_text(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
