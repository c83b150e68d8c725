# Steward — the one entry point for developers and CI.
#
#   make check   bootstrap, then lint typecheck cfn-lint checkov validate asl build test, timed
#                (CI: .ci/run)
#   make demo    bootstrap, then `steward demo`
#
# Every tool runs from .venv (Python, pinned by requirements/constraints.txt), node_modules
# (asl-validator, pinned by package-lock.json) or a venv of its own whose pins clash with the
# project's (.venv-awscli, .venv-checkov: requirements/*.txt); nothing is installed globally.
#
# This file is also the shared makefile that `sam build` runs for every Lambda function
# (template.yaml: `Metadata: {BuildMethod: makefile, ContextPath: .}`): see `build-%` at the end.
# SAM runs it from a scratch copy of the function's CodeUri, so nothing outside that rule may
# depend on the current directory being the repository root at parse time.

ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.NOTPARALLEL:
MAKEFLAGS += --no-builtin-rules --no-print-directory

# Interpreter that creates .venv (the project targets 3.11; any python3 >= 3.11 will do).
PYTHON ?= $(shell command -v python3.11 || command -v python3)

VENV        := .venv
BIN         := $(VENV)/bin
CONSTRAINTS := requirements/constraints.txt
ASL_VALIDATOR := node_modules/.bin/asl-validator

# Bootstrap stamps are keyed on the lock files' content: a changed lock re-installs, an unchanged
# one is a no-op. (Computed from $(ROOT) so the parse is harmless when SAM runs us elsewhere.)
PY_LOCK_HASH  := $(shell cd '$(ROOT)' && cat pyproject.toml packages/steward-bearer-token/pyproject.toml $(CONSTRAINTS) 2>/dev/null | sha256sum | cut -c1-16)
NPM_LOCK_HASH := $(shell cd '$(ROOT)' && cat package.json package-lock.json 2>/dev/null | sha256sum | cut -c1-16)
PY_STAMP      := $(VENV)/.bootstrap-$(PY_LOCK_HASH)
# The aws CLI in a venv of its own (requirements/awscli.txt): tests drive `steward local up`
# with it, and bench/s3_sync.py compares against it.
AWSCLI_VENV   := .venv-awscli
AWSCLI_HASH   := $(shell cd '$(ROOT)' && cat requirements/awscli.txt 2>/dev/null | sha256sum | cut -c1-16)
AWSCLI_STAMP  := $(AWSCLI_VENV)/.bootstrap-$(AWSCLI_HASH)
# checkov in a venv of its own (requirements/checkov.txt, its whole closure): it pins boto3 and
# packaging below the project's.
CHECKOV_VENV  := .venv-checkov
CHECKOV_HASH  := $(shell cd '$(ROOT)' && cat requirements/checkov.txt 2>/dev/null | sha256sum | cut -c1-16)
CHECKOV_STAMP := $(CHECKOV_VENV)/.bootstrap-$(CHECKOV_HASH)
NPM_STAMP     := node_modules/.bootstrap-$(NPM_LOCK_HASH)

# sam and the AWS SDKs: no telemetry, a region, and never the developer's real account.
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1
export AWS_REGION ?= $(AWS_DEFAULT_REGION)
# The layer build (layers/steward_common/Makefile) pip-installs with the venv's interpreter.
export PATH := $(ROOT)/$(BIN):$(PATH)

TEMPLATE        ?= template.yaml
SAM_BUILD_FLAGS ?= --parallel
PYTEST_ARGS     ?=
# pytest-xdist: one worker per core. Each worker runs its tests one after another, and the local
# cloud runs one at a time in a process, so no test shares moto with another at once.
PYTEST_WORKERS  ?= auto
CHECK_STEPS     := lint typecheck cfn-lint checkov validate asl build test

.PHONY: help bootstrap lint format typecheck cfn-lint checkov validate asl build test check demo bench \
        clean distclean lock

