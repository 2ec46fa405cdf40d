# Quick start: `make race` (the main job) and `make test` (the whole suite).
# Both create and use a local virtual environment (.venv) by themselves.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: race test matrix bench venv clean diff-kernel-propagation

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,verify]'
	touch $(STAMP)

# race exits 1 when a row is BROKEN, which is the point of the demonstration
race: $(STAMP)
	$(VENV)/bin/mountcursor race || test $$? -eq 1

# The default suite: everything but the `slow` tests, each of which has a bounded run in it.
test: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

# The full runs behind those bounded ones: the whole verdict matrix over the default scope,
# and the long explorations (`slow` marker).
matrix: $(STAMP)
	$(PY) -m pytest -q -m slow

# The full differential run of propagation scripts against the running kernel (needs
# root and unshare; a bounded share of it is in the test suite): about 8 minutes here
diff-kernel-propagation: $(STAMP)
	$(VENV)/bin/mountcursor diff-kernel --propagation --scripts 1500 --length 60 --seed 1

# Benchmarks (not part of the tests): report and plots in docs/benchmarks/
bench: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,verify,bench]'
	$(PY) -m benchmarks

# The long soak (root): churners, strict readers and a watch in a private mount namespace
soak: $(STAMP)
	$(PY) benchmarks/soak.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .hypothesis
