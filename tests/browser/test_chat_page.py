"""The chat page in a real browser (headless Chromium) against the real local stack and agents.

The page is served by the API function at ``/`` (through the template's stack on moto) and reached
through :class:`~tests.browser.proxy.ApiProxy`, which passes everything on and lets a test answer a
request itself (a 503, a dropped connection, an answer carrying a whole plan) or hold it. Covered:
a turn typed and answered, Enter / Shift+Enter, the input disabled while a turn runs, the trip card
and the plan's rows from what the answer carried, the conversation restored after a reload, a new
trip, switching trips, errors (503, 400, network) shown in plain words with the input usable again,
agent text rendered as text, a reminder fired by the local stack's alarm clock appearing in the open
page without a reload (and no polling while the tab is hidden), keyboard use, a phone-width layout,
and no console errors in any test.
Screenshots of the planned trip (desktop and phone width) go to ``.bench/``.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from devstack.alarm_clock import AlarmClock
from tests.browser.conftest import ConsoleCheck, Served
from tests.browser.page import ChatPage, Message
from tests.browser.proxy import ApiProxy, Canned, Exchange, Held
from tests.support.api_client import ApiClient
from tests.support.clock import held_clock

BENCH = Path(__file__).resolve().parents[2] / ".bench"
PARIS = "Plan a trip to Paris"
PARIS_DETAILS = "from Boston, 5 days in May, 2 adults, budget 3000 USD"


@pytest.fixture
def page(driver: Any, served: Served, console: ConsoleCheck) -> ChatPage:
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return ChatPage(driver, served.url).open(fresh=True)


@dataclass(frozen=True)
class Trip:
    """A conversation made through the page: whose it is and what the API answered."""

    user_id: str
    session_id: str
    answers: list[dict[str, Any]]


@pytest.fixture(scope="module")
def paris(driver: Any, served: Served) -> Trip:
    """A planned trip to Paris, typed into the page by a user of its own (two turns)."""
    return plan_paris(driver, served)


@pytest.fixture
def paris_now(driver: Any, served: Served) -> Trip:
    """:func:`paris`, planned afresh: for a test after one that moves the runtime's clock weeks ahead
    (which rightly expires every session idle that long, the module's trip to Paris included)."""
    return plan_paris(driver, served)


def plan_paris(driver: Any, served: Served) -> Trip:
    page = ChatPage(driver, served.url).open(fresh=True)
    before = len(chats(served))
    page.send(PARIS)
    page.send(PARIS_DETAILS)
    assert page.error() is None
    answers = [e.json() for e in chats(served)[before:]]
    user, session = page.user_id(), page.session_id()
    assert user and session and [a["sessionId"] for a in answers] == [session, session]
    return Trip(user, session, answers)


def as_user(page: ChatPage, user_id: str, session_id: str | None = None) -> ChatPage:
    """Open the page as ``user_id`` (what the page would have in localStorage), on ``session_id``."""
    page.driver.execute_script(
        "localStorage.clear(); localStorage.setItem('durable-agents.userId', arguments[0]);"
        "if (arguments[1]) localStorage.setItem('durable-agents.sessionId:' + arguments[0], arguments[1]);",
        user_id,
        session_id,
    )
    return page.reload()


def shown_lines(content: str) -> list[str]:
    """The lines of an answer as the page shows them: list dashes and ``**`` marks are layout."""
    lines = (re.sub(r"^\s*[-*•]\s+", "", line).replace("**", "").strip() for line in content.splitlines())
    return [line for line in lines if line]


def amount(value: dict[str, Any]) -> str:
    """The digits of a MONEY as en-US shows them ("3,000", "2,840.50")."""
    number = value["amount"]
    return f"{number:,.0f}" if float(number).is_integer() else f"{number:,.2f}"


def chats(served: Served) -> list[Exchange]:
    return served.proxy.requests("POST", "/chat")


def last_chat(served: Served) -> Exchange:
    return chats(served)[-1]


# --- a turn ------------------------------------------------------------------------------------------


def test_a_message_typed_and_sent_with_enter_gets_the_agents_answer(page: ChatPage, served: Served) -> None:
    assert page.shown("welcome") and page.shown("trip-empty") and page.messages() == []
    page.send(PARIS)

    answer = last_chat(served).json()
    user, agent = page.messages()
    assert (user.role, user.text) == ("user", PARIS)
    assert agent.role == "agent" and answer["content"]
    for line in shown_lines(answer["content"]):
        assert line in agent.text
    assert page.facts()["Destination"].startswith(answer["data"]["slots"]["destination"]["name"])
    assert page.input.get_attribute("value") == ""
    assert page.session_id() == answer["sessionId"]
    sent = last_chat(served)
    assert sent.header("X-User-Id") == page.user_id()
    assert json.loads(sent.request_body) == {"message": PARIS}  # the first turn opens the session
    offline = [source for source in answer["sources"] if source.get("offline")]
    tags = page.driver.find_elements(By.CSS_SELECTOR, "#messages > li:last-child .sources .tag")
    assert offline and len(tags) == len(offline)
    assert all(tag.text == "offline sample data" for tag in tags)


def test_the_input_is_disabled_while_a_turn_runs_and_focused_after(page: ChatPage, served: Served) -> None:
    release = threading.Event()
    with served.proxy.intercept("POST", "/chat", Held(release)):
        page.type("Weather in Tokyo next week?")
        page.press_enter()
        page.wait(lambda _: not page.input.is_enabled())
        assert not page.by_id("send").is_enabled()
        assert "working" in page.status()
        assert [m.role for m in page.messages()] == ["user"]
        release.set()
        page.wait_turn_over(0)
    assert [m.role for m in page.messages()] == ["user", "agent"]
    assert page.input.is_enabled() and page.status() == ""
    assert page.driver.switch_to.active_element == page.input

    turns = len(chats(served))
    page.type("first line")
    page.input.send_keys(Keys.SHIFT, Keys.ENTER, Keys.SHIFT)  # Shift+Enter: a new line, nothing sent
    page.type("second line")
    assert page.input.get_attribute("value") == "first line\nsecond line"
    assert len(chats(served)) == turns
    page.by_id("send").click()
    page.wait_turn_over(1)
    assert page.messages("user")[-1].text == "first line\nsecond line"


# --- the trip card and the plan ----------------------------------------------------------------------


def test_the_trip_card_and_the_plan_show_what_the_answer_carried(page: ChatPage, served: Served) -> None:
    page.send(PARIS)
    page.send(PARIS_DETAILS)
    assert page.error() is None
    data = last_chat(served).json()["data"]
    slots = data["slots"]
    facts = page.facts()
    assert facts["Destination"].startswith(slots["destination"]["name"])
    assert facts["From"].startswith(slots["origin"]["name"])
    assert f"{slots['travellers']['adults']} adults" in facts["Travellers"]
    assert amount(slots["budget"]) in facts["Budget"]
    plan = data.get("plan")
    if plan:
        assert_plan_shown(page, plan)
    else:  # an answer without a plan shows none (the layout of a whole plan: the test below)
        assert not page.shown("plan")
    BENCH.mkdir(exist_ok=True)
    page.driver.save_screenshot(str(BENCH / "chat-page.png"))


def assert_plan_shown(page: ChatPage, plan: dict[str, Any]) -> None:
    flights, hotels, days = plan.get("flights") or [], plan.get("hotels") or [], plan.get("itinerary") or []
    for flight, row in zip(flights, page.rows("flight-rows"), strict=True):
        assert flight["from"] in row and flight["to"] in row and flight["carrier"] in row
        assert amount(flight["total"]) in row
    for hotel, row in zip(hotels, page.rows("hotel-rows"), strict=True):
        assert hotel["name"] in row and amount(hotel["total"]) in row
    for entry, shown in zip(days, page.days(), strict=True):
        assert shown.startswith(f"Day {entry['day']}")
        for item in entry.get("items") or []:
            assert item["name"] in shown
    assert page.shown("flights") == bool(flights) and page.shown("hotels") == bool(hotels)
    assert page.shown("itinerary") == bool(days)
    assert amount(plan["costs"]["total"]) in page.by_id("budget-text").text
    assert page.facts("costs")["Total"].endswith(amount(plan["costs"]["total"]))
    assert page.shown("plan-offline") == bool(plan.get("offline"))


def sample_plan() -> dict[str, Any]:
    """A whole PLAN as the contract (notes/plan_contract.md) lays it out: two stops, over budget, offline."""

    def usd(value: float) -> dict[str, Any]:
        return {"amount": value, "currency": "USD"}

    return {
        "summary": "Paris and Rome in 5 nights for 2 adults.",
        "destination": {"name": "Paris", "country": "FR"},
        "stops": [
            {"name": "Paris", "country": "FR", "nights": 3},
            {"name": "Rome", "country": "IT", "nights": 2},
        ],
        "dates": {
            "start": "2027-05-15",
            "end": "2027-05-20",
            "nights": 5,
            "assumed": True,
            "note": "No dates were given: mid-May assumed.",
        },
        "party": {"adults": 2, "children": 1, "rooms": 1},
        "currency": "USD",
        "flights": [
            {
                "leg": "outbound",
                "from": "BOS",
                "to": "CDG",
                "date": "2027-05-15",
                "carrier": "Air Sample",
                "flightNumber": "AS 101",
                "depart": "22:35",
                "arrive": "11:20",
                "stops": 0,
                "pricePerPerson": usd(420.5),
                "total": usd(1261.5),
            },
            {
                "leg": "between",
                "from": "CDG",
                "to": "FCO",
                "date": "2027-05-18",
                "carrier": "Euro Hop",
                "flightNumber": None,
                "depart": None,
                "arrive": None,
                "stops": 1,
                "pricePerPerson": usd(95),
                "total": usd(285),
            },
            {
                "leg": "return",
                "from": "FCO",
                "to": "BOS",
                "date": "2027-05-20",
                "carrier": "Air Sample",
                "flightNumber": "AS 202",
                "depart": "10:05",
                "arrive": "14:40",
                "stops": 0,
                "pricePerPerson": usd(455),
                "total": usd(1365),
            },
        ],
        "hotels": [
            {
                "stop": "Paris",
                "name": "Hotel Lumière",
                "nights": 3,
                "rooms": 1,
                "pricePerNight": usd(180),
                "total": usd(540),
                "rating": 4.2,
            },
            {
                "stop": "Rome",
                "name": "Albergo Sole",
                "nights": 2,
                "rooms": 1,
                "pricePerNight": usd(150),
                "total": usd(300),
                "rating": None,
            },
        ],
        "itinerary": [
            {
                "day": 1,
                "date": "2027-05-16",
                "stop": "Paris",
                "title": "Arrival and the Marais",
                "items": [
                    {"name": "Place des Vosges", "kind": "sight", "note": None},
                    {"name": "Musée Picasso", "kind": "museum", "note": "closed Mondays"},
                ],
            },
            {
                "day": 2,
                "date": "2027-05-17",
                "stop": "Paris",
                "title": "Louvre day",
                "items": [{"name": "Louvre Museum", "kind": "museum", "note": "book ahead"}],
            },
            {"day": 3, "date": "2027-05-18", "stop": "Rome", "title": "To Rome", "items": []},
            {
                "day": 4,
                "date": "2027-05-19",
                "stop": "Rome",
                "title": "Ancient Rome",
                "items": [{"name": "Colosseum", "kind": "sight", "note": None}],
            },
        ],
        "costs": {"flights": usd(2911.5), "hotels": usd(840), "activities": None, "total": usd(3751.5)},
        "budget": {
            "amount": usd(3000),
            "status": "over",
            "remaining": None,
            "over": usd(751.5),
            "suggestion": "Fly on a weekday to save about $300.",
        },
        "rates": {"note": "Prices are offline estimates in USD.", "source": "offline"},
        "offline": True,
    }


HOSTILE = '<img src=x onerror="document.body.dataset.injected=1"> **bold** & <b>not bold</b>'


def test_a_whole_plan_is_laid_out_and_agent_text_stays_text(page: ChatPage, served: Served) -> None:
    plan = sample_plan()
    answer: dict[str, Any] = {
        "type": "answer",
        "content": HOSTILE,
        "confidence": 0.9,
        "sources": [{"name": "<script>alert(1)</script>", "offline": True}],
        "metadata": {"intent": "plan_trip", "toolsUsed": ["flights"]},
        "data": {
            "slots": {"destination": {"name": "Paris", "country": "FR"}},
            "missing": [],
            "tools": [],
            "plan": plan,
        },
        "sessionId": "sample-plan",
    }
    view = {"sessionId": "sample-plan", "slots": answer["data"]["slots"], "plan": plan, "turns": []}
    with served.proxy.intercept("GET", "/sessions/sample-plan", Canned(200, view)):  # the page's polls
        with served.proxy.intercept("POST", "/chat", Canned(200, answer)):
            page.send("Paris and Rome, please")
        assert_plan_shown(page, plan)
        facts = page.facts()
        assert facts["Destination"] == "Paris (3 nights) → Rome (2 nights)"
        assert facts["Travellers"] == "2 adults, 1 child, 1 room"
        assert "assumed" in facts["Dates"] and "15" in facts["Dates"] and "20" in facts["Dates"]
        budget = page.by_id("budget-text").text
        assert "over budget by $751.50" in budget and "$3,000" in budget
        assert page.by_id("budget-note").text == plan["budget"]["suggestion"]
        assert plan["dates"]["note"] in page.by_id("plan-notes").text
        rows = page.rows("flight-rows")
        assert "Outbound · Air Sample AS 101" in rows[0] and "22:35–11:20, nonstop" in rows[0]
        assert "Between stops · Euro Hop" in rows[1] and "1 stop" in rows[1]
        assert "rated 4.2" in page.rows("hotel-rows")[0] and "rated" not in page.rows("hotel-rows")[1]
        assert "Activities" not in page.facts("costs")  # absent fields are not shown
        assert page.days()[2].startswith("Day 3: To Rome")

        agent = page.messages("agent")[-1]
        assert '<img src=x onerror="document.body.dataset.injected=1">' in agent.text
        assert "<b>not bold</b>" in agent.text
        message = page.driver.find_elements(By.CSS_SELECTOR, "#messages > li")[-1]
        assert message.find_elements(By.TAG_NAME, "img") == []
        assert message.find_elements(By.TAG_NAME, "b") == []
        assert [b.text for b in message.find_elements(By.TAG_NAME, "strong")] == ["bold"]
        assert "<script>alert(1)</script>" in message.find_element(By.CSS_SELECTOR, ".sources").text
        assert page.driver.execute_script("return document.body.dataset.injected") is None


# --- sessions ----------------------------------------------------------------------------------------


def test_a_reload_restores_the_conversation_and_the_trip(page: ChatPage, served: Served) -> None:
    page.send(PARIS)
    page.send(PARIS_DETAILS)
    shown, facts, session = page.messages(), page.facts(), page.session_id()
    assert len(shown) == 4

    page.reload()
    assert page.messages() == shown
    assert page.facts() == facts
    assert page.session_id() == session and page.current_trip() == session
    assert len(page.trips()) == 1 and "Paris" in page.trips()[0].text
    page.send("make it 3 adults")  # the restored conversation goes on in the same session
    assert last_chat(served).json()["sessionId"] == session
    assert "3 adults" in page.facts()["Travellers"]


def test_a_new_trip_starts_empty_and_trips_can_be_switched(
    page: ChatPage, paris: Trip, served: Served
) -> None:
    as_user(page, paris.user_id, paris.session_id)
    paris_messages = page.messages()
    assert len(paris_messages) == 4 and page.current_trip() == paris.session_id

    page.new_trip()
    assert page.messages() == [] and page.shown("welcome") and page.shown("trip-empty")
    assert page.current_trip() is None and page.session_id() is None
    assert page.driver.switch_to.active_element == page.input
    page.send("Weather in Tokyo next week?")
    tokyo = last_chat(served).json()["sessionId"]
    assert tokyo != paris.session_id and page.session_id() == tokyo
    assert json.loads(last_chat(served).request_body) == {"message": "Weather in Tokyo next week?"}
    page.wait(lambda _: len(page.trips()) == 2)
    assert page.current_trip() == tokyo
    assert "Tokyo" in page.trips()[0].text  # newest activity first

    page.trips()[1].click()
    page.wait(lambda _: page.messages() == paris_messages)
    assert page.current_trip() == paris.session_id and page.session_id() == paris.session_id
    assert page.facts()["Destination"].startswith("Paris")

    page.trips()[0].click()
    page.wait(lambda _: len(page.messages()) == 2)
    assert page.current_trip() == tokyo and page.facts()["Destination"].startswith("Tokyo")
    page.reload()
    assert page.session_id() == tokyo and len(page.messages()) == 2


def test_earlier_messages_are_fetched_with_the_cursor(page: ChatPage, served: Served) -> None:
    def turn(seq: int) -> dict[str, Any]:
        role = "user" if seq % 2 else "agent"
        return {
            "seq": seq,
            "role": role,
            "content": f"turn {seq}",
            "type": "chat",
            "timestamp": "2027-01-01T10:00:00Z",
            "messageId": f"m{seq}",
        }

    session: dict[str, Any] = {
        "sessionId": "long-trip",
        "createdAt": "2027-01-01T10:00:00Z",
        "lastActivity": "2027-01-01T11:00:00Z",
        "slots": {},
        "plan": None,
    }
    path = "/sessions/long-trip"
    newest = Canned(200, {**session, "turns": [turn(3), turn(4)], "nextCursor": "c-3"})
    with served.proxy.intercept("GET", path, newest):  # also what the page's polls read meanwhile
        as_user(page, page.user_id() or "", "long-trip")
        assert [m.text for m in page.messages()] == ["turn 3", "turn 4"] and page.shown("older")
        with served.proxy.intercept(
            "GET", path, Canned(200, {**session, "turns": [turn(1), turn(2)], "nextCursor": None})
        ):
            page.by_id("older").click()
            page.wait(lambda _: len(page.messages()) == 4)
        assert [m.text for m in page.messages()] == ["turn 1", "turn 2", "turn 3", "turn 4"]
        assert not page.shown("older")
    older = [e for e in served.proxy.requests("GET", path) if "before=" in e.path][-1]
    assert "before=c-3" in older.path and "limit=" in older.path
    assert page.driver.switch_to.active_element.text.endswith("turn 1")  # focus moves to the first shown


# --- errors ------------------------------------------------------------------------------------------


def test_a_503_is_shown_in_plain_words_and_the_input_stays_usable(
    page: ChatPage, served: Served, console: ConsoleCheck
) -> None:
    console.expect("status of 503")
    busy = Canned(503, {"error": {"code": "busy", "message": "object is busy"}}, {"Retry-After": "7"})
    with served.proxy.intercept("POST", "/chat", busy):
        page.send(PARIS)
    assert page.error() == "The assistant is busy right now. Please try again in 7 seconds."
    assert page.messages() == []  # not sent: the text is back in the box
    assert page.input.is_enabled() and page.input.get_attribute("value") == PARIS
    assert page.driver.switch_to.active_element == page.input
    refused = last_chat(served)
    assert refused.status == 503

    page.press_enter()  # the same turn again, now answered
    page.wait_turn_over(0)
    assert page.error() is None and [m.role for m in page.messages()] == ["user", "agent"]
    assert last_chat(served).header("Idempotency-Key") == refused.header("Idempotency-Key") is not None


def test_a_400_is_shown_and_the_message_can_be_changed(
    page: ChatPage, served: Served, console: ConsoleCheck
) -> None:
    console.expect("status of 400")
    too_long = "Paris " * 700  # over the API's 4000 characters: the API itself refuses it
    page.driver.execute_script("arguments[0].value = arguments[1];", page.input, too_long)
    page.press_enter()
    page.wait_turn_over(0)
    assert last_chat(served).status == 400
    error = page.error()
    assert error is not None and error.startswith("The server did not accept that message")
    assert "4000" in error and error.endswith("Change it and send again.")
    assert page.input.is_enabled() and page.input.get_attribute("value") == too_long

    page.input.clear()
    page.send(PARIS)
    assert page.error() is None and len(page.messages("agent")) == 1


def test_a_network_failure_is_shown_and_a_retry_runs_the_turn_once(
    page: ChatPage, served: Served, console: ConsoleCheck
) -> None:
    console.expect("ERR_EMPTY_RESPONSE", "Failed to fetch")
    with served.proxy.intercept("POST", "/chat", Canned(drop=True)):
        page.send(PARIS)
    assert page.error() == "Could not reach the server. Check your connection, then send again."
    assert page.input.is_enabled() and page.input.get_attribute("value") == PARIS
    dropped = last_chat(served)
    assert dropped.status is None

    page.press_enter()
    page.wait_turn_over(0)
    assert page.error() is None and len(page.messages("agent")) == 1
    assert last_chat(served).header("Idempotency-Key") == dropped.header("Idempotency-Key") is not None


def test_a_401_in_local_mode_says_that_no_sign_in_is_set_up(
    page: ChatPage, served: Served, console: ConsoleCheck
) -> None:
    console.expect("status of 401")
    unauthorized = Canned(401, {"error": {"code": "unauthorized", "message": "sign in"}})
    with served.proxy.intercept("POST", "/chat", unauthorized):
        page.send(PARIS)
    error = page.error()
    assert error is not None and "no sign-in set up" in error
    assert page.driver.current_url.startswith(served.url)  # local mode: nowhere to sign in, the page stays
    assert page.input.is_enabled() and page.input.get_attribute("value") == PARIS


# --- messages nobody asked for ------------------------------------------------------------------------

POLL_SECONDS = 3.0  # the page's POLL_MS


def hide_tab(page: ChatPage, hidden: bool) -> None:
    """What switching to another tab (and back) tells the page: visibilityState and its event."""
    page.driver.execute_script(
        "Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => arguments[0]});"
        "document.dispatchEvent(new Event('visibilitychange'));",
        "hidden" if hidden else "visible",
    )


def test_without_the_socket_a_reminder_that_fires_appears_by_polling_while_visible(
    page: ChatPage, served: Served, monkeypatch: pytest.MonkeyPatch, console: ConsoleCheck
) -> None:
    """The fallback: the live API cannot be reached (the proxy refuses WebSockets), so the page polls.
    The local stack's alarm clock (the thread ``make run`` runs) delivers the reminder once the runtime's
    clock is moved to its time; the open page shows it on its next poll, and polls only while visible.
    (With the socket, tests/browser/test_live_page.py: the reminder comes without any poll.)"""
    console.expect("WebSocket connection")
    served.proxy.sockets_allowed.clear()
    served.proxy.drop_sockets()
    page.wait(lambda _: page.driver.execute_script("return document.body.dataset.live") == "closed")
    moment = held_clock(monkeypatch, datetime(2027, 1, 4, 9, 30, tzinfo=UTC))
    alarms = AlarmClock.for_stack(served.stack.stack).start()
    try:
        page.send("Plan a trip to Rome from Boston January 9-12 for 2 adults")
        page.send("remind me a day before we leave")
        assert "Fri, Jan 8 at 09:00 UTC" in page.messages("agent")[-1].text
        page.send("remind me on the morning we fly")
        shown = page.messages()
        session = page.session_id()
        page.driver.execute_script("window.stillThisPage = true;")  # gone if the page were reloaded

        moment[0] = datetime(2027, 1, 8, 9, 0, tzinfo=UTC).timestamp()
        page.wait(lambda _: len(page.messages()) == len(shown) + 1)
        assert page.messages()[:-1] == shown  # the page's own turns are not shown again
        reminder = Message("agent", "Reminder: your trip to Rome starts tomorrow (Sat, Jan 9).")
        assert page.messages()[-1] == reminder
        tag = page.driver.find_element(By.CSS_SELECTOR, "#messages > li:last-child .from .tag")
        assert tag.get_attribute("textContent") == "reminder"  # (the label is shown in capitals)

        hide_tab(page, True)  # another tab: no polls, and the next reminder waits for the page's return
        path = f"/sessions/{session}"
        polled = len(served.proxy.requests("GET", path))
        moment[0] = datetime(2027, 1, 9, 6, 0, tzinfo=UTC).timestamp()
        user = {"X-User-Id": page.user_id() or ""}
        api = ApiClient(served.stack_url)
        page.wait(lambda _: len(api.send("GET", path, headers=user).json()["turns"]) == 8)  # delivered
        with pytest.raises(TimeoutException):  # (an absence: watched for one and a half poll intervals)
            page.wait(lambda _: len(served.proxy.requests("GET", path)) > polled, 1.5 * POLL_SECONDS)
        assert len(page.messages()) == len(shown) + 1
        hide_tab(page, False)  # back: a poll at once
        page.wait(lambda _: len(page.messages()) == len(shown) + 2, POLL_SECONDS)
        assert page.messages()[-1].text == "Reminder: your trip to Rome starts today (Sat, Jan 9)."
        assert page.driver.execute_script("return window.stillThisPage === true;")
    finally:
        alarms.stop()
        served.proxy.sockets_allowed.set()


# --- keyboard and layout -----------------------------------------------------------------------------


def test_the_page_is_usable_with_the_keyboard_alone(page: ChatPage, served: Served) -> None:
    order = []
    for _ in range(8):
        ActionChains(page.driver).send_keys(Keys.TAB).perform()
        active = page.driver.switch_to.active_element
        order.append(active.get_attribute("id") or active.tag_name)
        if active == page.input:
            outline = page.driver.execute_script("return getComputedStyle(arguments[0]).outlineStyle", active)
            assert outline != "none"  # the focus is visible
    assert order.index("new-trip") < order.index("thread") < order.index("input") < order.index("send")

    page.input.send_keys(PARIS, Keys.ENTER)
    page.wait_turn_over(0)
    assert page.driver.switch_to.active_element == page.input
    page.by_id("new-trip").send_keys(Keys.ENTER)  # a button works from the keyboard
    assert page.messages() == [] and page.driver.switch_to.active_element == page.input

    assert page.by_id("messages").get_attribute("aria-live") == "polite"
    unlabelled = page.driver.execute_script(
        "return [...document.querySelectorAll('button, textarea, input, select, [tabindex]')]"
        ".filter(e => !e.hidden && e.offsetParent !== null)"
        ".filter(e => !((e.labels && e.labels.length) || e.getAttribute('aria-label')"
        " || e.getAttribute('aria-labelledby') || e.textContent.trim()))"
        ".map(e => e.outerHTML.slice(0, 80));"
    )
    assert unlabelled == []


def test_a_phone_width_has_no_horizontal_scroll(page: ChatPage, paris_now: Trip) -> None:
    paris = paris_now
    page.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 360, "height": 780, "deviceScaleFactor": 2, "mobile": True},
    )
    as_user(page, paris.user_id, paris.session_id)
    assert len(page.messages()) == 4
    widths = page.driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth, innerWidth];"
    )
    assert widths[0] <= widths[1] <= 360, widths
    overflowing = page.driver.execute_script(
        "return [...document.querySelectorAll('body *')]"
        ".filter(e => e.getClientRects().length && e.getBoundingClientRect().right > innerWidth + 0.5)"
        ".map(e => e.tagName + '#' + e.id + '.' + e.className);"
    )
    assert overflowing == []
    assert page.by_id("trips-panel").get_attribute("open") is None  # the trips list folds away
    page.send("what about hotels?")
    page.wait(lambda _: len(page.messages()) == 6)
    BENCH.mkdir(exist_ok=True)
    page.driver.save_screenshot(str(BENCH / "chat-page-phone.png"))


def test_under_a_stage_path_the_page_calls_the_api_under_it(
    driver: Any, served: Served, console: ConsoleCheck
) -> None:
    staged = ApiProxy(served.stack_url, stage="dev").start()
    try:
        page = ChatPage(driver, staged.url + "/dev").open(fresh=True)  # API Gateway's stage URL, no slash
        page.send(PARIS)
        assert page.error() is None and len(page.messages("agent")) == 1
        paths = {urlsplit(e.path).path for e in staged.exchanges}
        assert {"/dev", "/dev/chat", "/dev/sessions"} <= paths and all(p.startswith("/dev") for p in paths)
    finally:
        staged.stop()
