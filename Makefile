# Two set-up commands on a fresh machine: `make demo` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-sqlite test-postgres lint typecheck bench-extraction bench-crawl clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,postgres,distributed]"
	touch $(STAMP)

demo: install
	$(BIN)/copycat demo

# The whole suite: lint, types, and the tests (PostgreSQL ones skip with a reason if it is down).
test: install lint typecheck
	$(BIN)/pytest

test-sqlite: install
	$(BIN)/pytest -m "not postgres"

test-postgres: install
	$(BIN)/pytest -m postgres

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy copycat crawler pipelines

bench-extraction: install
	$(BIN)/python bench/extraction.py ../shared/data/article_extraction_benchmark

# Pages/s and peak memory: crawl only, crawl + pipelines in-process, crawl + extraction workers.
bench-crawl: install
	$(BIN)/python bench/crawl.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
