"""Linear time for what strangers send: a chat message and a scraped page (issue 17, part 2).

Messages: every message up to the API's maximum (:data:`MAX_MESSAGE_CHARS`) is read by the embedded
engine (``EmbeddedLanguageModel.extract``, what ``/chat`` runs on a message) within
:data:`MESSAGE_CPU` of CPU. The inputs are generated, seeded: long runs of digits, separators and
blanks, repeated cue words, valid fragments, and every pattern's own alphabet (the literals and
character classes of each compiled pattern in ``durable_agents.llm``, read from the pattern itself).
Before the fix, ``"budget" + 1,200 blanks + "1,111,111..."`` took 17 s and ``"1" + ",111" * 999 +
",1"`` 7.5 s; the worst generated message now takes about 60 ms, most under 30 ms.

Pages: a hostile page up to the scraper's largest body (``ScrapeRequest.max_bytes`` at most 8 MiB) is
extracted within :data:`PAGE_CPU` of CPU, 40% of the default 5 s scrape deadline. Before the fix an
8 MiB page of repeated links took 11 s, of ``<p>x`` 18 s, of table cells more than 7 minutes; the
worst generated page now takes about 0.7 s.

CPU is thread CPU time (``time.thread_time``), the least of up to three runs: a bound on work, not
on how busy the machine is.
"""

from __future__ import annotations

import gc
import importlib
import pkgutil
import random
import re
import time
from collections.abc import Callable, Iterator
from datetime import date
from functools import partial

import pytest

import durable_agents.llm as llm
from durable_agents.agents.models import MAX_MESSAGE_CHARS
from durable_agents.http import HttpResponse
from durable_agents.llm.embedded import EmbeddedLanguageModel
from durable_agents.llm.interests import _patterns as interest_patterns
from durable_agents.llm.models import Money, TravelSlots
from durable_agents.scraping.extract import extract
from durable_agents.scraping.models import ScrapeRequest
from durable_agents.scraping.urls import parse_url

MESSAGE_CPU = 0.100
"""CPU seconds allowed for reading one message of any content up to the maximum size."""
PATTERN_CPU = 0.010
"""CPU seconds allowed for one pattern to scan one message of the maximum size."""
PAGE_CPU = 2.0
"""CPU seconds allowed for extracting one page of the maximum size."""
MAX_PAGE_BYTES = ScrapeRequest.model_fields["max_bytes"].metadata[-1].le
SEPARATORS = (" ", ",", ".", "'", "\u00a0", "-", "/", ":", "\n", "1")
CUES = (
    "budget", "budget of", "spend", "under", "up to", "max", "about", "around", "from", "to", "in",
    "for", "days", "nights", "adults", "kids", "people", "remind me", "remind me to", "watch", "the",
    "first", "june", "3rd", "next", "me and my", "with", "family of", "party of", "then", "and",
    "thanks", "please", "usd", "$", "€", "k", "grand", "at", "before", "not", "instead of",
)  # fmt: skip
FRAGMENTS = (
    "Plan a trip to Kyoto from Osaka, 3 days in April for 2 adults and 1 kid, budget $3,000. ",
    "remind me to pack 2 days before we leave at 8am please ",
    "tell me when flights to Rome drop under 500 euros ",
    "Paris then Rome then Florence, 3 nights each ",
    "from JFK to LHR on 12/20 ",
    "Barcelna in febuary with my wife ",
    "Birmingham, Alabama for a long weekend ",
    "to Nice ",
    "LA ",
)
EXEMPT = {
    "gazetteer._CITY_PARTS": "splits the bundled airport table's city names, never a message",
}
"""Patterns never applied to a message (or to anything a caller sends), with the reason."""


