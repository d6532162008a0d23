"""JSON Schema of ``forewarn.yaml``, for editors (YAML language servers) and CI checks.

Each ``rules`` item is one of the registered rules' Options schemas, told apart
by its ``kind`` constant, so an editor completes and checks a rule's own keys.
Regenerate after adding a rule or an option::

    python -m config.schema > docs/forewarn.schema.json
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from config.model import Config
from rules.options import SlaTable, format_duration

DRAFT = "https://json-schema.org/draft/2020-12/schema"


class _Generator(GenerateJsonSchema):
    """Durations as the YAML writes them (``16h``), not ISO 8601 (``PT16H``)."""

    def timedelta_schema(self, schema: core_schema.TimedeltaSchema) -> JsonSchemaValue:
        return {"type": "string"}

    def encode_default(self, dft: Any) -> Any:
        return super().encode_default(_as_written(dft))


def _as_written(value: Any) -> Any:
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, SlaTable):
        if not value.entries:
            return format_duration(value.default)
        table = {key: format_duration(duration) for key, duration in value.entries}
        return {**table, "default": format_duration(value.default)}
    if isinstance(value, list | tuple):
        return [_as_written(item) for item in value]
    return value


def _tidy(node: Any) -> None:
    """A type's own json_schema_extra ``anyOf`` describes the YAML; the $ref beside it does not."""
    if isinstance(node, dict):
        if "$ref" in node and "anyOf" in node:
            del node["$ref"]
        for value in node.values():
            _tidy(value)
    elif isinstance(node, list):
        for value in node:
            _tidy(value)


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].split("/")[-1]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node)) if node else set()
    return set()


def _prune(root: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Only the definitions something still refers to."""
    used: set[str] = set()
    pending = _refs(root)
    while pending:
        name = pending.pop()
        if name in used or name not in defs:
            continue
        used.add(name)
        pending |= _refs(defs[name])
    return {name: schema for name, schema in defs.items() if name in used}


def config_json_schema() -> dict[str, Any]:
    """The schema of the whole config file, rules included."""
    from rules import registry

    kinds = sorted(registry.RULES)
    models: list[type[BaseModel]] = [Config, *(registry.RULES[kind].Options for kind in kinds)]
    refs, schema = models_json_schema(
        [(model, "validation") for model in models], schema_generator=_Generator
    )
    defs: dict[str, Any] = schema["$defs"]
    root = defs.pop(refs[(Config, "validation")]["$ref"].split("/")[-1])

    variants = []
    for kind in kinds:
        rule = registry.RULES[kind]
        name = refs[(rule.Options, "validation")]["$ref"].split("/")[-1]
        rule_schema = defs[name]
        rule_schema["title"] = f"{kind} rule"
        doc = getattr(rule, "__doc__", None)
        if doc:
            rule_schema["description"] = doc.strip().splitlines()[0]
        rule_schema["properties"]["kind"] = {"const": kind, "title": "Kind"}
        required = rule_schema.setdefault("required", [])
        if "kind" not in required:
            required.append("kind")
        variants.append({"$ref": f"#/$defs/{name}"})
    root["properties"]["rules"] = {
        "type": "array",
        "title": "Rules",
        "description": "Each item is validated by the rule its kind names.",
        "items": {"oneOf": variants} if variants else {"type": "object"},
        "default": [],
    }
    _tidy(root)
    _tidy(defs)
    return {"$schema": DRAFT, **root, "$defs": _prune(root, defs)}


def main() -> int:
    json.dump(config_json_schema(), sys.stdout, indent=2, ensure_ascii=False, sort_keys=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
