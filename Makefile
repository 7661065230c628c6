# Palaute: `make run` starts the whole platform, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint setup translations bench bench-smoke clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/palaute translations compile >/dev/null

run: setup
	$(BIN)/palaute db upgrade
	$(BIN)/palaute demo seed
	$(BIN)/palaute serve

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The load benchmark (docs/performance.md): PostgreSQL if DATABASE_URL points to one (its data is
# wiped: use a database of its own), else SQLite in a temp dir; Redis from REDIS_URL or embedded.
bench: setup
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-smoke: setup
	$(BIN)/python -m bench.run --smoke --out-dir $${TMPDIR:-/tmp}/palaute-bench-smoke $(BENCH_ARGS)

lint: setup
	$(BIN)/ruff check .

translations: setup
	$(BIN)/palaute translations extract
	$(BIN)/palaute translations compile

clean:
	rm -rf $(VENV) instance .pytest_cache
