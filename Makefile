# `make run` crawls every enabled site once and writes the feeds; `make test` runs the suite.
# Both create the virtual environment in .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run demo test clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/partyfeed crawl

demo: $(VENV)/.installed
	$(BIN)/partyfeed demo

test: $(VENV)/.installed
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
