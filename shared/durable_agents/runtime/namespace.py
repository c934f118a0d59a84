"""Namespace bindings and stubs: how code reaches an object (``env.TRAVEL_AGENT.get(id)``).

A stub call runs the method under the callee's own lease, either in this process or through a Lambda
invoke of the object-host function: a call from outside any turn (an API handler) goes to
``OBJECT_HOST_FUNCTION`` when it is set; a call made during a turn runs here, since this process hosts
objects already (and only here can it join the caller's commit). Arguments and results cross as JSON
either way, so an object behaves the same whether its caller is local or not.
"""

from __future__ import annotations

import importlib
import json
from functools import cached_property
from typing import TYPE_CHECKING, Any

from . import codec, errors, ids
from .claims import KeyClaim
from .errors import DurableObjectError, ObjectBusy, ObjectCallError, UnknownBinding
from .ids import ObjectId
from .lease import current_invocation
from .objects import DurableObject
from .turn import current_call_chain, in_turn, run_turn

if TYPE_CHECKING:
    from .env import Env


class Namespace:
    """One binding: a durable-object class addressable by name or id (``DurableObjectNamespace``)."""

    def __init__(self, env: Env, binding: str, class_path: str):
        self.env = env
        self.binding = ids.validate_namespace(binding)
        self.class_path = class_path

    @cached_property
    def object_class(self) -> type[DurableObject]:
        """The bound class, imported on first use (``module:Class``)."""
        module_name, _, class_name = self.class_path.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError) as error:
            raise UnknownBinding(
                f"binding {self.binding} names {self.class_path!r}, which cannot be imported: {error}"
            ) from error
        if not (isinstance(cls, type) and issubclass(cls, DurableObject)):
            raise UnknownBinding(f"binding {self.binding}: {self.class_path} is not a DurableObject class")
        return cls

    def id_from_name(self, name: str) -> ObjectId:
        return ids.id_from_name(self.binding, name)

    def new_unique_id(self) -> ObjectId:
        return ids.new_unique_id(self.binding)

    def id_from_string(self, value: str) -> ObjectId:
        return ids.id_from_string(self.binding, value)

    def get(self, object_id: ObjectId) -> ObjectStub:
        if object_id.namespace != self.binding:
            raise UnknownBinding(f"id of {object_id.namespace} used with binding {self.binding}")
        return ObjectStub(self.env, object_id)

    def get_by_name(self, name: str) -> ObjectStub:
        return self.get(self.id_from_name(name))


class ObjectStub:
    """Calls into one object. ``stub.call("method", ...)`` or simply ``stub.method(...)``."""

    def __init__(self, env: Env, object_id: ObjectId):
        self.env = env
        self.id = object_id

    def call(
        self,
        method: str,
        *args: Any,
        idempotency_key: str | None = None,
        fingerprint: str | None = None,
        join: bool = False,
        claim: KeyClaim | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run ``method`` on the object under its lease; return its JSON result.

        ``idempotency_key`` makes the call exactly-once: a repeated key gets the recorded response, and
        the same key with another request (another ``fingerprint``; by default one of the method and its
        arguments) is refused. ``join=True``, during a turn, commits the callee's writes with the
        caller's, atomically (the callee's lease is held until then). ``claim`` claims a key in
        another object beside the acquire (:mod:`~durable_agents.runtime.claims`): a key another
        request holds there is refused before anything runs.
        """
        plain_args = codec.copy_as_json(list(args))
        plain_kwargs = codec.copy_as_json(kwargs)
        if self.env.settings.object_host_function and not in_turn():
            return self._invoke_remote(method, plain_args, plain_kwargs, idempotency_key, fingerprint, claim)
        return run_turn(
            self.env,
            self.id,
            method,
            plain_args,
            plain_kwargs,
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint,
            join=join,
            claim=claim,
        )

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda *args, **kwargs: self.call(method, *args, **kwargs)

    def _invoke_remote(
        self,
        method: str,
        args: list[Any],
        kwargs: dict[str, Any],
        idempotency_key: str | None,
        fingerprint: str | None,
        claim: KeyClaim | None = None,
    ) -> Any:
        payload = object_call_payload(self.id, method, args, kwargs, idempotency_key, current_call_chain())
        if fingerprint is not None:
            payload["fingerprint"] = fingerprint
        if claim is not None:
            payload["claim"] = claim.model_dump()
        invocation = current_invocation()
        if invocation is not None and invocation.deadline_ms is not None:
            payload["deadline"] = invocation.deadline_ms
        response = self.env.lambda_client.invoke(
            FunctionName=self.env.settings.object_host_function,
            Payload=json.dumps(payload).encode(),
        )
        body = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            error_type = (body or {}).get("errorType", "ObjectCallError")
            message = (body or {}).get("errorMessage", "remote object call failed")
            raise self._remote_error(error_type, message)
        return body

    def _remote_error(self, error_type: str, message: str) -> Exception:
        """The runtime's own exception for a remote one of its types (so it keeps its meaning, and its
        name as the Lambda ``errorType``, across any number of hops); else :class:`ObjectCallError`."""
        if error_type == "ObjectBusy":
            return ObjectBusy(self.id.label, None, None, retry_after=1.0)
        cls = getattr(errors, error_type, None)
        if isinstance(cls, type) and issubclass(cls, DurableObjectError) and cls is not ObjectCallError:
            return cls(message)
        return ObjectCallError(message, error_type)


def object_call_payload(
    object_id: ObjectId,
    method: str,
    args: list[Any],
    kwargs: dict[str, Any],
    idempotency_key: str | None,
    call_chain: tuple[str, ...],
) -> dict[str, Any]:
    """The object-host function's event for one call (see ``events/object_host_message.json``)."""
    payload: dict[str, Any] = {
        "namespace": object_id.namespace,
        "method": method,
        "args": args,
        "kwargs": kwargs,
    }
    if object_id.name is not None:
        payload["name"] = object_id.name
    else:
        payload["id"] = object_id.hex
    if idempotency_key is not None:
        payload["idempotencyKey"] = idempotency_key
    payload["callChain"] = list(call_chain)
    return payload
