# Two commands for a newcomer: `make book` and `make test`. Everything else is optional.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BUILD := _build
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: book test lab bench lint clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

book: $(STAMP)  ## execute every notebook and build the HTML into _build/html
	$(BIN)/python scripts/build_book.py

test: $(STAMP)  ## the whole suite: units, notebook execution and timing, book build, browser
	$(BIN)/python -m pytest

lab: $(STAMP)  ## JupyterLab on the chapters (MyST .md files open as notebooks)
	$(BIN)/jupyter lab chapters/

bench: $(STAMP)  ## side-by-side benchmarks against the reference libraries
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check code tests bench scripts

clean:
	rm -rf $(BUILD)
