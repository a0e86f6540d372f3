"""The measures `rag eval` and `rag bench` share: ranks and hits of the gold article, mean
reciprocal rank, percentiles and means, and a description of the machine a figure was
measured on. Both shells import these from here; neither imports the other.
"""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RETRIEVAL_K = 10  # ranks counted: Hits@n for n <= 10, MRR@10
HITS_AT = (1, 3, 5, 10)


def gold_rank(article_ids: Sequence[str], gold: set[str] | str, k: int = RETRIEVAL_K) -> int | None:
    """1-based rank of the first gold article in `article_ids[:k]`, None if absent."""
    golds = {gold} if isinstance(gold, str) else gold
    for rank, aid in enumerate(article_ids[:k], start=1):
        if aid in golds:
            return rank
    return None


def hits_and_rr(rank: int | None, at: Sequence[int] = HITS_AT, k: int = RETRIEVAL_K) -> dict[str, float]:
    """{"hits@n": 1.0 or 0.0 for each n in `at`, "mrr@k": 1/rank or 0.0} for one question."""
    row = {f"hits@{n}": float(rank is not None and rank <= n) for n in at}
    row[f"mrr@{k}"] = 1.0 / rank if rank is not None and rank <= k else 0.0
    return row


def article_ranking(chunk_ids: Sequence[str], article_of: dict[str, str]) -> list[str]:
    """The articles of ranked chunks, each once, in the rank of its best chunk."""
    return list(dict.fromkeys(article_of[c] for c in chunk_ids if c in article_of))


def percentile(values: Sequence[float], q: float) -> float:
    """Linearly interpolated percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def mean(values: Sequence[float | None]) -> float | None:
    """The mean of the values that are not None; None when there are none."""
    real = [v for v in values if v is not None]
    return statistics.fmean(real) if real else None


def machine() -> dict[str, Any]:
    """Cores, memory, CPU model and load: printed with every result."""
    model = _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown"
    return {
        "cpus": os.cpu_count(), "cpu_model": model, "memory_gb": _memory_gb(),
        "loadavg": [round(x, 2) for x in os.getloadavg()], "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _proc_field(path: str, name: str) -> str:
    """The value of the first `name: value` line of a /proc file ("" when absent)."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(name):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def _memory_gb() -> float | None:
    total = _proc_field("/proc/meminfo", "MemTotal:")  # "24576000 kB"
    return round(int(total.split()[0]) / 1024**2, 1) if total else None
