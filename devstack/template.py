"""Read ``template.yaml`` the way the local stack needs it: typed views of its functions, API routes,
tables and state machines, and a small evaluator of CloudFormation intrinsics for local values.

The template is the single source of truth: the local stack creates what it declares and runs the
handlers it names, so what runs under ``make run`` is what ``sam deploy`` ships. Intrinsics are
evaluated against :class:`LocalValues`, the concrete names one local "deployment" gets (parameters
with their defaults or overrides, pseudo parameters, and physical names of the template's resources).
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO_ROOT / "template.yaml"

LOCAL_STACK_NAME = "durable-agents-local"
LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT_ID = "123456789012"
"""moto's default account: resources created through moto get ARNs in it."""

_FUNCTION = "AWS::Serverless::Function"
_LAYER = "AWS::Serverless::LayerVersion"
_TABLE = "AWS::DynamoDB::Table"
_STATE_MACHINE = "AWS::Serverless::StateMachine"
_API = "AWS::Serverless::Api"


class TemplateError(ValueError):
    """The template uses something the local stack cannot evaluate, or is not shaped as expected."""


# --- YAML with CloudFormation short tags ---------------------------------------------------------


_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it (about eight times faster), else the Python one."""


class _CloudFormationLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """A safe YAML loader that turns short tags (``!Ref X``) into their long form (``{"Ref": "X"}``)."""


def _construct_short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    key = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {key: value}


_CloudFormationLoader.add_multi_constructor("!", _construct_short_tag)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as plain data, short tags in their long (JSON) form.

    A text parsed before (the same bytes, from any path) is not parsed again: the caller gets its own
    deep copy of the cached document (the local stack and the tests load the same template many times).

    Args:
        path: the template file.

    Returns:
        The document, a fresh copy the caller may change.

    Raises:
        TemplateError: the file is not a CloudFormation template (no ``Resources``).
        OSError: the file cannot be read.
        yaml.YAMLError: the file is not YAML.
    """
    text = path.read_bytes()
    document = _parsed(text)
    if not isinstance(document, dict) or "Resources" not in document:
        raise TemplateError(f"{path} is not a CloudFormation template")
    return copy.deepcopy(document)


@functools.lru_cache(maxsize=8)
def _parsed(text: bytes) -> Any:
    """``text`` parsed once per process; callers copy what they hand out."""
    return yaml.load(text, Loader=_CloudFormationLoader)  # a SafeLoader subclass


# --- Intrinsic functions ------------------------------------------------------------------------


