# Two set-up commands (see README): `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/review: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Offline: the bundled seed thread, a test kernel tree built from its own pre-images.
demo: $(BIN)/review
	$(BIN)/python -m reviewer.demo

test: $(BIN)/review
	$(BIN)/ruff check reviewer checks tests benchmarks
	$(BIN)/mypy reviewer
	$(BIN)/pytest -q

bench: $(BIN)/review
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
