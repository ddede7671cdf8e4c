# The few commands people run. Everything installs into .venv from pyproject.toml.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export BRISKK_HOME ?= $(CURDIR)/.briskk
export DAGSTER_HOME ?= $(BRISKK_HOME)/dagster

.PHONY: install demo test lint format dev bench stop-db clean

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

## test: install, lint, run every test
test: install
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

## dev: the Dagster UI on http://127.0.0.1:3000 with the same instance `briskk` uses
dev: install
	mkdir -p $(DAGSTER_HOME)
	test -f $(DAGSTER_HOME)/dagster.yaml || cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -m briskk_pipeline

## bench: the benchmarks of bench/ (minutes; results go to bench/out and the README table)
bench: install
	$(BIN)/python bench/run.py

## stop-db: stop the embedded PostgreSQL under $(BRISKK_HOME) (it outlives each command)
stop-db: install
	$(BIN)/python -c "import sys; from pathlib import Path; \
	from briskk_pipeline.catalog.db import stop_embedded_database as stop; \
	print('stopped' if stop(Path(sys.argv[1])) else 'not running')" "$(BRISKK_HOME)/postgres"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
