"""Live sessions over the local stack's WebSocket (ws://127.0.0.1:<port>/ws): the protocol's events
reach every subscribed socket of the user after the turn committed, streamed parts come first marked
provisional, errors carry the REST API's codes, a client that reconnects with ``after`` gets what it
missed once and in order, the ``@connections`` API is the one boto3 calls, and one stack holds 200
sockets each receiving a broadcast."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import websocket

from tests.support.api_client import ApiClient
from tests.support.stack import HttpStack, http_stack

WCU_LOG: list[Any] = []
"""What the cost test measured, request by request (shown when it fails)."""
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def stack() -> Iterator[HttpStack]:
    with http_stack() as started:
        yield started


def connect(stack: HttpStack, user: str | None = "u1", origin: str | None = None) -> websocket.WebSocket:
    query = f"?userId={user}" if user else ""
    url = stack.url.replace("http://", "ws://") + "/ws" + query
    return websocket.create_connection(url, timeout=30, origin=origin or stack.url)


def receive(sock: websocket.WebSocket) -> dict[str, Any]:
    message = json.loads(sock.recv())
    assert isinstance(message, dict)
    return message


def until(sock: websocket.WebSocket, *types: str) -> list[dict[str, Any]]:
    """Every message up to and including the first of one of ``types``."""
    seen: list[dict[str, Any]] = []
    while not seen or seen[-1]["type"] not in types:
        seen.append(receive(sock))
    return seen


def subscribe(sock: websocket.WebSocket, session: str, after: int | None = None) -> list[dict[str, Any]]:
    message: dict[str, Any] = {"action": "subscribe", "sessionId": session}
    if after is not None:
        message["after"] = after
    sock.send(json.dumps(message))
    return until(sock, "subscribed")


def chat(sock: websocket.WebSocket, session: str, text: str, **extra: Any) -> None:
    sock.send(json.dumps({"action": "chat", "sessionId": session, "message": text, **extra}))


def test_a_turn_reaches_both_tabs_after_progress_marked_provisional(stack: HttpStack) -> None:
    first, second = connect(stack), connect(stack)
    try:
        subscribe(first, "tabs")
        subscribe(second, "tabs")
        chat(first, "tabs", "Plan a trip to Paris from Boston, 3 days in May")
        events = until(first, "turn")
        turn = events[-1]
        progress = [e for e in events if e["type"] == "progress"]
        assert progress and all(e["provisional"] is True and e["seq"] == turn["seq"] for e in progress)
        assert {e["status"] for e in progress} == {"started", "finished"}
        assert "provisional" not in turn and turn["sessionId"] == "tabs"
        assert "Paris" in turn["answer"]["content"] and turn["message"].startswith("Plan a trip")
        state = receive(first)
        assert state["type"] == "state" and state["seq"] == turn["seq"] + 1
        assert state["slots"]["destination"]["name"] == "Paris"
        other = until(second, "turn")
        assert other[-1] == turn
        assert receive(second) == state
    finally:
        first.close()
        second.close()


def test_the_same_turn_by_rest_reaches_a_subscribed_socket(stack: HttpStack) -> None:
    import urllib.request

    sock = connect(stack)
    try:
        subscribe(sock, "rest")
        request = urllib.request.Request(
            stack.url + "/chat",
            data=json.dumps({"message": "Weather in Tokyo next week?", "sessionId": "rest"}).encode(),
            headers={"X-User-Id": "u1", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
        turn = until(sock, "turn")[-1]
        assert turn["answer"] == {key: value for key, value in answer.items() if key != "sessionId"}
    finally:
        sock.close()


def test_another_users_socket_gets_nothing_of_a_session_with_the_same_id(stack: HttpStack) -> None:
    mine, theirs = connect(stack, "owner"), connect(stack, "stranger")
    try:
        subscribe(mine, "same-id")
        subscribe(theirs, "same-id")
        chat(mine, "same-id", "Plan a trip to Rome")
        until(mine, "turn")
        theirs.settimeout(1.0)
        with pytest.raises(websocket.WebSocketTimeoutException):
            receive(theirs)
    finally:
        mine.close()
        theirs.close()


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ("not json", 400, "invalid_request"),
        (json.dumps({"action": "dance", "sessionId": "s"}), 400, "invalid_request"),
        (json.dumps({"action": "chat", "sessionId": "s", "message": ""}), 400, "invalid_request"),
        (json.dumps({"action": "chat", "sessionId": "bad id!", "message": "hi"}), 400, "invalid_request"),
        (json.dumps({"action": "subscribe", "sessionId": "s", "after": -1}), 400, "invalid_request"),
        (json.dumps({"action": "chat", "sessionId": "s", "message": "x" * 4001}), 400, "invalid_request"),
        ('{"action": "chat", "sessionId": "s", "message": "Rome \\ud800"}', 400, "invalid_text"),
        ('{"action": "chat", "sessionId": "s", "message": "hi", "x\\udc00": 1}', 400, "invalid_text"),
    ],
    ids=[
        "not json",
        "unknown action",
        "empty message",
        "bad session id",
        "negative after",
        "longer than /chat allows",
        "lone surrogate in the message",
        "lone surrogate in a key",
    ],
)
def test_a_bad_message_is_answered_with_an_error_event_to_its_socket_only(
    stack: HttpStack, payload: str, status: int, code: str
) -> None:
    sock = connect(stack)
    try:
        sock.send(payload)
        error = receive(sock)
        assert error["type"] == "error" and error["status"] == status and error["error"]["code"] == code
        assert error["error"]["message"]
    finally:
        sock.close()


def test_a_key_is_the_callers_across_sessions_and_doors_as_on_post_chat(stack: HttpStack) -> None:
    """The same ``idempotencyKey`` on another session (by the socket, or after ``POST /chat`` used it)
    is 422 and runs nothing: keys are the caller's across all their sessions, whichever door."""
    sock = connect(stack, "key-owner")
    try:
        subscribe(sock, "doors-a")
        chat(sock, "doors-a", "Plan a trip to Lisbon", idempotencyKey="door-1")
        until(sock, "turn")
        chat(sock, "doors-b", "Plan a trip to Lisbon", idempotencyKey="door-1")
        error = until(sock, "error")[-1]
        assert (error["status"], error["error"]["code"]) == (422, "idempotency_key_reused")
        assert error["sessionId"] == "doors-b"
        api = ApiClient(stack.url)
        rest = api.chat("Plan a trip to Oslo", session="doors-c", user="key-owner", key="door-2")
        assert rest.status == 200 and rest.json()["sessionId"] == "doors-c"
        chat(sock, "doors-d", "Plan a trip to Oslo", idempotencyKey="door-2")
        error = until(sock, "error")[-1]
        assert (error["status"], error["error"]["code"]) == (422, "idempotency_key_reused")
        listed = api.send("GET", "/sessions", headers={"X-User-Id": "key-owner"})
        assert listed.status == 200
        # nothing was opened by a refusal
        assert {s["sessionId"] for s in listed.json()["sessions"]} == {"doors-a", "doors-c"}
    finally:
        sock.close()


