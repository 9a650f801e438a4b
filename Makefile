# Two commands do everything on a fresh machine:
#   make demo   set up .venv, build the demo workspace from data/ and show the top gaps
#   make test   set up .venv with the test tools and run the whole suite (slow tests included)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# A CPU build of torch is much smaller; if this exact release is not on your index, plain torch is used.
TORCH  ?= torch==2.13.0

.PHONY: demo test setup setup-test bench lint clean

demo: $(VENV)/.installed
	$(BIN)/gaplens demo

test: $(VENV)/.installed-test
	$(BIN)/pytest

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py
	$(BIN)/python bench/shapes.py
	$(BIN)/python bench/labels.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/tui.py
	$(BIN)/python bench/mentions.py
	$(BIN)/python bench/planning.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

setup: $(VENV)/.installed
setup-test: $(VENV)/.installed-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.torch: | $(BIN)/python
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install --quiet "$(TORCH)" || $(BIN)/pip install --quiet torch
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.torch
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

clean:
	rm -rf $(VENV) gaplens-demo.db gaplens-demo.db-wal gaplens-demo.db-shm
