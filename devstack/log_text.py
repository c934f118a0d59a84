"""Text from requests made safe for log lines.

A request's method, path or an exception message built from its input can hold control characters:
an ANSI escape that recolours or retitles a terminal, a ``\\r``, ``\\n`` or ``\\u2028`` that forges a
log line of its own, a bidi override that reorders what a reader sees. :func:`printable` escapes every
non-printable character (``\\xNN``, ``\\uNNNN``, ``\\UNNNNNNNN``) and the backslash itself (``\\\\``, so
an escape in the log is never the client's literal text); :func:`printable_traceback` does so line by
line, keeping only the traceback's own newlines.
"""

from __future__ import annotations

import traceback


def printable(text: str) -> str:
    """``text`` with non-printable characters as ``\\xNN``/``\\uNNNN`` escapes and ``\\`` as ``\\\\``."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(_escape(character) for character in text)


def _escape(character: str) -> str:
    if character == "\\":
        return "\\\\"
    if character.isprintable():
        return character
    code = ord(character)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable_traceback(exc: BaseException) -> str:
    """``exc``'s traceback, each line :func:`printable` (its message may quote a request)."""
    lines = "".join(traceback.format_exception(exc)).rstrip("\n").split("\n")
    return "\n".join(printable(line) for line in lines)
