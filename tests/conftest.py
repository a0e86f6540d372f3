"""Shared fixtures. Every test runs with a clean environment: no RAG_* variables from the
developer's shell, and a temporary data folder, so no test can touch a real index."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import rag
from rag import Rag, Settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = next((p for p in (ROOT.parent / "shared", Path("/work/shared")) if p.is_dir()), ROOT.parent / "shared")
DEV_SET = SHARED / "eval" / "dev.jsonl"
EXTRA_SET = ROOT / "tests" / "data" / "seed_extra.jsonl"


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("RAG_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(rag, "_default", None)
    yield


@pytest.fixture(scope="session")
def seed_rag(tmp_path_factory: pytest.TempPathFactory) -> Rag:
    """One real index of the built-in corpus (real embedding model, real Chroma on disk),
    shared by the tests that only read from it."""
    folder = tmp_path_factory.mktemp("seed")
    instance = Rag(Settings(data_dir=folder))
    instance.ensure_default_corpus()
    return instance


def questions(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
