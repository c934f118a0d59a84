"""HTML to title, main text and links, with ``html.parser`` (no dependency, no script execution).

What is kept: text outside :data:`SKIPPED_TAGS` and hidden elements (``hidden``, ``aria-hidden="true"``,
inline ``display:none``/``visibility:hidden``), one block per paragraph-like element, headings as
``#``-prefixed blocks and list items as ``- `` blocks, table rows as blocks with ``|`` between cells,
``<br>`` as a line break. The main text is the
text of the elements matching the selector hints when any match, else of ``<main>``/``role="main"``
when the page has one, else all kept text. Links are ``<a>``/``<area>`` ``href``s outside skipped and
hidden elements, resolved against the page URL (or its ``<base href>``), http(s) only, de-duplicated.

Malformed HTML is tolerated: a block start tag closes an open ``<p>`` on top of the stack (likewise
``<li>``, ``<dt>``/``<dd>``, table cells and rows), an end tag closes the nearest open element of that
name, and an end tag with no open element of its name is ignored (tracked with counts, so hostile
nesting stays linear).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

from .errors import ScrapeFailure
from .hints import Selector
from .urls import ValidUrl, join_url

SKIPPED_TAGS = frozenset(
    {
        "script", "style", "nav", "footer", "noscript", "svg", "math", "template", "iframe",
        "object", "canvas", "select", "button", "title",
    }
)  # fmt: skip
VOID_TAGS = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
        "track", "wbr",
    }
)  # fmt: skip
BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "dialog", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hgroup", "html", "legend", "li", "main", "ol", "p", "pre", "section", "summary", "table", "tbody",
        "tfoot", "thead", "tr", "ul",
    }
)  # fmt: skip
_CLOSES_P = BLOCK_TAGS - {"body", "html", "caption", "tbody", "tfoot", "thead", "tr"} | {"nav", "footer"}
_IMPLIED_END: dict[str, frozenset[str]] = {
    **dict.fromkeys(_CLOSES_P, frozenset({"p"})),
    "li": frozenset({"p", "li"}),
    "dt": frozenset({"p", "dt", "dd"}),
    "dd": frozenset({"p", "dt", "dd"}),
    "tr": frozenset({"td", "th", "tr"}),
    "td": frozenset({"td", "th"}),
    "th": frozenset({"td", "th"}),
}
"""Open elements that a start tag closes while they are on top of the stack (simplified HTML rules)."""
_NOTHING: frozenset[str] = frozenset()
_PREFIXES = {
    "h1": "# ",
    "h2": "## ",
    "h3": "### ",
    "h4": "#### ",
    "h5": "##### ",
    "h6": "###### ",
    "li": "- ",
}
MAX_TITLE_CHARS = 300
FEED_CHUNK = 16 * 1024
MAX_PENDING = 256 * 1024
"""Longest unfinished construct tolerated (a legitimate inline SVG path can be tens of KiB)."""
CLOSE_PENDING = 1024
MAX_EVENTS = 150_000
"""Most tags, text runs, comments, declarations and character references (``&...``) read from one
page: the parse ends after the chunk that passes it.

