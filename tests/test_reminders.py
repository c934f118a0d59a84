"""Reminders and price watches end to end on the local stack, through its HTTP API, with time moved.

The stack is the one ``make run`` serves (the template's functions on moto:
:func:`~tests.support.stack.http_stack`); a conversation sets a reminder or a watch by chat, the test
moves the runtime's one clock (``durable_agents.runtime.clock.source``: leases, alarms, the agents and
the offline tools all read it) and runs the alarm sweeper by hand, delivering through the object host
function as the local stack's alarm clock does; then it reads the conversation with
``GET /sessions/{id}``. Nothing waits for time to
pass. The restart test (a served subprocess whose clock cannot be moved) is the one exception: it sets a
reminder a few seconds ahead and lets the real clock pass while the stack is down.
"""

from __future__ import annotations

import datetime as dt
import time
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from durable_agents.agents.factory import session_key
from durable_agents.agents.travel import TravelAgent
from durable_agents.runtime import clock, default_env
from durable_agents.runtime.alarms import MAX_RETRIES, Sweeper, alarm_event, backoff_ms
from durable_agents.tools.flights import OfflineFlights
from durable_agents.tools.models import FlightParams, FlightSearch
from tests.support.api_client import ApiClient
from tests.support.stack import HttpStack, ServedStack, serve

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

START = dt.datetime(2027, 1, 4, 9, 30, tzinfo=dt.UTC)  # a Monday
DAY = 86_400


class Clock:
    """The runtime's clock, set by the test (seconds since the epoch)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start.timestamp()

    def __call__(self) -> float:
        return self.now

    def to(self, moment: dt.datetime) -> None:
        self.now = moment.timestamp()

    def advance(self, seconds: float) -> None:
        self.now += seconds

    @property
    def today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.now, dt.UTC).date()


@pytest.fixture
def moved(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(START)
    monkeypatch.setattr(clock, "source", fake)
    return fake


class Chat:
    """One user's conversation through the API: what they say, what the session shows, the alarm sweeps."""

    def __init__(self, api: ApiClient, local: HttpStack, user: str) -> None:
        self.api, self.user, self.session = api, user, None
        self._host = local.stack.functions["ObjectHostFunction"]

    def say(self, text: str) -> dict[str, Any]:
        reply = self.api.chat(text, session=self.session, user=self.user)
        assert reply.status == 200, reply.body
        answer: dict[str, Any] = reply.json()
        self.session = answer["sessionId"]
        return answer

    def status(self) -> int:
        return self.api.send("GET", f"/sessions/{self.session}", headers={"X-User-Id": self.user}).status

    def view(self) -> dict[str, Any]:
        reply = self.api.send("GET", f"/sessions/{self.session}?limit=50", headers={"X-User-Id": self.user})
        assert reply.status == 200, reply.body
        view: dict[str, Any] = reply.json()
        return view

    def unasked(self) -> list[dict[str, Any]]:
        """The agent's messages nobody asked for (reminders, price alerts, notices), oldest first."""
        return [turn for turn in self.view()["turns"] if turn["role"] == "agent" and turn["type"] not in (
            "answer", "clarification")]  # fmt: skip

    def sweep(self) -> int:
        """One sweep of the alarms index, as the local stack's alarm clock makes every 250 ms: every due
        alarm is delivered (other tests' too); how many of them were this conversation's travel agent's."""
        env = default_env()
        mine = env.TRAVEL_AGENT.get_by_name(f"travel:{session_key(self.user, self.session or '')}").id.key
        fired: list[str] = []

        def fire(pk: str) -> None:
            fired.append(pk)
            self._host.invoke(alarm_event(pk))

        sweeper = Sweeper(env.table, fire)
        sweeper.sweep()
        sweeper.drain()
        return fired.count(mine)


def day_text(day: dt.date) -> str:
    return f"{day:%a}, {day:%b} {day.day}"


# --- reminders -------------------------------------------------------------------------------------------


