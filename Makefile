# Two commands for a newcomer: `make book` and `make test`. Everything else is optional.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BUILD := _build
# JupyterLab setting of this environment: MyST .md chapters open as notebooks on double-click
LABCONFIG ?= $(VENV)/etc/jupyter/labconfig/default_setting_overrides.json
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: book test lab lab-config notebooks handouts bench profile imports lint clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(MAKE) --no-print-directory lab-config
	touch $(STAMP)

book: $(STAMP)  ## execute every notebook and build the HTML into _build/html
	$(BIN)/python scripts/build_book.py

test: $(STAMP)  ## the whole suite: units, notebook execution and timing, book build, browser
	$(BIN)/python -m pytest -n 2 --dist loadfile  # tests/conftest.py: how the 2 workers share the build

lab: $(STAMP)  ## JupyterLab on the chapters (MyST .md files open as notebooks)
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/jupyter lab chapters/  # as the book build

notebooks: $(STAMP)  ## each chapter as .ipynb with a setup cell, into _build/html/notebooks (Colab)
	$(BIN)/python scripts/notebooks.py

lab-config:  ## make Jupytext's notebook view the default for .md files in this environment
	$(BIN)/jupytext-config --settings-file $(LABCONFIG) set-default-viewer markdown myst

bench: $(STAMP)  ## side-by-side benchmarks, the cold book (2 workers) and the per-chapter profile
	$(BIN)/python -m bench

profile: $(STAMP)  ## per chapter: kernel start + imports vs its 3 slowest cells (CHAPTERS="chapters/x.md ...")
	$(BIN)/python -m bench.profile $(CHAPTERS)

imports: $(STAMP)  ## per chapter: import time of what its cells import (python -X importtime)
	$(BIN)/python -m bench.imports $(CHAPTERS)

handouts: $(STAMP)  ## student notebooks without solutions (+ zip) and nbgrader sources
	$(BIN)/python -m embedlab.handouts chapters $(BUILD)

lint: $(STAMP)
	$(BIN)/ruff check code tests bench scripts

clean:
	rm -rf $(BUILD)
