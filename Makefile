# Two commands for a newcomer: `make run` and `make test`. See README.md.
SHELL := /bin/bash
# The first Python that is 3.12 or newer (pyenv reads .python-version for python3).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test lint typecheck check-deploy messages clean

$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (none found on PATH)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Install what pyproject.toml lists (no build of the project itself).
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) bin/requirements.py | $(PY) -m pip install --quiet -r /dev/stdin
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) bin/requirements.py dev | $(PY) -m pip install --quiet -r /dev/stdin
	@touch $(VENV)/.installed $@

run: $(VENV)/.installed
	@echo "Preparing the database (var/coop_shop.sqlite3 unless DATABASE_URL is set)…"
	@$(PY) manage.py migrate --noinput -v0
	@$(PY) manage.py seed_demo
	@$(PY) -m coop_shop.devrun

# axe-core for the accessibility journeys, pinned by package-lock.json (npm's registry).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --silent --no-audit --no-fund && touch $@; \
	else echo "npm not found: the accessibility journeys will be skipped (CI requires them)."; fi

test: $(VENV)/.installed-dev node_modules/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

messages: $(VENV)/.installed
	$(PY) manage.py makemessages --locale fr_CA --no-obsolete --ignore '.venv/*' --ignore 'var/*'
	$(PY) manage.py compilemessages --locale fr_CA --ignore '.venv/*'

clean:
	rm -rf var/