def test_a_reminder_set_by_chat_appears_in_the_conversation_when_its_time_comes(
    api: ApiClient, local: HttpStack, moved: Clock
) -> None:
    chat = Chat(api, local, "reminded")
    departure = dt.date(2027, 2, 1)
    planned = chat.say("Plan a trip to Rome from Boston February 1-6 for 2 adults")
    assert planned["data"]["slots"]["departureDate"] == departure.isoformat()

    answer = chat.say("remind me a week before we leave")
    due = dt.datetime.combine(departure - dt.timedelta(days=7), dt.time(9, 0), dt.UTC)  # 09:00 UTC
    assert answer["metadata"]["intent"] == "remind" and answer["type"] == "answer"
    assert (
        f"{day_text(due.date())} at 09:00 UTC" in answer["content"] and "a week before" in answer["content"]
    )
    assert answer["data"]["plan"] is not None and answer["data"]["slots"]["destination"]["name"] == "Rome"
    assert chat.sweep() == 0 and chat.unasked() == []

    moved.to(due - dt.timedelta(seconds=1))  # three weeks after the last chat: idle past its days, but
    assert chat.sweep() == 0 and chat.status() == 200  # a pending reminder keeps its session (and trip)
    moved.to(due)
    assert chat.sweep() == 1
    (reminder,) = chat.unasked()
    assert reminder["type"] == "reminder"
    assert reminder["content"] == f"Reminder: your trip to Rome starts in a week ({day_text(departure)})."
    assert chat.sweep() == 0 and len(chat.unasked()) == 1  # once
    listed = api.send("GET", "/sessions", headers={"X-User-Id": "reminded"}).json()["sessions"]
    assert [s["sessionId"] for s in listed] == [chat.session]
    assert "You have no reminders" in chat.say("what reminders do I have?")["content"]


def test_a_reminder_without_dates_asks_for_them_and_is_set_when_they_come(
    api: ApiClient, local: HttpStack, moved: Clock
) -> None:
    chat = Chat(api, local, "undated")
    chat.say("I'm thinking about Lisbon")
    question = chat.say("remind me to pack the day before we leave")
    assert question["type"] == "clarification" and "dates" in question["content"]
    assert question["data"]["missing"] == ["dates"]

    answer = chat.say("we leave on February 10 for 5 days")
    assert answer["data"]["slots"]["departureDate"] == "2027-02-10"
    assert "I'll remind you to pack here on Tue, Feb 9 at 09:00 UTC" in answer["content"]
    assert answer["data"]["plan"] is not None  # the trip answer itself is still there

    moved.to(dt.datetime(2027, 2, 9, 9, 0, tzinfo=dt.UTC))
    assert chat.sweep() == 1
    (reminder,) = chat.unasked()
    assert reminder["content"] == "Reminder: pack. Your trip to Lisbon starts tomorrow (Wed, Feb 10)."


def test_a_reminder_in_the_past_is_not_set(api: ApiClient, local: HttpStack, moved: Clock) -> None:
    chat = Chat(api, local, "late")
    chat.say("Plan a trip to Oslo from London January 7-10 for 1 adult")
    answer = chat.say("remind me a week before we leave")
    assert "already passed" in answer["content"] and "Dec 31" in answer["content"]
    assert "no reminders" in chat.say("what reminders do I have?")["content"]


# --- price watches ---------------------------------------------------------------------------------------


def offline_fares(start: dt.date, days: int) -> list[float]:
    """The cheapest offline fare Boston -> Rome, one adult, USD, searched on each of ``days`` days from
    ``start`` with no date given (the search looks four weeks ahead of each day, so the fare moves)."""
    fares = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        reply = OfflineFlights(today=partial(_same, day))(
            FlightParams(origin="BOS", destination="FCO", adults=1, currency="USD")
        )
        assert isinstance(reply.data, FlightSearch)
        fares.append(min(offer.price_total for offer in reply.data.offers))
    return fares


def _same(day: dt.date) -> dt.date:
    return day


def dollars(amount: float) -> str:
    return f"${amount:,.2f}"


