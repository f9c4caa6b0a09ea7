# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint test-py test-js venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[test]'
	touch $@

venv: $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/convviz serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check convcore app tests benchmarks
	$(BIN)/ruff format --check convcore app tests benchmarks
	$(BIN)/mypy

test-py: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n 2 -m "not deploy" tests

test-js:
	node --test tests/js/

test: lint test-js test-py

# The classroom stack for real (tests marked `deploy`): needs a Docker engine. When none answers, start
# the local one with DOCKER_LOCAL (this repository's sibling tool) and stop it afterwards.
DOCKER_LOCAL ?= ../shared/tools/docker-local.sh

.PHONY: test-deploy
test-deploy: $(VENV)/.installed-test
	@started=0; \
	if ! docker info >/dev/null 2>&1; then bash $(DOCKER_LOCAL) up && started=1 || exit 1; fi; \
	$(BIN)/python -m pytest -m deploy tests/deploy -v; status=$$?; \
	if [ $$started = 1 ]; then bash $(DOCKER_LOCAL) down; fi; \
	exit $$status