def _cpu(call: Callable[[], object], bound: float) -> float:
    """The thread CPU time of ``call``; the least of up to three runs when the first is over ``bound``.

    The collector is paused while ``call`` runs (not run before it: a full collection of the whole suite's
    heap costs more than most readings), so a pause it happens to take for the rest of the suite's garbage
    is not charged to the reading."""
    best = float("inf")
    for _ in range(3):
        gc.disable()
        try:
            started = time.thread_time()
            call()
            best = min(best, time.thread_time() - started)
        finally:
            gc.enable()
        if best <= bound:
            break
    return best


# --- the patterns and their alphabets -------------------------------------------------------------------


def _llm_patterns() -> dict[str, re.Pattern[str]]:
    """Every compiled pattern in ``durable_agents.llm``: module attributes, inside tuples, lists and dicts."""
    found: dict[str, re.Pattern[str]] = {}

    def visit(name: str, value: object, depth: int) -> None:
        if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
            found[name] = value
        elif depth < 2 and isinstance(value, tuple | list):
            for index, item in enumerate(value):
                visit(f"{name}[{index}]", item, depth + 1)
        elif depth < 2 and isinstance(value, dict):
            for key, item in value.items():
                visit(f"{name}[{key}]", item, depth + 1)

    for info in pkgutil.iter_modules(llm.__path__):
        module = importlib.import_module(f"{llm.__name__}.{info.name}")
        for attribute, value in vars(module).items():
            visit(f"{info.name}.{attribute}", value, 0)
    for interest, pattern in interest_patterns():
        found[f"interests.{interest}"] = pattern
    return {name: pattern for name, pattern in found.items() if name not in EXEMPT}


def _alphabet(pattern: re.Pattern[str]) -> tuple[list[str], list[str]]:
    """The characters and the literal words ``pattern`` is written with, read from its parse tree."""
    from re import _constants as sre  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    chars: set[str] = set()
    words: set[str] = set()
    category_chars = {
        sre.CATEGORY_DIGIT: "7", sre.CATEGORY_SPACE: " ", sre.CATEGORY_WORD: "a",
        sre.CATEGORY_NOT_WORD: "!", sre.CATEGORY_NOT_SPACE: "x", sre.CATEGORY_NOT_DIGIT: "x",
    }  # fmt: skip

    def walk(items: object) -> None:
        run: list[str] = []
        for op, argument in items:  # type: ignore[attr-defined]
            if op is sre.LITERAL:
                run.append(chr(argument))
                continue
            words.add("".join(run))
            chars.update(run)
            run = []
            if op is sre.IN:
                for kind, value in argument:
                    if kind is sre.LITERAL:
                        chars.add(chr(value))
                    elif kind is sre.RANGE:
                        chars.update((chr(value[0]), chr(value[1])))
                    elif kind is sre.CATEGORY:
                        chars.add(category_chars.get(value, "x"))
                    elif kind is sre.NEGATE:
                        chars.update(("x", "\n"))
            elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
                walk(argument[2])
            elif op is sre.SUBPATTERN:
                walk(argument[3])
            elif op is sre.ATOMIC_GROUP:
                walk(argument)
            elif op is sre.BRANCH:
                for branch in argument[1]:
                    walk(branch)
            elif op in (sre.ASSERT, sre.ASSERT_NOT):
                walk(argument[1])
        words.add("".join(run))
        chars.update(run)

    walk(_parser.parse(pattern.pattern, pattern.flags))
    return sorted(chars), sorted(word for word in words if len(word) > 1)


def _fill(unit: str, size: int = MAX_MESSAGE_CHARS) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _then_one(unit: str, size: int) -> str:
    return _fill(unit, size - 1) + "1"


def _scan(pattern: re.Pattern[str], text: str) -> list[re.Match[str]]:
    return list(pattern.finditer(text))


def _run(prefix: str, char: str, size: int = MAX_MESSAGE_CHARS) -> str:
    """``prefix``, then ``char`` up to one short of ``size``, then an ``x`` that spoils a match."""
    return (prefix + char * size)[: size - 1] + "x"


