"""The data path, wired in one place and readable top to bottom:

    index:  load -> clean -> chunk -> embed -> store (+ keyword index)
    answer: condense -> retrieve -> rank evidence sentences -> can they answer? (else refuse)
            -> generate (extractive, or a model phrasing the best evidence) -> attribute and
            verify each sentence -> Answer (the extractive answer if a model's does not verify)

`Rag` holds the backends (embedder, store, keyword index, generator), each passed in or
built from `Settings`. The module-level functions in `rag/__init__.py` use one shared `Rag`.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from rag import generators, when
from rag.chunk import Chunker
from rag.condense import Condenser, History, KeywordCondenser, LLMCondenser
from rag.embed import Embedder, make_embedder, vocabulary
from rag.errors import QuestionError
from rag.evidence import (
    SentenceRanker,
    corpus_text,
    diversify,
    render,
    render_corpus,
    tidy,
)
from rag.indexer import Indexer, Progress
from rag.judge import Verdict, judge
from rag.keyword import KeywordIndex
from rag.retrieve import HybridRetriever
from rag.settings import MAX_K, Settings
from rag.spelling import mend
from rag.sync import KeywordSync, read_chunks
from rag.synthesis import SynthesisDetector, asks_overview, leads, opening
from rag.text import is_credit
from rag.types import (
    REFUSAL,
    Answer,
    ArticleInfo,
    Chunk,
    Citation,
    Excerpt,
    Filters,
    Generator,
    IndexReport,
    Passage,
    Prompt,
    TimeScope,
)
from rag.verify import excerpt, verify
from vectorstore import IndexSpec, VectorStore, open_store

# Sentences shown under a "not_answered" refusal, best first. Of the 57 answerable questions refused
# on question sets 1-17, a sentence of the right article with the answer words was the best-ranked for
# 20, among the best two for 28, among the best three for 30: a second is worth showing, a third is not.
CLOSEST = 2
CLOSEST_WORDS = 5  # a shorter "sentence" is a fragment, which shows nothing


def default_corpus() -> Path:
    """The five seed articles shipped inside the package."""
    return Path(str(resources.files("rag") / "corpus"))


class Rag:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        store: VectorStore | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.embedder = embedder or make_embedder(self.settings)
        self.chunker = Chunker(self.settings.chunk_size, self.settings.chunk_overlap)
        spec = IndexSpec(self.embedder.name, self.embedder.dim, self.chunker.version)
        self.store = store or open_store(self.settings, spec)
        self.keyword = KeywordIndex(self.settings.keyword_dir / self.settings.collection)
        # With an embedded store every writer runs on this machine and shares this lock file.
        self.sync = KeywordSync(self.keyword, self.store, self.settings.keyword_dir / f"{self.settings.collection}.writers",
                                local_writers=store is None and not self.settings.chroma_url)
        self.retriever = HybridRetriever(
            store=self.store, keyword=self.keyword, embedder=self.embedder, sync=self.sync,
            k=self.settings.top_k, fetch_k=self.settings.fetch_k,
            bm25_weight=self.settings.bm25_weight, article_weight=self.settings.article_weight,
            recency_weight=self.settings.recency_weight,
            recency_half_life=self.settings.recency_half_life, recent_days=self.settings.recent_days,
            digest_weight=self.settings.digest_weight, lead_weight=self.settings.lead_weight,
        )
        self.indexer = Indexer(self.store, self.embedder, self.chunker, self.keyword, self.sync,
                               self.settings.max_article_chars)
        self._ranker = SentenceRanker(self.keyword.idf, self.embedder.embed, self.keyword.knows)
        self._synthesis = SynthesisDetector(self.embedder.embed, self.embedder.name)
        self._generators: dict[str, Generator] = {}
        self._corpus_cache = ("", "")  # (the keyword index's state, corpus_text or "")
        self._warming = threading.Event()
        if generator is not None:
            self._generators[generator.name] = generator

    # -- indexing ---------------------------------------------------------------------------------

    def index(self, paths: str | Path | Iterable[str | Path], progress: Progress | None = None,
              rebuild: bool = False) -> IndexReport:
        """Add or update the articles under `paths` (see `Indexer.index`)."""
        return self.indexer.index(paths, progress, rebuild)

    def remove(self, article_ids: str | Sequence[str]) -> IndexReport:
        """Take articles out of the index (see `Indexer.remove`)."""
        return self.indexer.remove(article_ids)

    def articles(self) -> list[ArticleInfo]:
        return self.store.articles()

    def article_chunks(self, article_id: str) -> list[Chunk]:
        """All stored chunks of one article, in text order (none when it is not indexed). The
        index keeps an article only as its chunks: the text cleaning dropped is not stored."""
        ids = sorted(self.store.ids_of(article_id)) if article_id else []
        return sorted(read_chunks(self.store, ids), key=lambda c: c.start)

    def ensure_default_corpus(self) -> IndexReport | None:
        """Index the built-in articles the first time an empty index is used."""
        marker = self.settings.data_dir / f".seeded-{self.settings.collection}"
        if marker.exists() or self.store.count() > 0:
            return None
        report = self.index([default_corpus()])
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
        return report

    # -- answering --------------------------------------------------------------------------------

    def retrieve(self, query: str, k: int | None = None, filters: Filters | None = None,
                 scope: TimeScope | None = None) -> list[Passage]:
        return self.retriever.search(query, k, filters, scope)

    def scope(self, question: str, as_of: date | None = None) -> TimeScope:
        """The question's time: `as_of` and the range its time words name, resolved against
        `as_of`, or without it against today. (Not the newest indexed article's date: on
        RealTimeQA, whose questions were asked on their own dates, that loses MRR@10, while
        against today an archive's articles are all equally old and nothing changes;
        docs/benchmarks.md, session 5.)"""
        return when.scope(question, as_of, date.today())

    def stream(self, question: str, history: History | None = (), *, k: int | None = None,
               filters: Filters | None = None, generator: str | None = None,
               as_of: date | None = None) -> AnswerStream:
        """Retrieve now, generate lazily: iterate for text pieces, then read `.answer`.
        `as_of`: answer as of that day: articles published after it are not used."""
        question = mend(self._check_question(question), self.keyword.knows, vocabulary())
        if k is not None and not 1 <= k <= MAX_K:
            raise QuestionError(f"k (passages to retrieve) must be between 1 and {MAX_K}; got {k}.")
        if as_of is not None and not isinstance(as_of, date):
            raise QuestionError(f"as_of must be a date (YYYY-MM-DD); got {as_of!r}.")
        gen = self.generator(generator)
        started = time.perf_counter()
        recent = _recent(history, self.settings.max_question_chars)
        # A filter or a date leaves articles out: then a model gets the best excerpts, not every article.
        whole = generators.is_language_model(gen.name) and not filters and as_of is None
        corpus = self._corpus() if whole else ""
        query = self._condenser(gen, corpus).condense(question, recent)
        timings = {"condense": time.perf_counter() - started}
        scope = self.scope(query, as_of)
        said = recent[-1][1] if recent else ""  # the last answer: a follow-up asks beyond it
        prompt = self._evidence(query, k or self.settings.top_k, filters, scope, question, said)
        if corpus:
            prompt = render_corpus(prompt, corpus, question, recent)
        timings["retrieval"] = time.perf_counter() - started - timings["condense"]
        return AnswerStream(prompt, gen, self._verdict(prompt, filters), timings, started, self._fallback(), scope)

    def _evidence(self, query: str, k: int, filters: Filters | None, scope: TimeScope, asked: str = "",
                  said: str = "") -> Prompt:
        """Retrieve and rank the passages' sentences. A summary or comparison reaches across
        articles: each article's best passage comes before any article's second. `asked`: the
        question as typed (its slips mended); `said`: the last answer of the conversation."""
        synthesis = self._synthesis(query)
        if asks_overview(query, synthesis):
            return self._overview(query, k, filters, scope)
        found = self.retrieve(query, 2 * k if synthesis else k, filters, scope)
        passages = diversify(found, k) if synthesis else found
        ranked = self._ranker.rank(query, passages, per_article=3 if synthesis else 0, asked=asked, said=said)
        return render(query, passages, ranked, synthesis, self.settings.llm_excerpt_sentences)

    def _overview(self, query: str, k: int, filters: Filters | None, scope: TimeScope) -> Prompt:
        """The opening of each article a search for `query` reaches first (within the filters and
        the as-of date), one per article: "what are these articles about?" has no subject for
        sentences to match, and a story's own first sentence says what it is about."""
        found = diversify(self.retrieve(query, 2 * k, filters, scope), k)
        best = {p.chunk.article_id: p.score for p in reversed(found)}  # each article's best score
        first = {a: next((c for c in self.article_chunks(a) if opening(c.text)), None) for a in best}
        passages = sorted((Passage(chunk, best[a]) for a, chunk in first.items() if chunk), key=lambda p: -p.score)
        return render(query, passages, leads(passages), True, self.settings.llm_excerpt_sentences)

    def _verdict(self, prompt: Prompt, filters: Filters | None) -> Verdict:
        if len(self.keyword) == 0:
            return Verdict(False, "empty_index", "The index is empty. Add articles with `rag index PATH` "
                                                 "or in the Articles tab of the UI.")
        verdict = Verdict(True) if prompt.synthesis and prompt.evidence else \
            judge(prompt.question, prompt.evidence, self.keyword.knows, _context(prompt.passages),
                  self.keyword.resembles, vocabulary(), {p.chunk.outlet for p in prompt.passages})
        if filters and (filters.date_from or filters.date_to):  # counting scans every passage: only then
            return _with_undated(verdict, self.keyword.undated())
        return verdict

    def _fallback(self) -> Generator:
        return self.generator("extractive")

    def answer(self, question: str, history: History | None = (), **options: Any) -> Answer:
        stream = self.stream(question, history, **options)
        for _ in stream:
            pass
        return stream.answer

    def _check_question(self, question: str) -> str:
        if not isinstance(question, str) or not question.strip():
            raise QuestionError("The question is empty. Type a question about the articles.")
        cleaned = "".join(ch for ch in question if ch.isprintable() or ch in "\n\t").strip()
        if len(cleaned) > self.settings.max_question_chars:
            raise QuestionError(f"The question is {len(cleaned):,} characters long; keep it under "
                                f"{self.settings.max_question_chars:,}.")
        if not cleaned:
            raise QuestionError("The question has no readable characters. Type a question about the articles.")
        if not any(ch.isalnum() for ch in cleaned):  # "???" or "🙂": nothing to search for
            raise QuestionError("The question has no words in it. Type a question about the articles.")
        return cleaned

    def _condenser(self, gen: Generator, corpus: str = "") -> Condenser:
        """The model condenses a follow-up, unless it reads the articles: a condensing prompt
        would push them out of llama.cpp's cache, and that model sees the conversation anyway."""
        complete = getattr(gen, "complete", None)
        return LLMCondenser(complete) if complete and not corpus else KeywordCondenser()

    def warm_up(self, generator: str | None = None) -> bool:
        """Have a language model that reads every article evaluate them now, before the first
        question: minutes on a laptop CPU the first time (then saved, rag.generate). False when
        there is nothing to evaluate: no such model, or too many articles to read whole."""
        gen = self.generator(generator)
        complete = getattr(gen, "complete", None)
        corpus = self._corpus() if complete and generators.is_language_model(gen.name) else ""
        if complete is None or not corpus:
            return False
        self._warming.set()
        try:
            complete(render_corpus(Prompt("", []), corpus, "Reply OK.").messages, max_tokens=1)
        finally:
            self._warming.clear()
        return True

    @property
    def warming_up(self) -> bool:
        """Whether a language model is evaluating the articles now (`warm_up`): its first answer
        waits for that, so the UI says why."""
        return self._warming.is_set()

    def _corpus(self) -> str:
        """Every indexed article's text (`corpus_text`) when it fits in `corpus_prompt_chars`,
        else "". Built again only after the index changes."""
        limit = self.settings.corpus_prompt_chars
        if not limit or len(self.keyword) * self.settings.chunk_size > 2 * limit:  # an archive: not read at all
            return ""
        self.sync()
        key = repr(self.keyword.state)
        if self._corpus_cache[0] != key:
            text = corpus_text(self.store.get(self.keyword.ids).values())
            self._corpus_cache = (key, text if len(text) <= limit else "")
        return self._corpus_cache[1]

    def generator(self, name: str | None = None) -> Generator:
        name = name or self.settings.generator
        if name not in self._generators:
            self._generators[name] = self._make_generator(name)
        return self._generators[name]

    def _make_generator(self, name: str) -> Generator:
        return generators.make(name, self.settings, self)