def test_a_price_watch_that_triggers_tells_the_conversation_once_and_ends(
    api: ApiClient, local: HttpStack, moved: Clock
) -> None:
    fares = offline_fares(START.date(), 15)
    drop = next(day for day in range(1, 15) if fares[day] < fares[0])  # the first day it is cheaper
    threshold = fares[drop]  # at or under triggers: that day, and no day before it
    chat = Chat(api, local, "watcher")
    answer = chat.say(f"tell me if flights from Boston to Rome drop under {threshold}")
    assert answer["metadata"]["intent"] == "watch_price"
    assert answer["metadata"]["toolsUsed"] == ["flights"]
    assert f"right now is {dollars(fares[0])} per person" in answer["content"]
    assert "Offline sample prices" in answer["content"] and "once a day" in answer["content"]

    for day in range(1, drop):
        moved.advance(DAY)
        assert chat.sweep() == 1  # the daily check ran
        assert chat.unasked() == [], f"day {day}: {fares[day]} is above {threshold}"
    moved.advance(DAY)
    assert chat.sweep() == 1
    (alert,) = chat.unasked()
    assert alert["type"] == "price_alert"
    assert alert["content"].startswith(
        f"Price alert: flights Boston → Rome are now {dollars(fares[drop])} per person"
    )
    assert "I've stopped watching them" in alert["content"] and "Offline sample prices" in alert["content"]

    assert "aren't watching any" in chat.say("what am I watching?")["content"]
    moved.advance(DAY)
    assert chat.sweep() == 0 and len(chat.unasked()) == 1  # the watch ended: no check, no second alert


def test_a_price_watch_that_does_not_trigger_checks_daily_without_a_word(
    api: ApiClient, local: HttpStack, moved: Clock
) -> None:
    fares = offline_fares(START.date(), 7)
    threshold = round(min(fares) - 50)  # never reached in the days the test runs
    chat = Chat(api, local, "patient")
    chat.say("Plan a trip to Rome from Boston for 2 adults")
    answer = chat.say(f"let me know when flights to Rome are below ${threshold}")
    assert f"at or under ${threshold:,} per person" in answer["content"]
    assert answer["data"]["slots"]["destination"]["name"] == "Rome"  # the trip is unchanged by the watch
    for _ in range(6):  # (a week without a word and the session would expire, as any idle one does)
        moved.advance(DAY)
        assert chat.sweep() == 1
    assert chat.unasked() == []
    listed = chat.say("what am I watching?")["content"]
    next_check = START + dt.timedelta(days=7)
    assert "flights Boston → Rome" in listed and f"next {day_text(next_check.date())} at 09:30 UTC" in listed

    assert "Cancelled the price watch" in chat.say("stop watching prices")["content"]
    moved.advance(DAY)
    assert chat.sweep() == 0 and chat.unasked() == []


def test_a_price_already_under_the_threshold_is_said_at_once_and_not_watched(
    api: ApiClient, local: HttpStack, moved: Clock
) -> None:
    chat = Chat(api, local, "lucky")
    answer = chat.say("watch hotel prices in Lisbon under 900 a night")
    assert "already at" in answer["content"] and "nothing to watch" in answer["content"]
    assert "Offline sample prices" in answer["content"]
    assert "aren't watching any prices" in chat.say("what am I watching?")["content"]


# --- listing and cancelling ----------------------------------------------------------------------------