def test_a_reused_idempotency_key_is_refused_with_the_rest_apis_422(stack: HttpStack) -> None:
    sock = connect(stack)
    try:
        subscribe(sock, "keys")
        chat(sock, "keys", "Plan a trip to Lisbon", idempotencyKey="k-1")
        first = until(sock, "turn")[-1]
        chat(sock, "keys", "Plan a trip to Lisbon", idempotencyKey="k-1")  # a retry: answered, not run again
        chat(sock, "keys", "Plan a trip to Oslo", idempotencyKey="k-1")
        error = until(sock, "error")[-1]
        assert (error["status"], error["error"]["code"]) == (422, "idempotency_key_reused")
        assert all(e.get("seq", 0) <= first["seq"] + 1 for e in [error])
    finally:
        sock.close()


def test_a_socket_without_identity_or_from_another_site_is_refused(stack: HttpStack) -> None:
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        connect(stack, user=None)
    assert refused.value.status_code == 401
    with pytest.raises(websocket.WebSocketBadStatusException) as foreign:
        connect(stack, origin="http://attacker.example")
    assert foreign.value.status_code == 403


def test_a_client_that_reconnects_with_after_gets_every_missed_event_once_in_order(stack: HttpStack) -> None:
    watcher, writer = connect(stack), connect(stack)
    try:
        subscribe(watcher, "resume")
        subscribe(writer, "resume")
        chat(writer, "resume", "Plan a trip to Kyoto")
        until(writer, "turn")
        seen = [e for e in until(watcher, "turn") if "provisional" not in e]
        last = seen[-1]["seq"]
        watcher.close()  # dropped after the first turn's event
        chat(writer, "resume", "from Osaka, 3 days in April")
        missed = [e for e in until(writer, "turn") if "provisional" not in e]
        time.sleep(0.2)
        back = connect(stack)
        try:
            events = [e for e in subscribe(back, "resume", after=last) if e["type"] != "subscribed"]
            seqs = [e["seq"] for e in events]
            assert seqs == list(range(last + 1, seqs[-1] + 1)) and len(seqs) == len(set(seqs))
            resumed = [e for e in events if e["type"] == "turn"]
            live = [e for e in missed if e["type"] == "turn"]
            # the log keeps the text, not the trip: a resumed turn is partial (the page reloads the trip)
            assert [(e["seq"], e["messageId"], e["answer"]["content"]) for e in resumed] == [
                (e["seq"], e["messageId"], e["answer"]["content"]) for e in live
            ]
            assert all(e["partial"] is True and "data" not in e["answer"] for e in resumed)
        finally:
            back.close()
    finally:
        writer.close()


