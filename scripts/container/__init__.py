"""The parts of `make container-check` (scripts/container_check.py runs them)."""
