"""The table of local models (rag.models): assembly from part packages and the SHA-256 check."""

import hashlib

import pytest

from rag import GeneratorUnavailable, Settings
from rag import models
from rag.models import MODELS, LocalModel, local_model, part_files


@pytest.fixture
def fake_model(tmp_path, monkeypatch):
    """A three-part model of a few bytes each, installed as importable packages `fakepart1..3`
    and entered in the table as "fake"; returns the bytes the parts join to."""
    site = tmp_path / "site"
    chunks = [b"GGUF" + bytes(range(200)), b"middle part " * 50, b"tail"]
    for n, chunk in enumerate(chunks, 1):
        package = site / f"fakepart{n}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"part{n:02d}.bin").write_bytes(chunk)
    monkeypatch.syspath_prepend(str(site))
    whole = b"".join(chunks)
    entry = LocalModel("fakepart", 3, "fake.gguf", hashlib.sha256(whole).hexdigest())
    monkeypatch.setitem(models.MODELS, "fake", entry)
    return whole


def test_parts_are_joined_in_order_and_verified(fake_model, tmp_path):
    path = local_model(tmp_path / "models", "fake")
    assert path == tmp_path / "models" / "fake.gguf"
    assert path.read_bytes() == fake_model
    assert path.with_suffix(".sha256").read_text() == hashlib.sha256(fake_model).hexdigest()
    assert sorted(p.name for p in path.parent.iterdir()) == ["fake.gguf", "fake.sha256"]


def test_an_assembled_model_is_not_assembled_again(fake_model, tmp_path, monkeypatch):
    local_model(tmp_path / "models", "fake")
    monkeypatch.setattr(models, "part_files", lambda name: pytest.fail("assembled twice"))
    assert local_model(tmp_path / "models", "fake").read_bytes() == fake_model


def test_a_wrong_sha256_leaves_no_file(fake_model, tmp_path, monkeypatch):
    monkeypatch.setitem(models.MODELS, "fake", LocalModel("fakepart", 3, "fake.gguf", "0" * 64))
    with pytest.raises(GeneratorUnavailable, match=r"does not match its SHA-256.*fakepart1\.\.3.*make llm"):
        local_model(tmp_path / "models", "fake")
    assert list((tmp_path / "models").iterdir()) == []


def test_a_missing_part_names_the_make_target(fake_model, tmp_path, monkeypatch):
    monkeypatch.setitem(models.MODELS, "fake", LocalModel("fakepart", 4, "fake.gguf", "0" * 64))
    with pytest.raises(GeneratorUnavailable, match=r"Part 4 of 4 of the local model fake .*`make llm`"):
        local_model(tmp_path / "models", "fake")
    assert not (tmp_path / "models").exists()


def test_an_unknown_name_lists_the_known_ones(tmp_path):
    with pytest.raises(GeneratorUnavailable, match=r"RAG_LOCAL_MODEL.*qwen2\.5-coder-0\.5b-instruct"):
        local_model(tmp_path, "qwen-7b")


def test_settings_choose_a_model_of_the_table(monkeypatch):
    assert Settings().local_model == models.DEFAULT
    monkeypatch.setenv("RAG_LOCAL_MODEL", "qwen2.5-coder-0.5b-instruct")
    assert Settings().local_model in MODELS
    assert len({m.file for m in MODELS.values()}) == len(MODELS)


@pytest.mark.slow
@pytest.mark.llm
def test_the_real_half_billion_model_assembles_and_matches(tmp_path):
    name = "qwen2.5-coder-0.5b-instruct"
    try:
        part_files(name)
    except GeneratorUnavailable as err:
        pytest.fail(f"the 0.5B model parts should be installed by `make test`: {err}")
    path = local_model(tmp_path, name)
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 22):
            digest.update(block)
    assert digest.hexdigest() == MODELS[name].sha256
    assert path.stat().st_size == 491_400_064