def _with_undated(verdict: Verdict, undated: int) -> Verdict:
    """A date filter leaves out every article without a known date: say how many, so "the
    articles don't say" is not read as "no article says"."""
    if not undated:
        return verdict
    some = "1 article" if undated == 1 else f"{undated} articles"
    note = "No article in the date range is about this question." if verdict.refusal == "no_evidence" else verdict.note
    return replace(verdict, note=f"{note} The date filter left out {some} with no known date.".strip())


def _context(passages: Sequence[Passage]) -> str:
    """The passages' text with their titles and outlets: where an acronym of the question may be
    spelled out ("NYT": "The New York Times")."""
    return "\n".join(f"{p.chunk.title}\n{p.chunk.outlet}\n{p.chunk.text}" for p in passages)


def _recent(history: History | None, limit: int) -> History:
    """The last three turns, each cut to `limit` characters: condensing reads no more, and a
    history sent by an API client must not overflow a model's context whatever its size.
    None means no history."""
    return [(str(q)[:limit], str(a)[:limit]) for q, a in list(history or ())[-3:]]


class AnswerStream:
    """An answer being generated. Iterate it for text pieces as they arrive; afterwards
    `.answer` holds the verified `Answer`, whose text may differ from the raw stream
    (each sentence attributed to the passage sentence that supports it, unsupported ones
    dropped, or a refusal). When the passages cannot answer (`verdict`), no generator runs.
    When a language model's answer has no verifiable sentence, the extractive answer from
    the same evidence is used instead (`fallback`)."""

    def __init__(self, prompt: Prompt, generator: Generator, verdict: Verdict, timings: dict[str, float],
                 started: float, fallback: Generator | None = None, scope: TimeScope | None = None) -> None:
        self.prompt, self.query, self.passages, self.scope = prompt, prompt.question, prompt.passages, scope
        self._generator, self._verdict, self._fallback = generator, verdict, fallback
        self._timings, self._started = timings, started
        self._answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        raw: list[str] = []
        for piece in self._pieces():
            if not raw:
                self._timings["first_token"] = time.perf_counter() - self._started
            raw.append(piece)
            yield piece
        self._finish("".join(raw))

    def _pieces(self) -> Iterator[str]:
        if (fix := self._verdict.correction) is not None:  # what the articles say instead, cited
            return iter([f"{self._verdict.note} {tidy(fix.text, self.query)} [{fix.passage}]"])
        return self._generator.stream(self.prompt) if self._verdict.answerable else iter([REFUSAL])

    def _finish(self, raw: str) -> None:
        if self._verdict.correction is not None:
            return self._finish_correction(raw.removeprefix(self._verdict.note))
        text, citations = verify(raw, self.passages)
        name = self._generator.name
        if fallback := self._fallback_for(citations):
            text, citations = verify("".join(fallback.stream(self.prompt)), self.passages)
            name = f"{name} (extractive fallback)" if citations else name
        self._timings["total"] = time.perf_counter() - self._started
        refusal, note = self._refusal(citations)
        self._answer = Answer(text, citations, self.passages, self.query, refused=not citations,
                              generator=name, timings=self._timings, refusal=refusal, note=note, scope=self.scope,
                              closest=self._closest() if refusal == "not_answered" else [])

    def _finish_correction(self, claim: str) -> None:
        """The note on the premise, unverified because it is ours, then the cited sentence. No
        generator wrote it: it is the evidence sentence itself, hence "extractive"."""
        text, citations = verify(claim, self.passages)
        self._timings["total"] = time.perf_counter() - self._started
        note = self._verdict.note
        self._answer = Answer(f"{note} {text}" if citations else text, citations, self.passages, self.query,
                              refused=not citations, generator="extractive", timings=self._timings,
                              refusal="corrected" if citations else "not_answered", note=note, scope=self.scope,
                              closest=[] if citations else self._closest())

    def _closest(self) -> list[Excerpt]:
        """The CLOSEST sentences ranked best as an answer, to show under a "not_answered" refusal:
        when the question's words are not the articles' ("headcount" for "troops"), one often holds
        the answer all the same, and the reader can see so. Not a credit line, and not text injected
        into an article (`excerpt` declines it), nor a fragment ("Ukraine." split off a headline)."""
        shown = (excerpt(c.text, c.position, self.passages[c.passage - 1]) for c in self.prompt.evidence
                 if len(c.text.split()) >= CLOSEST_WORDS and not is_credit(c.text) and 0 < c.passage <= len(self.passages))
        return list(itertools.islice(filter(None, shown), CLOSEST))

    def _fallback_for(self, citations: list[Citation]) -> Generator | None:
        """The extractive generator when nothing the model wrote verified, or its summary does
        not draw on two articles: the extractive answer from the same evidence is better then."""
        if not self._verdict.answerable or self._fallback is None or self._fallback is self._generator:
            return None
        articles = {c.article_id for c in citations if c.verified}
        return self._fallback if not citations or (self.prompt.synthesis and len(articles) < 2) else None

    def _refusal(self, citations: list[Citation]) -> tuple[str, str]:
        if citations:
            return "", ""
        if not self._verdict.answerable:
            return self._verdict.refusal, self._verdict.note
        return "not_answered", f"The passages found are about the question, but none of them answers it. {self._verdict.note}".strip()

    @property
    def generator_name(self) -> str:
        return self._generator.name

    @property
    def answer(self) -> Answer:
        if self._answer is None:
            raise RuntimeError("Iterate the stream to the end before reading .answer")
        return self._answer
