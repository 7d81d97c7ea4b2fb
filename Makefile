# The two commands of the README: `make run` and `make test`. Everything they need is set up here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup setup-test build run test bench clean

$(BIN)/ckg: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

setup: $(BIN)/ckg

# Test extras, and from Debian (as root, or through sudo): Chromium for the browser tests, nginx for the
# replicas' test (it lives in /usr/sbin, outside a user's PATH), and Virtuoso for the publish tests. Of
# Virtuoso only the server binary (virtuoso-opensource-7-bin, ~4 s to install): the tests start it on
# loopback in a temporary directory, where it answers in 2-5 s; the whole virtuoso-opensource package
# would also set up a system service listening on every interface.
setup-test: setup
	$(BIN)/pip install --quiet -e '.[test]'
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || [ ! -x /usr/sbin/nginx ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver nginx >/dev/null; \
	fi
	@if ! command -v virtuoso-t >/dev/null; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends virtuoso-opensource-7-bin >/dev/null; \
	fi

build: setup
	$(BIN)/ckg build --if-changed

run: build
	$(BIN)/ckg serve --host $(HOST) --port $(PORT)

test: setup-test
	$(BIN)/pytest

# The benchmarks of benchmarks/README.md (Debian's wrk drives the endpoint benchmark).
bench: setup
	$(BIN)/pip install --quiet -e '.[bench]'
	@command -v wrk >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python benchmarks/build_bench.py
	$(BIN)/python benchmarks/endpoint_bench.py

clean:
	rm -rf var .pytest_cache tests/artifacts
