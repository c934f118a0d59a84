"""A response body to title, text and links: content type dispatch, charset, cleaning and truncation.

* HTML (``text/html``, ``application/xhtml+xml``) goes through :mod:`.htmltext`.
* Other text (``text/*``, JSON, XML and their ``+json``/``+xml`` kinds) is kept as it is.
* A missing content type is sniffed (HTML markup, else text without NUL bytes); anything else (images,
  PDFs, ``application/octet-stream``, ...) and compressed bodies fail with ``unsupported_content``.

The charset comes from a byte order mark, else the ``Content-Type`` header, else (HTML) a
``<meta charset>`` in the first 4 KiB, else UTF-8; undecodable bytes become U+FFFD. Only the web's
encodings are honoured (:data:`WEB_ENCODINGS`, after the WHATWG Encoding Standard: ``ascii`` and
``latin1`` mean windows-1252); any other declared charset is read as UTF-8. Python knows codecs no
browser would apply: ``utf-7`` turns ``+ADw-`` into ``<``, ``punycode`` decodes in quadratic time (a
200 KB body took 13 s), ``unicode_escape`` rewrites backslash sequences.

The text is then tidied (:func:`tidy`): control and invisible formatting characters (zero-width, bidi
overrides, Unicode tag characters: a common way to hide instructions in a page) removed, spaces
collapsed within lines, runs of blank lines reduced to one; and cut at ``max_text_chars``, on a word
boundary when one is near.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from ..http import HttpResponse
from .errors import ErrorCode, ScrapeFailure
from .hints import Selector
from .htmltext import parse_html
from .urls import ValidUrl

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_APPLICATION_TYPES = frozenset({"application/json", "application/xml", "application/javascript"})
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)
_BLANK_LINES = re.compile(r"\n{3,}")
_BLANKS = re.compile(r"[^\S\n]+")

WEB_ENCODINGS = frozenset(
    {
        "utf-8", "utf-16-le", "utf-16-be", "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255",
        "cp1256", "cp1257", "cp1258", "cp874", "cp866", "iso8859-2", "iso8859-3", "iso8859-4",
        "iso8859-5", "iso8859-6", "iso8859-7", "iso8859-8", "iso8859-10", "iso8859-13", "iso8859-14",
        "iso8859-15", "iso8859-16", "koi8-r", "koi8-u", "mac-roman", "mac-cyrillic", "gbk", "gb18030",
        "big5", "big5hkscs", "euc_jp", "iso2022_jp", "cp932", "cp949",
    }
)  # fmt: skip
"""Python's names for the encodings a page may declare (decoders that are linear and browser-like)."""
_WHATWG_ALIASES = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "utf-8-sig": "utf-8",
    "utf-16": "utf-16-le",
    "tis-620": "cp874",
    "iso8859-11": "cp874",
    "gb2312": "gbk",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
}


@dataclass(frozen=True)
class Extracted:
    """The readable content of a response."""

    media_type: str
    title: str
    text: str
    truncated: bool
    links: list[str]


def extract(
    response: HttpResponse,
    url: ValidUrl,
    *,
    selectors: list[Selector],
    max_text_chars: int,
    max_links: int,
) -> Extracted:
    """The title, main text (cleaned, cut at ``max_text_chars``) and links of ``response``."""
    encoding = response.header("content-encoding").strip().lower()
    if encoding not in ("", "identity"):
        raise ScrapeFailure(
            ErrorCode.UNSUPPORTED_CONTENT, f"{url}: compressed body ({encoding}) not supported"
        )
    media_type, charset = _content_type(response.header("content-type"))
    media_type = media_type or _sniff(response.body)
    if media_type in HTML_TYPES:
        markup = _decode(response.body, charset or _meta_charset(response.body))
        content = parse_html(markup, url, selectors=selectors, max_links=max_links)
        title, text, links = content.title, content.text, content.links
    elif _is_text(media_type):
        title, text, links = "", _decode(response.body, charset), []
    else:
        raise ScrapeFailure(
            ErrorCode.UNSUPPORTED_CONTENT, f"{url}: {media_type or 'binary content'} is not HTML or text"
        )
    text, truncated = _tidy_cut(text, max_text_chars)
    title = " ".join(tidy(title).split())
    return Extracted(media_type=media_type, title=title, text=text, truncated=truncated, links=links)


def tidy(text: str) -> str:
    """``text`` without control or invisible characters, spaces collapsed, at most one blank line in a row.

    No Python loop over lines (a body of millions of short lines is tidied in C), and a prefix of a text
    tidies into a prefix of the tidied text (see :func:`_tidy_cut`).
    """
    visible = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    spaced = _BLANKS.sub(" ", visible)  # one space for each run of blanks; then none at a line's ends
    lines = spaced.replace(" \n", "\n").replace("\n ", "\n")
    return _BLANK_LINES.sub("\n\n", lines).strip()


def _tidy_cut(text: str, limit: int) -> tuple[str, bool]:
    """``tidy(text)`` cut at ``limit`` (:func:`_truncate`), tidying no more of ``text`` than that needs.

    Tidying a prefix of ``text`` gives a prefix of ``tidy(text)``: once a prefix tidies into more than
    ``limit`` characters, the rest of an 8 MiB page cannot change what is kept.
    """
    size = 4 * limit
    while size < len(text) // 2:  # past half, tidy it all: at most about 1.3 times the text in all
        tidied = tidy(text[:size])
        if len(tidied) > limit:
            return _truncate(tidied, limit)
        size *= 4
    return _truncate(tidy(text), limit)


def _content_type(header: str) -> tuple[str, str | None]:
    media_type, *params = header.split(";")
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return media_type.strip().lower(), charset


def _sniff(body: bytes) -> str:
    head = body[:1024].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "text/html"
    if b"\x00" not in head:
        return "text/plain"
    return ""


def _is_text(media_type: str) -> bool:
    return (
        media_type.startswith("text/")
        or media_type in TEXT_APPLICATION_TYPES
        or media_type.endswith(("+json", "+xml"))
    )


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:4096])
    if not match:
        return None
    charset = match.group(1).decode("ascii")
    # A meta tag is read as ASCII, so it cannot truthfully declare UTF-16/32 (WHATWG: use UTF-8).
    return "utf-8" if charset.lower().startswith(("utf-16", "utf-32")) else charset


def web_encoding(charset: str | None) -> str:
    """The codec for a declared ``charset``: one of :data:`WEB_ENCODINGS`, UTF-8 when unknown or unfit."""
    if not charset:
        return "utf-8"
    try:
        name = codecs.lookup(charset).name
    except (LookupError, ValueError):  # unknown, or a NUL in the name
        return "utf-8"
    name = _WHATWG_ALIASES.get(name, name)
    return name if name in WEB_ENCODINGS else "utf-8"


def _decode(body: bytes, charset: str | None) -> str:
    for bom, bom_encoding in _BOMS:
        if body.startswith(bom):
            return body.decode(bom_encoding, errors="replace")
    return body.decode(web_encoding(charset), errors="replace")


def _truncate(text: str, limit: int) -> tuple[str, bool]:
    if len(text) <= limit:
        return text, False
    cut = text[: limit - 1]
    boundary = max(cut.rfind(" "), cut.rfind("\n"))
    if boundary >= limit * 0.8:
        cut = cut[:boundary]
    return cut.rstrip() + "…", True
