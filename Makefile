# Two commands do everything on a fresh machine:
#   make run   - set up, migrate, load demo data, serve http://127.0.0.1:8000 (SQLite, tasks in-process)
#   make test  - set up and run the whole test suite (SQLite by default; DATABASE_URL for PostgreSQL)
PY := .venv/bin/python
export SECRET_KEY_FILE ?= $(CURDIR)/var/secret_key

.PHONY: setup setup-test run migrate seed test lint format bench clean

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

migrate: setup
	$(PY) manage.py migrate --noinput

seed: migrate
	DEBUG=1 $(PY) manage.py seed_demo

run: seed
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

test: setup-test
	$(PY) -m pytest

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: setup
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

bench: setup
	$(PY) bench/run.py

clean:
	rm -rf .venv var staticfiles .pytest_cache .ruff_cache
