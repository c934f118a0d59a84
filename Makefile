# Two commands set everything up: `make run` and `make test`. Each installs what it needs first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 3000

.PHONY: run reset test browser-test soak bench lint-template build clean

$(STAMP): requirements-dev.txt shared/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)  ## serve the local stack on http://127.0.0.1:$(PORT); tables kept in .devstack/ (RESET=1: start empty)
	PORT=$(PORT) RESET=$(RESET) $(PY) -m devstack.serve

reset: $(STAMP)  ## forget the local stack's tables: the next make run starts empty
	$(PY) -m devstack.persistence reset

test: $(STAMP)  ## the whole test suite (quick versions of the soak tests included)
	$(PY) -m pytest

# The chat page in headless Chromium: Debian's chromium + chromium-driver (installed with apt when
# missing, with a font), Selenium from requirements-dev.txt. Fails, never skips, when the browser cannot run.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

browser-test: $(STAMP)  ## the chat page's tests in a real browser (installs chromium with apt if needed)
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		echo "installing chromium and chromium-driver (apt)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-liberation; \
	fi
	BROWSER_TESTS=required $(PY) -m pytest tests/browser tests/test_web_page.py

soak: $(STAMP)  ## the long load and fault runs
	SOAK=1 $(PY) -m pytest -m soak

bench: $(STAMP)  ## the benchmark: writes .bench/report.md and .bench/report.json
	$(PY) -m devstack.bench

SAM_VENV  := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed

$(SAM_STAMP):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli==1.170.0
	touch $(SAM_STAMP)

lint-template: $(SAM_STAMP)  ## sam validate --lint (cfn-lint), offline: fake credentials, no telemetry
	AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint --region us-east-1 --template-file template.yaml

build: $(SAM_STAMP)  ## sam build for arm64 Lambda (Python 3.13 from pyenv when present)
	PATH="$$(pyenv prefix 3.13 2>/dev/null || true)/bin:$$PATH" SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam build

clean:
	rm -rf $(VENV) .venv-sam .aws-sam .pytest_cache .bench
