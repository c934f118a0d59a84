"""robots.txt matching: RFC 9309's and Google's documented examples, percent-encoding, and linear time."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from durable_agents.http import USER_AGENT
from durable_agents.scraping import RobotsRule
from durable_agents.scraping.robotsmatch import allowed, matches, normalise, pattern_of
from durable_agents.scraping.robotstxt import parse_robots
from durable_agents.scraping.urls import parse_url


def target(path: str) -> str:
    """A path as the scraper matches it: through URL validation and normalisation."""
    return parse_url("https://www.example.com" + path).target


def may_fetch(robots_txt: str, path: str, user_agent: str = USER_AGENT) -> bool:
    rules, _ = parse_robots(robots_txt, user_agent)
    return allowed(rules, target(path))


def rule_matches(rule_path: str, path: str) -> bool:
    return matches(pattern_of(rule_path), normalise(target(path)))


RFC_SIMPLE_EXAMPLE = """\
User-Agent: *
Disallow: *.gif$
Disallow: /example/
Allow: /publications/

User-Agent: foobot
Disallow:/
Allow:/example/page.html
Allow:/example/allowed.gif

User-Agent: barbot
User-Agent: bazbot
Disallow: /example/page.html

User-Agent: quxbot

EOF
"""


@pytest.mark.parametrize(
    ("agent", "path", "expected"),
    [
        ("otherbot/1.0", "/publications/2024.html", True),
        ("otherbot/1.0", "/example/", False),
        ("otherbot/1.0", "/example/page.html", False),
        ("otherbot/1.0", "/images/logo.gif", False),  # "*" matches the leading slash too
        ("otherbot/1.0", "/images/logo.gif?size=2", True),  # "$": the path must end there
        ("otherbot/1.0", "/about.html", True),
        ("foobot/2.0", "/example/page.html", True),
        ("foobot/2.0", "/example/allowed.gif", True),
        ("foobot/2.0", "/example/other.html", False),
        ("foobot/2.0", "/", False),
        ("barbot/1.0", "/example/page.html", False),
        ("bazbot/1.0", "/example/page.html", False),
        ("bazbot/1.0", "/example/other.html", True),
        ("bazbot/1.0", "/images/logo.gif", True),  # its own group applies, not the "*" one
        ("quxbot/1.0", "/example/page.html", True),  # an empty last group allows everything
    ],
)
def test_rfc_9309_simple_example(agent: str, path: str, expected: bool) -> None:
    assert may_fetch(RFC_SIMPLE_EXAMPLE, path, agent) is expected


def test_rfc_9309_longest_match_example() -> None:
    robots = "User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n"
    assert not may_fetch(robots, "/example/page/disallowed.gif", "foobot")
    assert may_fetch(robots, "/example/page/allowed.gif", "foobot")


@pytest.mark.parametrize(
    ("rule_path", "path"),
    [
        ("/foo/bar?baz=quz", "/foo/bar?baz=quz"),
        ("/foo/bar?baz=https://foo.bar", "/foo/bar?baz=https://foo.bar"),
        ("/foo/bar?baz=https%3A%2F%2Ffoo.bar", "/foo/bar?baz=https%3A%2F%2Ffoo.bar"),
        ("/foo/bar/\u30c4", "/foo/bar/%E3%83%84"),
        ("/foo/bar/\u30c4", "/foo/bar/\u30c4"),
        ("/foo/bar/%E3%83%84", "/foo/bar/%E3%83%84"),
        ("/foo/bar/%e3%83%84", "/foo/bar/\u30c4"),  # hex digits in either case
        ("/foo/bar/%62%61%7A", "/foo/bar/baz"),  # unreserved characters are decoded before comparing
        ("/foo/bar/baz", "/foo/bar/%62%61%7A"),
        ("/path/file-with-a-%2A.html", "/path/file-with-a-*.html"),
        ("/path/foo-%24", "/path/foo-$"),
    ],
)
def test_rfc_9309_percent_encoding_examples_match(rule_path: str, path: str) -> None:
    assert rule_matches(rule_path, path)


@pytest.mark.parametrize(
    ("rule_path", "path"),
    [
        ("/path/file-with-a-%2A.html", "/path/file-with-a-x.html"),  # %2A is a literal "*", no wildcard
        ("/path/foo-%24", "/path/foo-"),  # %24 is a literal "$", no anchor
        ("/a%2Fb", "/a/b"),  # an encoded slash is a reserved character: kept apart from "/"
    ],
)
def test_percent_encoded_reserved_characters_stay_literal(rule_path: str, path: str) -> None:
    assert not rule_matches(rule_path, path)


GOOGLE_PATH_EXAMPLES = {
    "/": (["/", "/index.html", "/fish/salmon.html"], []),
    "/*": (["/", "/index.html", "/fish/salmon.html"], []),
    "/$": (["/"], ["/index.html", "/?id=1"]),
    "/fish": (
        ["/fish", "/fish.html", "/fish/salmon.html", "/fishheads", "/fishheads/yummy.html",
         "/fish.php?id=anything"],
        ["/Fish.asp", "/catfish", "/?id=fish", "/desert/fish"],
    ),
    "/fish*": (
        ["/fish", "/fish.html", "/fish/salmon.html", "/fishheads", "/fishheads/yummy.html",
         "/fish.php?id=anything"],
        ["/Fish.asp", "/catfish", "/?id=fish", "/desert/fish"],
    ),
    "/fish/": (
        ["/fish/", "/fish/?id=anything", "/fish/salmon.htm"],
        ["/fish", "/fish.html", "/animals/fish/", "/Fish/Salmon.asp"],
    ),
    "/*.php": (
        ["/index.php", "/filename.php", "/folder/filename.php", "/folder/filename.php?parameters",
         "/folder/any.php.file.html", "/filename.php/"],
        ["/", "/windows.PHP"],
    ),
    "/*.php$": (
        ["/filename.php", "/folder/filename.php"],
        ["/filename.php?parameters", "/filename.php/", "/filename.php5", "/windows.PHP"],
    ),
    "/fish*.php": (["/fish.php", "/fishheads/catfish.php?parameters"], ["/Fish.PHP"]),
}  # fmt: skip


@pytest.mark.parametrize("rule_path", GOOGLE_PATH_EXAMPLES)
def test_googles_path_matching_examples(rule_path: str) -> None:
    matching, other = GOOGLE_PATH_EXAMPLES[rule_path]
    assert [path for path in matching if not rule_matches(rule_path, path)] == []
    assert [path for path in other if rule_matches(rule_path, path)] == []


@pytest.mark.parametrize(
    ("path", "rules", "expected"),
    [
        ("/page", "allow: /p\ndisallow: /", True),
        ("/folder/page", "allow: /folder\ndisallow: /folder", True),  # a tie: the least restrictive
        ("/page.htm", "allow: /page\ndisallow: /*.htm", False),  # the longer pattern, wildcard included
        ("/page.php5", "allow: /page\ndisallow: /*.ph", True),
        ("/", "allow: /$\ndisallow: /", True),
        ("/page.htm", "allow: /$\ndisallow: /", False),
    ],
)
def test_googles_order_of_precedence_examples(path: str, rules: str, expected: bool) -> None:
    assert may_fetch("user-agent: *\n" + rules, path) is expected


def test_no_matching_rule_allows_and_robots_txt_itself_is_always_allowed() -> None:
    assert may_fetch("User-agent: *\nDisallow: /private\n", "/public")
    assert may_fetch("User-agent: *\nDisallow: /\n", "/robots.txt")


def test_patterns_are_stored_normalised() -> None:
    assert pattern_of("/caf\u00e9/*.PDF$") == "/caf%C3%A9/*.PDF$"
    assert pattern_of("/a%7eb/%2a/100%") == "/a~b/%2A/100%25"
    assert pattern_of("/price$/x") == "/price%24/x"  # "$" is special only at the end
    assert normalise('/a b/"q"/<x>') == "/a%20b/%22q%22/%3Cx%3E"
    assert normalise(normalise("/caf\u00e9%41%2f")) == normalise("/caf\u00e9%41%2f") == "/caf%C3%A9A%2F"


def timed(check: Callable[[], object], repeats: int = 5) -> float:
    """The best of ``repeats`` runs of ``check()``, in seconds (the matcher alone, nothing else)."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        check()
        best = min(best, time.perf_counter() - started)
    return best


def test_the_pathological_wildcard_pattern_is_matched_in_linear_time() -> None:
    rules = [RobotsRule(allow=False, pattern=pattern_of("/*a*a*a*a*b"))]
    path = "/" + "a" * 199  # 200 characters; a backtracking regex took 3 to 8 s here
    assert allowed(rules, path)
    assert not allowed(rules, path + "b")
    assert timed(lambda: allowed(rules, path)) < 0.01


def test_many_wildcards_against_a_long_path_stay_fast() -> None:
    rules = [RobotsRule(allow=False, pattern=pattern_of("/" + "*a" * 1000 + "*b")) for _ in range(50)]
    path = "/" + "a" * 2047
    assert timed(lambda: allowed(rules, path), repeats=3) < 0.1
    assert not allowed(rules, path + "b") and allowed(rules, path)