``html.parser`` costs a few microseconds of Python per construct, so an 8 MiB page of nothing but tiny
tags (``<p>x`` two million times) took 18 s of CPU, past any scrape deadline. To reach the limit a
page needs a construct every 7 bytes of a 1 MiB body (the default ``max_bytes``), every 56 of 8 MiB."""
MAX_LINK_TRIES = 2_000
"""Most distinct ``href`` values resolved on one page (repeats cost nothing): enough to find
``max_links`` links on any real page, and a page of endless distinct bad links stays cheap."""


@dataclass
class HtmlContent:
    """What :func:`parse_html` found; ``text`` is whitespace-normalised but not yet cleaned or cut."""

    title: str
    text: str
    links: list[str] = field(default_factory=list)


def parse_html(markup: str, base: ValidUrl, *, selectors: list[Selector], max_links: int) -> HtmlContent:
    """Extract the title, main text and links of an HTML document fetched from ``base``.

    Hostile markup must not cost more than linear time. ``html.parser`` rescans an unfinished tag,
    comment or declaration on every ``feed`` and, before Python 3.13.5/3.12.11, quadratically in
    ``close`` (CVE-2025-6069). So the markup is fed in chunks, a construct still open after
    :data:`MAX_PENDING` characters (outside ``<script>``/``<style>`` text) ends the parse, and ``close``
    only runs on a short leftover; a longer unfinished construct at the end is dropped. A malformed
    declaration that ``html.parser`` gives up on (``AssertionError`` before Python 3.13) also ends it,
    and so does reading more than :data:`MAX_EVENTS` constructs. What was read up to there is kept.
    """
    walker = _Walker(base, selectors, max_links)
    try:
        for start in range(0, len(markup), FEED_CHUNK):
            chunk = markup[start : start + FEED_CHUNK]
            walker.events += chunk.count("&")  # each may be a reference, resolved in Python
            walker.feed(chunk)
            if walker.events > MAX_EVENTS or (
                len(walker.rawdata) > MAX_PENDING and walker.cdata_elem is None
            ):
                break
        else:
            if len(walker.rawdata) <= CLOSE_PENDING or walker.cdata_elem is not None:
                walker.close()
    except AssertionError:
        pass
    return walker.content()


@dataclass(slots=True)
class _Block:
    text: str
    in_main: bool
    selected: bool
    list_item: bool


@dataclass(slots=True)
class _Open:
    tag: str
    skipped: bool
    main: bool
    selected: bool


class _Walker(HTMLParser):
    def __init__(self, base: ValidUrl, selectors: list[Selector], max_links: int) -> None:
        super().__init__(convert_charrefs=True)
        self._base = base
        self._base_set = False
        self._selectors = selectors
        self._max_links = max_links
        self._stack: list[_Open] = []
        self._open_counts: Counter[str] = Counter()
        self._skipped = 0
        self._main = 0
        self._selected = 0
        self._lines: list[list[str]] = [[]]
        self._line_blank = True
        """Whether the current line (``self._lines[-1]``) is only blanks so far."""
        self._prefix = ""
        self._blocks: list[_Block] = []
        self._title: list[str] | None = None
        self._title_text = ""
        self._links: dict[str, None] = {}
        self._hrefs: set[str] = set()
        """The hrefs resolved so far (a repeat resolves to the same link; see :data:`MAX_LINK_TRIES`)."""
        self.events = 0
        """Constructs read so far (see :data:`MAX_EVENTS`)."""

    def content(self) -> HtmlContent:
        self._flush()
        pool = (
            [b for b in self._blocks if b.selected] or [b for b in self._blocks if b.in_main] or self._blocks
        )
        title = self._title_text or next((b.text[2:] for b in self._blocks if b.text.startswith("# ")), "")
        return HtmlContent(title=title[:MAX_TITLE_CHARS], text=_join(pool), links=list(self._links))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events += 1
        attributes = {name: value or "" for name, value in attrs}
        if tag == "base" and not self._base_set:
            self._set_base(attributes.get("href", ""))
        if tag in ("a", "area") and "href" in attributes and not self._skipped and not _hidden(attributes):
            self._add_link(attributes["href"])
        if tag in VOID_TAGS:
            if tag == "br":
                self._new_line()
            elif tag == "hr":
                self._flush()
            return
        if tag == "title" and not self._skipped and self._title is None:
            self._title = []
        implied = _IMPLIED_END.get(tag, _NOTHING)
        while self._stack and self._stack[-1].tag in implied:
            self.handle_endtag(self._stack[-1].tag)
        opened = _Open(
            tag=tag,
            skipped=tag in SKIPPED_TAGS or (bool(attrs) and _hidden(attributes)),
            main=tag == "main" or attributes.get("role", "").lower() == "main",
            selected=bool(self._selectors) and self._selected_by_hint(tag, attributes),
        )
        if tag in BLOCK_TAGS or opened.main or opened.selected:
            self._flush()
        if tag in _PREFIXES:
            self._prefix = _PREFIXES[tag]
        elif tag in ("td", "th") and not self._line_blank:
            self._lines[-1].append(" | ")  # the line stays not blank
        self._push(opened)

    def handle_endtag(self, tag: str) -> None:
        self.events += 1
        if not self._open_counts[tag]:
            return
        while self._stack:
            opened = self._stack[-1]
            if opened.tag in BLOCK_TAGS or opened.main or opened.selected:
                self._flush()
            if opened.tag in _PREFIXES:
                self._prefix = ""
            if opened.tag == "title" and self._title is not None and not self._title_text:
                self._title_text = " ".join("".join(self._title).split())
            self._pop()
            if opened.tag == tag:
                return

    def handle_data(self, data: str) -> None:
        self.events += 1
        if (
            self._title is not None
            and not self._title_text
            and self._stack
            and self._stack[-1].tag == "title"
        ):
            self._title.append(data)
        elif not self._skipped:
            self._lines[-1].append(data)
            self._line_blank = self._line_blank and not data.strip()

    def handle_comment(self, data: str) -> None:
        self.events += 1

    def handle_decl(self, decl: str) -> None:
        self.events += 1

    def handle_pi(self, data: str) -> None:
        self.events += 1

    def unknown_decl(self, data: str) -> None:
        self.events += 1

    def _new_line(self) -> None:
        self._lines.append([])
        self._line_blank = True

    def _push(self, opened: _Open) -> None:
        self._stack.append(opened)
        self._open_counts[opened.tag] += 1
        self._skipped += opened.skipped
        self._main += opened.main
        self._selected += opened.selected

    def _pop(self) -> None:
        opened = self._stack.pop()
        self._open_counts[opened.tag] -= 1
        self._skipped -= opened.skipped
        self._main -= opened.main
        self._selected -= opened.selected

    def _selected_by_hint(self, tag: str, attributes: dict[str, str]) -> bool:
        classes = frozenset(attributes.get("class", "").split())
        element_id = attributes.get("id")
        return any(selector.matches(tag, element_id, classes) for selector in self._selectors)

    def _flush(self) -> None:
        if len(self._lines) == 1 and not self._lines[0]:
            return
        lines = (" ".join("".join(parts).split()) for parts in self._lines)
        text = "\n".join(line for line in lines if line)
        self._lines = [[]]
        self._line_blank = True
        if text:
            self._blocks.append(
                _Block(
                    self._prefix + text,
                    in_main=self._main > 0,
                    selected=self._selected > 0,
                    list_item=self._prefix == _PREFIXES["li"],
                )
            )
            self._prefix = ""

    def _set_base(self, href: str) -> None:
        self._base_set = True
        self._hrefs.clear()  # the same href now resolves elsewhere
        try:
            self._base = join_url(self._base, href)
        except ScrapeFailure:
            return

    def _add_link(self, href: str) -> None:
        if len(self._links) >= self._max_links or href.strip().startswith("#") or href in self._hrefs:
            return
        if len(self._hrefs) >= MAX_LINK_TRIES:
            return
        self._hrefs.add(href)
        try:
            self._links.setdefault(join_url(self._base, href).url, None)
        except ScrapeFailure:
            return


def _join(blocks: list[_Block]) -> str:
    """Blocks separated by blank lines, consecutive list items by single line breaks."""
    parts: list[str] = []
    for index, block in enumerate(blocks):
        if index:
            parts.append("\n" if block.list_item and blocks[index - 1].list_item else "\n\n")
        parts.append(block.text)
    return "".join(parts)


def _hidden(attributes: dict[str, str]) -> bool:
    style = "".join(attributes.get("style", "").lower().split())
    return (
        "hidden" in attributes
        or attributes.get("aria-hidden", "").lower() == "true"
        or "display:none" in style
        or "visibility:hidden" in style
    )
