# Two commands (see README.md):
#   make        set up .venv (created or reused), then render the weekly report of the
#               bundled seed data (reports/cc03-ultra-marathon/<week>/weekly-report.html)
#   make test   set up .venv with the test tools, then lint and run every test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint format clean bench

run: $(VENV)/.stamp-run
	$(BIN)/assess report

test: $(VENV)/.stamp-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(VENV)/.stamp-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.stamp-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "make: Python 3.11 or newer is needed ($(PYTHON) is older)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.stamp-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.stamp-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.stamp-run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info

bench: $(VENV)/.stamp-run
	$(BIN)/python bench/graph_scale.py
	$(BIN)/python bench/selection_scale.py
	$(BIN)/python bench/schedule_risk.py
	$(BIN)/python bench/report_render.py
	$(BIN)/python bench/sweep_scale.py
	$(BIN)/python bench/batch_reports.py
	$(BIN)/python bench/psplib.py ../shared/bench/psplib/j30 ../shared/bench/psplib/j30opt.sm --time-limit 60
