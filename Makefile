# ccsim: two commands for users (`make demo`, `make test`), a few for developers.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench install clean help

help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

# setup.py compiles the engine modules with mypyc: rebuild when they change
$(STAMP): pyproject.toml setup.py sim/engine_build.py sim/engine/loop.py sim/engine/agents.py sim/engine/knowledge.py sim/engine/draws.py sim/engine/journey_setup.py sim/engine/journey_clock.py sim/engine/journey.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench,lint]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install ccsim with its test, benchmark and lint extras

demo: $(STAMP)  ## simulate a realistic phone day and print the KPI table
	$(BIN)/ccsim run scenarios/phone-day.yaml --replications 20

test: $(STAMP)  ## run the whole test suite
	$(BIN)/python -m pytest -q

# the folders ruff checks, those of them that exist (there may be no examples/)
LINT_PATHS := $(wildcard sim tests benchmarks examples)

lint: $(STAMP)  ## ruff on the code, tests and benchmarks; mypy on the package (settings in pyproject.toml)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/mypy

# every script runs even when an earlier one misses its targets; the target fails if any of them did
bench: $(STAMP)  ## the speed checks: engine against plain SimPy and Ciw, `ccsim run` as a whole process, the omnichannel week, `ccsim --help` start-up
	status=0; \
	$(BIN)/python benchmarks/bench_engine.py || status=1; \
	$(BIN)/python benchmarks/bench_process.py || status=1; \
	$(BIN)/python benchmarks/bench_journey.py --repeats 30 || status=1; \
	$(BIN)/python benchmarks/bench_startup.py || status=1; \
	exit $$status

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache .ruff_cache
