"""Our ``cf-typegen``: template.yaml (the bindings file) and the code must agree.

Fails when the template declares a binding no class answers to, when the code reads a setting the
template does not set, when code addresses a binding the template does not declare, or when anything
in the package reads the environment behind config.py's back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from devstack.template import SamTemplate
from durable_agents.config import BINDING_PREFIX, Settings, environment_variable_names
from durable_agents.runtime import DurableObject
from durable_agents.runtime.objects import rpc_options

PACKAGE = Path(__file__).resolve().parent.parent / "shared" / "durable_agents"
TEMPLATE = SamTemplate.load()
SEED_BINDINGS = {"TRAVEL_AGENT", "SCRAPING_AGENT", "CONVERSATION_MANAGER", "SESSION_MANAGER"}


def function_environment(logical_id: str) -> dict[str, object]:
    return dict(TEMPLATE.functions[logical_id].environment)


def declared_bindings() -> dict[str, str]:
    env = function_environment("ObjectHostFunction")
    return {k[len(BINDING_PREFIX) :]: str(v) for k, v in env.items() if k.startswith(BINDING_PREFIX)}


def test_the_seed_bindings_are_declared() -> None:
    assert set(declared_bindings()) == SEED_BINDINGS


@pytest.mark.parametrize("binding", sorted(SEED_BINDINGS))
def test_every_binding_resolves_to_a_durable_object_class(binding: str) -> None:
    module_name, _, class_name = declared_bindings()[binding].partition(":")
    module = __import__(module_name, fromlist=[class_name])
    cls = getattr(module, class_name)
    assert issubclass(cls, DurableObject)
    assert rpc_options(cls, "handle_message") is not None


@pytest.mark.parametrize("function", ["ApiFunction", "ObjectHostFunction"])
def test_the_template_sets_every_setting_the_code_reads(function: str) -> None:
    env = function_environment(function)
    missing = environment_variable_names() - set(env)
    assert not missing, f"{function} does not set {sorted(missing)}"
    assert set(declared_bindings()) <= {k[len(BINDING_PREFIX) :] for k in env if k.startswith(BINDING_PREFIX)}


def test_required_settings_have_no_default_and_are_set() -> None:
    required = {name.upper() for name, field in Settings.model_fields.items() if field.is_required()}
    assert required == {"STATE_TABLE"}
    assert "STATE_TABLE" in function_environment("ReaperFunction")


def _is_env(node: ast.expr) -> bool:
    """``env``, ``self.env``, ``env()``: the expressions bindings are read from."""
    if isinstance(node, ast.Call):
        node = node.func
    return (isinstance(node, ast.Name) and node.id == "env") or (
        isinstance(node, ast.Attribute) and node.attr == "env"
    )


def test_bindings_the_code_addresses_are_declared() -> None:
    """Every binding the code reaches (``env.X``, ``env.namespace("X")``, or the agents' AgentFactory
    table of kinds) is declared in template.yaml."""
    from durable_agents.agents.factory import KINDS

    used: set[str] = {kind.binding for kind in KINDS.values()}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr.isupper() and _is_env(node.value):
                used.add(node.attr)
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "namespace"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                used.add(node.args[0].value)
    assert used, "the scan found no binding use at all; the scan is broken"
    assert used <= set(declared_bindings()), sorted(used - set(declared_bindings()))


def test_only_config_reads_the_environment() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "config.py" and path.parent == PACKAGE:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "putenv"}:
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not offenders, offenders
