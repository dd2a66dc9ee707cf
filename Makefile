PY := .venv/bin/python

.PHONY: help install demo test test-all lint typecheck bench ci

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12

install:  ## Debian packages when missing, .venv with the pinned requirements, compiled catalogues
	bash setup.sh

demo:  ## migrate, load the synthetic 2020 demo data and evaluate it
	$(PY) manage.py demo

test:  ## the whole suite on SQLite (real-worker tests skip)
	$(PY) -m pytest -n auto

test-all:  ## the whole suite on local PostgreSQL and Redis
	DATABASE_URL=postgres://postgres@localhost:5432/ipcities CELERY_BROKER_URL=redis://localhost:6379/0 $(PY) -m pytest -n auto

lint:  ## ruff lint and format check
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

typecheck:  ## mypy (strict on the scoring core)
	.venv/bin/mypy

bench:  ## the benchmark (prints figures; see docs/benchmarks.md)
	$(PY) bench/run.py

ci:  ## what CI runs, from a fresh virtual environment
	bash .ci/run
