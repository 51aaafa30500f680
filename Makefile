# netcourt — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
NETCOURT := $(BIN)/netcourt
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := netcourt.core.settings
# The OpenID provider the eID tests run against (Node.js; see tests/eid_provider/).
EID_PROVIDER := tests/eid_provider

.PHONY: run install install-test system-test-packages messages check test test-fast e2e bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed messages

messages: $(VENV)/.installed
	$(PY) -m netcourt.core.i18n compile

run: install
	$(NETCOURT) migrate
	$(NETCOURT) demo
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop); jobs and timers run in a worker beside it"
	$(NETCOURT) worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(NETCOURT) serve --host $(HOST) --port $(PORT)

# Debian packages the tests need (as root): Chromium for the browser tests, Node.js for the
# eID provider the identity tests run against, ClamAV's clamd for the evidence scanning tests.
system-test-packages:
	@if [ "$$(id -u)" = "0" ] && ! [ -x /usr/bin/chromium ]; then \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk; \
	fi
	@if [ "$$(id -u)" = "0" ] && ! command -v npm >/dev/null; then \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm; \
	fi
	@if [ "$$(id -u)" = "0" ] && ! [ -x /usr/sbin/clamd ]; then \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q clamav-daemon; \
	fi

# npm ci again only when node_modules is missing or the lock file changed.
$(EID_PROVIDER)/node_modules/.installed: $(EID_PROVIDER)/package-lock.json | system-test-packages
	npm ci --prefix $(EID_PROVIDER) --no-audit --no-fund
	touch $@

install-test: $(VENV)/.installed-test messages system-test-packages $(EID_PROVIDER)/node_modules/.installed

check: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	NETCOURT_DATA_DIR=$$(mktemp -d) $(PY) -m django makemigrations --check --dry-run

test: check
	$(BIN)/pytest

test-fast: install-test
	$(BIN)/pytest -m "not e2e"

e2e: install-test
	$(BIN)/pytest -m e2e

bench: install-test
	$(PY) bench/filing.py
	$(PY) bench/ledger.py
	$(PY) bench/vault.py
	$(PY) bench/ingest.py
	$(PY) bench/hearing.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
