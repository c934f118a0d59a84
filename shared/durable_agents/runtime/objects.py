"""The base class of durable objects and the ``@rpc`` marker for methods other objects may call."""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, overload

from .ids import ObjectId
from .storage import Storage

if TYPE_CHECKING:
    from .connections import Connections
    from .env import Env

F = TypeVar("F", bound=Callable[..., Any])
RPC_ATTRIBUTE = "__durable_rpc__"


@dataclass(frozen=True, slots=True)
class RpcOptions:
    read_only: bool = False


@overload
def rpc(fn: F, *, read_only: bool = False) -> F: ...
@overload
def rpc(fn: None = None, *, read_only: bool = False) -> Callable[[F], F]: ...


def rpc(fn: F | None = None, *, read_only: bool = False) -> F | Callable[[F], F]:
    """Mark a method as callable through a stub. Arguments are validated against its type hints.

    ``read_only=True`` methods run on a strongly consistent snapshot without taking the lease (one
    request, never blocked by a running turn); any write they attempt raises.
    """

    def decorate(method: F) -> F:
        from pydantic import validate_call

        validated = validate_call(method)

        @functools.wraps(method)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            return validated(self, *args, **kwargs)

        setattr(wrapper, RPC_ATTRIBUTE, RpcOptions(read_only=read_only))
        return wrapper  # type: ignore[return-value]

    return decorate(fn) if fn is not None else decorate


def rpc_options(cls: type, method: str) -> RpcOptions | None:
    """The ``@rpc`` options of ``cls.method``, or ``None`` if it is not an RPC method."""
    if method.startswith("_"):
        return None
    return getattr(getattr(cls, method, None), RPC_ATTRIBUTE, None)


@dataclass(slots=True)
class ObjectContext:
    """What a running object knows about its turn (the counterpart of ``DurableObjectState``).

    ``fence`` is the turn's fencing token: it grows with every lease ever taken on this object, so a
    write this turn makes to *another* store, conditioned on the fence being newer than the last one
    that store saw, is refused once a newer turn has written there (a stale holder cannot clobber it).
    """

    id: ObjectId
    storage: Storage
    lease_until: int | None = None
    extend_lease: Callable[[float], None] = field(default=lambda seconds: None)
    call_chain: tuple[str, ...] = ()
    fence: int = 0
    beside: Future[Any] | None = None
    """What the object's class asked to read beside this turn's acquire (``beside_acquire``), being read:
    from before the lease was taken, so only as good as the method's validation of it."""


class DurableObject:
    """Base class of durable objects: one instance per turn, state only in ``self.storage``.

    Subclasses expose methods with ``@rpc``; whatever they return must be JSON-able (or pydantic
    models), because a caller may be in another process.
    """

    def __init__(self, ctx: ObjectContext, env: Env):
        self.ctx = ctx
        self.id = ctx.id
        self.storage = ctx.storage
        self.env = env

    @property
    def connections(self) -> Connections:
        """This object's WebSocket connections for this turn: accept, list by tag, send, broadcast,
        stream (see :mod:`~durable_agents.runtime.connections`)."""
        from .connections import connections_of

        return connections_of(self.storage, self.env.settings.websocket_callback_url)
