# Two set-up commands on a fresh machine: `make demo` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-sqlite test-postgres lint typecheck bench-extraction bench-crawl bench bench-wordnet bench-scale bench-scale-turns bench-views bench-stages bench-shapes clean

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
	$(BIN)/mypy copycat crawler pipelines migrations bench tests

# Attribution benchmark: copies of every kind made from the BBC articles with our thesaurus
# spinner (Debian's mythes-en-us, installed here if missing), against the datasketch baseline.
BENCH_DATA ?= ../shared/data/bbc_news_fulltext
THESAURUS := /usr/share/mythes/th_en_US_v2.dat

$(THESAURUS):
	apt-get install -y mythes-en-us || sudo apt-get install -y mythes-en-us

bench: install $(THESAURUS)
	$(BIN)/python bench/attribution.py $(BENCH_DATA)

# The same with a second generator: the spinner reads WordNet (Debian's wordnet-base) instead.
WORDNET := /usr/share/wordnet

$(WORDNET)/index.noun:
	apt-get install -y wordnet-base || sudo apt-get install -y wordnet-base

bench-wordnet: install $(WORDNET)/index.noun
	$(BIN)/python bench/attribution.py $(BENCH_DATA) --thesaurus $(WORDNET)
	$(BIN)/python bench/shapes.py $(BENCH_DATA) --thesaurus $(WORDNET)

# Per-document cost at 10k, 30k, 100k and 300k stored documents, attribution latency, query plan.
bench-scale: install $(THESAURUS)
	$(BIN)/python bench/attribution.py $(BENCH_DATA) --scale 30000,100000,300000

# Per-document cost at 10k and 100k, the two databases taking turns (the host's drift on both).
bench-scale-turns: install $(THESAURUS)
	$(BIN)/python bench/attribution.py $(BENCH_DATA) --scale 100000 --interleaved

# Which fingerprint settings retrieve the attribution bench's copies, at how many band rows.
bench-views: install $(THESAURUS)
	$(BIN)/python bench/views.py $(BENCH_DATA) --seed 7 --seed 11 --seed 23

# CPU per document of fingerprint, match and store alone, in one thread, on make bench's pages.
bench-stages: install $(THESAURUS)
	$(BIN)/python bench/stages.py $(BENCH_DATA)

# Copy shapes make bench does not make (interleaved links, one paragraph, shuffled sentences,
# an excerpt inside other articles, runs stitched from two or three stories…).
bench-shapes: install $(THESAURUS)
	$(BIN)/python bench/shapes.py $(BENCH_DATA)

bench-extraction: install
	$(BIN)/python bench/extraction.py ../shared/data/article_extraction_benchmark

# Pages/s and peak memory: crawl only, crawl + pipelines in-process, crawl + extraction workers.
bench-crawl: install
	$(BIN)/python bench/crawl.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
