# Two set-up commands (see README): `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint bench fuzz clean

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

# Property tests with a large budget (>= 100,000 generated inputs); the result goes into TESTING.md.
fuzz: $(BIN)/review
	$(BIN)/python tests/fuzz.py

# Numbers go into BENCHMARKS.md by hand; generated trees are cached in benchmarks/_work/.
bench: $(BIN)/review
	$(BIN)/python benchmarks/retrieve_bench.py
	$(BIN)/python benchmarks/sim_explore_bench.py
	$(BIN)/python benchmarks/sim_bench.py
	$(BIN)/python benchmarks/checks_bench.py
	$(BIN)/python benchmarks/apply_bench.py --skip-full
	$(BIN)/python benchmarks/fixes_bench.py
	$(BIN)/python benchmarks/tui_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
