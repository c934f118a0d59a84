"""The chat page as a test sees it: what a person does (type, press Enter, click) and reads.

Every wait is on something the page shows (an answer, an error, the input enabled again), never a
sleep. :meth:`ChatPage.open` with ``fresh=True`` forgets the page's storage first (DevTools'
``Storage.clearDataForOrigin``), so each test is a new local user with no trips.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

TURN_TIMEOUT = 30.0


@dataclass(frozen=True)
class Message:
    role: str
    text: str


class ChatPage:
    def __init__(self, driver: Any, url: str) -> None:
        self.driver = driver
        self.url = url
        parts = urlsplit(url)
        self.origin = f"{parts.scheme}://{parts.netloc}"

    # --- navigation

    def open(self, *, fresh: bool = False) -> ChatPage:
        if fresh:
            self.driver.execute_cdp_cmd(
                "Storage.clearDataForOrigin",
                {"origin": self.origin, "storageTypes": "local_storage,session_storage"},
            )
            if self.driver.current_url.startswith(self.origin + "/"):
                self.driver.execute_script("sessionStorage.clear();")  # the open tab's own copy
        self.driver.get(self.url)
        return self.wait_ready()

    def reload(self) -> ChatPage:
        self.driver.refresh()
        return self.wait_ready()

    def wait_ready(self) -> ChatPage:
        self.wait(lambda _: self.driver.execute_script("return document.body.dataset.ready === 'true'"))
        return self

    def wait(self, condition: Any, timeout: float = TURN_TIMEOUT) -> Any:
        return WebDriverWait(
            self.driver, timeout, ignored_exceptions=(StaleElementReferenceException,)
        ).until(condition)

    def by_id(self, element_id: str) -> WebElement:
        return self.driver.find_element(By.ID, element_id)

    # --- what a person does

    @property
    def input(self) -> WebElement:
        return self.by_id("input")

    def type(self, text: str) -> None:
        self.input.send_keys(text)

    def press_enter(self) -> None:
        self.input.send_keys(Keys.ENTER)

    def send(self, text: str) -> None:
        """Type ``text``, press Enter, and wait until the turn is over (an answer or an error shown)."""
        answers = len(self.messages("agent"))
        self.type(text)
        self.press_enter()
        self.wait_turn_over(answers)

    def wait_turn_over(self, answers_before: int) -> None:
        self.wait(
            lambda _: (
                self.input.is_enabled()
                and (len(self.messages("agent")) > answers_before or self.error() is not None)
            )
        )

    def new_trip(self) -> None:
        self.by_id("new-trip").click()

    def trips(self) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, "#trip-list button[data-session]")

    def current_trip(self) -> str | None:
        current = [b for b in self.trips() if b.get_attribute("aria-current") == "true"]
        return current[0].get_attribute("data-session") if current else None

    # --- what a person reads

    def messages(self, role: str | None = None) -> list[Message]:
        found = []
        for item in self.driver.find_elements(By.CSS_SELECTOR, "#messages > li"):
            kind = item.get_attribute("data-role") or ""
            if role is None or kind == role:
                found.append(Message(kind, item.find_element(By.CSS_SELECTOR, ".text").text))
        return found

    def error(self) -> str | None:
        box = self.by_id("error")
        return box.text if box.is_displayed() else None

    def status(self) -> str:
        return self.by_id("status").text

    def facts(self, container: str = "trip-facts") -> dict[str, str]:
        terms = self.driver.find_elements(By.CSS_SELECTOR, f"#{container} dt")
        values = self.driver.find_elements(By.CSS_SELECTOR, f"#{container} dd")
        return {t.text: v.text for t, v in zip(terms, values, strict=True)}

    def rows(self, body_id: str) -> list[str]:
        return [row.text for row in self.driver.find_elements(By.CSS_SELECTOR, f"#{body_id} > tr")]

    def days(self) -> list[str]:
        return [day.text for day in self.driver.find_elements(By.CSS_SELECTOR, "#days > li")]

    def shown(self, element_id: str) -> bool:
        return self.by_id(element_id).is_displayed()

    def local_storage(self, key: str) -> str | None:
        return self.driver.execute_script("return localStorage.getItem(arguments[0]);", key)

    def session_id(self) -> str | None:
        """The current session id the page keeps in localStorage (under the user's own key)."""
        return self.driver.execute_script(
            "for (let i = 0; i < localStorage.length; i++) {"
            "  const k = localStorage.key(i);"
            "  if (k.startsWith('durable-agents.sessionId:')) return localStorage.getItem(k);"
            "} return null;"
        )

    def user_id(self) -> str | None:
        return self.local_storage("durable-agents.userId")
