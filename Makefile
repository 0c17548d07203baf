# The two commands of the README: `make demo` and `make test`.
# Each creates/updates the virtual environment in .venv and installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test install browser bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,bench,spark]'
	@touch $(STAMP)

install: $(STAMP)

browser:
	@bash scripts/install-browser.sh

demo: $(STAMP)
	$(VENV)/bin/storylens demo --db demo.db -o demo-report.html

test: $(STAMP) browser
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) demo.db demo.db-wal demo.db-shm demo-report.html .pytest_cache
