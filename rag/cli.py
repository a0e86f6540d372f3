"""`rag`: the command line, a thin shell over the Python API.

Every command calls public functions of `rag` and turns a RagError into one line on stderr
(exit status 1) that says what to do next.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from rag import generators
from rag.errors import RagError
from rag.types import Answer, Filters, IndexReport, parse_day, quoted

if TYPE_CHECKING:  # generic only in the type stubs
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 0
    try:
        return int(args.run(args) or 0)
    except RagError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Cited answers about a corpus of news articles.")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    _index_parser(commands)
    _ask_parser(commands)
    _list_parser(commands)
    _ui_parser(commands)
    _eval_parser(commands)
    _bench_parser(commands)
    _serve_check_parser(commands)
    return parser


def _command(commands: Commands, name: str, run: Callable[[argparse.Namespace], int | None],
             help_text: str) -> argparse.ArgumentParser:
    sub = commands.add_parser(name, help=help_text, description=help_text)
    sub.set_defaults(run=run)
    return sub


# -- index --------------------------------------------------------------------------------------

def _index_parser(commands: Commands) -> None:
    sub = _command(commands, "index", _index, "Add or update articles from files and folders "
                   "(.txt, .md, .html, .jsonl, .jsonl.gz), or remove articles by id.")
    sub.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to index")
    sub.add_argument("--remove", nargs="+", metavar="ARTICLE_ID", help="take these articles out of the index")
    sub.add_argument("--rebuild", action="store_true", help="drop the index and build it again from PATHs")


def _index(args: argparse.Namespace) -> int:
    import rag

    if args.remove:
        report = rag.remove(args.remove)
        print(f"{report.articles} articles removed ({report.removed} chunks)")
        return 0
    if not args.paths:
        raise RagError("Give at least one file or folder to index (or --remove ARTICLE_ID).")
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("indexing", total=None)
        report = rag.default().index(
            args.paths, rebuild=args.rebuild,
            progress=lambda n, aid: bar.update(task, description=f"indexing {n} articles: {aid}"),
        )
    _print_report(report)
    return 1 if report.errors and not report.articles else 0


def _print_report(report: IndexReport) -> None:
    """The library's summary on stdout; each skipped file on a line of its own on stderr."""
    print(replace(report, errors=()).summary())
    for error in report.errors:
        print(f"skipped: {error}", file=sys.stderr)


# -- ask ----------------------------------------------------------------------------------------

def _ask_parser(commands: Commands) -> None:
    sub = _command(commands, "ask", _ask, "Answer a question from the indexed articles, with sources.")
    sub.add_argument("question", help="the question, in quotes")
    sub.add_argument("-k", type=int, default=None, help="number of passages to retrieve")
    sub.add_argument("--generator", choices=generators.names(), help="override RAG_GENERATOR")
    sub.add_argument("--article", action="append", default=[], help="only this article id (repeatable)")
    sub.add_argument("--outlet", default="", help="only articles from this outlet")
    sub.add_argument("--since", "--from", dest="since", metavar="DATE",
                     help="only articles published on or after DATE (YYYY-MM-DD)")
    sub.add_argument("--until", "--to", dest="until", metavar="DATE",
                     help="only articles published on or before DATE (YYYY-MM-DD)")
    sub.add_argument("--as-of", dest="as_of", metavar="DATE",
                     help="answer as of DATE (YYYY-MM-DD): later articles are not used, recent ones count more")
    sub.add_argument("--json", action="store_true", help="print the answer as JSON (the fields of /ask)")


def _ask(args: argparse.Namespace) -> int:
    import rag

    filters = Filters.parse(args.outlet, args.since, args.until, tuple(args.article))
    as_of = _as_of(args.as_of)
    stream = rag.answer_stream(args.question, k=args.k, filters=filters, generator=args.generator, as_of=as_of)
    live = sys.stdout.isatty() and generators.is_language_model(stream.generator_name) and not args.json
    for piece in stream:
        if live:
            print(piece, end="", flush=True)
    if live:
        print("\r\033[J", end="")  # the verified text replaces the raw stream
    answer = stream.answer
    print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2) if args.json else format_answer(answer, args.question))
    return 0


def _as_of(text: str | None) -> date | None:
    return parse_day(text, "as of")


def format_answer(answer: Answer, question: str = "", width: int = 100) -> str:
    """The answer, why it says no, and its sources; first the question that was searched when it
    is not the one asked (a slip mended: "abuot" -> "about"), as the UI shows it."""
    searched = [f"Searched for: “{answer.query}”", ""] if question and answer.query not in ("", question) else []
    lines = [*searched, textwrap.fill(answer.text, width)]
    if answer.refused and answer.note:
        lines += ["", textwrap.fill(answer.note, width)]  # a paragraph of its own: why it says no
    lines += ["", "Closest passages (not taken as an answer):"] if answer.closest else []
    for near in answer.closest:  # not sources: nothing is claimed from them
        where = ", ".join(x for x in (near.outlet, near.dated) if x)
        lines += [f"    {near.title or near.article_id} ({where})  {near.article_id}:{near.start}-{near.end}",
                  textwrap.indent(textwrap.fill(quoted(near.quote), width - 8), "        ")]
    if answer.citations:
        lines += ["", "Sources:"]
    for c in answer.citations:
        mark = "" if c.verified else "  (UNVERIFIED: the passage does not clearly support this)"
        meta = ", ".join(x for x in (c.outlet, c.dated) if x)
        lines.append(f"[{c.number}] {c.title or c.article_id} ({meta})  {c.article_id}:{c.start}-{c.end}{mark}")
        if c.url:
            lines.append(f"    {c.url}")
        lines.append(textwrap.indent(textwrap.fill(quoted(c.quote), width - 4), "    "))
    return "\n".join(lines)


