# One entry point per task. Every target bootstraps what it needs, so a fresh
# clone on a machine with Python 3.11, PostgreSQL and Redis needs nothing else.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
# Never let uv fetch an interpreter: the machine's Python is the one we use.
export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1

LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(UV):
	@echo "bootstrapping uv $(UV_VERSION) into $(TOOLS)/"
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

# ci/requirements.lock is the Dagger module's runtime lock: the dev lock's versions, without
# dagger-io itself, which comes from the SDK the engine vendors into ci/sdk/.
.PHONY: lock
lock: $(UV) ## Regenerate the hash-pinned lock files from pyproject.toml
	$(UV) pip compile pyproject.toml $(LOCK_FLAGS) -o requirements/runtime.txt
	$(UV) pip compile pyproject.toml --group dev $(LOCK_FLAGS) -o requirements/dev.txt
	$(UV) pip compile requirements/build.in $(LOCK_FLAGS) -o requirements/build.txt
	$(UV) pip compile infra/requirements.in $(LOCK_FLAGS) -o infra/requirements.txt
	cd ci && ../$(UV) pip compile pyproject.toml --no-sources $(LOCK_FLAGS) \
		--no-emit-package dagger-io -c ../requirements/dev.txt -o requirements.lock

# The stamp makes `make install` a no-op until a lock file changes.
$(VENV)/.installed: $(UV) requirements/dev.txt pyproject.toml
	[ -x $(BIN)/python ] || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --python $(BIN)/python requirements/dev.txt
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

.PHONY: install
install: $(VENV)/.installed ## Build .venv from the lock files

.PHONY: up
up: install ## Serve the API on http://127.0.0.1:8000 against local PostgreSQL and Redis
	$(BIN)/cloudmetrics prestart --create-database
	exec $(BIN)/cloudmetrics serve

.PHONY: test
test: install ## Run the whole test suite
	$(BIN)/pytest

.PHONY: lint
lint: install ## ruff, strict type checks, migration and workflow audits
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pyright
	$(BIN)/cloudmetrics migrate lint
	$(BIN)/zizmor --offline .github/workflows

.PHONY: format
format: install ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

.PHONY: bench
bench: install ## Run every benchmark script and print its figures
	for script in benchmarks/[!_]*.py; do echo "== $$script"; $(BIN)/python "$$script"; done
