# Two commands set everything up: `make run` and `make test`. Each installs what it needs first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 3000

.PHONY: run test soak bench lint-template build clean

$(STAMP): requirements-dev.txt shared/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)  ## serve the local stack on http://127.0.0.1:$(PORT)
	PORT=$(PORT) $(PY) -m devstack.serve

test: $(STAMP)  ## the whole test suite (quick versions of the soak tests included)
	$(PY) -m pytest

soak: $(STAMP)  ## the long load and fault runs
	SOAK=1 $(PY) -m pytest -m soak

bench: $(STAMP)  ## the benchmark: writes .bench/report.md and .bench/report.json
	$(PY) -m devstack.bench

clean:
	rm -rf $(VENV) .venv-sam .aws-sam .pytest_cache .bench
