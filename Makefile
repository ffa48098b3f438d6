# Mitra KIA — two commands: `make demo` (install, migrate, seed, serve) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed

# The demo's secret lives in var/ (git-ignored); a real deployment sets MITRAKIA_SECRET_KEY itself.
ifeq ($(MITRAKIA_SECRET_KEY),)
export MITRAKIA_SECRET_KEY_FILE ?= var/secret_key
endif

.PHONY: demo test test-cluster install migrate seed serve lint format typecheck check clean screenshots

demo: $(STAMP) var/secret_key ## Install, migrate, seed the two demo cities and serve on http://127.0.0.1:$(PORT)
	$(BIN)/mitrakia migrate
	$(BIN)/mitrakia demo seed
	@echo ""
	@echo "  Mitra KIA demo: http://127.0.0.1:$(PORT)   (API schema: /schema/openapi.json)"
	@echo "  Logins (password 'demo'): dukcapil, dukcapil.rejanglebong, ditjen, analis, gramedia.manajer, gramedia.kasir (more: see README)"
	@echo "  Parents' catalog: http://127.0.0.1:$(PORT)/penawaran   Cashier app: http://127.0.0.1:$(PORT)/kasir"
	@echo ""
	MITRAKIA_WEBHOOK_ALLOW_LOCAL=$${MITRAKIA_WEBHOOK_ALLOW_LOCAL:-true} $(BIN)/mitrakia serve --port $(PORT)

test: $(STAMP) ## The whole suite: SQLite + memory, then PostgreSQL + Redis when MITRAKIA_TEST_* URLs are set
	$(BIN)/python tests/run_backends.py $(PYTEST_ARGS)

test-cluster: $(STAMP) ## Two app nodes behind HAProxy, a PostgreSQL primary and replica, Redis (docs/deploy): the multi-node tests
	MITRAKIA_TEST_CLUSTER=1 $(BIN)/python -m pytest -p no:logging -q tests/cluster $(PYTEST_ARGS)

screenshots: $(STAMP) ## Retake the guides' pictures in docs/img (the consoles' story in headless Chromium)
	MITRAKIA_TEST_SCREENSHOTS=docs/img $(BIN)/python -m pytest -q -p no:logging tests/admin/test_console_story_browser.py \
		tests/partners/test_webhook_pages_browser.py

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Mitra KIA needs Python 3.11 or newer (found " + sys.version.split()[0] + "); set PYTHON=/path/to/python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --constraint constraints.txt --editable '.[dev]'
	touch $@

var/secret_key:
	@mkdir -p var
	@umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(48))' > $@
	@echo "generated a demo secret in $@"

migrate: $(STAMP) var/secret_key
	$(BIN)/mitrakia migrate

seed: migrate
	$(BIN)/mitrakia demo seed

serve: $(STAMP) var/secret_key
	$(BIN)/mitrakia serve --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

clean:
	rm -rf $(VENV) var/test-results .pytest_cache .mypy_cache .ruff_cache
