# qed: two commands on a fresh machine.
#   make demo   install, then run the main job on the embedded sandbox
#   make test   install, then run lint, import contracts and the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXTRAS ?= dev,train,serve,metrics,dist,data
export HF_HUB_OFFLINE := 1

.PHONY: setup demo test test-fast lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-$(EXTRAS): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

setup: $(VENV)/.installed-$(EXTRAS)

demo: setup
	$(BIN)/qed demo

lint: setup
	$(BIN)/ruff check qed tests benchmarks
	$(BIN)/lint-imports

test: setup lint
	$(BIN)/pytest -m "not lean and not gpu" -q

test-fast: setup
	$(BIN)/pytest -m "not slow and not lean and not gpu" -q

bench: setup
	$(BIN)/python benchmarks/sandbox_tactics.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
