"""Shared fixtures. Every test runs with a clean environment: no RAG_* variables from the
developer's shell, and a temporary data folder, so no test can touch a real index."""

from __future__ import annotations

import json
import os
import uuid
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


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` server on 127.0.0.1 for the whole session (tests/chroma_server.py)."""
    from .chroma_server import chroma_server

    with chroma_server(tmp_path_factory.mktemp("chroma-server") / "db") as url:
        yield url


def store_settings_for(mode: str, data_dir: Path, chroma_url: str | None = None) -> Settings:
    """Settings for the embedded store, or for a fresh collection on the Chroma server."""
    if mode == "server":
        return Settings(data_dir=data_dir, chroma_url=chroma_url, collection=f"t{uuid.uuid4().hex[:16]}")
    return Settings(data_dir=data_dir)


@pytest.fixture(params=["embedded", "server"])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """The same integration test against the embedded store and against a real Chroma server."""
    url = request.getfixturevalue("chroma_url") if request.param == "server" else None
    return store_settings_for(request.param, tmp_path, url)


def questions(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
