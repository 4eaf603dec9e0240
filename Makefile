# hubtable: run / test / bench / lint, all inside a virtual environment in .venv
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# where `make run` serves the web UI: make run PORT=8001 HOST=0.0.0.0
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: install run demo test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## run: set up, load the demo community once, and start everything (web, Prefect, flows);
##      PORT=N and HOST=H choose where the web UI listens (default 127.0.0.1:8000)
run: install
	$(BIN)/hubtable init
	@test -f "$${HUBTABLE_DATA_DIR:-hubtable-data}/.demo-loaded" || \
	  ($(BIN)/hubtable demo && touch "$${HUBTABLE_DATA_DIR:-hubtable-data}/.demo-loaded")
	$(BIN)/hubtable up --host $(HOST) --port $(PORT)

## test: set up and run every test on SQLite and on the local PostgreSQL
test: install
	$(BIN)/python tools/ensure_services.py
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadgroup

## test-fast: the core's commands on in-memory SQLite and the house rules (under 30 s): the
##            loop to run every minute. tests/e2e (browsers, real servers) is the slow end.
test-fast: install
	$(BIN)/python -m pytest -p no:xdist tests/unit

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

## bench: every benchmark, results in bench/results/latest.json
bench: install
	$(BIN)/python tools/ensure_services.py
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) hubtable-data tests/artifacts
