# flask-broadcasts — the two commands of the README, and the longer suites.
#   make run    the example app + worker + scheduler on the embedded defaults (SQLite, embedded Redis)
#   make test   the test suite (embedded defaults, or DATABASE_URL / REDIS_URL when set)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 5000
# make test / test-fast run in this many pytest-xdist processes, each test file whole in one
# (its module-scoped worker and web processes start once). 1 runs the suite in one process.
TEST_WORKERS ?= 2
XDIST  := $(if $(filter-out 0 1,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile,)
export FLASK_APP := example_app

.PHONY: install browser run test test-fast test-faults fuzz bench docs screenshots lint clean

$(STAMP): setup.cfg
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e ".[dev,docs]"
	touch $(STAMP)

install: $(STAMP) browser

# The dashboard's browser test drives Debian's chromium (Playwright never downloads one).
# As root with apt-get, a fresh machine gets it here; elsewhere install it yourself.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ -z "$$BROADCASTS_TEST_CHROMIUM" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing chromium for the browser test"; \
			apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "note: the browser test needs chromium (apt-get install chromium) or BROADCASTS_TEST_CHROMIUM"; \
		fi; \
	fi

run: $(STAMP)
	PORT=$(PORT) $(BIN)/python -m example_app.run_all

test: install
	$(BIN)/python -m pytest -q $(XDIST) -m "not faults" -p no:cacheprovider $(PYTEST_ARGS)

# Without real worker/scheduler/web processes (tests/e2e, tests/browser) or the fault suite.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q $(XDIST) -m "not e2e and not faults" -p no:cacheprovider $(PYTEST_ARGS)

test-faults: install
	$(BIN)/python -m pytest -q -m faults -p no:cacheprovider $(PYTEST_ARGS)

fuzz: install
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-2000} $(BIN)/python -m pytest -q tests/security -p no:cacheprovider $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

# Zero findings: ruff (lint + format), mypy (every def typed), import-linter (the layering
# contracts in setup.cfg), pylint's duplicate-code check (no 6-line block copied).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pylint --disable=all --enable=duplicate-code --min-similarity-lines=6 --score=n flask_broadcasts

docs: install
	$(BIN)/python -m sphinx -W --keep-going -b html -q docs docs/_build/html

# The dashboard's pages as the docs show them (docs/images/dashboard/): the browser test's
# walk through the seed workflow, saving a screenshot of each page on its way. Not part of
# make docs (it needs Chromium, Redis and real processes); commit the PNGs it changes.
screenshots: install
	BROADCASTS_SCREENSHOTS=docs/images/dashboard $(BIN)/python -m pytest -q tests/browser/test_dashboard.py -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) docs/_build .pytest_cache
