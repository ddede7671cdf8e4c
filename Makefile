# The few commands people run. Everything installs into .venv from pyproject.toml.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Local state (embedded PostgreSQL, objects, inbox, Dagster instance) is one folder for `make
# demo`, `make dev` and every `briskk` command: BRISKK_HOME, else the user's data folder
# (~/.local/share/briskk on Linux; briskk_pipeline/home.py). Nothing is set here.
DEV_PORT ?= 3000

.PHONY: install chromium demo test lint format dev bench stop-db clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

## demo: install, write a sample workbook with code, ingest it (images served on
## 127.0.0.1), print the catalog
demo: install
	$(BIN)/python -m briskk_pipeline_tests.demo

## chromium: /usr/bin/chromium for the brand page tests: installed with apt-get when run as
## root (or with password-less sudo), else one line saying the command to run
chromium:
	@scripts/ensure-chromium

## test: install, lint, run every test (needs Chromium: see `chromium`)
test: install chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy briskk_pipeline
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy briskk_pipeline

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## dev: the Dagster UI (webserver + daemon) on http://127.0.0.1:$(DEV_PORT) with the instance
## `briskk` uses (DAGSTER_HOME, else <state folder>/dagster, created on first use)
dev: install
	@DAGSTER_HOME="$$($(BIN)/python -m briskk_pipeline.home)" && export DAGSTER_HOME && \
	echo "DAGSTER_HOME=$$DAGSTER_HOME" && \
	exec $(BIN)/dg dev -m briskk_pipeline -p $(DEV_PORT)

## bench: the benchmarks of bench/ (minutes; results go to bench/out and the README table)
bench: install
	$(BIN)/python bench/run.py

## stop-db: stop the embedded PostgreSQL of the state folder (it outlives each command)
stop-db: install
	@$(BIN)/briskk db stop

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