class _NoValue:
    """``AWS::NoValue``: the property or list element it stands for is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()

_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")


@dataclass(frozen=True)
class LocalValues:
    """The concrete values one local deployment of the template resolves to.

    ``refs`` maps a resource's logical id to what ``Ref`` returns for it; ``attributes`` maps
    ``"LogicalId.Attribute"`` to what ``Fn::GetAtt`` returns.
    """

    stack_name: str
    region: str
    account_id: str
    parameters: Mapping[str, str]
    conditions: Mapping[str, Any] = field(default_factory=dict)
    refs: Mapping[str, str] = field(default_factory=dict)
    attributes: Mapping[str, str] = field(default_factory=dict)

    def pseudo_parameter(self, name: str) -> Any:
        pseudo: dict[str, Any] = {
            "AWS::StackName": self.stack_name,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": (
                f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/local"
            ),
            "AWS::NoValue": NO_VALUE,
        }
        if name not in pseudo:
            raise TemplateError(f"unknown pseudo parameter {name}")
        return pseudo[name]


def resolve(value: Any, values: LocalValues) -> Any:
    """``value`` with every intrinsic function evaluated; ``AWS::NoValue`` entries are dropped."""
    if isinstance(value, list):
        items = [resolve(item, values) for item in value]
        return [item for item in items if item is not NO_VALUE]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref" or key == "Condition" or key.startswith("Fn::"):
            return _intrinsic(key, argument, values)
    resolved = {key: resolve(item, values) for key, item in value.items()}
    return {key: item for key, item in resolved.items() if item is not NO_VALUE}


def _ref(name: str, values: LocalValues) -> Any:
    if name.startswith("AWS::"):
        return values.pseudo_parameter(name)
    if name in values.parameters:
        return values.parameters[name]
    if name in values.refs:
        return values.refs[name]
    raise TemplateError(f"Ref {name!r} has no local value")


def _get_att(logical_id: str, attribute: str, values: LocalValues) -> str:
    key = f"{logical_id}.{attribute}"
    if key not in values.attributes:
        raise TemplateError(f"Fn::GetAtt {key} has no local value")
    return values.attributes[key]


def _sub(template: str, variables: Mapping[str, Any], values: LocalValues) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return str(variables[name])
        if "." in name and not name.startswith("AWS::"):
            logical_id, attribute = name.split(".", 1)
            return _get_att(logical_id, attribute, values)
        return str(_ref(name, values))

    return _SUB_VARIABLE.sub(replace, template)


def _condition(name: str, values: LocalValues) -> bool:
    if name not in values.conditions:
        raise TemplateError(f"unknown condition {name}")
    return bool(resolve(values.conditions[name], values))


def _intrinsic(key: str, argument: Any, values: LocalValues) -> Any:
    if key == "Ref":
        return _ref(argument, values)
    if key == "Condition":
        return _condition(argument, values)
    if key == "Fn::GetAtt":
        logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
        return _get_att(logical_id, attribute, values)
    if key == "Fn::Sub":
        if isinstance(argument, str):
            return _sub(argument, {}, values)
        template, variables = argument
        return _sub(template, resolve(variables, values), values)
    if key == "Fn::If":
        name, when_true, when_false = argument
        return resolve(when_true if _condition(name, values) else when_false, values)
    if key == "Fn::Equals":
        left, right = resolve(argument, values)
        return str(left) == str(right)
    if key == "Fn::Not":
        (operand,) = resolve(argument, values)
        return not operand
    if key == "Fn::And":
        return all(resolve(argument, values))
    if key == "Fn::Or":
        return any(resolve(argument, values))
    if key == "Fn::Join":
        delimiter, items = argument
        return str(delimiter).join(str(item) for item in resolve(items, values))
    if key == "Fn::Select":
        index, items = resolve(argument, values)
        return items[int(index)]
    if key == "Fn::Split":
        delimiter, text = resolve(argument, values)
        return str(text).split(delimiter)
    raise TemplateError(f"{key} is not supported by the local stack")


def environment_value(value: Any) -> str:
    """An environment variable's value as Lambda stores it (always a string; booleans lower-case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- Typed views ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionSpec:
    """One ``AWS::Serverless::Function`` with its ``Globals.Function`` defaults applied.

    ``environment`` and ``function_name`` are unresolved (intrinsics in long form); resolve them with
    :meth:`SamTemplate.resolve_environment` and :meth:`SamTemplate.local_values`.
    """

    logical_id: str
    code_uri: Path
    handler: str
    runtime: str
    timeout: int
    memory_size: int
    environment: Mapping[str, Any]
    function_name: Any
    layer_paths: tuple[Path, ...]

    @property
    def handler_file(self) -> Path:
        """The handler's module file: ``app.handler`` -> ``<CodeUri>/app.py``."""
        module, _, _ = self.handler.rpartition(".")
        return self.code_uri.joinpath(*module.split(".")).with_suffix(".py")

    @property
    def handler_function(self) -> str:
        """The handler's attribute name in its module: ``app.handler`` -> ``handler``."""
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True)
class ApiRoute:
    """One ``Type: Api`` event: ``method`` upper-case (``ANY`` for any), ``path`` a template like
    ``/agents/{namespace}/{name}/message``, ``auth`` ``NONE`` or the authorizer's name (``AWS_IAM``)."""

    method: str
    path: str
    function: str
    auth: str
    api: str
    event: str


