"""The caller's sessions (``GET /sessions``, ``GET/DELETE /sessions/{id}``), on the stack as ``make run``
serves it (the API trusts ``userId`` / ``X-User-Id``; see test_api_identity.py for AWS's rules)."""

from __future__ import annotations

import json

import pytest

from tests.support.api_client import ApiClient

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")


def as_user(user: str) -> dict[str, str]:
    return {"X-User-Id": user}


def test_sessions_are_listed_newest_activity_first_with_their_destination(api: ApiClient) -> None:
    a = api.chat("Plan a trip to Lisbon", user="lister")
    b = api.chat("Plan a trip to Oslo", user="lister")
    assert a.status == b.status == 200
    first, second = a.json()["sessionId"], b.json()["sessionId"]
    listed = api.send("GET", "/sessions", headers=as_user("lister")).json()["sessions"]
    assert [(s["sessionId"], s["title"]) for s in listed] == [(second, "Oslo"), (first, "Lisbon")]
    assert api.chat("and the weather?", session=first, user="lister").status == 200
    listed = api.send("GET", "/sessions", headers=as_user("lister")).json()["sessions"]
    assert [s["sessionId"] for s in listed] == [first, second]
    assert listed[0]["lastActivity"] > listed[1]["lastActivity"]
    assert api.send("GET", "/sessions", headers=as_user("someone-else")).json() == {"sessions": []}


def test_a_session_shows_slots_and_turns_paged_with_a_cursor(api: ApiClient) -> None:
    texts = ["Plan a trip to Rome", "from Boston", "in May for 5 days", "2 adults", "budget 3000 USD"]
    session = None
    for text in texts:
        reply = api.chat(text, session=session, user="pager")
        assert reply.status == 200
        session = reply.json()["sessionId"]
    assert session is not None
    view = api.send("GET", f"/sessions/{session}?limit=4", headers=as_user("pager")).json()
    assert view["sessionId"] == session and view["title"] == "Rome"
    assert view["slots"]["destination"]["name"] == "Rome" and view["slots"]["travellers"]["adults"] == 2
    assert view["plan"]["party"]["adults"] == 2 and view["plan"]["destination"]["name"].startswith("Rome")
    assert [t["seq"] for t in view["turns"]] == [7, 8, 9, 10]
    assert [t["role"] for t in view["turns"]] == ["user", "agent", "user", "agent"]
    assert view["turns"][2]["content"] == "budget 3000 USD" and view["nextCursor"] == 7
    older = api.send("GET", f"/sessions/{session}?limit=4&before=7", headers=as_user("pager")).json()
    assert [t["seq"] for t in older["turns"]] == [3, 4, 5, 6] and older["nextCursor"] == 3
    oldest = api.send("GET", f"/sessions/{session}?limit=4&before=3", headers=as_user("pager")).json()
    assert [t["seq"] for t in oldest["turns"]] == [1, 2] and oldest["nextCursor"] is None
    assert [t["content"] for t in api.transcript(session, "pager") if t["role"] == "user"] == texts


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x", "before=0", "before=-3", "page=2"])
def test_a_bad_transcript_query_is_a_400(api: ApiClient, query: str) -> None:
    session = api.chat("Plan a trip to Bergen", user="querier").json()["sessionId"]
    reply = api.send("GET", f"/sessions/{session}?{query}", headers=as_user("querier"))
    assert reply.status == 400 and set(reply.error) == {"code", "message"}


def test_deleting_a_session_wipes_it_for_good(api: ApiClient) -> None:
    keep = api.chat("Plan a trip to Vienna", user="deleter").json()["sessionId"]
    doomed = api.chat("Plan a trip to Prague", user="deleter").json()["sessionId"]
    assert api.send("DELETE", f"/sessions/{doomed}", headers=as_user("someone-else")).status == 404
    deleted = api.send("DELETE", f"/sessions/{doomed}", headers=as_user("deleter"))
    assert deleted.status == 200 and deleted.json() == {"sessionId": doomed, "deleted": True}
    assert api.send("GET", f"/sessions/{doomed}", headers=as_user("deleter")).status == 404
    assert api.send("DELETE", f"/sessions/{doomed}", headers=as_user("deleter")).status == 404
    listed = api.send("GET", "/sessions", headers=as_user("deleter")).json()["sessions"]
    assert [s["sessionId"] for s in listed] == [keep]
    # the same id used again later is a fresh session: nothing of the deleted one comes back
    again = api.chat("hello", session=doomed, user="deleter")
    assert again.status == 200 and "Prague" not in again.body.decode()
    view = api.send("GET", f"/sessions/{doomed}", headers=as_user("deleter")).json()
    assert [t["content"] for t in view["turns"]] == ["hello", again.json()["content"]]
    assert "destination" not in view["slots"]


