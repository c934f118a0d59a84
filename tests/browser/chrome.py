"""Headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by Selenium.

:func:`find_chromium` locates the browser and its driver (``CHROMIUM`` / ``CHROMEDRIVER`` override the
paths). :func:`start_chrome` starts one headless browser with a fresh profile and the flags this
offline machine needs (no background calls to Google hosts, no QUIC), its console log kept for
:func:`console_errors`. The tests skip when Chromium is missing, unless ``BROWSER_TESTS=required``
(``make browser-test``, CI): then they fail.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--lang=en-US",
    "--window-size=1400,900",
)


@dataclass(frozen=True)
class Chromium:
    binary: str
    driver: str


def find_chromium() -> Chromium | None:
    binary = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
    return Chromium(binary, driver) if binary and driver else None


def require_chromium() -> Chromium:
    """The browser, or skip (fail under ``BROWSER_TESTS=required``) when it or Selenium is missing."""
    required = os.environ.get("BROWSER_TESTS") == "required"
    found = find_chromium()
    if found is None:
        message = "chromium and chromedriver are not installed (make browser-test installs them)"
        if required:
            pytest.fail(message)
        pytest.skip(message)
    if not required:
        pytest.importorskip("selenium")
    return found


def start_chrome(chromium: Chromium, profile: Path) -> Any:
    """A headless browser with the empty profile folder ``profile``; ``quit()`` it when done."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium.binary
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(chromium.driver), options=options)
    driver.set_script_timeout(30)
    return driver


def console_errors(driver: Any, *allowed: str) -> list[str]:
    """Console and network errors logged since the last call, less those containing an ``allowed`` text."""
    entries = driver.get_log("browser")
    return [
        entry["message"]
        for entry in entries
        if entry["level"] == "SEVERE" and not any(text in entry["message"] for text in allowed)
    ]
