"""OnnxEmbedder: batches run side by side give exactly the vectors of one batch after another."""

from __future__ import annotations

import random
import threading

import numpy as np

from rag.embed import DIMENSION, OnnxEmbedder


def _texts(n: int) -> list[str]:
    """Texts of very different lengths, in no order, a few repeated."""
    words = ["minsk", "putin", "belarus", "refinery", "oil", "security", "fuel", "talks", "summit", "december", "treaty", "army"]
    rng = random.Random(3)
    texts = [" ".join(rng.choices(words, k=rng.randint(1, 120))) for _ in range(n)]
    return texts + texts[:5]


def test_parallel_batches_give_the_same_vectors_in_the_same_order() -> None:
    texts = _texts(70)
    plain = OnnxEmbedder(threads=1, batch_size=8).embed(texts)
    parallel = OnnxEmbedder(threads=2, batch_size=8)
    side_by_side = parallel.embed(texts)
    assert side_by_side.shape == (len(texts), DIMENSION)
    np.testing.assert_allclose(side_by_side, plain, atol=1e-6)
    np.testing.assert_allclose(parallel.embed(texts[:3]), plain[:3], atol=1e-6)  # one batch: intra-op threads
    np.testing.assert_allclose(np.linalg.norm(side_by_side, axis=1), 1.0, atol=1e-5)
    intra = OnnxEmbedder(threads=2, batch_size=8, parallel_batches=False).embed(texts)
    np.testing.assert_allclose(intra, plain, atol=1e-6)


def test_concurrent_callers_share_one_embedder() -> None:
    """A question embedded while indexing embeds (the UI's threads): each caller gets its own vectors."""
    texts = _texts(40)
    embedder = OnnxEmbedder(threads=2, batch_size=8)
    expected = OnnxEmbedder(threads=1, batch_size=8).embed(texts)
    results: dict[int, np.ndarray] = {}

    def call(i: int) -> None:
        results[i] = embedder.embed(texts if i % 2 else texts[i : i + 1])

    threads = [threading.Thread(target=call, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, vectors in results.items():
        np.testing.assert_allclose(vectors, expected if i % 2 else expected[i : i + 1], atol=1e-6)
    assert embedder.embed([]).shape == (0, DIMENSION)
