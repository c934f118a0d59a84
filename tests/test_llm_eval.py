"""The travel agent's evaluation: single sentences (slots and intents) and multi-turn dialogs.

The data are two tables under ``tests/data/llm/``: ``eval_sentences.tsv`` (one message each, read with
nothing known) and ``eval_dialogs.tsv`` (conversations run turn by turn through the travel agent on
moto DynamoDB with the offline tools). Each row's expectations are ``key=value`` pairs; the tables'
headers explain the keys. The scores are printed (``pytest -s`` shows them; they are also in the
failure message) and each test fails below its target.

Scoring: a sentence's slots are every slot it lists plus every slot the engine filled that it does not
list (a spurious slot is a wrong one; no children and unknown children are the same, and a multi-city
trip's first stop is its destination); what a reminder, price watch, list or cancel request states
(``remind``, ``about``, ``watch``, ``below``, ``alerts``) is scored the same way; its intent counts
separately. A dialog passes when all its
turns meet all their expectations.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from durable_agents.agents.travel import TravelAgent
from durable_agents.llm.embedded import EmbeddedLanguageModel
from durable_agents.llm.models import Extraction, TravelSlots
from durable_agents.tools import offline_registry
from tests.support.agents import agents_env, chat

DATA = Path(__file__).parent / "data" / "llm"
TODAY = date(2026, 3, 10)
# The gates sit at what the suite scores (every slot, intent and dialog right), so one regression fails:
# a row the model cannot get right yet is fixed, or left out of the table, not absorbed by a margin.
SLOT_TARGET = 1.0
INTENT_TARGET = 1.0
DIALOG_TARGET = 1.0

SLOT_KEYS = (
    "dest", "origin", "stops", "depart", "return", "month", "days", "adults", "children", "budget",
    "interests",
)  # fmt: skip
REQUEST_KEYS = ("remind", "about", "watch", "below", "alerts")
"""What a reminder, price watch, list or cancel request states beyond the slots (scored with them)."""
_OPERATOR = re.compile(r"^(?P<key>!?[\w.*-]+?)\s*(?P<op><=|>=|=|~|<|>)\s*(?P<value>.*)$")


def rows(name: str) -> list[list[str]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    table = [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]
    return table[1:]  # without the header


def expectations(text: str) -> list[tuple[str, str, str]]:
    found = []
    for part in filter(None, (piece.strip() for piece in text.split(" ; "))):
        match = _OPERATOR.match(part)
        assert match is not None, f"unreadable expectation {part!r}"
        found.append((match["key"], match["op"], match["value"].strip()))
    return found


def plain(value: Any) -> str:
    text = unicodedata.normalize("NFKD", str(value))
    return " ".join(
        "".join(c for c in text if not unicodedata.combining(c)).casefold().replace(".", "").split()
    )


# --- reading slots (the agent's JSON shape) ------------------------------------------------------------


def slot_value(slots: dict[str, Any], key: str) -> Any:
    """The value of one evaluation key in slots as JSON (camelCase); None when empty."""
    base, _, field = key.partition(".")
    places = {"dest": "destination", "origin": "origin"}
    if base in places:
        place = slots.get(places[base]) or None
        if place is None:
            return None
        return place.get(field or "name")
    if base == "stops":
        stops = slots.get("stops") or []
        return ",".join(stop.get("name", "") for stop in stops) if len(stops) > 1 else None
    travellers = slots.get("travellers") or {}
    budget = slots.get("budget")
    simple = {
        "depart": slots.get("departureDate"),
        "return": slots.get("returnDate"),
        "month": slots.get("month"),
        "days": slots.get("durationDays"),
        "adults": travellers.get("adults"),
        "children": travellers.get("children"),
        "budget": f"{budget['amount']:g} {budget['currency']}" if budget else None,
        "interests": ",".join(sorted(slots.get("interests") or [])) or None,
    }
    return simple[base]


def slot_matches(slots: dict[str, Any], key: str, expected: str) -> bool:
    actual = slot_value(slots, key)
    if expected == "*":
        return actual not in (None, "")
    if key.split(".")[0] == "interests":
        expected = ",".join(sorted(expected.split(",")))
    if key in ("dest", "origin", "stops"):
        return plain(actual) == plain(expected)
    return actual is not None and plain(actual) == plain(expected)


def request_value(extraction: Extraction, key: str) -> str | None:
    """The value of one request key: ``remind`` ("7d before departure", "on 2026-04-02 08:00", "in 600s"),
    ``about``, ``watch`` (the tool), ``below`` ("800 USD"), ``alerts`` ("watch every", "reminder #2")."""
    reminder, watch, alerts = extraction.reminder, extraction.watch, extraction.alerts
    if key == "remind" and reminder is not None:
        if reminder.in_seconds is not None:
            return f"in {reminder.in_seconds}s"
        if reminder.days_before is not None:
            return f"{reminder.days_before}d before {'return' if reminder.before_return else 'departure'}"
        if reminder.on_date is not None:
            at = f" {reminder.hour:02d}:{reminder.minute or 0:02d}" if reminder.hour is not None else ""
            return f"on {reminder.on_date.isoformat()}{at}"
        return "no time"
    if key == "about" and reminder is not None:
        return reminder.about
    if key == "watch" and watch is not None:
        return watch.tool
    if key == "below" and watch is not None and watch.below is not None:
        return f"{watch.below.amount:g} {watch.below.currency}"
    if key == "alerts" and alerts is not None:
        return (
            alerts.kind + (" every" if alerts.every else "") + (f" #{alerts.number}" if alerts.number else "")
        )
    return None


# --- reading plans and replies ---------------------------------------------------------------------------


def walk(node: Any, path: str) -> Any:
    for part in path.split("."):
        if part == "len":
            return len(node) if isinstance(node, (list, dict, str)) else None
        if isinstance(node, list):
            node = node[int(part)] if part.isdigit() and int(part) < len(node) else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def compare(actual: Any, op: str, expected: str) -> bool:
    if op == "~":
        return actual is not None and re.search(expected, str(actual), re.IGNORECASE) is not None
    if op == "=":
        if isinstance(actual, bool):
            return str(actual).lower() == expected.lower()
        if isinstance(actual, (int, float)):
            return float(actual) == float(expected)
        if isinstance(actual, list):
            return ",".join(plain(item.get("name", item)) for item in actual) == plain(expected)
        return actual is not None and plain(actual) == plain(expected)
    if not isinstance(actual, (int, float)):
        return False
    limit = float(expected)
    return {"<": actual < limit, "<=": actual <= limit, ">": actual > limit, ">=": actual >= limit}[op]


def turn_failures(response: dict[str, Any], previous_total: float | None, expect: str) -> list[str]:
    """What this turn's response gets wrong (empty when it meets every expectation)."""
    data = response.get("data") or {}
    slots, plan = data.get("slots") or {}, data.get("plan")
    content = str(response.get("content", ""))
    failures = []
    for key, op, value in expectations(expect):
        if key in ("says", "!says"):
            found = re.search(value, content, re.IGNORECASE) is not None
            ok = found if key == "says" else not found
        elif key == "chars":
            ok = compare(len(content), op, value)
        elif key == "intent":
            ok = (response.get("metadata") or {}).get("intent") == value
        elif key == "type":
            ok = re.fullmatch(value, str(response.get("type"))) is not None
        elif key == "plan":
            ok = (plan is not None) == (value == "some")
        elif key.startswith("plan."):
            ok = plan is not None and compare(walk(plan, key.removeprefix("plan.")), op, value)
        elif key == "cheaper":
            total = walk(plan, "costs.total.amount") if plan else None
            ok = previous_total is not None and total is not None and total < previous_total
        else:
            ok = key.split(".")[0] in SLOT_KEYS and slot_matches(slots, key, value)
        if not ok:
            failures.append(f"{key}{op}{value}")
    return failures


