# `make serve` and `make test` install what is missing first (scripts/install.sh).
# On a machine without make, `bash scripts/run serve|test` does the same.

VENV    ?= .venv
BIN     := $(VENV)/bin
HOST    ?= 127.0.0.1
PORT    ?= 8080
WORKERS ?= 1
PYTEST_ARGS ?= --durations=10
CHECKED := ivr tests bench scripts

.PHONY: help install services serve test lint typecheck pytest bench clean

help:
	@echo "make serve   install what is missing, then run ivr serve (HOST, PORT, WORKERS)"
	@echo "make test    install what is missing, start Redis/PostgreSQL, then lint, types, pytest"
	@echo "make lint | typecheck | pytest PYTEST_ARGS=... | services | install | bench"

install:
	@bash scripts/install.sh

services:
	@bash scripts/services.sh

serve: install
	$(BIN)/ivr serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

test: install services lint typecheck pytest

lint:
	$(BIN)/ruff check $(CHECKED)
	$(BIN)/ruff format --check $(CHECKED)
	$(BIN)/lint-imports

typecheck:
	$(BIN)/mypy --strict ivr

# pytest exits 5 when it collected nothing: that is a failure, said out loud.
pytest:
	@$(BIN)/pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make: pytest collected no tests" >&2; fi; \
	exit $$status

# Benchmarks are run by hand; each prints a ratio against a baseline measured beside it.
bench: install
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit $$?; done

clean:
	rm -rf .mypy_cache .ruff_cache .pytest_cache build dist *.egg-info