# -- list / ui / eval / bench -------------------------------------------------------------------

def _list_parser(commands: Commands) -> None:
    _command(commands, "list", _list, "List the indexed articles.")


def _list(args: argparse.Namespace) -> int:
    import rag

    for a in rag.articles():
        print(f"{a.id}\t{a.dated}\t{a.outlet or '-'}\t{a.chunks} chunks\t{a.title}")
    return 0


def _ui_parser(commands: Commands) -> None:
    sub = _command(commands, "ui", _ui, "Start the chat UI in the browser (127.0.0.1 unless --host).")
    sub.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    sub.add_argument("--port", type=int, default=7860, help="port (default 7860)")


def _ui(args: argparse.Namespace) -> int:
    import rag
    from ui.app import launch

    settings = rag.Settings()
    print(f"Opening the index in {settings.data_dir} ...", flush=True)
    instance = rag.Rag(settings)
    seeded = instance.ensure_default_corpus()
    if seeded is not None:
        print(f"indexed the {seeded.articles} built-in articles ({seeded.added} passages); add your own with "
              "`rag index PATH` or the Articles tab", flush=True)
    print(f"Starting the chat UI on http://{args.host}:{args.port} (Ctrl+C stops it)", flush=True)
    launch(host=args.host, port=args.port, rag=instance)
    return 0


def _eval_parser(commands: Commands) -> None:
    sub = _command(commands, "eval", _eval, "Score retrieval, answers and citations on a JSONL question set.")
    sub.add_argument("file", type=Path, help="questions (the format of eval/dev.jsonl)")
    sub.add_argument("--generator", choices=generators.names(), help="override RAG_GENERATOR")
    sub.add_argument("--json", type=Path, help="also write the full results as JSON here")
    sub.add_argument("--limit", type=int, help="only the first N questions")
    sub.add_argument("--llm-judge", action="store_true",
                     help="also judge citations with the language model (slow; a small model judges poorly)")
    sub.add_argument("--replay-history", action="store_true",
                     help="ask a follow-up after our own answers to its history's questions, not the file's answers")


def _eval(args: argparse.Namespace) -> int:
    from rag.evaluate import main as run_eval

    return run_eval(args)


def _bench_parser(commands: Commands) -> None:
    sub = _command(commands, "bench", _bench, "Benchmark indexing, retrieval and answers on RealTimeQA.")
    sub.add_argument("path", type=Path, help="folder with articles.jsonl.gz and questions.jsonl")
    sub.add_argument("--limit", type=int, help="only the first N articles' worth (quick runs)")
    sub.add_argument("--out", type=Path, default=Path("bench-results"), help="folder for JSON and markdown results")
    sub.add_argument("--generators", default="extractive", help="comma-separated generators to score on the questions")
    sub.add_argument("--as-of", choices=["none", "question"], default="none", dest="as_of",
                     help="'question': also ask each question as of its own date, and report both")
    sub.add_argument("--index", type=Path, help="reuse the index in this data dir (built by an earlier run or "
                                                "`RAG_DATA_DIR=DIR rag index articles.jsonl.gz`) instead of indexing")
    sub.add_argument("--embed-sample", type=_count, default=3000, metavar="N",
                     help="chunks in the embedding-only sample (default 3000; 0 = all)")
    sub.add_argument("--answer-limit", type=_count, default=0, metavar="N",
                     help="answer only the first N questions (default 0 = all)")
    sub.add_argument("--keep-index", action="store_true",
                     help="keep the index the bench built (its folder is printed), e.g. for --index later")


def _count(text: str) -> int:
    """argparse type: a whole number >= 0."""
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return int(text)


def _bench(args: argparse.Namespace) -> int:
    from rag.bench import main as run_bench

    return run_bench(args)


def _serve_check_parser(commands: Commands) -> None:
    sub = _command(commands, "serve-check", _serve_check, "Check that the configured store (embedded or "
                   "RAG_CHROMA_URL), embedding model and generator are reachable; exit 1 if one is not.")
    sub.add_argument("--generator", choices=generators.names(), help="override RAG_GENERATOR")


def _serve_check(args: argparse.Namespace) -> int:
    import rag

    results = rag.check(generator=args.generator)
    for r in results:
        print(f"{r.component:<10} {'ok' if r.ok else 'DOWN':<5} {r.detail}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
