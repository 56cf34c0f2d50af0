# One entry point per task. Every target bootstraps what it needs, so a fresh
# clone on a machine with Python 3.11 needs nothing else: where no PostgreSQL or Redis
# answers, `make up` and `make test` start their own from development packages (docs/adr/0005).
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
# Python's bytecode cache stays on even where the environment turns it off: without it every
# process compiles each module it imports again, which cost the suite's collection 18 s instead
# of 4 s per worker, and every server a test starts a second of compiling.
unexport PYTHONDONTWRITEBYTECODE

# Four pytest worker processes, even on two cores: most of a test's time is spent waiting on
# servers, sockets and deadlines, not on the CPU (measured on two cores: 1 worker 171 s,
# 2 workers 97 s, 4 workers 89 s). Every test has its own database, and no test drops one
# itself (PostgreSQL checkpoints on each DROP DATABASE; they all wait for the session's end).
# TEST_WORKERS=0 runs in one process (for pdb, or output in order).
TEST_WORKERS ?= 4

LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(UV):
	@echo "bootstrapping uv $(UV_VERSION) into $(TOOLS)/"
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

.PHONY: lock
lock: $(UV) ## Regenerate the hash-pinned lock files from pyproject.toml
	$(UV) pip compile pyproject.toml $(LOCK_FLAGS) -o requirements/runtime.txt
	$(UV) pip compile pyproject.toml --group dev $(LOCK_FLAGS) -o requirements/dev.txt
	$(UV) pip compile requirements/build.in $(LOCK_FLAGS) -o requirements/build.txt
	$(UV) pip compile infra/requirements.in $(LOCK_FLAGS) -o infra/requirements.txt
	$(UV) pip compile infra/policy_pack/requirements.in $(LOCK_FLAGS) -o infra/policy_pack/requirements.txt
	$(MAKE) ci-lock

# ci/requirements.lock is the Dagger module's runtime lock: the dev lock's versions, without
# dagger-io itself, which comes from the SDK the engine vendors into ci/sdk/. `dagger develop`
# (and `dagger init`) rewrite it without hashes (the Python runtime runs `uv pip compile`
# without --generate-hashes): run `make ci-lock` after either to restore the hashed lock.
.PHONY: ci-lock
ci-lock: $(UV) ## Restore ci/requirements.lock, hash-pinned (after `dagger develop` rewrote it)
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

# The front end (web/): `npm ci` from the committed lock (install scripts off: every native
# binary comes as a registry package), then the fingerprinted build into web/dist/. Both are
# no-ops until their inputs change. Tailwind reads the templates, so they are inputs too.
WEB_SOURCES := web/build.mjs web/package.json $(shell find web/src service/cloudmetrics/dashboard/templates -type f 2>/dev/null)

web/node_modules/.installed: web/package-lock.json web/package.json
	cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

web/dist/manifest.json: web/node_modules/.installed $(WEB_SOURCES)
	cd web && node build.mjs

.PHONY: assets
assets: web/dist/manifest.json ## Build the dashboard's scripts and styles into web/dist/

.PHONY: up
up: install assets ## Serve on http://127.0.0.1:8000 (PostgreSQL and Redis of its own where none answers)
	exec $(BIN)/cloudmetrics with-local-servers -- \
		bash -c '$(BIN)/cloudmetrics prestart --create-database && exec $(BIN)/cloudmetrics serve'

# The policy pack's own virtualenv, where PulumiPolicy.yaml says the CLI keeps it and from the
# same hash-pinned requirements.txt its pip toolchain installs: the suite starts the pack from it
# as the CLI does and speaks to it over gRPC (tests/infra/test_policy_pack_over_grpc.py).
POLICY_VENV := infra/policy_pack/venv

$(POLICY_VENV)/.installed: $(UV) infra/policy_pack/requirements.txt
	[ -x $(POLICY_VENV)/bin/python ] || $(UV) venv --quiet --python $(PYTHON) $(POLICY_VENV)
	$(UV) pip sync --quiet --python $(POLICY_VENV)/bin/python infra/policy_pack/requirements.txt
	touch $@

.PHONY: policy-pack
policy-pack: $(POLICY_VENV)/.installed ## Build the policy pack's virtualenv (as `pulumi --policy-pack` does)

.PHONY: test
test: install assets policy-pack ## Run the whole test suite
	$(BIN)/pytest --numprocesses=$(TEST_WORKERS)

.PHONY: lint
lint: install web/node_modules/.installed ## ruff, strict type checks, migration and workflow audits, doc links, ESLint, Prettier, tsc
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pyright
	$(BIN)/cloudmetrics migrate lint
	$(BIN)/zizmor --offline .github/workflows
	$(BIN)/python scripts/check_links.py README.md docs
	$(BIN)/python scripts/adr_index.py
	cd web && node_modules/.bin/eslint . && node_modules/.bin/prettier --check . \
		&& node_modules/.bin/tsc --noEmit

.PHONY: format
format: install ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	cd web && node_modules/.bin/prettier --write --log-level=warn .

.PHONY: bench
bench: install assets ## Run every benchmark script and print its figures
	for script in benchmarks/[!_]*.py; do name=$$(basename "$$script" .py); echo "== benchmarks.$$name"; $(BIN)/python -m "benchmarks.$$name"; done
