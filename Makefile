# Everything a fresh machine needs, from Python 3.11+ and make alone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py
PORT ?= 8022
SAMPLE ?= sandbox/data/sample_tracks.csv

.PHONY: help install test lint format demo run migrate worker bench db-stop clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(INSTALLED): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(INSTALLED)

install: $(INSTALLED)  ## create .venv with the pinned dependencies

test: $(INSTALLED)  ## run the whole test suite (embedded Postgres unless DATABASE_URL is set)
	PROMETHEUS_METRICS_DIR=$$(mktemp -d) $(BIN)/python -m pytest

lint: $(INSTALLED)  ## ruff (lint + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(INSTALLED)  ## apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: $(INSTALLED)  ## apply migrations
	$(MANAGE) migrate --verbosity 0

demo: $(INSTALLED)  ## the main job: sandbox APIs, sample import, workers drain the queue, report, admin on :8022
	$(MANAGE) demo --port $(PORT) --sample $(SAMPLE)

run: $(INSTALLED)  ## web + workers against the real APIs (credentials in .env)
	$(MANAGE) demo --real --port $(PORT)

worker: migrate  ## run one Procrastinate worker
	$(MANAGE) procrastinate worker

db-stop:  ## stop the embedded Postgres (it keeps running between commands otherwise)
	@test ! -x $(BIN)/python || $(BIN)/python -m songnodes.database stop

clean: db-stop  ## remove the virtualenv and the embedded database
	rm -rf $(VENV) .songnodes