def test_reminders_and_watches_are_listed_and_cancelled_by_chat_a_failed_one_included(
    api: ApiClient, local: HttpStack, moved: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = Chat(api, local, "lister")
    chat.say("Plan a trip to Paris from Boston March 1-5 for 2 adults")
    chat.say("remind me a week before we leave")
    chat.say("remind me to pack on the 27th")
    chat.say("remind me on the morning we fly")
    chat.say("tell me if flights to Paris drop under 100")

    listed = chat.say("what reminders do I have?")
    assert listed["metadata"]["intent"] == "list_alerts"
    lines = listed["content"].splitlines()
    assert lines[:4] == [
        "**Reminders**",
        "- 1. Mon, Feb 22 at 09:00 UTC: a week before your trip to Paris (Mon, Mar 1)",
        "- 2. Sat, Feb 27 at 09:00 UTC: to pack, before your trip to Paris (Mon, Mar 1)",
        "- 3. Mon, Mar 1 at 06:00 UTC: the day your trip to Paris starts (Mon, Mar 1)",
    ]
    assert "(You are also watching 1 price.)" in listed["content"]
    watching = chat.say("what am I watching?")["content"]
    assert (
        "- 1. flights Boston → Paris on Mon, Mar 1 (back Fri, Mar 5), at or under $100 per person" in watching
    )

    which = chat.say("cancel the reminder")
    assert which["type"] == "clarification" and "Which one" in which["content"]
    assert "Cancelled the reminder" in chat.say("cancel reminder 2")["content"]
    assert "pack" not in chat.say("what reminders do I have?")["content"]

    # the first reminder cannot be delivered: tried, retried with backoff, then marked failed
    def broken(self: TravelAgent, payload: dict[str, Any]) -> None:
        raise RuntimeError("the conversation could not be reached")

    with monkeypatch.context() as patch:
        patch.setattr(TravelAgent, "send_reminder", broken)
        moved.to(dt.datetime(2027, 2, 22, 9, 0, tzinfo=dt.UTC))
        for retry in range(MAX_RETRIES + 1):
            assert chat.sweep() == 1
            moved.advance(backoff_ms(retry) / 1000)
    moved.to(dt.datetime(2027, 2, 22, 12, 0, tzinfo=dt.UTC))
    listed = chat.say("what reminders do I have?")["content"]
    assert "- 1. Mon, Mar 1 at 06:00 UTC: the day your trip to Paris starts" in listed
    assert "- 2. a week before your trip to Paris (Mon, Mar 1) — failed" in listed
    assert chat.unasked() == []

    assert "Cancelled 2" in chat.say("cancel all reminders")["content"]
    assert "Cancelled the price watch" in chat.say("stop watching prices")["content"]
    assert "no reminders or price watches" in chat.say("show my reminders and watches")["content"]
    moved.to(dt.datetime(2027, 3, 1, 6, 0, 1, tzinfo=dt.UTC))  # past every time that was set
    assert chat.sweep() == 0 and chat.unasked() == []


# --- a restart of the local stack -------------------------------------------------------------------------


@pytest.mark.slow
def test_a_reminder_survives_a_restart_of_the_local_stack(tmp_path: Path) -> None:
    """``python -m devstack.serve`` for real: a reminder set a few seconds ahead, the stack stopped before
    it is due, the real clock passing while it is down, and the reminder delivered after the restart; one
    set for later is still listed after it (the state the turns read, not only the transcript)."""
    data = tmp_path / "data"
    lead = 8.0
    served = serve(data)
    try:
        chat = ServedChat(served, "restarted")
        assert "I'll remind you to pack" in chat.say("remind me in 3 hours to pack")["content"]
        before = time.time()
        answer = chat.say(f"remind me in {lead:.0f} seconds to call the hotel")
        assert "I'll remind you to call the hotel" in answer["content"]
        assert "call the hotel" in chat.say("what reminders do I have?")["content"]
        assert served.stop()[0] == 0
        assert time.time() < before + lead, "the stack took too long to stop for this test to mean anything"
        assert chat.unasked() is None  # down
    finally:
        served.close()
    served = serve(data)
    try:
        chat.served = served
        deadline = time.monotonic() + 30
        while not chat.unasked() and time.monotonic() < deadline:
            time.sleep(0.25)  # the alarm clock delivers within a second of its first sweep
        assert [turn["content"] for turn in chat.unasked() or []] == ["Reminder: call the hotel."]
        listed = chat.say("what reminders do I have?")["content"]
        assert "pack" in listed and "call the hotel" not in listed, listed
    finally:
        assert served.stop()[0] == 0


class ServedChat:
    """A conversation with a served stack (which may be down: then :meth:`unasked` is ``None``)."""

    def __init__(self, served: ServedStack, user: str) -> None:
        self.served, self.user, self.session = served, user, None

    def _api(self) -> ApiClient:
        return ApiClient(self.served.url, timeout=30)

    def say(self, text: str) -> dict[str, Any]:
        reply = self._api().chat(text, session=self.session, user=self.user)
        assert reply.status == 200, reply.body
        answer: dict[str, Any] = reply.json()
        self.session = answer["sessionId"]
        return answer

    def unasked(self) -> list[dict[str, Any]] | None:
        try:
            reply = self._api().send("GET", f"/sessions/{self.session}", headers={"X-User-Id": self.user})
        except OSError:
            return None
        turns = reply.json()["turns"]
        return [turn for turn in turns if turn["role"] == "agent" and turn["type"] == "reminder"]
