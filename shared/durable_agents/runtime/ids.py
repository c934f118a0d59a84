"""Object identity: ``(namespace, name)`` or a random unique id, like ``idFromName``/``newUniqueId``."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from .errors import InvalidObjectName

MAX_NAME_LENGTH = 256
_HEX_ID = re.compile(r"^[0-9a-f]{64}$")
_NAMESPACE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")


def validate_namespace(namespace: str) -> str:
    if not isinstance(namespace, str) or not _NAMESPACE.match(namespace):
        raise InvalidObjectName(
            f"namespace must be an upper-case binding name like TRAVEL_AGENT, got {namespace!r}"
        )
    return namespace


def validate_name(name: str) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidObjectName("object name must be a non-empty string")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidObjectName(f"object name is longer than {MAX_NAME_LENGTH} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise InvalidObjectName("object name must not contain control characters")
    return name


@dataclass(frozen=True, slots=True)
class ObjectId:
    """Identifies one object. ``hex`` is its 64-character id; ``name`` is set when it came from a name.

    The id of a name is a hash of the namespace and the name, so the same name always reaches the same
    object and ids of different namespaces never collide.
    """

    namespace: str
    hex: str
    name: str | None = None

    @property
    def key(self) -> str:
        """The object's partition key in the state table: ``<NAMESPACE>#<hex id>``."""
        return f"{self.namespace}#{self.hex}"

    @property
    def label(self) -> str:
        """A readable label for logs and errors: ``NAMESPACE:name`` (or the hex id)."""
        return f"{self.namespace}:{self.name if self.name is not None else self.hex}"

    def __str__(self) -> str:
        return self.hex


def id_from_name(namespace: str, name: str) -> ObjectId:
    validate_namespace(namespace)
    validate_name(name)
    digest = hashlib.sha256(f"{namespace}\x00{name}".encode()).hexdigest()
    return ObjectId(namespace=namespace, hex=digest, name=name)


def new_unique_id(namespace: str) -> ObjectId:
    validate_namespace(namespace)
    return ObjectId(namespace=namespace, hex=secrets.token_hex(32))


def id_from_string(namespace: str, value: str) -> ObjectId:
    validate_namespace(namespace)
    if not isinstance(value, str) or not _HEX_ID.match(value):
        raise InvalidObjectName(f"an object id is 64 lower-case hex characters, got {value!r}")
    return ObjectId(namespace=namespace, hex=value)