def test_the_connections_api_is_what_boto3_calls(stack: HttpStack) -> None:
    sock = connect(stack)
    try:
        subscribe(sock, "mgmt")
        ids = list(stack.gateway.hub._open)
        assert ids
        client = boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=stack.url,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        # the newest connection is ours: post to every open one and find our message
        for connection_id in ids:
            client.post_to_connection(ConnectionId=connection_id, Data=b'{"type":"hello"}')
        assert receive(sock) == {"type": "hello"}
        mine = ids[-1]
        info = client.get_connection(ConnectionId=mine)
        assert info["Identity"]["SourceIp"] == "127.0.0.1" and info["ConnectedAt"]
        client.delete_connection(ConnectionId=mine)
        with pytest.raises(client.exceptions.GoneException):
            client.post_to_connection(ConnectionId=mine, Data=b"{}")
    finally:
        sock.close()


@pytest.mark.parametrize("count", [20, pytest.param(200, marks=pytest.mark.slow)])
def test_one_stack_holds_200_sockets_each_receiving_a_broadcast(stack: HttpStack, count: int) -> None:
    """200 in the slow tier (the issue's figure), 20 in the fast one: the same path, fewer sockets."""
    crowd = f"crowd-{count}"
    sockets = [connect(stack, crowd) for _ in range(count)]
    try:
        for sock in sockets:
            subscribe(sock, crowd)
        chat(sockets[0], crowd, "Plan a trip to Madrid")
        received: list[int] = []
        lock = threading.Lock()

        def wait_for_turn(sock: websocket.WebSocket) -> None:
            turn = until(sock, "turn")[-1]
            with lock:
                received.append(turn["seq"])

        threads = [threading.Thread(target=wait_for_turn, args=(sock,)) for sock in sockets]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(received) == count and len(set(received)) == 1
    finally:
        for sock in sockets:
            sock.close()


def test_streaming_and_events_add_at_most_2_wcu_to_a_chat_turn(
    stack: HttpStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same two turns in two sessions, one with a subscribed socket (progress streamed, turn and
    state events logged), one with the conversation's events switched off: the second turn's WCU."""
    from devstack.capacity import CapacityMeter

    meter = CapacityMeter.install()
    messages = ["Plan a trip to Paris from Boston", "3 days in May, 2 adults, budget 3000 USD"]

    def second_turn_wcu(session: str) -> float:
        sock = connect(stack, "cost")
        try:
            subscribe(sock, session)
            chat(sock, session, messages[0])
            until(sock, "turn", "error")
            with meter.measure() as measured:
                chat(sock, session, messages[1])
                assert until(sock, "turn", "error")[-1]["type"] == "turn"
                time.sleep(0.3)  # the state event's post and anything after it
            WCU_LOG.append([(r.operation, r.wcu, r.sizes) for r in measured.requests if r.wcu])
            return measured.wcu
        finally:
            sock.close()

    settle(meter)  # posts to the sockets earlier tests closed answer 410: their items are being deleted
    with_events = second_turn_wcu("cost-live")
    quiet = _quiet_turn_wcu(stack, meter, messages, monkeypatch)
    assert with_events - quiet <= 2, (with_events, quiet, WCU_LOG)


def settle(meter: Any, window: float = 0.5, most: float = 30.0) -> None:
    """Wait until the table has had no write for ``window`` seconds."""
    deadline = time.monotonic() + most
    while time.monotonic() < deadline:
        with meter.measure() as measured:
            time.sleep(window)
        if not measured.wcu:
            return
    raise AssertionError("the table never went quiet")


def _quiet_turn_wcu(
    stack: HttpStack, meter: Any, messages: list[str], monkeypatch: pytest.MonkeyPatch
) -> float:
    """The second of ``messages`` by POST /chat with the conversation's events switched off: its WCU."""
    import urllib.request

    from durable_agents.agents.live import LiveConversation

    def post(text: str) -> None:
        request = urllib.request.Request(
            stack.url + "/chat",
            data=json.dumps({"message": text, "sessionId": "cost-quiet"}).encode(),
            headers={"X-User-Id": "cost", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200

    with monkeypatch.context() as patch:
        patch.setattr(LiveConversation, "_announce", lambda self, *event: None)
        post(messages[0])
        with meter.measure() as measured:
            post(messages[1])
    WCU_LOG.append([(r.operation, r.wcu, r.sizes) for r in measured.requests if r.wcu])
    return float(measured.wcu)