def _pattern_inputs(pattern: re.Pattern[str], rng: random.Random) -> Iterator[str]:
    """Messages made of ``pattern``'s own characters and words: repeated, spaced, followed by runs."""
    chars, words = _alphabet(pattern)
    tokens = chars + words
    for token in rng.sample(tokens, min(len(tokens), 12)):
        yield _fill(token + rng.choice(SEPARATORS))
        yield _run(token, rng.choice((" ", "1", ",", ".")))
    for _ in range(8):
        yield _fill("".join(rng.choice(tokens) for _ in range(rng.randint(2, 4))))


# --- messages ------------------------------------------------------------------------------------------


def _message_families() -> dict[str, Callable[[int], str]]:
    """Generators of adversarial messages of a given size, by name."""
    families: dict[str, Callable[[int], str]] = {
        "issue: budget, blanks, 1,111...": lambda n: ("budget" + " " * 1200 + "1" + ",111" * n)[:n],
        "issue: 1,111...,1": lambda n: "1" + ",111" * ((n - 3) // 4) + ",1",
        "issue: budget, blanks, x": lambda n: _run("budget", " ", n),
        "digits": lambda n: "7" * n,
    }
    for separator in SEPARATORS:
        families[f"1{separator!r} repeated"] = partial(_fill, "1" + separator)
        families[f"111{separator!r} repeated, then 1"] = partial(_then_one, "111" + separator)
    for cue in CUES:
        families[f"{cue!r} repeated"] = partial(_fill, cue + " ")
        for separator in (" ", ",", "."):
            families[f"{cue!r}, {separator!r} run"] = partial(_run, cue, separator)
        families[f"{cue!r} 1,111..."] = partial(_fill, cue + " 1" + ",111" * 9 + ",1 ")
    for fragment in FRAGMENTS:
        families[f"{fragment.strip()!r} repeated"] = partial(_fill, fragment)
    return families


def _random_messages(count: int, rng: random.Random) -> dict[str, str]:
    """Messages made of random pieces: cue words, fragments, runs, and the patterns' own words."""
    alphabet_words = sorted({word for pattern in _llm_patterns().values() for word in _alphabet(pattern)[1]})
    pieces = [*CUES, *FRAGMENTS, *SEPARATORS, *alphabet_words]
    messages: dict[str, str] = {}
    for index in range(count):
        parts: list[str] = []
        size = 0
        while size < MAX_MESSAGE_CHARS:
            piece = rng.choice(pieces)
            if rng.random() < 0.2:
                piece *= rng.randint(2, 200)
            elif rng.random() < 0.5:
                piece += rng.choice(" ,.")
            parts.append(piece if rng.random() < 0.8 else piece.upper())
            size += len(parts[-1])
        messages[f"random #{index}"] = "".join(parts)[:MAX_MESSAGE_CHARS]
    return messages


def _read(message: str) -> Callable[[], object]:
    model = EmbeddedLanguageModel()
    known = TravelSlots(budget=Money(amount=100, currency="EUR"))
    return lambda: model.extract(message, known=known, today=date(2026, 3, 1))


@pytest.fixture(scope="module")
def message_cpu() -> dict[str, float]:
    """The CPU of reading each generated message, by family name."""
    _read(" ".join(FRAGMENTS))()  # load the gazetteer and the spelling index first
    rng = random.Random(17)
    families = _message_families()
    chosen = [name for name in families if name.startswith("issue:")]
    chosen += rng.sample(sorted(set(families) - set(chosen)), 90)
    messages = {name: families[name](MAX_MESSAGE_CHARS) for name in chosen}
    messages.update(_random_messages(20, rng))
    assert all(MAX_MESSAGE_CHARS - 4 <= len(message) <= MAX_MESSAGE_CHARS for message in messages.values())
    return {name: _cpu(_read(message), MESSAGE_CPU) for name, message in messages.items()}


def test_the_messages_of_the_issue_are_read_in_well_under_100ms(message_cpu: dict[str, float]) -> None:
    issue = {name: cpu for name, cpu in message_cpu.items() if name.startswith("issue:")}
    assert len(issue) == 3
    assert max(issue.values()) < MESSAGE_CPU, issue


def test_every_generated_message_is_read_within_100ms(message_cpu: dict[str, float]) -> None:
    worst = sorted(message_cpu.items(), key=lambda item: -item[1])[:5]
    assert worst[0][1] < MESSAGE_CPU, [(name, f"{cpu * 1000:.0f} ms") for name, cpu in worst]


def test_reading_cost_grows_linearly_for_the_worst_families(message_cpu: dict[str, float]) -> None:
    families = _message_families()
    worst = sorted((name for name in message_cpu if name in families), key=lambda name: -message_cpu[name])
    ratios = {}
    for name in worst[:3]:
        half = _cpu(_read(families[name](MAX_MESSAGE_CHARS // 2)), 0)
        full = _cpu(_read(families[name](MAX_MESSAGE_CHARS)), 0)
        ratios[name] = full / max(half, 1e-4)
    assert max(ratios.values()) < 3, ratios  # linear: 2; quadratic: 4


def test_every_pattern_scans_a_message_of_its_own_alphabet_in_linear_time() -> None:
    rng = random.Random(3)
    slow: dict[str, tuple[float, str]] = {}
    patterns = _llm_patterns()
    assert len(patterns) > 100  # the walk found them
    for name, pattern in patterns.items():
        for text in _pattern_inputs(pattern, rng):
            for variant in (text, text.upper()):
                started = time.thread_time()
                for _ in pattern.finditer(variant):
                    pass
                cpu = time.thread_time() - started
                if cpu > PATTERN_CPU:
                    cpu = _cpu(partial(_scan, pattern, variant), PATTERN_CPU)
                if cpu > PATTERN_CPU and cpu > slow.get(name, (0.0, ""))[0]:
                    slow[name] = (cpu, variant[:30] + "..." + variant[-10:])
    assert not slow, slow


# --- pages ---------------------------------------------------------------------------------------------


def _page(unit: str, size: int = MAX_PAGE_BYTES) -> bytes:
    return _fill(unit, size).encode()


def _distinct_bad_links() -> bytes:
    links = "".join(f'<a href="http://[{i}">l</a>' for i in range(MAX_PAGE_BYTES // 20))
    return links.encode()[:MAX_PAGE_BYTES]


PAGES: dict[str, Callable[[], tuple[bytes, str]]] = {
    "repeated links": lambda: (_page('<a href="/x">link</a>'), "text/html"),
    "distinct unresolvable links": lambda: (_distinct_bad_links(), "text/html"),
    "deep nesting": lambda: (_page("<div>"), "text/html"),
    "paragraphs": lambda: (_page("<p>x"), "text/html"),
    "table cells": lambda: (_page("<td>x"), "text/html"),
    "unclosed inline tags": lambda: (_page("<b>x"), "text/html"),
    "numeric entities": lambda: (_page("&#38;"), "text/html"),
    "long attribute": lambda: (b'<p title="' + b"x" * (MAX_PAGE_BYTES - 20) + b'">x</p>', "text/html"),
    "huge text run": lambda: (_page("word "), "text/html"),
    "blank lines, plain text": lambda: (_page(" \n"), "text/plain"),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_an_8_mib_hostile_page_is_extracted_within_2_s_of_cpu(name: str) -> None:
    body, media_type = PAGES[name]()
    assert MAX_PAGE_BYTES - 16 <= len(body) <= MAX_PAGE_BYTES
    url = parse_url("https://guide.example/europe/index.html")
    response = HttpResponse(200, url.url, body, {"Content-Type": f"{media_type}; charset=utf-8"})

    def run() -> object:
        return extract(response, url, selectors=[], max_text_chars=100_000, max_links=200)

    assert _cpu(run, PAGE_CPU) < PAGE_CPU
