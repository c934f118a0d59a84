"""``Env``: what every object and handler gets: the namespace bindings, settings and AWS clients.

The bindings come from ``BINDING_<NAME>`` environment variables that template.yaml sets, the way a
Worker's ``env`` carries its durable_objects bindings from wrangler.jsonc.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from ..config import Settings, bindings, settings
from .errors import UnknownBinding
from .namespace import Namespace
from .table import StateTable


class Env:
    """Bindings + settings + clients. Build one per process (:func:`default_env`) or per test."""

    def __init__(
        self,
        settings: Settings,
        declared: Mapping[str, str],
        *,
        dynamodb: Any | None = None,
        lambda_client: Any | None = None,
        stepfunctions: Any | None = None,
    ):
        self.settings = settings
        self._bindings = {name: Namespace(self, name, path) for name, path in declared.items()}
        self._dynamodb = dynamodb
        self._lambda = lambda_client
        self._stepfunctions = stepfunctions

    @property
    def bindings(self) -> Mapping[str, Namespace]:
        return self._bindings

    def namespace(self, binding: str) -> Namespace:
        try:
            return self._bindings[binding]
        except (KeyError, TypeError):
            raise UnknownBinding(
                f"unknown namespace {binding!r}; declared bindings: {', '.join(sorted(self._bindings))}"
            ) from None

    def __getattr__(self, name: str) -> Namespace:
        if name.isupper() and name in self.__dict__.get("_bindings", {}):
            return self._bindings[name]
        raise AttributeError(name)

    @cached_property
    def table(self) -> StateTable:
        from . import aws

        return StateTable(self._dynamodb or aws.client("dynamodb"), self.settings.state_table)

    @property
    def lambda_client(self) -> Any:
        from . import aws

        return self._lambda or aws.client("lambda", read_timeout=900)

    @property
    def stepfunctions(self) -> Any:
        from . import aws

        return self._stepfunctions or aws.client("stepfunctions")


_DEFAULT: Env | None = None


def default_env() -> Env:
    """The process-wide ``Env`` from the environment (created on first use, reused across invocations)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Env(settings(), bindings())
    return _DEFAULT


_IN_PROCESS: Env | None = None


def in_process_env() -> Env:
    """The process-wide ``Env`` whose stub calls run in this process even outside a turn (no object host
    invoke): a function that runs turns itself (one function per turn) uses it."""
    global _IN_PROCESS
    if _IN_PROCESS is None:
        _IN_PROCESS = Env(settings().model_copy(update={"object_host_function": ""}), bindings())
    return _IN_PROCESS


def reset_default_env() -> None:
    """Forget the process-wide ``Env`` (after changing the environment, e.g. in tests)."""
    global _DEFAULT, _IN_PROCESS
    _DEFAULT = None
    _IN_PROCESS = None
    settings.cache_clear()
