# Two commands set up a fresh machine: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
# Two stamps: `make run` needs the runtime only; tests, lint and the browser tooling (Playwright alone is ~165 MB)
# are installed on the first `make test`, `make lint` or `make install-dev` (CI runs that).
STAMP     := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PIP       := $(BIN)/python -m pip install --disable-pip-version-check --progress-bar off

.PHONY: install install-dev run test lint lint-imports typecheck check-migrations schema clean
.PHONY: serve

install: $(STAMP)

install-dev: $(DEV_STAMP)

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	@echo "==> Creating the virtual environment in $(VENV)/"
	@$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.lock | $(VENV)/bin/python
	@echo "==> Installing the runtime requirements (requirements.lock) into $(VENV)/"
	@echo "    first run only: about a minute while pip downloads and installs $$(grep -c '^[a-zA-Z]' requirements.lock) packages"
	$(PIP) -r requirements.lock
	@touch $(STAMP)
	@echo "==> Runtime requirements installed"

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	@echo "==> Installing test and browser tooling (requirements-dev.lock: pytest, ruff, mypy, import-linter, Playwright, schemathesis)"
	$(PIP) -r requirements.lock -r requirements-dev.lock
	@touch $(DEV_STAMP)
	@echo "==> Development requirements installed"

run: install
	@echo "==> Applying database migrations"
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py ensure_superuser
	$(BIN)/python manage.py seed_demo
	@mkdir -p staticfiles  # whitenoise looks for STATIC_ROOT even when it serves from the apps
	@echo ""
	@echo "  API    http://127.0.0.1:$(PORT)/"
	@echo "  Docs   http://127.0.0.1:$(PORT)/api/docs/  (ReDoc: /api/redoc/, schema: /api/schema/)"
	@echo "  Admin  http://127.0.0.1:$(PORT)/admin/"
	@echo "  Shop   http://127.0.0.1:$(PORT)/demo/  (the reference storefront; pay with the sandbox)"
	@echo ""
	@# Unpaid orders expire, webhook retries go out and order and account e-mails a stopped server left are sent even
	@# without Redis/Celery beat: background loops that stop with runserver.
	PORT=$(PORT) $(BIN)/python manage.py expire_unpaid_orders --loop 60 > /dev/null & EXPIRER=$$!; \
	PORT=$(PORT) $(BIN)/python manage.py webhooks_sweep --loop 30 > /dev/null & SWEEPER=$$!; \
	PORT=$(PORT) $(BIN)/python manage.py order_emails_sweep --loop 60 > /dev/null & MAILER=$$!; \
	PORT=$(PORT) $(BIN)/python manage.py account_emails_sweep --loop 60 > /dev/null & ACCOUNT_MAILER=$$!; \
	trap 'kill $$EXPIRER $$SWEEPER $$MAILER $$ACCOUNT_MAILER 2>/dev/null' EXIT INT TERM; \
	PORT=$(PORT) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .

lint-imports: install-dev
	$(BIN)/lint-imports

typecheck: install-dev
	$(BIN)/mypy

check-migrations: install
	$(BIN)/python manage.py makemigrations --check --dry-run

schema: install
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file schema.yml

clean:
	rm -rf $(VENV) db.sqlite3 .cache .pytest_cache .ruff_cache .mypy_cache .import_linter_cache .grimp_cache staticfiles .pytest-media

# The production server on this machine: production settings (DEBUG off, HTTPS redirect, secure cookies),
# gunicorn with gunicorn.conf.py, static files collected and served by whitenoise. It reads the same environment
# and .env as `make run`, but never invents a SECRET_KEY: a generated key would silently change on the next run
# and log every user out, so it stops and says how to set one.
SERVE_ENV := DJANGO_SETTINGS_MODULE=config.settings.production PORT=$(PORT)

serve: install
	@$(SERVE_ENV) $(BIN)/python -c 'import django; django.setup()' 2>/dev/null || { \
	  $(SERVE_ENV) $(BIN)/python -c 'import django; django.setup()' 2>&1 | tail -n 1; \
	  echo ""; \
	  echo "make serve uses the production settings. Set SECRET_KEY (50+ random characters) in the"; \
	  echo "environment or in .env, for example:"; \
	  echo "  export SECRET_KEY=\"\$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')\""; \
	  exit 1; }
	$(SERVE_ENV) $(BIN)/python manage.py migrate --noinput
	$(SERVE_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo ""
	@echo "  API     http://127.0.0.1:$(PORT)/  (production settings: plain-HTTP requests other than /health/"
	@echo "          redirect to HTTPS; set SECURE_SSL_REDIRECT=false only when no TLS proxy is in front)"
	@echo "  Health  http://127.0.0.1:$(PORT)/health/"
	@echo ""
	$(SERVE_ENV) $(BIN)/gunicorn --config gunicorn.conf.py
