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

# The fast tier (tests/unit: no database, no Redis, mostly CPU-bound property tests of the
# auditor) runs beside the others, which mostly wait on the database, Redis and the browser:
# on two cores the suite takes about two thirds of the time. Its report follows theirs. A tier
# that PYTEST_ARGS selects nothing from (exit 5) is not a failure, unless neither ran.
test: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	@unit_log=$$(mktemp); \
	$(BIN)/python -m pytest -m unit -p no:cacheprovider $(PYTEST_ARGS) > $$unit_log 2>&1 & \
	unit=$$!; \
	$(BIN)/python -m pytest -m "not unit" $(PYTEST_ARGS); rest=$$?; \
	wait $$unit; unit_rc=$$?; \
	echo "--- tests/unit, run beside the other tiers (exit $$unit_rc) ---"; \
	cat $$unit_log; rm -f $$unit_log; \
	for rc in $$rest $$unit_rc; do [ $$rc -eq 0 ] || [ $$rc -eq 5 ] || exit $$rc; done; \
	[ $$rest -eq 0 ] || [ $$unit_rc -eq 0 ] || exit 5

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
