# The two commands the README promises: `make demo` (set up, build the index, answer a question)
# and `make test` (set up, run the whole test suite). Both create .venv on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CURBSIDE := $(BIN)/curbside
DEMO_QUESTION ?= Should a 55-year-old woman be screened for colorectal cancer?
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test setup index clean-venv

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first and pinned: a CPU build lies on local disk; unpinned, pip pulls a multi-GB CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

index: $(STAMP)
	$(CURBSIDE) ingest starter --if-missing

demo: index
	$(CURBSIDE) ask "$(DEMO_QUESTION)"

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean-venv:
	rm -rf $(VENV)
