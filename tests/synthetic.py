"""Generated news-like articles for the indexing tests: deterministic for a seed, with
versions that change, add or drop paragraphs, so re-indexing exercises the replace path. The
tiny deterministic embedder for tests whose subject is ids and spans, not vectors, ships in the
package (rag.testing.HashEmbedder) and is re-exported here."""

from __future__ import annotations

import random
from pathlib import Path

from rag.testing import HashEmbedder

__all__ = ["HashEmbedder", "article", "paragraph", "write_corpus"]

WORDS = ["council", "harbor", "minister", "budget", "river", "strike", "vote", "court", "bridge", "mayor", "energy", "grain", "export", "province", "festival", "hospital", "railway", "election", "treaty", "drought", "museum", "satellite", "union", "tariff", "vaccine", "reactor", "ferry", "protest", "senate", "forest", "coastline", "factory", "airport", "police", "weather"]
PLACES = ["Kelvale", "Ostrava", "Tallport", "Maribel", "Dunmore", "Orvieto", "Lakeshore", "Brenholm"]


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 16))
    return f"The {rng.choice(PLACES)} {' '.join(words)} on {rng.randint(1, 28)} May {rng.randint(2001, 2024)}."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(2, 4)))


def article(seed: int, version: int = 0, paragraphs: int = 4) -> str:
    """Article `seed` in `version`: version 0 is the original; later versions rewrite one
    paragraph, add one or drop one (chosen by the seed), so their chunk sets differ."""
    rng = random.Random(seed)
    title = f"{rng.choice(PLACES)} {rng.choice(WORDS)} {rng.choice(WORDS)} report {seed}"
    body = [paragraph(rng) for _ in range(rng.randint(2, paragraphs))]
    for v in range(1, version + 1):
        edit = random.Random(seed * 1000 + v)
        kind = edit.choice(["rewrite", "add", "drop"]) if len(body) > 2 else "add"
        if kind == "rewrite":
            body[edit.randrange(len(body))] = paragraph(edit)
        elif kind == "add":
            body.insert(edit.randrange(len(body) + 1), paragraph(edit))
        else:
            body.pop(edit.randrange(len(body)))
    return f"{title}\n\n" + "\n\n".join(body) + "\n"


def write_corpus(folder: Path, n: int, versions: dict[int, int] | None = None) -> Path:
    """Write articles 0..n-1 as `folder/NNN.txt`, article i in version `versions.get(i, 0)`."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"{i:04d}.txt").write_text(article(i, (versions or {}).get(i, 0)))
    return folder


