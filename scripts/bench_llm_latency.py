"""Latency of the local chat models on short evidence prompts: the data for choosing the default.

    .venv/bin/python scripts/bench_llm_latency.py --out docs/results/llm-latency

For each model of rag.models.MODELS (or --models), loads the GGUF with llama_cpp.Llama(n_ctx=2048,
n_threads=2, n_batch=512) and, for each dev question, streams one chat completion (temperature 0,
at most 120 tokens) for a prompt of a fixed system message and a user message holding six
evidence sentences and the question. The evidence is picked crudely, as a latency benchmark
may: the six sentences of the gold article (for an unanswerable question, of the article whose
best six sentences overlap it most) that share the most stemmed words with the question, in
article order. Recorded per question: prompt tokens (and how many llama.cpp reused from its
KV cache), time to first token, total time, tokens generated, the answer text.

Each question is asked of every (model, mode) pair in turn, so that a change in the load of this
shared machine falls on all pairs alike; each pair has its own Llama object. The modes (--modes):
  auto      llama-cpp-python's own prefix reuse: `Llama.generate` keeps the KV cache of the
            longest prefix the new prompt shares with the previous one (here the system message)
  reset     `Llama.reset()` before each question: the whole prompt is evaluated every time
  ramcache  `Llama.set_cache(LlamaRAMCache())`: a state snapshot is saved after every answer and
            restored when it shares a longer prefix with the new prompt than the live context does
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag import Settings  # noqa: E402
from rag.bench import machine  # noqa: E402
from rag.clean import clean  # noqa: E402
from rag.load import load_paths  # noqa: E402
from rag.models import MODELS, local_model  # noqa: E402
from rag.text import sentences, terms  # noqa: E402

REFUSAL = "The articles don't say."
# The rules sit in the user message, after the evidence: with them in the system message (and the
# refusal sentence said twice) the 1.5B model refused even "Who contributed reporting from Munich?"
# when the evidence named her. The system message is fixed, so llama.cpp reuses its KV cache.
SYSTEM = "You answer questions about news articles using only the evidence sentences the user gives you. " \
         "You never use outside knowledge."
USER = "Evidence:\n{evidence}\n\n{earlier}Question: {question}\n\nAnswer the question briefly and directly in one " \
       "to three sentences, using only the evidence above. Do not add citation markers. If the evidence does not " \
       f"contain the answer, reply exactly: {REFUSAL}"
MARKER = re.compile(r" ?\[\d+\]")  # citation markers in the dev set's earlier answers
MODES = ("auto", "reset", "ramcache")


def main() -> int:
    args = _parser().parse_args()
    names = args.models.split(",")
    modes = args.modes.split(",")
    for name in names:
        if name not in MODELS:
            sys.exit(f"Unknown model {name!r}; choose from {', '.join(MODELS)}.")
    for mode in modes:
        if mode not in MODES:
            sys.exit(f"Unknown mode {mode!r}; choose from {', '.join(MODES)}.")
    items = prompts(Path(args.corpus), Path(args.questions), args.sentences)[: args.limit or None]
    models_dir = Path(args.models_dir) if args.models_dir else Settings().models_dir
    result: dict[str, Any] = {
        "machine": machine(), "uptime_start": _uptime(), "llama_cpp": _llama_version(),
        "config": {"n_ctx": args.n_ctx, "n_threads": args.threads, "n_batch": args.n_batch, "temperature": 0,
                   "max_tokens": args.max_tokens, "evidence_sentences": args.sentences, "system": SYSTEM,
                   "user_template": USER},
        "questions": [{k: v for k, v in item.items() if k != "messages"} for item in items],
    }
    result["models"] = run({name: local_model(models_dir, name) for name in names}, items, modes, args)
    result["uptime_end"] = _uptime()
    text = markdown(result)
    print(text)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "latency.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (out / "latency.md").write_text(text, encoding="utf-8")
    return 0


# -- prompts -----------------------------------------------------------------------------------


def prompts(corpus: Path, questions: Path, n_sentences: int) -> list[dict[str, Any]]:
    """One chat prompt per dev question, with the evidence picked lexically."""
    articles: dict[str, list[str]] = {}
    for raw in load_paths([corpus]):
        if isinstance(raw, str):
            continue
        article = clean(raw)
        seen: list[str] = []
        for start, end in article.body:
            for _, _, sentence in sentences(raw.text[start:end]):
                if sentence not in seen and len(terms(sentence)) >= 3:
                    seen.append(sentence)
        articles[raw.id] = seen
    items = []
    for line in questions.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        q = json.loads(line)
        # A follow-up ("Since when was that his first visit?") reads with the turn before it.
        asked = " ".join([turn[0] for turn in q.get("history", [])] + [q["question"]])
        doc = q.get("doc") or max(articles, key=lambda a: sum(_best(articles[a], asked, n_sentences).values()))
        picked = _best(articles[doc], asked, n_sentences)
        evidence = [s for s in articles[doc] if s in picked]
        earlier = "".join(f"Earlier question: {u}\nEarlier answer: {MARKER.sub('', a)}\n" for u, a in q.get("history", []))
        user = USER.format(evidence="\n".join(f"- {s}" for s in evidence), earlier=earlier, question=q["question"])
        items.append({"id": q["id"], "question": q["question"], "doc": doc, "unanswerable": bool(q.get("unanswerable")),
                      "answer_any": q.get("answer_any", []), "evidence": evidence,
                      "gold_in_evidence": bool(q.get("evidence")) and q["evidence"] in " ".join(evidence),
                      "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]})
    return items


def _best(candidates: list[str], question: str, n: int) -> dict[str, int]:
    """The `n` sentences sharing the most stemmed content words with the question, with that count."""
    wanted = set(terms(question))
    scored = sorted(candidates, key=lambda s: -len(wanted & set(terms(s))))[:n]
    return {s: len(wanted & set(terms(s))) for s in scored}


# -- measuring ---------------------------------------------------------------------------------


def run(paths: dict[str, Path], items: list[dict[str, Any]], modes: list[str],
        args: argparse.Namespace) -> dict[str, Any]:
    """Every question is asked of every (model, mode) pair in turn, each pair with its own Llama
    object (the weights are mmapped, so the copies share memory): a change in the machine's load
    during the run then falls on all pairs alike instead of on whichever ran last."""
    from llama_cpp import Llama, LlamaRAMCache

    runs: dict[str, Any] = {}
    llms: dict[tuple[str, str], tuple[Any, dict[str, Any]]] = {}
    for name, path in paths.items():
        loads = []
        for mode in modes:
            started = time.perf_counter()
            llm = Llama(model_path=str(path), n_ctx=args.n_ctx, n_threads=args.threads, n_batch=args.n_batch,
                        verbose=False)
            loads.append(round(time.perf_counter() - started, 3))
            if mode == "ramcache":
                llm.set_cache(LlamaRAMCache())
            llms[name, mode] = llm, _instrument(llm)
        meta = {k: llm.metadata.get(k) for k in ("general.name", "general.architecture", "general.file_type",
                                                 "qwen2.block_count", "qwen2.context_length")}
        print(f"{path.name}: loaded in {loads} s, {meta}", file=sys.stderr)
        runs[name] = {"file": path.name, "size_bytes": path.stat().st_size, "metadata": meta,
                      "load_s": loads[0], "load_s_each": loads, "runs": {mode: {"rows": []} for mode in modes}}
    for item in items:
        for (name, mode), (llm, calls) in llms.items():
            if mode == "reset":
                llm.reset()
            row = _ask(llm, item, calls, args.max_tokens)
            runs[name]["runs"][mode]["rows"].append(row)
            print(f"  {name[:20]} {mode:8} {item['id']} load {row['loadavg_1m']:4.2f} prompt {row['prompt_tokens']:3} "
                  f"(reused {row['reused_tokens']:3}) first {row['first_token_s']:5.2f} s total {row['total_s']:5.2f} s "
                  f"gen {row['generated_tokens']:3}  {row['text'][:60]!r}", file=sys.stderr)
    for (name, mode), (llm, _) in llms.items():
        llm.set_cache(None)
        llm.close()
        data = runs[name]["runs"][mode]
        data["summary"] = summary(data["rows"])
    return runs


def _instrument(llm: Any) -> dict[str, Any]:
    """Counts what each completion evaluates and samples, by wrapping the instance's own
    `eval` and `sample`: the first eval of a completion is its prompt (after prefix reuse,
    whose length is `n_tokens` at that moment); each sample is one generated token."""
    calls: dict[str, Any] = {"evals": [], "samples": 0}
    eval_, sample = llm.eval, llm.sample

    def counted_eval(tokens: Any) -> None:
        calls["evals"].append((llm.n_tokens, len(tokens)))
        eval_(tokens)

    def counted_sample(*a: Any, **kw: Any) -> Any:
        calls["samples"] += 1
        return sample(*a, **kw)

    llm.eval, llm.sample = counted_eval, counted_sample
    return calls


def _ask(llm: Any, item: dict[str, Any], calls: dict[str, Any], max_tokens: int) -> dict[str, Any]:
    calls["evals"].clear()
    calls["samples"] = 0
    loadavg_1m = round(os.getloadavg()[0], 2)
    first = None
    pieces = []
    finish = None
    started = time.perf_counter()
    for chunk in llm.create_chat_completion(messages=item["messages"], stream=True, temperature=0.0,
                                            max_tokens=max_tokens):
        choice = chunk["choices"][0]
        delta = choice.get("delta", {}).get("content")
        if delta:
            if first is None:
                first = time.perf_counter() - started
            pieces.append(delta)
        finish = choice.get("finish_reason") or finish
    total = time.perf_counter() - started
    reused, evaluated = calls["evals"][0] if calls["evals"] else (0, 0)
    # Every sampled token is generated text except a final end-of-turn token.
    generated = calls["samples"] - (1 if finish == "stop" else 0)
    text = "".join(pieces).strip()
    first = first if first is not None else total
    return {"id": item["id"], "loadavg_1m": loadavg_1m, "prompt_tokens": reused + evaluated, "reused_tokens": reused,
            "evaluated_prompt_tokens": evaluated, "first_token_s": round(first, 3), "total_s": round(total, 3),
            "generated_tokens": generated, "finish_reason": finish,
            "prompt_tok_per_s": round(evaluated / first, 1) if first else None,
            "gen_tok_per_s": round((generated - 1) / (total - first), 1) if generated > 1 and total > first else None,
            "text": text, "refused": REFUSAL.lower().rstrip(".") in text.lower(),
            "names_gold": any(a.lower() in text.lower() for a in item["answer_any"])}


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def med(key: str) -> float | None:
        values = [r[key] for r in rows if r[key] is not None]
        return round(statistics.median(values), 3) if values else None

    return {"n": len(rows), "first_token_s": med("first_token_s"), "total_s": med("total_s"),
            "prompt_tokens": med("prompt_tokens"), "evaluated_prompt_tokens": med("evaluated_prompt_tokens"),
            "generated_tokens": med("generated_tokens"), "prompt_tok_per_s": med("prompt_tok_per_s"),
            "gen_tok_per_s": med("gen_tok_per_s"), "loadavg_1m": med("loadavg_1m")}


# -- report ------------------------------------------------------------------------------------


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        "# Local model latency on short evidence prompts", "",
        f"- machine: {m['cpus']} cores, {m['cpu_model']}, {m['memory_gb']} GB RAM; llama-cpp-python "
        f"{result['llama_cpp']}; n_ctx {result['config']['n_ctx']}, n_threads {result['config']['n_threads']}, "
        f"n_batch {result['config']['n_batch']}, temperature 0, max_tokens {result['config']['max_tokens']}",
        f"- `uptime` at start: `{result['uptime_start']}`",
        f"- `uptime` at end: `{result['uptime_end']}`",
        f"- {len(result['questions'])} questions from the dev set, {result['config']['evidence_sentences']} "
        "evidence sentences each; medians per model and mode", "",
        "| model | mode | load s | prompt tokens (evaluated) | first token s | total s | tokens generated "
        "| prompt tok/s | gen tok/s | load avg | named gold / answerable | refused / unanswerable |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    unanswerable = {q["id"] for q in result["questions"] if q["unanswerable"]}
    for name, run in result["models"].items():
        for mode, data in run["runs"].items():
            s, rows = data["summary"], data["rows"]
            gold = sum(r["names_gold"] for r in rows if r["id"] not in unanswerable)
            refused = sum(r["refused"] for r in rows if r["id"] in unanswerable)
            lines.append(f"| {name} | {mode} | {run['load_s']:.2f} | {s['prompt_tokens']:.0f} "
                         f"({s['evaluated_prompt_tokens']:.0f}) | {s['first_token_s']:.2f} | {s['total_s']:.2f} "
                         f"| {s['generated_tokens']:.0f} | {s['prompt_tok_per_s']} | {s['gen_tok_per_s']} "
                         f"| {s['loadavg_1m']} "
                         f"| {gold}/{len(rows) - len(unanswerable)} | {refused}/{len(unanswerable)} |")
    lines += ["", "load s: seconds to construct the first Llama object of the model (the later ones, one per mode, "
              "find the file in the page cache). load avg: median 1-minute load average as each question started. "
              "\"named gold\" is a string check (an `answer_any` string appears in the answer), not a judgement of "
              "correctness.", ""]
    for name, run in result["models"].items():
        texts = [[r["text"] for r in data["rows"]] for data in run["runs"].values()]
        same = sum(len(set(answers)) == 1 for answers in zip(*texts))
        lines.append(f"- {name}: the answer text is the same in every mode for {same} of {len(texts[0])} questions")
    lines.append("")
    for name, run in result["models"].items():
        first_mode = next(iter(run["runs"]))
        lines += [f"## {name} ({run['file']}, {run['size_bytes']:,} bytes, general.name "
                  f"{run['metadata'].get('general.name')!r}): answers in mode {first_mode}", "",
                  "| id | question | answer in evidence | first s | total s | tokens | answer |",
                  "| --- | --- | --- | ---: | ---: | ---: | --- |"]
        questions = {q["id"]: q for q in result["questions"]}
        for r in run["runs"][first_mode]["rows"]:
            q = questions[r["id"]]
            held = "unanswerable" if q["unanswerable"] else "yes" if q["gold_in_evidence"] else "no"
            lines.append(f"| {r['id']} | {_cell(q['question'])} | {held} | {r['first_token_s']:.2f} | {r['total_s']:.2f} "
                         f"| {r['generated_tokens']} | {_cell(r['text'])} |")
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _llama_version() -> str:
    import llama_cpp

    return str(llama_cpp.__version__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="qwen2.5-coder-1.5b-instruct,qwen2.5-coder-0.5b-instruct",
                        help="comma-separated names from rag.models.MODELS")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, from {', '.join(MODES)}")
    parser.add_argument("--questions", default="/work/shared/eval/dev.jsonl")
    parser.add_argument("--corpus", default="/work/shared/corpus")
    parser.add_argument("--models-dir", help="where the GGUF files are assembled (default: the data folder's)")
    parser.add_argument("--limit", type=int, default=0, help="first N questions only")
    parser.add_argument("--sentences", type=int, default=6, help="evidence sentences per question")
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n-batch", type=int, default=512)
    parser.add_argument("--max-tokens", type=int, default=120)
    parser.add_argument("--out", help="folder for latency.json and latency.md")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
