"""The data path, wired in one place and readable top to bottom:

    index:  load -> clean -> chunk -> embed -> store (+ keyword index)
    answer: condense -> retrieve -> prompt -> generate -> verify citations -> Answer

`Rag` holds the backends (embedder, store, keyword index, generator), each passed in or
built from `Settings`. The module-level functions in `rag/__init__.py` use one shared `Rag`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from rag.chunk import Chunker
from rag.clean import clean
from rag.condense import Condenser, History, KeywordCondenser, LLMCondenser
from rag.embed import Embedder, make_embedder
from rag.errors import GeneratorUnavailable, QuestionError, RagError
from rag.generate import ExtractiveGenerator, Generator, LlamaCppGenerator, OpenAIGenerator, render
from rag.keyword import KeywordIndex
from rag.load import RawArticle, load_paths
from rag.retrieve import HybridRetriever, keyword_text, sync_keyword
from rag.settings import Settings
from rag.types import Answer, ArticleInfo, Chunk, Filters, IndexReport, Passage
from rag.verify import verify
from vectorstore import IndexSpec, VectorStore, open_store

Progress = Callable[[int, str], None]  # (articles done, current article id)
EMBED_BUFFER = 256  # chunks embedded and written together


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
        self.retriever = HybridRetriever(
            store=self.store, keyword=self.keyword, embedder=self.embedder,
            k=self.settings.top_k, fetch_k=self.settings.fetch_k, rrf_k=self.settings.rrf_k,
        )
        self._generators: dict[str, Generator] = {}
        if generator is not None:
            self._generators[generator.name] = generator
        self._write_lock = threading.Lock()

    # -- indexing ---------------------------------------------------------------------------------

    def index(self, paths: Iterable[str | Path], progress: Progress | None = None, rebuild: bool = False) -> IndexReport:
        """Add or update the articles under `paths`. Unchanged chunks are not re-embedded; a
        changed article's old chunks are replaced. Bad files and lines are reported in
        `IndexReport.errors` and skipped; the rest is indexed."""
        with self._write_lock:
            if rebuild:
                self.store.reset()
            self.store.bump_generation()  # readers now rebuild keyword search from the store
            try:
                return self._index(load_paths(list(paths)), progress)
            finally:
                self._refresh_keyword()

    def _index(self, items: Iterator[RawArticle | str], progress: Progress | None) -> IndexReport:
        existing = self._ids_by_article()
        report, pending, errors = IndexReport(), [], []
        for done, item in enumerate(items, start=1):
            if isinstance(item, str):
                errors.append(item)
                continue
            chunks = self.chunker.chunks(clean(item))
            report += self._plan(item.id, chunks, existing.get(item.id, set()), pending)
            if len(pending) >= EMBED_BUFFER:
                self._write(pending)
            if progress:
                progress(done, item.id)
        self._write(pending)
        return report + IndexReport(errors=tuple(errors))

    def _plan(self, article_id: str, chunks: list[Chunk], old: set[str], pending: list[Chunk]) -> IndexReport:
        """Queue new chunks for embedding, delete stale ones, and count what happens."""
        new = [c for c in chunks if c.id not in old]
        stale = old - {c.id for c in chunks}
        pending.extend(new)
        if stale:
            self._write(pending)  # new chunks first: a crash between the two leaves no gap
            self.store.delete(sorted(stale))
        unchanged = len(chunks) - len(new)
        if old:
            return IndexReport(updated=len(new), unchanged=unchanged, removed=len(stale), articles=1)
        return IndexReport(added=len(new), articles=1)

    def _write(self, pending: list[Chunk]) -> None:
        if pending:
            vectors = self.embedder.embed([keyword_text(c) for c in pending])
            self.store.upsert(pending, vectors)
            pending.clear()

    def _ids_by_article(self) -> dict[str, set[str]]:
        by_article: dict[str, set[str]] = {}
        for chunk in self.store.chunks():
            by_article.setdefault(chunk.article_id, set()).add(chunk.id)
        return by_article

    def _refresh_keyword(self) -> None:
        self.store.bump_generation()
        with self.retriever._lock:
            sync_keyword(self.keyword, self.store)

    def remove(self, article_ids: Sequence[str]) -> IndexReport:
        """Take articles out of the index. Unknown ids raise RagError naming them."""
        with self._write_lock:
            existing = self._ids_by_article()
            unknown = [a for a in article_ids if a not in existing]
            if unknown:
                raise RagError(f"Not in the index: {', '.join(unknown)}. See `rag list` for article ids.")
            self.store.bump_generation()
            try:
                ids = sorted(i for a in article_ids for i in existing[a])
                self.store.delete(ids)
            finally:
                self._refresh_keyword()
            return IndexReport(removed=len(ids), articles=len(article_ids))

    def articles(self) -> list[ArticleInfo]:
        return self.store.articles()

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

    def retrieve(self, query: str, k: int | None = None, filters: Filters | None = None) -> list[Passage]:
        return self.retriever.search(query, k, filters)

    def stream(self, question: str, history: History = (), *, k: int | None = None,
               filters: Filters | None = None, generator: str | None = None) -> AnswerStream:
        """Retrieve now, generate lazily: iterate for text pieces, then read `.answer`."""
        question = self._check_question(question)
        gen = self.generator(generator)
        started = time.perf_counter()
        query = self._condenser(gen).condense(question, history)
        k = k or (self.settings.top_k if gen.name == "extractive" else self.settings.llm_top_k)
        passages = self.retrieve(query, k, filters)
        timings = {"retrieval": time.perf_counter() - started}
        return AnswerStream(question, query, passages, gen, timings, started)

    def answer(self, question: str, history: History = (), **options: Any) -> Answer:
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
        return cleaned

    def _condenser(self, gen: Generator) -> Condenser:
        complete = getattr(gen, "complete", None)
        return LLMCondenser(complete) if complete else KeywordCondenser()

    def generator(self, name: str | None = None) -> Generator:
        name = name or self.settings.generator
        if name not in self._generators:
            self._generators[name] = self._make_generator(name)
        return self._generators[name]

    def _make_generator(self, name: str) -> Generator:
        s = self.settings
        if name == "extractive":
            return ExtractiveGenerator(self.keyword.idf, self.embedder.embed)
        if name == "llamacpp":
            from rag.models import local_model

            path = s.model_path or local_model(s.models_dir)
            return LlamaCppGenerator(path, s.threads, s.max_answer_tokens)
        if name == "openai":
            return OpenAIGenerator(s.openai_base_url, s.model, s.openai_api_key, s.request_timeout, s.max_answer_tokens)
        raise GeneratorUnavailable(f"Unknown generator {name!r}; use extractive, llamacpp or openai.")


class AnswerStream:
    """An answer being generated. Iterate it for text pieces as they arrive; afterwards
    `.answer` holds the verified `Answer`, whose text may differ from the raw stream
    (citation markers checked and renumbered, or a refusal)."""

    def __init__(self, question: str, query: str, passages: list[Passage], generator: Generator,
                 timings: dict[str, float], started: float) -> None:
        self.question, self.query, self.passages = question, query, passages
        self._generator, self._timings, self._started = generator, timings, started
        self._answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        raw: list[str] = []
        # The standalone (condensed) query, so a follow-up is answered in its context.
        for piece in self._generator.stream(render(self.query, self.passages)):
            if not raw:
                self._timings["first_token"] = time.perf_counter() - self._started
            raw.append(piece)
            yield piece
        self._finish("".join(raw))

    def _finish(self, raw: str) -> None:
        text, citations = verify(raw, self.passages)
        self._timings["total"] = time.perf_counter() - self._started
        self._answer = Answer(text, citations, self.passages, self.query, refused=not citations,
                              generator=self._generator.name, timings=self._timings)

    @property
    def generator_name(self) -> str:
        return self._generator.name

    @property
    def answer(self) -> Answer:
        if self._answer is None:
            raise RuntimeError("Iterate the stream to the end before reading .answer")
        return self._answer
