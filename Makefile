# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install lint bench

$(BIN)/bhc: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/bhc

install: $(BIN)/bhc

demo: install
	$(BIN)/bhc demo

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check bhc ivr matching admin_ui tests benchmarks

bench: install
	$(BIN)/python benchmarks/strategies.py
	$(BIN)/python benchmarks/webhooks.py
	$(BIN)/python benchmarks/candidates.py
	$(BIN)/python benchmarks/report.py
