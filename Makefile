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

# Checked with mypy --strict (the adapters' seam and everything the lookups hand around).
STRICT := enrichment/lookups.py enrichment/pipeline.py enrichment/merge.py enrichment/matching.py \
	enrichment/titles.py enrichment/sources/

lint: $(INSTALLED)  ## ruff (lint + format check), mypy, and mypy --strict on the typed core
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/mypy --strict $(STRICT)

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

# --- benchmarks and drills (bench/README.md); each uses its own Postgres under bench/output/ ---
.PHONY: bench-throughput bench-throughput-busy bench-pacing bench-overhead bench-calls bench-scale bench-breaker bench-chaos bench-kill bench-catalogue bench-import bench-report

bench: $(INSTALLED)  ## every benchmark and fault drill in sequence (~10 min), then bench/RESULTS.md
	$(BIN)/python -m bench

bench-throughput: $(INSTALLED)  ## 1. tracks/s against the rate-limit bound, sandbox violations
	$(BIN)/python -m bench.throughput

bench-throughput-busy: $(INSTALLED)  ## 1b. the same beside one CPU-bound process per core
	$(BIN)/python -m bench.throughput_busy

bench-pacing: $(INSTALLED)  ## 1c. BPM+Camelot first: 95 % of tracks vs the fast sources' bound
	$(BIN)/python -m bench.pacing

bench-overhead: $(INSTALLED)  ## 2. no limits, instant upstreams: tracks per CPU-second vs a baseline checkout, statements
	$(BIN)/python -m bench.overhead

bench-calls: $(INSTALLED)  ## 3. upstream calls per track per API; warm re-enrichment calls
	$(BIN)/python -m bench.calls

bench-scale: $(INSTALLED)  ## 4. a million tracks: /stats, admin list, due selection, 100k enqueue
	$(BIN)/python -m bench.scale

bench-breaker: $(INSTALLED)  ## 5. drill: one API down 100%, breaker opens and closes, nothing lost
	$(BIN)/python -m bench.drill_breaker

bench-chaos: $(INSTALLED)  ## 6. drill: errors, 429 storms, malformed and slow answers, nothing lost
	$(BIN)/python -m bench.drill_chaos

bench-kill: $(INSTALLED)  ## 7. drill: SIGKILL a worker, restart Postgres, nothing lost
	$(BIN)/python -m bench.drill_kill

bench-catalogue: $(INSTALLED)  ## 8. sandbox catalogue build time: linear growth, vs a Python start
	$(BIN)/python -m bench.catalogue

bench-import: $(INSTALLED)  ## 9. import_tracks of a 1M-row CSV: rows/s, time vs a plain COPY
	$(BIN)/python -m bench.import_speed

bench-report: $(INSTALLED)  ## rewrite bench/RESULTS.md from the last runs' figures
	$(BIN)/python -m bench.report
