# Two commands (see README.md):
#   make        set up .venv (created or reused), then render the weekly report of the
#               bundled seed data (reports/cc03-ultra-marathon/<week>/weekly-report.html)
#   make test   set up .venv with the test tools, then lint, type-check and run every test
# Both install the exact versions of requirements/constraints.txt (the lock). Also:
#   make lock         rebuild the lock from the newest versions pyproject.toml allows
#   make test-floors  run the tests in .venv-floors, with every direct dependency at its floor
#   make test-wheel   build a wheel, install it outside the checkout and run `assess` there
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLOORS ?= .venv-floors
CONSTRAINTS := requirements/constraints.txt
PIP_INSTALL := -m pip install --quiet --disable-pip-version-check

.PHONY: run test lint format clean bench lock test-floors test-wheel

run: $(VENV)/.stamp-run
	$(BIN)/assess report

test: $(VENV)/.stamp-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(VENV)/.stamp-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.stamp-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "make: Python 3.11 or newer is needed ($(PYTHON) is older)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.stamp-run: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/python $(PIP_INSTALL) -c $(CONSTRAINTS) -e '.[lab]'
	touch $@

$(VENV)/.stamp-test: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/python $(PIP_INSTALL) -c $(CONSTRAINTS) -e '.[lab,test]'
	touch $@ $(VENV)/.stamp-run

# The lock: a fresh venv in a temporary folder, the newest versions pyproject allows.
lock:
	PYTHON=$(PYTHON) requirements/lock

# The floors: a venv of its own, made anew whenever pyproject.toml changes.
test-floors: $(FLOORS)/.stamp
	$(FLOORS)/bin/pytest

$(FLOORS)/.stamp: pyproject.toml requirements/floors.py
	rm -rf $(FLOORS)
	$(PYTHON) -m venv $(FLOORS)
	$(PYTHON) requirements/floors.py pyproject.toml > $(FLOORS)/floors.txt
	$(FLOORS)/bin/python $(PIP_INSTALL) -c $(FLOORS)/floors.txt -e '.[lab,test]'
	touch $@

# The wheel, in temporary folders; its `assess audit` must print what .venv's prints.
test-wheel: $(VENV)/.stamp-run
	PYTHON=$(PYTHON) .ci/test-wheel $(VENV)

clean:
	rm -rf $(VENV) $(FLOORS) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache .hypothesis *.egg-info

bench: $(VENV)/.stamp-run
	$(BIN)/python bench/graph_scale.py
	$(BIN)/python bench/selection_scale.py
	$(BIN)/python bench/schedule_risk.py
	$(BIN)/python bench/report_render.py
	$(BIN)/python bench/sweep_scale.py
	$(BIN)/python bench/batch_reports.py
	$(BIN)/python bench/pipeline_scale.py
	$(BIN)/python bench/psplib.py --set j30 --deterministic-time 20
