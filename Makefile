# The two commands a new machine needs:
#   make run   installs Rebound into .venv and starts it at http://127.0.0.1:5000
#   make test  installs everything the tests need and runs the whole suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test install lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

install: $(PY)
	$(PY) -m pip install -q -e .

run: install
	$(VENV)/bin/rebound serve

test: $(PY)
	bash scripts/install-test-deps.sh $(VENV)
	$(VENV)/bin/bandit -q -r app -ll
	$(VENV)/bin/lint-imports --no-cache
	bash scripts/run-tests.sh $(VENV)

lint: $(PY)
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/ruff check app tests bench
	$(VENV)/bin/ruff format --check app tests bench

bench: $(PY)
	$(PY) bench/transcription.py

clean:
	rm -rf $(VENV) build dist .pytest_cache