# --- the tests ------------------------------------------------------------------------------------------


def score_sentences() -> tuple[Counter[str], Counter[str], int, int, list[str]]:
    engine = EmbeddedLanguageModel()
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    intents_right, misses = 0, []
    table = rows("eval_sentences.tsv")
    for text, expect in table:
        extraction = engine.extract(text, known=TravelSlots(), today=TODAY)
        slots = extraction.slots.model_dump(mode="json", by_alias=True, exclude_none=True)
        listed = {key for key, _, _ in expectations(expect) if key != "intent"}
        wrong = []
        for key, _, value in expectations(expect):
            if key == "intent":
                if extraction.intent.value == value:
                    intents_right += 1
                else:
                    wrong.append(f"intent={extraction.intent.value} (want {value})")
                continue
            base = key.split(".")[0]
            total[base] += 1
            if base in REQUEST_KEYS:
                found = request_value(extraction, key)
                if found is not None and plain(found) == plain(value):
                    right[base] += 1
                else:
                    wrong.append(f"{key}={found} (want {value})")
            elif slot_matches(slots, key, value):
                right[base] += 1
            else:
                wrong.append(f"{key}={slot_value(slots, key)} (want {value})")
        bases = {key.split(".")[0] for key in listed}
        derived = ({"return", "days"} if "depart" in bases else set()) | (
            {"dest"} if "stops" in bases else set()
        )
        for base in SLOT_KEYS:
            if base not in bases and base not in derived and slot_value(slots, base) not in (None, 0):
                total[base] += 1
                wrong.append(f"spurious {base}={slot_value(slots, base)}")
        for base in REQUEST_KEYS:
            if base not in bases and request_value(extraction, base) is not None:
                total[base] += 1
                wrong.append(f"spurious {base}={request_value(extraction, base)}")
        if wrong:
            misses.append(f"{text!r}: {'; '.join(wrong)}")
    return right, total, intents_right, len(table), misses


