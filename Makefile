# `make demo` and `make test` do everything on a fresh machine: they create .venv,
# install forewarn with what it needs, and run.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Every dependency pinned with hashes; pyproject.toml keeps the ranges (`make lock` re-pins).
LOCK := requirements.lock

.PHONY: demo test lint check bench clean docker-check container-check audit lock

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/forewarn demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile

check: lint test

audit: $(STAMP)
	$(BIN)/bandit --quiet -c pyproject.toml -r connectors rules sync config
	$(BIN)/python scripts/pip_audit.py $(LOCK)

lock:  # re-pin after changing a range in pyproject.toml
	$(BIN)/pip-compile --quiet --extra dev --generate-hashes --allow-unsafe --strip-extras \
	  --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
	  --output-file $(LOCK) pyproject.toml

# The Dockerfile's install replayed in a virtual environment: no container engine needed.
docker-check:
	PYTHON=$(PYTHON) scripts/docker-install-check.sh

# The image built with podman and run for real; SKIP (exit 0) where podman cannot run,
# a failure with FOREWARN_CONTAINER_STRICT=1. ARGS="--base IMAGE" or "--rebuild-base".
container-check: $(STAMP)
	$(BIN)/python scripts/container_check.py $(ARGS)

bench: $(STAMP)
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
