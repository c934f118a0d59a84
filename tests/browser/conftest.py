"""Fixtures of the browser tests: one headless Chromium per module and a console check per test.

The stack fixtures live in each test module (one local stack per module: moto's backends are
process-wide, see ``tests/support/stack.py``). Every test that uses :func:`page` ends by reading the
browser's console: an error there (a script error, a CSP violation, a failed request) fails the test
unless the test declared it expected (``console.expect("status of 503")``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.browser.chrome import Chromium, console_errors, require_chromium, start_chrome
from tests.browser.proxy import ApiProxy
from tests.support.stack import HttpStack, http_stack


@pytest.fixture(scope="module")
def chromium() -> Chromium:
    return require_chromium()


@pytest.fixture(scope="module")
def driver(chromium: Chromium, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    browser = start_chrome(chromium, tmp_path_factory.mktemp("chrome-profile"))
    try:
        yield browser
    finally:
        browser.quit()


class ConsoleCheck:
    """Console errors a test expects (substrings of the logged message)."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver
        self.expected: list[str] = []

    def expect(self, *texts: str) -> None:
        self.expected.extend(texts)

    def unexpected(self) -> list[str]:
        return console_errors(self.driver, *self.expected)


@pytest.fixture
def console(driver: Any) -> Iterator[ConsoleCheck]:
    check = ConsoleCheck(driver)
    console_errors(driver)  # what earlier tests left
    yield check
    assert check.unexpected() == [], "errors in the browser console"


@dataclass
class Served:
    """A local stack behind the page's proxy (:class:`~tests.browser.proxy.ApiProxy`): the page talks to
    ``url``; tests reach the stack itself through ``stack``."""

    proxy: ApiProxy
    stack_url: str
    stack: HttpStack

    @property
    def url(self) -> str:
        return self.proxy.url


@pytest.fixture(scope="module")
def served(chromium: Any) -> Iterator[Served]:
    """One local stack and its proxy per test module."""
    with http_stack() as stack:
        proxy = ApiProxy(stack.url).start()
        try:
            yield Served(proxy, stack.url, stack)
        finally:
            proxy.stop()
