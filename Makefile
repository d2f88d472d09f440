# One command for each daily act. `make run` and `make test` install what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test install lint format messages bench demo-data clean

## Install everything, create demo data and start web + Celery worker + beat.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "FFS Portal: http://$${FFS_HOST:-127.0.0.1}:$${FFS_PORT:-8000}/  (Ctrl+C stops it)"
	@echo "E-mails are written to var/mail/."
	@echo ""
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(BIN)/honcho -f Procfile.dev start

## Install everything and run the whole test suite (browser tests included).
# Tests that time what the screen shows run last, alone (exit code 5: none were selected).
test: install browser
	$(BIN)/pytest -n $${PYTEST_WORKERS:-2} --dist worksteal -m "not alone" $(PYTEST_ARGS)
	$(BIN)/pytest -m alone $(PYTEST_ARGS) || [ $$? -eq 5 ]

install: $(VENV)/.installed node_modules/.installed locale/zh_Hans/LC_MESSAGES/django.mo

$(VENV)/.installed: requirements-dev.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed" or 0)'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# Bootstrap, icons, Chart.js and the QR reader, from the npm registry (package-lock.json).
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js 18 or newer) is needed for the portal's CSS and JS"; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# Compiled with polib: no gettext needed to set up.
locale/zh_Hans/LC_MESSAGES/django.mo: locale/zh_Hans/LC_MESSAGES/django.po $(VENV)/.installed
	$(PY) -c 'import polib; polib.pofile("$<").save_as_mofile("$@")'

# Debian's Chromium when it is installed; otherwise Playwright's own browser.
browser: $(VENV)/.installed
	@test -x /usr/bin/chromium || $(PY) -m playwright install chromium || \
	  echo "No Chromium: the browser tests will fail. Install Debian's chromium package."

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(PY) manage.py makemigrations --check --dry-run
	DJANGO_DEBUG=false DJANGO_HTTPS=true DJANGO_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  DJANGO_ALLOWED_HOSTS=ffs.example.com $(PY) manage.py check --deploy --fail-level WARNING

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Refresh the Chinese catalogue after changing user-facing strings (needs gettext).
messages: install
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete --no-location --ignore .venv --ignore node_modules --ignore var --ignore tests --ignore bench

bench: install
	$(PY) bench/run.py

clean:
	rm -rf var/ node_modules/ $(VENV)/
