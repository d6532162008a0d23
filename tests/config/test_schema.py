"""The JSON Schema: one variant per registered rule, and it agrees with the loader."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from config.schema import config_json_schema
from rules import registry
from tests.config.test_design_example import DESIGN_EXAMPLE

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "forewarn.schema.json"


def test_rule_items_are_one_of_the_registered_rules() -> None:
    schema = config_json_schema()
    variants = schema["properties"]["rules"]["items"]["oneOf"]
    kinds = []
    for variant in variants:
        rule = schema["$defs"][variant["$ref"].split("/")[-1]]
        kinds.append(rule["properties"]["kind"]["const"])
        assert {"id", "kind"} <= set(rule["required"])
        assert rule["additionalProperties"] is False
    assert kinds == sorted(registry.RULES)


def test_durations_read_as_written() -> None:
    project = config_json_schema()["$defs"]["Project"]["properties"]
    assert project["every"]["default"] == "15m"
    assert project["every"]["type"] == "string"
    assert "format" not in project["every"]


def test_the_committed_schema_is_current() -> None:
    assert COMMITTED.is_file(), "generate it: python -m config.schema > docs/forewarn.schema.json"
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == config_json_schema(), (
        "docs/forewarn.schema.json is stale: python -m config.schema > docs/forewarn.schema.json"
    )


def test_module_entry_point_prints_the_schema() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "config.schema"], cwd=ROOT, capture_output=True, text=True,
        check=True,
    )
    assert json.loads(result.stdout) == config_json_schema()


def _validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = config_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _yaml(text: str) -> Any:
    # ${VAR} unquoted inside {...} is not plain YAML (only forewarn's loader takes it):
    # stand in a value, as a config with quoted references would have.
    plain = re.sub(r"\$\{[^}]*\}", "value", text)
    return json.loads(json.dumps(YAML(typ="safe").load(plain)))


def test_the_design_example_passes_the_schema() -> None:
    assert list(_validator().iter_errors(_yaml(DESIGN_EXAMPLE))) == []


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\nprojet: []\n",
        "version: 2\n",
        "version: 1\nrules:\n  - {id: s, kind: scope_creep, treshold: 5%}\n",
        "version: 1\nrules:\n  - {id: s, kind: scope_crep}\n",
        "version: 1\ntrackers: {gh: {kind: gitlab}}\n",
    ],
)
def test_the_schema_rejects_what_the_loader_rejects(text: str) -> None:
    assert list(_validator().iter_errors(_yaml(text)))


@pytest.mark.parametrize(
    ("bots", "valid"),
    [
        ("jenkins", True),
        ("{group: automation-accounts}", True),
        ('[renovate*, {group: ci}, {role: Bots}, "*[bot]"]', True),
        ("[]", True),
        ("3", False),
        ("[{grup: ci}]", False),
        ("null", False),
    ],
)
def test_the_schema_takes_bots_as_the_loader_does(bots: str, valid: bool) -> None:
    text = ("version: 1\ntrackers: {acme: {kind: jira, url: https://jira.acme.example, token: t}}\n"
            f"projects:\n  - {{name: p, tracker: acme, jira_project: P, bots: {bots}}}\n")
    assert (not list(_validator().iter_errors(_yaml(text)))) is valid
