"""Train the synthesis detector (`rag/synthesis.json`) on the project's own question sets.

    .venv/bin/python scripts/train_synthesis.py [--blind heldout15 ...] [--out rag/synthesis.json]

A summary or comparison question ("Summarise ...", "walk me through ...", "how do the reports
differ ...") is answered from several articles. Cue phrases (`rag.evidence.SYNTHESIS`) catch the
phrasings seen so far and miss new ones: 3 of the 7 summary and comparison questions of blind set
15 were phrased in ways no cue knew. This fits a logistic regression over the question's
sentence embedding (the index's own all-MiniLM-L6-v2) to the `kind` labels of every question set
in tests/data (summary and compare: synthesis; any other kind: not), leaving out the sets named
by `--blind`. The regularisation and threshold are chosen by leave-one-set-out cross-validation
(printed): each set is predicted by a model trained on the others, as a new set of phrasings is.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SYNTHESIS_KINDS = {"summary", "compare"}
GRID = [(c, t) for c in (0.3, 1.0, 3.0, 10.0) for t in (0.5, 0.7)]


def labelled(blind: set[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(set name, question record) for every question of tests/data/heldout*.jsonl outside the blind sets."""
    for path in sorted((ROOT / "tests" / "data").glob("heldout*.jsonl")):
        if path.stem not in blind:
            yield from ((path.stem, json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def questions(blind: set[str]) -> list[tuple[str, str, bool]]:
    """(set name, question, is synthesis) for every labelled question outside the blind sets."""
    return [(name, q["question"], q["kind"] in SYNTHESIS_KINDS) for name, q in labelled(blind)
            if q.get("kind") not in (None, "other")]


def fit(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression  # training only: the product reads the weights

    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(x, y)
    return model.coef_[0], float(model.intercept_[0])


def cross_validate(x: np.ndarray, y: np.ndarray, sets: np.ndarray, c: float, threshold: float) -> tuple[float, float]:
    """Recall and precision when each set is predicted by a model trained on all the others."""
    found = np.zeros_like(y)
    for name in np.unique(sets):
        w, b = fit(x[sets != name], y[sets != name], c)
        found[sets == name] = 1 / (1 + np.exp(-(x[sets == name] @ w + b))) >= threshold
    hits = int((found & y).sum())
    return hits / max(int(y.sum()), 1), hits / max(int(found.sum()), 1)


def main() -> int:
    from rag.embed import OnnxEmbedder

    ap = argparse.ArgumentParser()
    ap.add_argument("--blind", nargs="*", default=["heldout15"], help="question sets kept out of training")
    ap.add_argument("--out", type=Path, default=ROOT / "rag" / "synthesis.json")
    args = ap.parse_args()
    rows = questions(set(args.blind))
    embedder = OnnxEmbedder()
    x = embedder.embed([q for _, q, _ in rows]).astype(np.float64)
    y, sets = np.array([s for _, _, s in rows]), np.array([n for n, _, _ in rows])
    scores = {}
    for c, t in GRID:
        recall, precision = cross_validate(x, y, sets, c, t)
        scores[(c, t)] = 2 * recall * precision / max(recall + precision, 1e-9)
        print(f"C {c:>4}  threshold {t}: leave-one-set-out recall {recall:.3f}, precision {precision:.3f}")
    c, t = max(scores, key=scores.__getitem__)
    w, b = fit(x, y, c)
    args.out.write_text(json.dumps({
        "model": embedder.name, "C": c, "threshold": t, "questions": len(rows), "synthesis": int(y.sum()),
        "trained_on": sorted(set(sets.tolist())), "left_out": sorted(args.blind),
        "intercept": round(b, 6), "weights": [round(float(v), 6) for v in w]}) + "\n", encoding="utf-8")
    print(f"chose C {c}, threshold {t} (best F1); wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