@dataclass(frozen=True)
class TableSpec:
    """One ``AWS::DynamoDB::Table``: what ``create_table`` and ``update_time_to_live`` need."""

    logical_id: str
    key_schema: tuple[Mapping[str, str], ...]
    attribute_definitions: tuple[Mapping[str, str], ...]
    billing_mode: str
    ttl_attribute: str | None
    stream_view_type: str | None
    table_name: Any
    global_indexes: tuple[Mapping[str, Any], ...] = ()

    def create_table_kwargs(self, table_name: str) -> dict[str, Any]:
        """Keyword arguments for ``dynamodb.create_table`` creating this table as ``table_name``."""
        kwargs: dict[str, Any] = {
            "TableName": table_name,
            "KeySchema": [dict(key) for key in self.key_schema],
            "AttributeDefinitions": [dict(attribute) for attribute in self.attribute_definitions],
            "BillingMode": self.billing_mode,
        }
        if self.global_indexes:
            kwargs["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": index["IndexName"],
                    "KeySchema": [dict(key) for key in index["KeySchema"]],
                    "Projection": dict(index["Projection"]),
                }
                for index in self.global_indexes
            ]
        if self.stream_view_type:
            kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": self.stream_view_type}
        return kwargs


@dataclass(frozen=True)
class StateMachineSpec:
    """One ``AWS::Serverless::StateMachine`` defined by an ASL file with ``${...}`` substitutions."""

    logical_id: str
    definition_path: Path
    substitutions: Mapping[str, Any]
    name: Any
    type: str


