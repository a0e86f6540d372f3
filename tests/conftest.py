"""Shared fixtures. Every test runs with a clean environment: no RAG_* variables from the
developer's shell, and a temporary data folder, so no test can touch a real index.

Test tiers. A test says what real component it needs with a marker: `model` (the real
embedding model), `server` (a server process: Chroma, an embedding or model server), `llm`
(the local language model), `browser` (Chromium), `slow` (long-running). Using `seed_rag` makes
a test `model`, `chroma_url` (or the `server` case of `store_settings`) makes it `server`, and
`embed_server` both, so those need no marker by hand. Every other test is `fast` (never set by
hand: `pytest_collection_modifyitems` below assigns it), and `make test` runs `-m fast` first,
then `-m "not fast"`: each test exactly once. A `fast` test that loads the real embedding model
or the local language model fails, naming the marker it needs, so the tier cannot quietly
slow down.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import rag
from rag import Rag, Settings, embed, generate

ROOT = Path(__file__).resolve().parents[1]
SHARED = next((p for p in (ROOT.parent / "shared", Path("/work/shared")) if p.is_dir()), ROOT.parent / "shared")
DEV_SET = SHARED / "eval" / "dev.jsonl"
EXTRA_SET = ROOT / "tests" / "data" / "seed_extra.jsonl"

# -- tiers ------------------------------------------------------------------------------------

REAL = ("model", "server", "llm", "browser", "slow")  # the markers that keep a test out of the fast tier
NEEDS = {"seed_rag": ("model",), "chroma_url": ("server",), "embed_server": ("server", "model")}
# Tests that build a real `Rag` or start a server without such a fixture: "FILE" (the whole
# module), or "FILE::NAME" (the test NAME, or the tests that use the fixture NAME). A marker in
# the test file says the same thing closer to the test; the fast tier's guard below finds a test
# missing here, and an entry that matches no test is an error.
BY_NODE: dict[str, tuple[str, ...]] = {
    "tests/test_api.py": ("model",),  # the module-level API and `rag` commands on the built-in index
    "tests/test_embed.py": ("model",),
    "tests/test_embed_http.py": ("model",),  # HttpEmbedder compares a server's vectors with the local model's
    "tests/test_pipeline.py": ("model",),
    "tests/test_server_mode.py": ("server", "model"),
    "tests/test_health.py::test_embedded_store_and_extractive_generator_are_ok": ("model",),
    "tests/test_health.py::test_server_up_then_down": ("server", "model"),
    "tests/test_hostile_files.py::indexed": ("model",),
    "tests/test_hostile_files.py::test_bad_uploads_show_a_message_and_leave_the_index_alone": ("model",),
    "tests/test_properties_index.py::test_real_model_index_is_idempotent_and_stored_spans_are_exact": ("model",),
}
_GUARD = pytest.StashKey[pytest.MonkeyPatch]()


def _matches(key: str, item: pytest.Item) -> bool:
    path, _, name = key.partition("::")
    if item.nodeid.split("::")[0] != path:
        return False
    return not name or name == getattr(item, "originalname", item.name) or name in getattr(item, "fixturenames", ())


def needs(item: pytest.Item) -> set[str]:
    """The real components `item` needs: its markers, those its fixtures imply (the `server`
    case of a parametrized fixture too), and its BY_NODE entries."""
    found = {m.name for m in item.iter_markers() if m.name in REAL}
    for fixture in getattr(item, "fixturenames", ()):
        found.update(NEEDS.get(fixture, ()))
    callspec = getattr(item, "callspec", None)
    if callspec is not None and any(isinstance(v, str) and v == "server" for v in callspec.params.values()):
        found.add("server")
    for key, markers in BY_NODE.items():
        if _matches(key, item):
            found.update(markers)
    return found


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects anything
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("fast") is not None:
            raise pytest.UsageError(f"{item.nodeid}: `fast` is assigned by tests/conftest.py, not by hand")
        real = needs(item)
        for name in sorted(real - {m.name for m in item.iter_markers()}):
            item.add_marker(name)
        if not real:
            item.add_marker("fast")
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS:  # the whole suite: every entry must match
        stale = [key for key in BY_NODE if not any(_matches(key, item) for item in items)]
        if stale:
            raise pytest.UsageError(f"tests/conftest.py BY_NODE names tests that no longer exist: {stale}")


def _forbidden(what: str, marker: str) -> object:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a fast-tier test used {what}: mark it @pytest.mark.{marker} "
                             "(or give it a test double)")

    return refuse


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("fast") is None:
        return
    guard = pytest.MonkeyPatch()
    guard.setattr(embed.OnnxEmbedder, "embed", _forbidden("the real embedding model", "model"))
    guard.setattr(embed.TorchEmbedder, "embed", _forbidden("the real embedding model", "model"))
    guard.setattr(generate, "_load_llama", _forbidden("the local language model", "llm"))
    item.stash[_GUARD] = guard


def pytest_runtest_teardown(item: pytest.Item) -> None:
    guard = item.stash.get(_GUARD, None)
    if guard is not None:
        guard.undo()


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
