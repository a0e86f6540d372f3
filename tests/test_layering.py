"""Dependencies point one way: types, errors and settings at the bottom; backends (the vector
store, embedders, the keyword index) on them; the pipeline on those; the shells (CLI, UI,
bench) on top. Each check runs in a fresh interpreter, so nothing imported earlier hides a
cycle."""

from __future__ import annotations

import subprocess
import sys

import pytest


def loaded_after(statement: str) -> set[str]:
    """The rag, vectorstore and ui modules a fresh interpreter has loaded after `statement`."""
    code = f"{statement}\nimport sys\nprint(' '.join(m for m in sys.modules if m.split('.')[0] in ('rag', 'vectorstore', 'ui')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return set(done.stdout.split())


@pytest.mark.parametrize("first", ["import vectorstore", "import rag.errors", "import rag.types", "import rag.keyword",
                                   "from rag.testing import MemoryStore", "import rag"])
def test_lower_layers_import_first_without_the_pipeline(first: str) -> None:
    loaded = loaded_after(first)
    assert "rag.pipeline" not in loaded and not any(m.startswith("ui") for m in loaded), sorted(loaded)


def test_the_pipeline_does_not_import_the_shells() -> None:
    loaded = loaded_after("import rag.pipeline")
    assert not {"rag.cli", "rag.bench", "rag.evaluate"} & loaded and not any(m.startswith("ui") for m in loaded)