class SamTemplate:
    """Typed, read-only views of a SAM template (``template.yaml`` by default)."""

    def __init__(self, document: Mapping[str, Any], root: Path) -> None:
        self.document = document
        self.root = root
        self.resources: Mapping[str, Mapping[str, Any]] = document["Resources"]
        self.functions = {
            logical_id: self._function(logical_id, resource)
            for logical_id, resource in self.resources.items()
            if resource["Type"] == _FUNCTION
        }
        self.tables = {
            logical_id: self._table(logical_id, resource)
            for logical_id, resource in self.resources.items()
            if resource["Type"] == _TABLE
        }
        self.state_machines = {
            logical_id: self._state_machine(logical_id, resource)
            for logical_id, resource in self.resources.items()
            if resource["Type"] == _STATE_MACHINE
        }
        self.routes = [
            self._route(logical_id, event_id, event["Properties"])
            for logical_id, resource in self.resources.items()
            if resource["Type"] == _FUNCTION
            for event_id, event in resource.get("Properties", {}).get("Events", {}).items()
            if event["Type"] == "Api"
        ]

    @property
    def websocket_function(self) -> str | None:
        """The function behind the WebSocket API's ``$default`` route (an ``AWS::ApiGatewayV2::Route``
        whose target is an ``AWS_PROXY`` integration naming ``${Function.Arn}``), or None."""
        for route in self.resources.values():
            properties = route.get("Properties", {})
            if route["Type"] != "AWS::ApiGatewayV2::Route" or properties.get("RouteKey") != "$default":
                continue
            target = properties.get("Target", {})
            found = re.search(r"\$\{(\w+)\}", str(target.get("Fn::Sub", "")))
            integration = self.resources.get(found.group(1), {}) if found else {}
            uri = str(integration.get("Properties", {}).get("IntegrationUri", {}).get("Fn::Sub", ""))
            function = re.search(r"\$\{(\w+)\.Arn\}", uri)
            if function and function.group(1) in self.functions:
                return function.group(1)
        return None

    @classmethod
    def load(cls, path: Path = TEMPLATE_PATH) -> SamTemplate:
        """Load ``path``; relative ``CodeUri``/``ContentUri``/``DefinitionUri`` are relative to its folder."""
        return cls(load_template(path), path.resolve().parent)

    # -- construction helpers

    def _globals(self, kind: str) -> Mapping[str, Any]:
        found: Mapping[str, Any] = self.document.get("Globals", {}).get(kind, {})
        return found

    def _function(self, logical_id: str, resource: Mapping[str, Any]) -> FunctionSpec:
        defaults = self._globals("Function")
        properties = {**defaults, **resource.get("Properties", {})}
        environment = {
            **defaults.get("Environment", {}).get("Variables", {}),
            **resource.get("Properties", {}).get("Environment", {}).get("Variables", {}),
        }
        if not isinstance(properties.get("CodeUri"), str) or "Handler" not in properties:
            raise TemplateError(f"{logical_id}: the local stack needs a local CodeUri and a Handler")
        layer_paths = tuple(
            self.root / self.resources[layer["Ref"]]["Properties"]["ContentUri"]
            for layer in properties.get("Layers", [])
            if isinstance(layer, dict) and self.resources.get(layer.get("Ref", ""), {}).get("Type") == _LAYER
        )
        return FunctionSpec(
            logical_id=logical_id,
            code_uri=self.root / properties["CodeUri"],
            handler=properties["Handler"],
            runtime=properties.get("Runtime", ""),
            timeout=int(properties.get("Timeout", 3)),
            memory_size=int(properties.get("MemorySize", 128)),
            environment=environment,
            function_name=properties.get("FunctionName"),
            layer_paths=layer_paths,
        )

    def _route(self, function: str, event_id: str, properties: Mapping[str, Any]) -> ApiRoute:
        api_ref = properties.get("RestApiId", {"Ref": "ServerlessRestApi"})
        api = api_ref["Ref"] if isinstance(api_ref, dict) else str(api_ref)
        api_auth = self.resources.get(api, {}).get("Properties", {}).get("Auth", {})
        auth = properties.get("Auth", {}).get("Authorizer", api_auth.get("DefaultAuthorizer", "NONE"))
        return ApiRoute(
            method=str(properties["Method"]).upper(),
            path=str(properties["Path"]),
            function=function,
            auth=str(auth),
            api=api,
            event=event_id,
        )

    def _table(self, logical_id: str, resource: Mapping[str, Any]) -> TableSpec:
        properties = resource["Properties"]
        ttl = properties.get("TimeToLiveSpecification", {})
        stream = properties.get("StreamSpecification", {})
        return TableSpec(
            logical_id=logical_id,
            key_schema=tuple(properties["KeySchema"]),
            attribute_definitions=tuple(properties["AttributeDefinitions"]),
            billing_mode=properties.get("BillingMode", "PROVISIONED"),
            ttl_attribute=ttl.get("AttributeName") if ttl.get("Enabled") else None,
            stream_view_type=stream.get("StreamViewType"),
            table_name=properties.get("TableName"),
            global_indexes=tuple(properties.get("GlobalSecondaryIndexes", ())),
        )

    def _state_machine(self, logical_id: str, resource: Mapping[str, Any]) -> StateMachineSpec:
        properties = resource["Properties"]
        if not isinstance(properties.get("DefinitionUri"), str):
            raise TemplateError(f"{logical_id}: the local stack needs a local DefinitionUri file")
        return StateMachineSpec(
            logical_id=logical_id,
            definition_path=self.root / properties["DefinitionUri"],
            substitutions=properties.get("DefinitionSubstitutions", {}),
            name=properties.get("Name"),
            type=properties.get("Type", "STANDARD"),
        )

    # -- local values

    def parameter_defaults(self) -> dict[str, str]:
        """Every parameter's default value, as a string (a parameter without a default maps to "")."""
        return {
            name: environment_value(spec.get("Default", ""))
            for name, spec in self.document.get("Parameters", {}).items()
        }

    def local_values(
        self,
        *,
        stack_name: str = LOCAL_STACK_NAME,
        region: str = LOCAL_REGION,
        account_id: str = LOCAL_ACCOUNT_ID,
        parameters: Mapping[str, str] | None = None,
    ) -> LocalValues:
        """The values a local deployment named ``stack_name`` gets.

        Physical names follow the template (``FunctionName``, ``Name``, ``TableName``) and otherwise
        ``<stack_name>-<LogicalId>``. ``parameters`` override the template's defaults.
        """
        unknown = set(parameters or {}) - set(self.document.get("Parameters", {}))
        if unknown:
            raise TemplateError(f"unknown template parameters: {sorted(unknown)}")
        base = LocalValues(
            stack_name=stack_name,
            region=region,
            account_id=account_id,
            parameters={**self.parameter_defaults(), **(parameters or {})},
            conditions=self.document.get("Conditions", {}),
        )

        def physical_name(logical_id: str, declared: Any) -> str:
            return str(resolve(declared, base)) if declared is not None else f"{stack_name}-{logical_id}"

        refs: dict[str, str] = {}
        attributes: dict[str, str] = {}
        for logical_id, table in self.tables.items():
            name = physical_name(logical_id, table.table_name)
            refs[logical_id] = name
            attributes[f"{logical_id}.Arn"] = f"arn:aws:dynamodb:{region}:{account_id}:table/{name}"
        for logical_id, function in self.functions.items():
            name = physical_name(logical_id, function.function_name)
            refs[logical_id] = name
            attributes[f"{logical_id}.Arn"] = f"arn:aws:lambda:{region}:{account_id}:function:{name}"
        for logical_id, machine in self.state_machines.items():
            name = physical_name(logical_id, machine.name)
            arn = f"arn:aws:states:{region}:{account_id}:stateMachine:{name}"
            refs[logical_id] = arn
            attributes[f"{logical_id}.Arn"] = arn
            attributes[f"{logical_id}.Name"] = name
        for logical_id in self.resources.keys() - refs.keys():
            # not created locally (the user pool and its client, roles, log groups): a stand-in name, so
            # that what refers to them resolves; the local stack replaces what it must (see moto_stack)
            refs[logical_id] = f"{stack_name}-{logical_id}"
        return LocalValues(
            stack_name=stack_name,
            region=region,
            account_id=account_id,
            parameters=base.parameters,
            conditions=base.conditions,
            refs=refs,
            attributes=attributes,
        )

    def resolve_environment(self, values: LocalValues, function: str | None = None) -> dict[str, str]:
        """The concrete environment of ``function`` (a logical id), or of every function when ``None``.

        Locally all handlers share one process environment, so with ``function=None`` the functions'
        environments are merged, and a variable that differs between functions is an error.
        """
        targets = [self.functions[function]] if function else list(self.functions.values())
        environment: dict[str, str] = {}
        for spec in targets:
            for name, value in resolve(dict(spec.environment), values).items():
                text = environment_value(value)
                if environment.setdefault(name, text) != text:
                    raise TemplateError(f"{name} differs between functions; the local stack shares one env")
        return environment

    def state_machine_definition(self, logical_id: str, values: LocalValues) -> str:
        """The ASL of state machine ``logical_id`` with its ``DefinitionSubstitutions`` applied."""
        machine = self.state_machines[logical_id]
        resolved = resolve(dict(machine.substitutions), values)
        substitutions = {key: environment_value(value) for key, value in resolved.items()}
        definition = machine.definition_path.read_text(encoding="utf-8")
        missing = {name for name in _SUB_VARIABLE.findall(definition) if name not in substitutions}
        if missing:
            raise TemplateError(f"{machine.definition_path.name}: no substitution for {sorted(missing)}")
        return _SUB_VARIABLE.sub(lambda match: substitutions[match.group(1)], definition)

    def api_stage(self, api: str, values: LocalValues) -> str:
        """The stage name of API ``api`` (a logical id) in ``values``."""
        resource = self.resources.get(api)
        if resource is None or resource["Type"] != _API:
            return "Prod"  # SAM's implicit API stage
        return str(resolve(resource["Properties"]["StageName"], values))
