# Two commands a learner needs: `make lab` (the course) and `make test` (the tests).
# Each makes .venv and installs the pinned requirements on first use.

PYTHON ?= python3
VENV := .venv
REQUIREMENTS := requirements.txt
BIN := $(VENV)/bin
NOTEBOOKS := $(sort $(wildcard lessons/*.ipynb solutions/*.ipynb))

.PHONY: lab test test-colab course notebooks results lint clean

# The course's own package (`chapters`) is installed editable, so that notebooks,
# tools and tests import it from any folder; $(REQUIREMENTS) pins its dependencies.
$(VENV)/installed: $(REQUIREMENTS) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r $(REQUIREMENTS)
	$(BIN)/pip install -q --no-deps -e .
	touch $@

## make lab: open the lessons in JupyterLab.
# Jupyter refuses to run as root (containers, some cloud machines) unless told to.
lab: $(VENV)/installed
	$(BIN)/jupyter lab lessons/ $(if $(filter 0,$(shell id -u)),--allow-root)

## make test: unit tests, then every lesson and solution notebook at the ci scale.
# The layers' backend-neutral tests run a second time under JAX, where it is
# installed (requirements.txt pins it; the Colab-like stack has none).
JAX_TESTS := tests/test_ch03_attention.py tests/test_ch03_model.py tests/test_masks.py \
	tests/test_ch04_attention.py tests/test_ch04_scaling.py tests/test_ch04_model.py \
	tests/test_ch05_transformer.py tests/test_ch05_blocks.py tests/test_ch05_training.py \
	tests/test_ch05_model.py
# Two pytest workers (pytest-xdist), each taking whole files (a notebook's cells
# must run in order on one kernel; a module's fixtures are built once): on two
# cores the unit tests took 4 min 32 s in one run where one worker took 7 min
# 19 s, and the notebooks 3 min 0 s against 5 min 49 s, since much of their time
# is Python and process start-up, not TensorFlow's threads.
TEST_WORKERS ?= 2
PARALLEL := -n $(TEST_WORKERS) --dist loadfile
# Lesson 05d's comparison stores its results; each test run starts from none, in
# a folder of its own per stack.
TEST_RESULTS := $(CURDIR)/build/test-results/$(notdir $(VENV))
test: export COURSE_RESULTS_DIR = $(TEST_RESULTS)
test: $(VENV)/installed
	rm -rf $(TEST_RESULTS)
	COURSE_SCALE=ci $(BIN)/python -m pytest tests -q $(PARALLEL)
	@if $(BIN)/python -c "import jax" 2>/dev/null; then \
		echo "KERAS_BACKEND=jax: $(JAX_TESTS)"; \
		KERAS_BACKEND=jax COURSE_SCALE=ci $(BIN)/python -m pytest -q $(PARALLEL) $(JAX_TESTS); \
	else \
		echo "jax is not installed: the JAX backend's tests are skipped."; \
	fi
	COURSE_SCALE=ci $(BIN)/python -m pytest --nbval-lax -q -p no:cacheprovider $(PARALLEL) $(NOTEBOOKS)

## make test-colab: the same tests on a Colab-like stack, in its own .venv-colab:
# Python 3.12 (PYTHON_COLAB names it) with requirements-colab.txt's pins.
PYTHON_COLAB ?= python3.12
test-colab:
	$(MAKE) test PYTHON=$(PYTHON_COLAB) VENV=.venv-colab REQUIREMENTS=requirements-colab.txt

## make course: run every lesson in order, headless, at the current scale.
course: $(VENV)/installed
	$(BIN)/python -m tools.run_course

## make results: the models' results at the current scale, into data/results and the
# README (trains what is not stored yet: at `cpu`, under an hour from nothing on
# a 2-core CPU; the README block it writes gives its run's time).
results: $(VENV)/installed
	$(BIN)/python -m tools.results

## make notebooks: re-execute every notebook from its .py twin at the cpu scale,
# keeping each lesson's time and peak memory for the README's lesson table.
notebooks: $(VENV)/installed
	COURSE_SCALE=cpu $(BIN)/python -m tools.run_course --in-place --record

lint: $(VENV)/installed
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf build
