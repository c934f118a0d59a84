# Two commands set everything up: `make run` and `make test`. Each installs what it needs first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 3000

.PHONY: run reset test test-slow test-all test-313 test-slow-313 test-slow-dev browser-test soak bench bench-publish mutate coverage lint-template build \
	deploy-check install-check lock lint typecheck clean

$(STAMP): requirements-dev.txt shared/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)  ## serve the local stack on http://127.0.0.1:$(PORT); tables kept in .devstack/ (RESET=1: start empty)
	PORT=$(PORT) RESET=$(RESET) $(PY) -m devstack.serve

reset: $(STAMP)  ## forget the local stack's tables: the next make run starts empty
	$(PY) -m devstack.persistence reset

# Two tiers. `make test`, the fast one, tests every behaviour at small sizes (2 threads, 50 alarms, 2,000
# keys, in-process stacks); `make test-slow` runs the tests marked `slow`: the same behaviours at scale
# (16 threads x 50, 1,000 alarms, 100,000 keys, histories of 10,000), the quick soak and benchmark runs
# and the real `python -m devstack.serve` subprocesses and restarts. PYTEST_ARGS adds to either.
FAST := -m "not slow"
SLOW := -m slow

test: $(STAMP)  ## the fast tier: every behaviour at small sizes (make test-slow: at scale, soak-quick, subprocesses)
	$(PY) -m pytest $(FAST) $(PYTEST_ARGS)

test-slow: $(STAMP)  ## the slow tier: scale, quick soak and benchmark, real local-stack subprocesses and restarts
	$(PY) -m pytest $(SLOW) $(PYTEST_ARGS)

test-all: $(STAMP)  ## both tiers in one run
	$(PY) -m pytest $(PYTEST_ARGS)

# The tiers again on Python 3.13, Lambda's runtime (pyenv's when present), in a venv of its own. Left to
# the developer's Python (they test dev-only tools, not what Lambda runs): the page's browser tests
# (`make test`, `make browser-test`) and, in the slow tier, the benchmark and the local stack's real
# subprocesses and restarts (`make test-slow`; CI runs them as `make test-slow-dev`).
PY313      ?= $(or $(wildcard $(shell pyenv prefix 3.13 2>/dev/null)/bin/python),python3.13)
VENV313    := .venv-313
STAMP313   := $(VENV313)/.installed
NOT_ON_313 := --ignore=tests/browser --ignore=tests/test_bench.py
DEV_ONLY   := tests/test_bench.py tests/test_devstack_persistence.py tests/test_devstack_gateway.py tests/test_reminders.py

$(STAMP313): requirements-dev.txt shared/requirements.txt
	$(PY313) -m venv $(VENV313)
	$(VENV313)/bin/python -m pip install --quiet --upgrade pip
	$(VENV313)/bin/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP313)

test-313: $(STAMP313)  ## the fast tier on Python 3.13
	$(VENV313)/bin/python -m pytest $(FAST) $(NOT_ON_313) $(PYTEST_ARGS)

test-slow-313: $(STAMP313)  ## the slow tier on Python 3.13, less the dev-only tools' (make test-slow-dev)
	$(VENV313)/bin/python -m pytest $(SLOW) $(NOT_ON_313) $(addprefix --ignore=,$(DEV_ONLY)) $(PYTEST_ARGS)

test-slow-dev: $(STAMP)  ## the slow tier's dev-only tests (benchmark, local-stack restarts): what 3.13 leaves out
	$(PY) -m pytest $(SLOW) $(DEV_ONLY) $(PYTEST_ARGS)

# What AWS would run: the layer built from shared/requirements.txt for Python 3.13, each function's handler
# in a fresh venv with only boto3 beside it and Lambda's environment, one sample event each, against moto
# (in this process, not the handlers'). See devstack/deploy_check.py.
deploy-check: $(STAMP)  ## the functions as Lambda would run them (Python 3.13, the built layer, boto3 only)
	$(PY) -m devstack.deploy_check --python $(PY313)

install-check: $(STAMP)  ## pip install . and -e . into a fresh venv: the package, its dependencies and data
	$(PY) scripts/install_check.py

lock: $(STAMP)  ## pin the layer's dependencies (shared/requirements.txt) from pyproject.toml, for Python 3.13
	$(PY) scripts/lock_layer.py

# ruff (lint + format) and mypy --strict, configured in pyproject.toml, check the whole tree, from a venv
# of their own (mypy reads the project's packages from .venv).
LINT_VENV  := .venv-lint
LINT_STAMP := $(LINT_VENV)/.installed
CHECKED    ?= .

$(LINT_STAMP):
	$(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install --quiet ruff==0.17.6 mypy==2.4.1
	touch $(LINT_STAMP)

lint: $(LINT_STAMP)  ## ruff check and ruff format --check (of CHECKED)
	$(LINT_VENV)/bin/ruff check $(CHECKED)
	$(LINT_VENV)/bin/ruff format --check $(CHECKED)

typecheck: $(LINT_STAMP) $(STAMP)  ## mypy --strict (of CHECKED; imported modules are read, not reported)
	$(LINT_VENV)/bin/mypy --python-executable $(PY) --follow-imports=silent $(CHECKED)

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

bench: $(STAMP)  ## the benchmark: writes .bench/report.md and .bench/report.json (QUICK=1: its quick mode)
	$(PY) -m devstack.bench $(if $(QUICK),--quick)
	$(PY) -m devstack.bench_live $(if $(QUICK),--rounds 5)

bench-live: $(STAMP)  ## live sessions' latencies on the local stack and the idle cost model (.bench/live.json)
	$(PY) -m devstack.bench_live

bench-publish: $(STAMP)  ## a full benchmark run, committed: benchmarks/report.md + .json and the README's table
	$(PY) -m devstack.bench --publish

# Deliberate bugs in shared/durable_agents/runtime/, one at a time in a copy of the tree, the runtime tests
# against each (devstack/mutate.py); fails when one survives in the lease, commit or release paths. Slow
# (a surviving mutant costs a whole run of the runtime tests): not part of `make test`.
mutate: $(STAMP)  ## the mutation run over runtime/: which test kills each mutant (PUBLISH=1: to benchmarks/)
	$(PY) -m devstack.mutate $(if $(PUBLISH),--publish)

COVERAGE_TESTS ?= tests/test_runtime_*.py tests/test_faults.py tests/test_alarms.py
coverage: $(STAMP)  ## branch coverage of shared/durable_agents/runtime/ by the runtime tests (fails if a test does)
	@mkdir -p .bench; export COVERAGE_FILE=.bench/coverage; \
	$(PY) -m coverage run --branch --source=shared/durable_agents/runtime -m pytest -p no:cacheprovider \
		$(COVERAGE_TESTS); status=$$?; $(PY) -m coverage report --show-missing; exit $$status

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
	rm -rf $(VENV) .venv-sam $(VENV313) $(LINT_VENV) .aws-sam .pytest_cache .bench .deploy-check build
