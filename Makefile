# Palaute: `make run` starts the whole platform, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test test-unit test-browser lint setup translations bench bench-smoke clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/palaute translations compile --quiet

# Warnings only on the console unless PALAUTE_LOG_LEVEL says otherwise (no migration log lines).
run: setup
	PALAUTE_LOG_LEVEL=$${PALAUTE_LOG_LEVEL:-warning} $(BIN)/palaute db upgrade
	PALAUTE_LOG_LEVEL=$${PALAUTE_LOG_LEVEL:-warning} $(BIN)/palaute demo seed
	RESULTS_RELEASE=$${RESULTS_RELEASE:-live} $(BIN)/palaute serve

test: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The fast tier alone (no database, no Redis): seconds.
test-unit: setup
	$(BIN)/python -m pytest -m unit $(PYTEST_ARGS)

# The browser tier alone (tests/browser: Debian's Chromium driven by Playwright, axe-core,
# keyboard, reflow, screenshots). PALAUTE_SCREENSHOTS=docs/screenshots keeps the screenshots.
test-browser: setup
	$(BIN)/python -m pytest -m browser $(PYTEST_ARGS)

# The load benchmark (docs/performance.md): PostgreSQL if DATABASE_URL points to one (its data is
# wiped: use a database of its own), else SQLite in a temp dir; Redis from REDIS_URL or embedded.
bench: setup
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-smoke: setup
	$(BIN)/python -m bench.run --smoke --out-dir $${TMPDIR:-/tmp}/palaute-bench-smoke $(BENCH_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

translations: setup
	$(BIN)/palaute translations extract
	$(BIN)/palaute translations compile

clean:
	rm -rf $(VENV) instance .pytest_cache
