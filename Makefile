# Two commands (see README.md):
#   make        set up .venv (created or reused), then render the weekly report of the
#               bundled seed data (reports/cc03-ultra-marathon/<week>/weekly-report.html)
#   make test   set up .venv with the test tools, then lint, type-check and run every test
# Both install the exact versions of requirements/constraints.txt (the lock), and have git
# strip notebook outputs on commit (the nbstripout filter, below). Also:
#   make lock         rebuild the lock from the newest versions pyproject.toml allows
#   make test-floors  run the tests in .venv-floors, with every direct dependency at its floor
#   make test-wheel   build a wheel, install it outside the checkout and run `assess` there
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLOORS ?= .venv-floors
CONSTRAINTS := requirements/constraints.txt
PIP_INSTALL := -m pip install --quiet --disable-pip-version-check

.PHONY: run test lint format clean bench lock test-floors test-wheel notebook-filter

# Each run byte-compiles the package first, as pip does a wheel it installs: an editable
# install leaves that to the first import, which PYTHONDONTWRITEBYTECODE (set on some
# machines, this one included) turns off, and then every process, the report's kernel too,
# compiles every module it imports again (0.2 s of the seed's report). Up-to-date files are
# left as they are.
COMPILE := $(BIN)/python -m compileall -q analysis

run: $(VENV)/.stamp-run notebook-filter
	$(COMPILE)
	$(BIN)/assess report

# pytest runs under .ci/untouched.py: it fails if the tests left or changed a file in the
# checkout (files git ignores included; tool caches aside).
test: $(VENV)/.stamp-test notebook-filter
	$(COMPILE)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python .ci/untouched.py $(BIN)/pytest

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

# Notebooks go into git without outputs: .gitattributes sends every *.ipynb through the
# nbstripout filter, defined here in .git/config (this checkout only) to run the venv's
# nbstripout, which also drops the keys below (papermill's, and what a JupyterLab save adds
# about the kernel's Python). Written only when missing or different, so running make again,
# or twice at once, writes nothing; nothing to do outside a git checkout of this folder.
STRIP_KEYS := metadata.papermill cell.metadata.papermill cell.metadata.trusted \
	metadata.language_info.codemirror_mode metadata.language_info.file_extension \
	metadata.language_info.mimetype metadata.language_info.nbconvert_exporter \
	metadata.language_info.pygments_lexer metadata.language_info.version
STRIP := "$(abspath $(BIN))/python" -m nbstripout

notebook-filter: $(VENV)/.stamp-run
	@[ "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$(CURDIR)" ] || exit 0; \
	[ "$$(git config filter.nbstripout.clean)" = '$(STRIP)' ] \
		&& [ "$$(git config diff.ipynb.textconv)" = '$(STRIP) -t' ] \
		&& [ "$$(git config filter.nbstripout.required)" = true ] \
		&& [ "$$(git config filter.nbstripout.extrakeys)" = '$(STRIP_KEYS)' ] \
		|| { $(BIN)/nbstripout --install --python "$(abspath $(BIN))/python" \
				--attributes .gitattributes \
			&& git config filter.nbstripout.required true \
			&& git config filter.nbstripout.extrakeys '$(STRIP_KEYS)' \
			&& echo "make: git now strips notebook outputs on commit (nbstripout, .git/config)"; }

# The lock: a fresh venv in a temporary folder, the newest versions pyproject allows.
lock:
	PYTHON=$(PYTHON) requirements/lock

# The floors: a venv of its own, made anew whenever pyproject.toml changes.
# Left to `make test` (CI's 15 minutes hold both runs): the kill and concurrency tests
# (this package's own publishing), the chart-label geometry in Chromium and the
# notebooks under nbval (the report's notebook, papermill, nbconvert and plotly at their
# floors are run by tests/test_reporting.py).
test-floors: $(FLOORS)/.stamp
	$(FLOORS)/bin/python .ci/untouched.py $(FLOORS)/bin/pytest \
		--ignore=tests/hostile/test_kills.py --ignore=tests/hostile/test_concurrency.py \
		--ignore=tests/test_chart_labels.py --ignore=notebooks

$(FLOORS)/.stamp: pyproject.toml requirements/floors.py
	rm -rf $(FLOORS)
	$(PYTHON) -m venv $(FLOORS)
	$(PYTHON) requirements/floors.py pyproject.toml > $(FLOORS)/floors.txt
	$(FLOORS)/bin/python $(PIP_INSTALL) -c $(FLOORS)/floors.txt -e '.[lab,test]'
	touch $@

# The wheel, in temporary folders; its `assess audit` must print what .venv's prints.
test-wheel: $(VENV)/.stamp-run
	PYTHON=$(PYTHON) .ci/test-wheel $(VENV)

# The filter runs the venv's nbstripout: it goes with the venv.
clean:
	@[ "$$(git rev-parse --show-toplevel 2>/dev/null)" != "$(CURDIR)" ] \
		|| { git config --remove-section filter.nbstripout; git config --remove-section diff.ipynb; } \
		2>/dev/null || true
	rm -rf $(VENV) $(FLOORS) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache .hypothesis *.egg-info

bench: $(VENV)/.stamp-run
	$(COMPILE)
	$(BIN)/python bench/graph_scale.py
	$(BIN)/python bench/selection_scale.py
	$(BIN)/python bench/schedule_risk.py
	$(BIN)/python bench/report_render.py
	$(BIN)/python bench/sweep_scale.py
	$(BIN)/python bench/batch_reports.py
	$(BIN)/python bench/pipeline_scale.py
	$(BIN)/python bench/psplib.py --set j30 --deterministic-time 20
