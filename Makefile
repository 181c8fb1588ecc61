# Mention Router — every machine step the project needs, from a fresh clone.
#   make demo   run the pipeline end to end on a local Apache Kafka broker
#   make test   unit + integration tests (starts and stops its own broker)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: help install system-deps demo test test-unit test-integration lint format typecheck bench kafka-up kafka-down schemas clean

help:
	@echo "make demo | test | test-unit | test-integration | lint | bench | kafka-up | kafka-down | schemas | clean"

$(STAMP): pyproject.toml setup.py streams/enrich/_featurise.c streams/_murmur2.c
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@$(BIN)/python -c "import streams.enrich._featurise" 2>/dev/null \
		&& echo "compiled enrichment featuriser: built" \
		|| echo "compiled enrichment featuriser: not built (no C compiler or Python headers); using the Python paths"
	@touch $(STAMP)

install: $(STAMP)

# Java 17+ and Maven fetch and run the broker; promtool lints the metrics page.
system-deps:
	@bash deploy/system-deps.sh

demo: install system-deps
	$(BIN)/mention-router demo

test: install system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-unit: install
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

test-integration: install system-deps
	$(BIN)/python -m pytest tests/integration $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check streams schemas tests scripts examples
	$(BIN)/ruff format --check streams schemas tests scripts examples
	$(BIN)/mypy

format: install
	$(BIN)/ruff format streams schemas tests scripts
	$(BIN)/ruff check --fix streams schemas tests scripts

bench: install system-deps
	$(BIN)/python -m streams.bench $(BENCH_ARGS)

kafka-up: install system-deps
	$(BIN)/mention-router kafka up

kafka-down: install
	$(BIN)/mention-router kafka down

schemas: install
	$(BIN)/python -m schemas.export

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info

# Grafana dashboards, per-team SLA thresholds and the Kubernetes PrometheusRule, generated from code.
.PHONY: dashboards
dashboards: install
	$(BIN)/python scripts/build_dashboards.py
