# Two commands: `make run` (set up everything, serve the demo) and `make test` (set up, lint, run the whole suite).
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)
ASSETS := app/static/govuk/govuk-frontend.min.css
PORT ?= 5000
# The suite runs on this many processes, each with its own throwaway PostgreSQL, temp dirs and ports; whole test
# files go to one worker so module fixtures are built once. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2

.PHONY: run training test setup assets db demo serve system-test-deps bench lint clean help

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

run: setup db demo ## Set up, migrate, seed demo data and serve on http://127.0.0.1:$(PORT) (mail to a local sink: /dev/mail)
	MASH_DEV_MAIL=1 MASH_BASE_URL=$${MASH_BASE_URL:-http://127.0.0.1:$(PORT)} MASH_COUNCIL_DOMAIN=$${MASH_COUNCIL_DOMAIN:-council.example} \
	  $(BIN)/mash serve --port $(PORT)

test: setup system-test-deps lint ## Install what the tests need, lint, and run the whole suite
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: setup ## Ruff (rules in pyproject.toml) over the whole repository; mypy over app (strict on engine, core and casework)
	status=0; $(BIN)/ruff check . || status=1; $(BIN)/mypy || status=1; exit $$status

setup: $(STAMP) $(ASSETS) ## Python dependencies (pinned) and web assets (npm)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(ASSETS): web/node_modules/.package-lock.json web/build.mjs $(wildcard app/static_src/*) $(wildcard web/src/*) $(wildcard web/src/lib/*)
	cd web && npm run --silent build

assets: $(ASSETS) ## Build the GOV.UK Frontend and bpmn-js assets into app/static

db: setup ## Create or migrate the database and register the diagrams
	$(BIN)/mash init-db

demo: db ## Seed demo users and cases (once)
	$(BIN)/mash demo

serve: ## Serve without setting up
	$(BIN)/mash serve --port $(PORT)

training: setup ## The training sandbox on its own marked database (MASH_TRAINING_DATABASE_URL, default instance/training.db)
	MASH_TRAINING=1 $(BIN)/mash init-db
	MASH_TRAINING=1 $(BIN)/mash demo
	-MASH_TRAINING=1 $(BIN)/mash training check
	MASH_TRAINING=1 $(BIN)/mash serve --port $(PORT)

# Chromium for the browser tests and PostgreSQL for the database tests come from Debian.
system-test-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null; \
	  else echo "chromium is missing: install Debian's chromium package (browser tests will be skipped)"; fi; \
	fi
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null; \
	  else echo "PostgreSQL is missing: install Debian's postgresql package"; fi; \
	fi

bench: setup ## Measure task completions per second and latency through the HTTP API
	$(BIN)/python bench/task_throughput.py

clean: ## Remove the virtualenv, node_modules, built assets and the local database
	rm -rf $(VENV) web/node_modules app/static instance