def test_single_sentences_meet_the_slot_and_intent_targets(capsys: pytest.CaptureFixture[str]) -> None:
    right, total, intents_right, count, misses = score_sentences()
    slot_score = sum(right.values()) / sum(total.values())
    intent_score = intents_right / count
    lines = [
        f"sentences: {count}, slots {slot_score:.1%} ({sum(right.values())}/{sum(total.values())}), "
        f"intents {intent_score:.1%} ({intents_right}/{count})"
    ]
    lines += [
        f"  {base:<10} {right[base]:>3}/{total[base]:<3} {right[base] / total[base]:.0%}"
        for base in (*SLOT_KEYS, *REQUEST_KEYS)
        if total[base]
    ]
    lines += [f"  miss: {miss}" for miss in misses]
    report = "\n".join(lines)
    with capsys.disabled():
        print("\n" + report)
    assert count >= 150
    assert slot_score >= SLOT_TARGET and intent_score >= INTENT_TARGET, report


@pytest.fixture
def fixed_clock() -> Any:
    """The agent and its offline tools on the evaluation's calendar."""
    clock, registry = TravelAgent.clock, TravelAgent.tool_registry
    TravelAgent.clock = staticmethod(lambda: datetime(2026, 3, 10, 9, 30, tzinfo=UTC))
    TravelAgent.tool_registry = offline_registry(today=lambda: TODAY)
    yield
    TravelAgent.clock, TravelAgent.tool_registry = clock, registry


def test_multi_turn_dialogs_meet_the_dialog_target(
    dynamodb: Any, fixed_clock: None, capsys: pytest.CaptureFixture[str]
) -> None:
    env = agents_env(dynamodb)
    dialogs: dict[str, list[tuple[str, str]]] = {}
    for name, text, expect in rows("eval_dialogs.tsv"):
        dialogs.setdefault(name, []).append((text, expect))
    passed, lines = 0, []
    for number, (name, turns) in enumerate(dialogs.items()):
        agent = env.TRAVEL_AGENT.get_by_name(f"travel:eval-{number}")
        previous_total: float | None = None
        problems = []
        for index, (text, expect) in enumerate(turns, start=1):
            response = agent.handle_message(chat(text, session=f"eval-{number}"))
            failures = turn_failures(response, previous_total, expect)
            if failures:
                problems.append(f"turn {index} {text!r}: {', '.join(failures)}")
            plan = (response.get("data") or {}).get("plan")
            previous_total = walk(plan, "costs.total.amount") if plan else None
        passed += not problems
        lines.append(
            f"  {'pass' if not problems else 'FAIL'} {name}" + "".join(f"\n      {p}" for p in problems)
        )
    score = passed / len(dialogs)
    report = f"dialogs: {passed}/{len(dialogs)} pass ({score:.0%})\n" + "\n".join(lines)
    with capsys.disabled():
        print("\n" + report)
    assert len(dialogs) >= 20
    assert score >= DIALOG_TARGET, report
