# EarthSight: `make demo` and `make test` are all a fresh machine needs (Python 3.11 + PyPI).

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.earthsight-installed
PYTEST_ARGS ?=
BENCH_ARGS ?=

# Never reach for model hubs: every model library runs offline.
OFFLINE_ENV := HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 YOLO_OFFLINE=1 YOLO_AUTOINSTALL=0 \
	YOLO_CONFIG_DIR=$(CURDIR)/.yolo

# Real development imagery (tests that need it skip without it, and fail under CI=true).
EARTHSIGHT_DATA ?= $(abspath $(CURDIR)/../shared/data)
export EARTHSIGHT_DATA

.PHONY: help install demo test lint bench clean

help:
	@echo "make demo   - install into $(VENV) if needed, then ask the agent about the bundled scenes"
	@echo "make test   - run the whole test suite"
	@echo "make lint   - ruff + mypy --strict"
	@echo "make bench  - run the benchmarks in bench/ (figures for README 'Performance')"
	@echo "make clean  - remove demo-workspace/ and caches (keeps $(VENV))"

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever pyproject.toml changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[deep,serve,dev]'
	@touch $@

demo: $(STAMP)
	$(OFFLINE_ENV) PATH="$(abspath $(BIN)):$$PATH" bash examples/demo.sh

test: $(STAMP)
	$(OFFLINE_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	@set -e; for script in bench/*.py; do \
		echo "== $$script"; \
		$(OFFLINE_ENV) $(BIN)/python $$script $(BENCH_ARGS); \
	done

clean:
	rm -rf demo-workspace .pytest_cache .mypy_cache .ruff_cache