help:
	@echo "make check      bootstrap + lint typecheck cfn-lint checkov validate asl build test (what CI runs)"
	@echo "make bootstrap  create .venv and node_modules from the lock files (no-op when current)"
	@echo "make lint       ruff check + ruff format --check     make format   apply ruff fixes + format"
	@echo "make typecheck  mypy --strict on the layer, the functions, the CLI and the bearer-token client"
	@echo "make cfn-lint   cfn-lint + AWS's serverless rules on $(TEMPLATE)"
	@echo "make checkov    checkov on $(TEMPLATE), offline     make validate sam validate --lint"
	@echo "make asl        asl-validator on every statemachines/<automation>/*.asl.json"
	@echo "make build      sam build (no Docker) into .aws-sam/"
	@echo "make test       pytest (PYTEST_ARGS='-m unit' etc.)"
	@echo "make demo       steward demo on the local cloud     make bench    the benchmarks in bench/"
	@echo "make lock       re-resolve the newest deps and rewrite $(CONSTRAINTS)"
	@echo "make clean      remove build/test caches      make distclean  also .venv and node_modules"

# ------------------------------------------------------------------------------------ bootstrap

bootstrap: $(PY_STAMP) $(NPM_STAMP) $(AWSCLI_STAMP) $(CHECKOV_STAMP)

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "bootstrap: no python3.11 or python3 on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(PY_STAMP): | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS) \
		pip setuptools wheel
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS) \
		--no-build-isolation -e '.[dev]'
	@# The bearer-token client package (its dependencies came with '.[dev]' just above).
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		--no-deps --no-build-isolation -e packages/steward-bearer-token
	rm -f $(VENV)/.bootstrap-*
	touch $@

