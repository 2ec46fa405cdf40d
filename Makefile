# Quick start: `make race` (the main job) and `make test` (the whole suite).
# Both create and use a local virtual environment (.venv) by themselves.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: race test matrix bench venv clean share diff-kernel-propagation vm-deps vm-table vm-ci

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,verify]'
	touch $(STAMP)

# race exits 1 when a row is BROKEN, which is the point of the demonstration
race: $(STAMP)
	$(VENV)/bin/mountcursor race || test $$? -eq 1

# The default suite: everything but the `slow` tests, each of which has a bounded run in it,
# on every core (pytest-xdist, from the test extra; at most 4 workers), a test file to a worker
# (its module-scoped fixtures are made once). TEST_JOBS=0 runs it in this one process.
TEST_JOBS ?= auto
test: $(STAMP)
	$(PY) -m pytest -q -m "not slow" -n $(TEST_JOBS) --maxprocesses 4 --dist loadfile

# The man pages and shell completions, made again from the command definitions into
# src/mountcursor/share (checked in; tests/cli/test_share.py fails when one is stale)
share: $(STAMP)
	$(PY) -m mountcursor.cli.share

# The full runs behind those bounded ones: the whole verdict matrix over the default scope,
# and the long explorations (`slow` marker).
matrix: $(STAMP)
	$(PY) -m pytest -q -m slow

# The full differential run of propagation scripts against the running kernel (needs
# root and unshare; a bounded share of it is in the test suite): about 8 minutes here
diff-kernel-propagation: $(STAMP)
	$(VENV)/bin/mountcursor diff-kernel --propagation --scripts 1500 --length 60 --seed 1

# Real kernels of other generations (5.10, 6.1, 6.12; 7.2, the newest Debian ships, from sid)
# booted under QEMU: `mountcursor vm`.
# vm-deps installs QEMU where it is missing (the kernels and busybox come through a private
# apt configuration under ~/.cache/mountcursor/vm, never the host's apt state).
vm-deps:
	@command -v qemu-system-x86_64 >/dev/null || apt-get install -y --no-install-recommends qemu-system-x86

# The README's table of every generation (probe, 30 + 30 + 10 control diff-kernel scripts,
# race --live per kernel; about 30 minutes under TCG), written into README.md;
# `make vm-table KERNELS=7.2` runs that row only and keeps the others
vm-table: $(STAMP) vm-deps
	mkdir -p build
	$(PY) -m mountcursor.vm.table --readme README.md --json build/vm-table.json --check $(if $(KERNELS),--kernels $(KERNELS))

# CI's bounded share: the 6.12 guest, probe + 5 plain scripts + 3 control scripts + a race
# (a few minutes under TCG); a machine without qemu, apt sources or network skips it with a
# line (exit 0), a kernel that disagrees fails it
vm-ci: $(STAMP)
	-@command -v qemu-system-x86_64 >/dev/null || apt-get install -y -q --no-install-recommends qemu-system-x86 >/dev/null 2>&1
	$(PY) -m mountcursor.vm.table --ci --kernels 6.12 --scripts 5 --propagation-scripts 0 --control-scripts 3 --race-mounts 200

# Benchmarks (not part of the tests): report and plots in docs/benchmarks/
bench: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,verify,bench]'
	$(PY) -m benchmarks

# The long soak (root): churners, strict readers and a watch in a private mount namespace
soak: $(STAMP)
	$(PY) benchmarks/soak.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .hypothesis
