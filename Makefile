# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install lint bench mutants

$(BIN)/bhc: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/bhc

install: $(BIN)/bhc

demo: install
	$(BIN)/bhc demo

# Most tests wait on a simulated phone network in real time, so more workers than cores pay:
# four on two cores take half the time of one. A file's tests stay in one worker (its fixtures
# are built once); each worker has its own PostgreSQL schema (tests/conftest.py).
TEST_WORKERS ?= 4

test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: install
	$(BIN)/ruff check bhc ivr matching admin_ui tests benchmarks

bench: install
	$(BIN)/python benchmarks/strategies.py
	$(BIN)/python benchmarks/webhooks.py
	$(BIN)/python benchmarks/candidates.py
	$(BIN)/python benchmarks/report.py

# Mutation testing, on demand (not part of `make test`): mutmut changes the code of
# [tool.mutmut] source_paths one small edit at a time and runs the tests of
# pytest_add_cli_args_test_selection (pyproject.toml) against each; a mutant no test notices
# "survived". Starts afresh each time in mutants/ (git ignores it); `$(BIN)/mutmut show NAME`
# shows what a survivor changed. `make mutants MUTANTS='bhc.calls.*'` runs only the mutants of
# those modules (mutmut's names, globs allowed).
mutants: install
	rm -rf mutants && mkdir mutants && printf '*\n' > mutants/.gitignore
	HYPOTHESIS_PROFILE=mutants nice -n 10 $(BIN)/mutmut run --max-children 2 $(MUTANTS)
	$(BIN)/mutmut export-cicd-stats >/dev/null
	$(BIN)/python -c "import json; s = json.load(open('mutants/mutmut-cicd-stats.json')); \
	print(', '.join(f'{k} {s[k]}' for k in ('total', 'killed', 'survived', 'timeout', \
	'suspicious', 'no_tests', 'skipped', 'segfault') if k in s))"
	$(BIN)/mutmut results