def test_another_users_session_is_a_404_and_malformed_ids_a_400(api: ApiClient) -> None:
    mine = api.chat("Plan a trip to Seville", user="owner-x").json()["sessionId"]
    for method in ("GET", "DELETE"):
        reply = api.send(method, f"/sessions/{mine}", headers=as_user("stranger-x"))
        assert reply.status == 404 and "Seville" not in reply.body.decode()
    assert api.send("GET", "/sessions/no-such-session", headers=as_user("owner-x")).status == 404
    assert api.send("GET", "/sessions/bad%0Aid", headers=as_user("owner-x")).status == 400
    assert api.send("GET", f"/sessions/{mine}", headers=as_user("bad user")).status == 400


def test_new_session_ids_are_random_and_a_keyed_first_turn_is_opened_once(api: ApiClient) -> None:
    first = api.chat("Plan a trip to Athens", user="opener", key="open-1").json()
    retry = api.chat("Plan a trip to Athens", user="opener", key="open-1").json()
    assert retry == first  # a retried first turn: the same session, the recorded answer
    assert len(api.send("GET", "/sessions", headers=as_user("opener")).json()["sessions"]) == 1
    other = api.chat("Plan a trip to Athens", user="opener-2", key="open-1").json()
    assert other["sessionId"] != first["sessionId"]  # never derived from the key
    # anonymous callers reusing a key land in sessions of their own
    anon_a = api.chat("Plan a trip to Naples", key="shared-key").json()
    anon_b = api.chat("Plan a trip to Turin", key="shared-key").json()
    assert anon_a["sessionId"] != anon_b["sessionId"] and "Naples" not in json.dumps(anon_b)


def test_an_anonymous_caller_has_no_session_list(api: ApiClient) -> None:
    reply = api.send("GET", "/sessions")
    assert reply.status == 401 and reply.error["code"] == "unauthorized"
    session = api.chat("Plan a trip to Madrid").json()["sessionId"]
    view = api.send("GET", f"/sessions/{session}")  # an anonymous session is reachable by its id alone
    assert view.status == 200 and view.json()["title"] == "Madrid"


def test_an_idempotency_key_is_one_request_across_all_the_callers_sessions(api: ApiClient) -> None:
    user = "keyed"
    first = api.chat("Plan a trip to Porto", session="k1", user=user, key="turn-1")
    assert first.status == 200
    replay = api.chat("Plan a trip to Porto", session="k1", user=user, key="turn-1")
    assert replay.status == 200 and replay.json() == first.json()  # the recorded answer, nothing ran

    other_message = api.chat("Plan a trip to Faro", session="k1", user=user, key="turn-1")
    other_session = api.chat("Plan a trip to Porto", session="k2", user=user, key="turn-1")
    new_session = api.chat("Plan a trip to Braga", user=user, key="turn-1")
    for reply in (other_message, other_session, new_session):
        assert reply.status == 422 and reply.error["code"] == "idempotency_key_reused", reply.body[:300]
    # nothing ran for them: k1 has its one turn, k2 was never started
    assert [t["content"] for t in api.transcript("k1", user) if t["role"] == "user"] == [
        "Plan a trip to Porto"
    ]
    assert api.send("GET", "/sessions/k2", headers=as_user(user)).status == 404
    assert [
        s["sessionId"] for s in api.send("GET", "/sessions", headers=as_user(user)).json()["sessions"]
    ] == ["k1"]
    # the key is the caller's: another user may use it
    assert api.chat("Plan a trip to Faro", session="k1", user="keyed-2", key="turn-1").status == 200


@pytest.mark.parametrize(
    "text",
    [
        "Plan a trip to Rome on 31/12/9999",
        "Plan a trip to Rome on 12/31/9999 for 5 days",
        "Rome 25/12/9999 for a week",
        "Rome from 30/12/9999 to 31/12/9999",
        "Rome the first two weeks of August 9999",
    ],
)
def test_a_date_too_far_ahead_is_not_planned_and_never_overflows(api: ApiClient, text: str) -> None:
    reply = api.chat(text, user="far-ahead")
    assert reply.status == 200, reply.body[:300]
    body = reply.json()
    assert body["type"] in ("answer", "clarification") and "9999" not in body["content"]
    slots = body["data"]["slots"]
    assert all(not str(slots.get(name) or "").startswith("9999") for name in ("departureDate", "returnDate"))
