import pytest

# The shared checks live outside test modules: let pytest explain their failures too.
pytest.register_assert_rewrite("tests.hardening.harness")
