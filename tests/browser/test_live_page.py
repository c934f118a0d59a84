"""The chat page on the live socket, in a real browser against the real local stack: a turn's tool
progress shown while it runs (provisional) and replaced by the answer, a reminder that fires appearing
with no poll at all, two tabs of one user on one trip in sync, and a dropped socket that reconnects and
resumes (the turn it missed shown once). A screenshot of an answer mid-stream goes to
``.bench/midstream.png`` (and ``$MIDSTREAM_PNG`` when set)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from devstack.alarm_clock import AlarmClock
from durable_agents.tools import registry
from tests.browser.conftest import ConsoleCheck, Served
from tests.browser.page import ChatPage
from tests.support.api_client import ApiClient
from tests.support.clock import held_clock

BENCH = Path(__file__).resolve().parents[2] / ".bench"


@pytest.fixture
def page(driver: Any, served: Served, console: ConsoleCheck) -> ChatPage:
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    opened = ChatPage(driver, served.url).open(fresh=True)
    wait_live(opened, "open")
    return opened


def wait_live(page: ChatPage, status: str, timeout: float = 30) -> None:
    page.wait(lambda _: page.driver.execute_script("return document.body.dataset.live") == status, timeout)


def test_a_turns_progress_shows_while_it_runs_then_the_answer_replaces_it(
    page: ChatPage, served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = registry._run_provider

    def slower(*args: Any) -> Any:  # every tool takes a while: the page shows them running
        time.sleep(1.5)
        return slow(*args)

    page.send("Plan a trip to Paris")  # a new trip's first turn opens the session the socket follows
    monkeypatch.setattr(registry, "_run_provider", slower)
    page.type("from Boston, 3 days in May")
    page.press_enter()
    provisional = (By.CSS_SELECTOR, "#messages > li.provisional .progress li")
    page.wait(lambda driver: len(driver.find_elements(*provisional)) > 0)
    rows = [row.text for row in page.driver.find_elements(*provisional)]
    assert any(row.endswith("looking…") for row in rows), rows
    BENCH.mkdir(exist_ok=True)
    page.driver.save_screenshot(str(BENCH / "midstream.png"))
    if os.environ.get("MIDSTREAM_PNG"):
        page.driver.save_screenshot(os.environ["MIDSTREAM_PNG"])
    page.wait(lambda driver: not driver.find_elements(By.CSS_SELECTOR, "#messages > li.provisional"))
    page.wait(lambda _: page.input.is_enabled())
    agents = page.messages("agent")
    assert len(agents) == 2 and "Paris" in agents[1].text  # the answer, once


def test_a_reminder_that_fires_is_pushed_to_the_page_without_any_poll(
    page: ChatPage, served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = held_clock(monkeypatch, datetime(2027, 1, 4, 9, 30, tzinfo=UTC))
    alarms = AlarmClock.for_stack(served.stack.stack).start()
    try:
        page.send("Plan a trip to Rome from Boston January 9-12 for 2 adults")
        page.send("remind me a day before we leave")
        shown = page.messages()
        path = f"/sessions/{page.session_id()}"
        # days pass: API Gateway would have closed the socket (2 hours at most) and the page reconnected
        moment[0] = datetime(2027, 1, 8, 8, 59, 30, tzinfo=UTC).timestamp()
        served.proxy.drop_sockets()
        wait_live(page, "closed")
        wait_live(page, "open")
        time.sleep(1)  # its subscribe committed
        polled = len(served.proxy.requests("GET", path))
        moment[0] = datetime(2027, 1, 8, 9, 0, tzinfo=UTC).timestamp()
        page.wait(lambda _: len(page.messages()) == len(shown) + 1)
        assert page.messages()[-1].text == "Reminder: your trip to Rome starts tomorrow (Sat, Jan 9)."
        time.sleep(4)  # more than a poll interval: still no poll while the socket is open
        assert len(served.proxy.requests("GET", path)) == polled
        assert len(page.messages()) == len(shown) + 1
    finally:
        alarms.stop()


def test_two_tabs_on_one_trip_show_the_same_conversation_and_trip(page: ChatPage, served: Served) -> None:
    page.send("Plan a trip to Lisbon")
    first = page.driver.current_window_handle
    page.driver.switch_to.new_window("tab")
    try:
        other = ChatPage(page.driver, served.url).open()  # the same user and trip (localStorage)
        wait_live(other, "open")
        assert other.messages() == page.messages()
        other.send("from Boston, 4 days in June, 2 adults")
        answer = other.messages()
        page.driver.switch_to.window(first)
        started = time.monotonic()
        page.wait(lambda _: page.messages() == answer, 10)
        assert time.monotonic() - started < 5
        assert page.facts() == other_facts(page, served)
    finally:
        for handle in page.driver.window_handles:
            if handle != first:
                page.driver.switch_to.window(handle)
                page.driver.close()
        page.driver.switch_to.window(first)


def other_facts(page: ChatPage, served: Served) -> dict[str, str]:
    """The trip card a fresh load of the same trip shows (what the other tab shows)."""
    page.driver.switch_to.new_window("tab")
    try:
        return ChatPage(page.driver, served.url).open().facts()
    finally:
        page.driver.close()
        page.driver.switch_to.window(page.driver.window_handles[0])


def test_a_dropped_socket_reconnects_and_shows_what_it_missed_once(
    page: ChatPage, served: Served, console: ConsoleCheck
) -> None:
    page.send("Plan a trip to Kyoto")
    session, user = page.session_id(), page.user_id()
    assert session and user
    served.proxy.sockets_allowed.clear()  # the network is down for a moment
    served.proxy.drop_sockets()
    console.expect("WebSocket connection")
    wait_live(page, "closed")
    api = ApiClient(served.stack_url)  # meanwhile, the same user on another device
    reply = api.send(
        "POST",
        "/chat",
        {"message": "from Osaka, 3 days in April", "sessionId": session},
        headers={"X-User-Id": user},
    )
    assert reply.status == 200
    served.proxy.sockets_allowed.set()
    wait_live(page, "open", 60)
    page.wait(lambda _: len(page.messages()) == 4)
    texts = [message.text for message in page.messages()]
    assert texts[2] == "from Osaka, 3 days in April" and texts.count(texts[3]) == 1


def test_a_connected_idle_page_reads_nothing(page: ChatPage, served: Served) -> None:
    """With the socket open, an idle page makes no request at all (it polled every 3 s before)."""
    page.send("Plan a trip to Vienna")
    session = page.session_id()
    before = len(served.proxy.exchanges)
    time.sleep(10)  # more than three of the old poll intervals
    idle = [f"{e.method} {e.path}" for e in served.proxy.exchanges[before:]]
    assert idle == [], idle
    assert session is not None