$(AWSCLI_STAMP):
	$(PYTHON) -m venv --clear $(AWSCLI_VENV)
	$(AWSCLI_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		--no-deps -r requirements/awscli.txt
	touch $@

# (--clear also drops the previous stamp.) The venv ignores itself, as Python 3.13's venvs do.
$(CHECKOV_STAMP):
	$(PYTHON) -m venv --clear $(CHECKOV_VENV)
	echo '*' > $(CHECKOV_VENV)/.gitignore
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		--no-deps -r requirements/checkov.txt
	touch $@

$(NPM_STAMP):
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	rm -f node_modules/.bootstrap-*
	touch $@

# ------------------------------------------------------------------------------------ checks

lint: $(PY_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(PY_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(PY_STAMP)
	$(BIN)/mypy

# One run reports both rule sets: --append-rules adds AWS's serverless rules to cfn-lint's own.
cfn-lint: $(PY_STAMP)
	$(BIN)/cfn-lint --append-rules cfn_lint_serverless.rules -- $(TEMPLATE)

# Offline, and the same verdict on every machine: no update check against PyPI, nothing fetched
# from or sent to the Prisma Cloud platform (--skip-download; an API key in the environment would
# turn uploads on), and no check list from the environment. Fails on any failed check that the
# resource's `Metadata: checkov: skip:` does not name. Note that checkov drops every resource
# whose Condition is false under the parameters' defaults, so it does not see those resources.
# checkov leaves out every resource whose Condition is false at the parameters' defaults (the
# automations that are off by default): it scans the template, then a copy with every resource.
CHECKOV_ALL := .aws-sam/every-resource.yaml
checkov: $(CHECKOV_STAMP) $(PY_STAMP)
	mkdir -p .aws-sam
	$(BIN)/python scripts/every_resource.py $(TEMPLATE) > $(CHECKOV_ALL)
	for scanned in $(TEMPLATE) $(CHECKOV_ALL); do \
	  env -u BC_API_KEY -u PRISMA_API_URL -u CKV_CHECK -u CKV_SKIP_CHECK \
		CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE \
		$(CHECKOV_VENV)/bin/checkov --file $$scanned --framework cloudformation \
		--skip-download --quiet --compact || exit 1; \
	done

validate: $(PY_STAMP)
	$(BIN)/sam validate --lint --template-file $(TEMPLATE) --region $(AWS_DEFAULT_REGION)

asl: $(PY_STAMP) $(NPM_STAMP)
	$(BIN)/python scripts/asl_check.py --validator $(ASL_VALIDATOR) statemachines

build: $(PY_STAMP)
	$(BIN)/sam build --template-file $(TEMPLATE) --build-dir .aws-sam/build $(SAM_BUILD_FLAGS)

# On a whole run (no PYTEST_ARGS), every local cloud records which of template.yaml's role
# statements allowed a call, and pytest ends with those no test exercised: each needs its reason
# in tests/iam_unexercised.yaml, or the run fails.
IAM_RECORD := $(ROOT)/.pytest-iam
test: $(PY_STAMP) $(AWSCLI_STAMP)
	rm -rf $(IAM_RECORD)
	$(if $(PYTEST_ARGS),,LOCALCLOUD_IAM_RECORD=$(IAM_RECORD)) $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Every step in turn, stopping at the first that fails, then how long each took.
check: bootstrap
	@times=""; \
	for step in $(CHECK_STEPS); do \
	  echo "== make $$step"; started=$$(date +%s); \
	  $(MAKE) $$step || { echo "== make $$step failed"; exit 1; }; \
	  times="$$times$$step $$(( $$(date +%s) - started ))\n"; \
	done; \
	echo "== make check passed; seconds per step:"; printf "$$times" | awk '{ printf "   %-10s %5d s\n", $$1, $$2; t += $$2 } END { printf "   %-10s %5d s\n", "total", t }'

demo: bootstrap
	$(BIN)/steward demo

# Speed and cost, each against the peer it names (never part of `check`: they measure, not test).
bench: bootstrap
	for script in bench/[!_]*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# ------------------------------------------------------------------------------------ upkeep

# Re-resolve everything at its newest version in a throwaway venv, rewrite the constraints, and
# re-pin the layer's direct dependencies to match. Review the diff, run `make check`, commit.
LOCK_VENV := $(ROOT)/.lock-venv
LAYER_REQUIREMENTS := aws-lambda-powertools[tracer,parser] requests
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -U pip setuptools wheel
	$(LOCK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(LOCK_VENV)/bin/python -m pip check
	{ sed -n '/^#/p' $(CONSTRAINTS); \
	  $(LOCK_VENV)/bin/python -m pip freeze --all --exclude-editable; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)
	{ echo '# Direct run-time deps of the steward_common layer, pinned to $(CONSTRAINTS) (make lock).'; \
	  for req in $(LAYER_REQUIREMENTS); do \
	    name=$${req%%[*}; \
	    version=$$(grep -i "^$$(echo "$$name" | sed 's/[-_.]/[-_.]/g')==" $(CONSTRAINTS) | cut -d= -f3); \
	    echo "$$req==$$version"; \
	  done; } > layers/steward_common/requirements.txt
	rm -rf $(LOCK_VENV)
	@# The local cloud hooks into moto's internals and refuses any moto but the pinned one:
	@# install the new pins and run its own tests now, in the same change.
	$(MAKE) bootstrap
	$(BIN)/pytest -n $(PYTEST_WORKERS) tests/localcloud tests/unit/localcloud

clean:
	rm -rf .aws-sam .pytest_cache .pytest-iam .mypy_cache .ruff_cache *.egg-info $(LOCK_VENV)
	find . -path ./$(VENV) -prune -o -path ./node_modules -prune -o \
		-name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(AWSCLI_VENV) $(CHECKOV_VENV) node_modules

# ------------------------------------------------------------------------------------ sam build

# One rule builds every function: `sam build` runs `make -f <repo>/Makefile build-<LogicalId>`
# from a scratch copy of the function's CodeUri with ARTIFACTS_DIR set. Functions have no
# third-party dependencies of their own (they come from the steward_common layer), so the
# artifact is just the CodeUri's Python sources, sub-packages included, minus tests and caches.
build-%:
	@test -n "$${ARTIFACTS_DIR:-}" || { echo "make $@: only sam build runs this (ARTIFACTS_DIR unset)" >&2; exit 2; }
	find . -name '*.py' ! -path '*/__pycache__/*' ! -path './tests/*' ! -name 'test_*.py' -print0 \
		| tar --null -T - -cf - | tar -xf - -C "$$ARTIFACTS_DIR"
	@test -n "$$(find "$$ARTIFACTS_DIR" -name '*.py' -print -quit)" \
		|| { echo "make $@: no *.py under $$PWD" >&2; exit 1; }
