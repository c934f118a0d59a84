"""Bad input through the real HTTP API: every case gets its 4xx with a JSON error and no stack trace,
and the stored state (a full Scan of the table) is byte-identical before and after the whole matrix.

Also: another user's session is refused (403) and never shows its data, neither in an answer nor in
the error, not even when the other user replays the owner's Idempotency-Key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.api_client import ApiClient
from tests.support.stack import HttpStack, http_stack, scan_table

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

SESSION, USER = "bad-input-s1", "bad-input-u1"
TRACE_MARKERS = ("Traceback", 'File "', '.py", line', "stackTrace", "botocore", "pydantic_core")


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    body: bytes | None
    status: int | tuple[int, ...]
    code: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


def js(value: Any) -> bytes:
    return json.dumps(value).encode()


def chat(**fields: Any) -> bytes:
    return js({"sessionId": SESSION, "userId": USER, **fields})


EMOJI = "\U0001f600"
RTL = "\u202e"
AGENT = "/agents/TRAVEL_AGENT/travel:bad-input-s1"

CASES: list[Case] = [
    # --- malformed bodies -------------------------------------------------------------------------------
    Case("malformed_json", "POST", "/chat", b'{"message": "hi"', 400, "invalid_json"),
    Case("trailing_garbage", "POST", "/chat", b'{"message": "hi"} x', 400, "invalid_json"),
    Case("json_array", "POST", "/chat", b'["hi"]', 400, "invalid_json"),
    Case("json_string", "POST", "/chat", b'"hi"', 400, "invalid_json"),
    Case("json_null", "POST", "/chat", b"null", 400, "invalid_json"),
    Case("empty_body", "POST", "/chat", b"", 400, "invalid_json"),
    Case("no_body", "POST", "/chat", None, 400, "invalid_json"),
    Case("not_utf8", "POST", "/chat", b'\xff\xfe{"message": "hi"}', 400, "invalid_json"),
    Case("deep_nesting", "POST", "/chat", b"[" * 30_000, 400, "invalid_json"),
    Case("nan_literal", "POST", "/chat", b'{"message": NaN}', 400),
    # --- wrong types, missing and extra fields ---------------------------------------------------------
    Case("message_int", "POST", "/chat", chat(message=123), 400, "invalid_request"),
    Case("message_list", "POST", "/chat", chat(message=["hi"]), 400, "invalid_request"),
    Case("message_null", "POST", "/chat", chat(message=None), 400, "invalid_request"),
    Case("message_object", "POST", "/chat", chat(message={"text": "hi"}), 400, "invalid_request"),
    Case("message_bool", "POST", "/chat", chat(message=True), 400, "invalid_request"),
    Case("missing_message", "POST", "/chat", chat(), 400, "invalid_request"),
    Case("extra_field", "POST", "/chat", chat(message="hi", admin=True), 400, "invalid_request"),
    Case("session_int", "POST", "/chat", chat(message="hi", sessionId=5), 400, "invalid_request"),
    Case("user_list", "POST", "/chat", chat(message="hi", userId=["u"]), 400, "invalid_request"),
    # --- empty, oversized and odd text -------------------------------------------------------------------
    Case("empty_message", "POST", "/chat", chat(message=""), 400, "invalid_request"),
    Case("whitespace_message", "POST", "/chat", chat(message=" \n\t \u3000 "), 400, "invalid_request"),
    Case("message_4001_chars", "POST", "/chat", chat(message="a" * 4001), 400, "invalid_request"),
    Case("message_4001_emoji", "POST", "/chat", chat(message=EMOJI * 4001), 400, "invalid_request"),
    Case(
        "lone_surrogate",
        "POST",
        "/chat",
        b'{"message": "hi \\ud800 there", "userId": "bad-input-u1"}',
        400,
        "invalid_text",
    ),
    Case(
        "lone_low_surrogate",
        "POST",
        "/chat",
        b'{"message": "\\udfff", "userId": "bad-input-u1"}',
        400,
        "invalid_text",
    ),
    Case("nul_in_message", "POST", "/chat", chat(message="hi\u0000there"), 400, "invalid_request"),
    Case("body_over_64kb", "POST", "/chat", chat(message="x" * 70_000), 413, "payload_too_large"),
    Case("body_over_10mb", "POST", "/chat", b"x" * (10 * 1024 * 1024 + 1), 413, "payload_too_large"),
    # --- ids: traversal, injection, unicode, length -----------------------------------------------------
    Case("session_traversal", "POST", "/chat", chat(message="hi", sessionId="../../etc/passwd"), 400),
    Case("session_encoded_dots", "POST", "/chat", chat(message="hi", sessionId="%2e%2e%2f%2e%2e"), 400),
    Case("session_sql", "POST", "/chat", chat(message="hi", sessionId="'; DROP TABLE state;--"), 400),
    Case("session_script", "POST", "/chat", chat(message="hi", sessionId="<script>alert(1)</script>"), 400),
    Case("session_129_chars", "POST", "/chat", chat(message="hi", sessionId="s" * 129), 400),
    Case("session_rtl_override", "POST", "/chat", chat(message="hi", sessionId=f"s1{RTL}exe.txt"), 400),
    Case("session_emoji", "POST", "/chat", chat(message="hi", sessionId=f"s{EMOJI}"), 400),
    Case("session_empty", "POST", "/chat", chat(message="hi", sessionId=""), 400),
    Case("user_nul", "POST", "/chat", chat(message="hi", userId="u\u0000"), 400),
    Case(
        "user_header_mismatch",
        "POST",
        "/chat",
        chat(message="hi"),
        400,
        headers=(("X-User-Id", "someone-else"),),
    ),
    # --- Idempotency-Key -------------------------------------------------------------------------------
    Case(
        "key_traversal",
        "POST",
        "/chat",
        chat(message="hi"),
        400,
        "invalid_idempotency_key",
        (("Idempotency-Key", "../../x"),),
    ),
    Case(
        "key_too_long",
        "POST",
        "/chat",
        chat(message="hi"),
        400,
        "invalid_idempotency_key",
        (("Idempotency-Key", "k" * 129),),
    ),
    Case(
        "key_blank",
        "POST",
        "/chat",
        chat(message="hi"),
        400,
        "invalid_idempotency_key",
        (("Idempotency-Key", "   "),),
    ),
    Case(
        "key_spaces",
        "POST",
        "/chat",
        chat(message="hi"),
        400,
        "invalid_idempotency_key",
        (("Idempotency-Key", "a b; DROP"),),
    ),
    # --- methods and routes ----------------------------------------------------------------------------
    Case("get_chat", "GET", "/chat", None, 405, "method_not_allowed"),
    Case("put_health", "PUT", "/health", b"{}", 405, "method_not_allowed"),
    Case("delete_state", "DELETE", f"{AGENT}/state", None, 405, "method_not_allowed"),
    Case("get_message", "GET", f"{AGENT}/message", None, 405, "method_not_allowed"),
    Case("unknown_route", "GET", "/nope", None, 404, "not_found"),
    Case("unknown_agent_route", "GET", f"{AGENT}/secrets", None, 404, "not_found"),
    Case("partial_agent_route", "GET", "/agents/TRAVEL_AGENT", None, 404, "not_found"),
    Case("post_root", "POST", "/", b"{}", 405, "method_not_allowed"),  # GET / is the chat page
    # --- namespaces and names --------------------------------------------------------------------------
    Case("unknown_namespace", "GET", "/agents/NOPE/x:1/state", None, 404),
    Case("lowercase_namespace", "GET", "/agents/travel_agent/travel:s1/state", None, 404),
    Case("namespace_traversal", "GET", "/agents/..%2F..%2Fetc/travel:s1/state", None, 404),
    Case("namespace_sql", "GET", "/agents/'%3B%20DROP%20TABLE%20x%3B--/travel:s1/state", None, 404),
    # a decoded "/" in a name no longer matches the route: 404 (as API Gateway + the router answer)
    Case("name_traversal", "GET", "/agents/TRAVEL_AGENT/..%2F..%2Fetc%2Fpasswd/state", None, (400, 404)),
    Case("name_encoded_dots", "GET", "/agents/TRAVEL_AGENT/%2e%2e/state", None, 400),
    Case("name_double_encoded", "GET", "/agents/TRAVEL_AGENT/%252e%252e%252f/state", None, 400),
    Case("name_sql", "GET", "/agents/TRAVEL_AGENT/'%3B%20DROP%20TABLE%20x%3B--/state", None, 400),
    Case(
        "name_script",
        "GET",
        "/agents/TRAVEL_AGENT/%3Cscript%3Ealert(1)%3C%2Fscript%3E/health",
        None,
        (400, 404),
    ),
    Case("name_quotes", "GET", "/agents/TRAVEL_AGENT/%22travel%22%3A1/health", None, 400),
    Case("name_nul", "GET", "/agents/TRAVEL_AGENT/travel%00x/state", None, 400),
    Case("name_very_long", "GET", "/agents/TRAVEL_AGENT/" + "n" * 300 + "/state", None, 400),
    Case("name_rtl", "POST", "/agents/TRAVEL_AGENT/travel%E2%80%AEx/message", js({"content": "hi"}), 400),
    # --- agent messages --------------------------------------------------------------------------------
    Case(
        "unknown_message_type",
        "POST",
        f"{AGENT}/message",
        js({"type": "teleport", "content": "x"}),
        400,
        "unsupported_message_type",
    ),
    Case(
        "type_not_handled_by_agent",
        "POST",
        "/agents/SESSION_MANAGER/session:bad-input-u1/message",
        js({"type": "chat", "content": "hi"}),
        400,
        "unsupported_message_type",
    ),
    Case(
        "message_type_int",
        "POST",
        f"{AGENT}/message",
        js({"type": 5, "content": "hi"}),
        400,
        "invalid_request",
    ),
    Case(
        "message_extra_field",
        "POST",
        f"{AGENT}/message",
        js({"content": "hi", "sudo": True}),
        400,
        "invalid_request",
    ),
    Case("message_missing_content", "POST", f"{AGENT}/message", js({"type": "chat"}), 400, "invalid_message"),
    Case(
        "message_blank_content",
        "POST",
        f"{AGENT}/message",
        js({"type": "chat", "content": "  "}),
        400,
        "invalid_message",
    ),
    Case(
        "message_context_wrong_type",
        "POST",
        f"{AGENT}/message",
        js({"content": "hi", "context": "me"}),
        400,
        "invalid_request",
    ),
    Case("message_malformed_json", "POST", f"{AGENT}/message", b"{'type': 'chat'}", 400, "invalid_json"),
    Case(
        "message_over_64kb",
        "POST",
        f"{AGENT}/message",
        js({"content": "x" * 70_000}),
        413,
        "payload_too_large",
    ),
    Case(
        "message_bad_key",
        "POST",
        f"{AGENT}/message",
        js({"content": "hi"}),
        400,
        "invalid_idempotency_key",
        (("Idempotency-Key", "<script>"),),
    ),
    # --- lone surrogates in any string of /agents/.../message and /chat (not UTF-8-encodable: 400) -------
    *(
        Case(f"surrogate_message_{field}", "POST", f"{AGENT}/message", body, 400, "invalid_text")
        for field, body in (
            ("id", b'{"id": "\\ud800", "type": "chat", "content": "hi"}'),
            ("id_low", b'{"id": "m\\udfff1", "type": "chat", "content": "hi"}'),
            ("type", b'{"type": "\\ud800", "content": "hi"}'),
            ("content", b'{"type": "chat", "content": "hi \\ud800"}'),
            ("content_object", b'{"type": "chat", "content": {"message": "hi", "\\ud800": "x"}}'),
            ("context_session", b'{"content": "hi", "context": {"sessionId": "\\ud800"}}'),
            ("context_user", b'{"content": "hi", "context": {"userId": "u\\ud800"}}'),
            ("context_metadata", b'{"content": "hi", "context": {"metadata": {"k": ["\\udbff"]}}}'),
            ("timestamp", b'{"content": "hi", "timestamp": "2026-01-01\\ud800"}'),
            ("unknown_field", b'{"content": "hi", "\\ud800": 1}'),
        )
    ),
    *(
        Case(f"surrogate_chat_{field}", "POST", "/chat", body, 400, "invalid_text")
        for field, body in (
            ("session", b'{"message": "hi", "sessionId": "s\\ud800", "userId": "bad-input-u1"}'),
            ("user", b'{"message": "hi", "userId": "\\ud800"}'),
            ("key", b'{"message": "hi", "\\ud800": "x", "userId": "bad-input-u1"}'),
        )
    ),
]


@pytest.fixture(scope="module")
def api() -> Iterator[HttpStack]:
    with http_stack() as stack:
        yield stack


def assert_clean_error(reply: Any, case: Case) -> None:
    wanted = case.status if isinstance(case.status, tuple) else (case.status,)
    assert reply.status in wanted, (case.name, reply.status, reply.body[:300])
    assert reply.headers.get("content-type", "").startswith("application/json"), case.name
    text = reply.body.decode("utf-8")
    body = json.loads(text)
    assert set(body) == {"error"}, case.name
    assert set(body["error"]) == {"code", "message"}, case.name
    assert isinstance(body["error"]["code"], str) and body["error"]["code"], case.name
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], case.name
    if case.code is not None:
        assert body["error"]["code"] == case.code, (case.name, body)
    for marker in TRACE_MARKERS:
        assert marker not in text, (case.name, marker, text[:300])
    assert len(reply.body) < 4096, (case.name, "the error echoes the input back")
    if reply.status == 405:
        assert reply.headers.get("allow"), case.name


def describe_changes(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[str]:
    """What differs between two scans: items added or removed, and the attributes that changed."""
    keyed = {(i["pk"]["S"], i["sk"]["S"]): i for i in before}
    now = {(i["pk"]["S"], i["sk"]["S"]): i for i in after}
    changes = [f"added {key}" for key in now.keys() - keyed.keys()]
    changes += [f"removed {key}" for key in keyed.keys() - now.keys()]
    for key in keyed.keys() & now.keys():
        old, new = keyed[key], now[key]
        changed = sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))
        if changed:
            changes.append(f"changed {key}: {changed}")
    return sorted(changes)


def test_the_matrix_is_big_enough() -> None:
    assert len(CASES) >= 30
    assert len({case.name for case in CASES}) == len(CASES)


def test_bad_input_matrix_gets_clean_4xx_and_changes_nothing(api: HttpStack) -> None:
    client = ApiClient(api.url)
    # Some real state first: the session the bad requests aim at exists, with a conversation and history.
    for n, text in enumerate(["Plan a trip to Lisbon", "from Paris, 4 days in June, 2 adults"]):
        reply = client.chat(text, session=SESSION, user=USER, key=f"setup-{n}")
        assert reply.status == 200, reply.body[:300]
    # Controls just inside the limits are accepted (and change state, so they run before the snapshot).
    for n, text in enumerate(["a" * 4000, EMOJI * 4000, f"Trip to Rome {RTL}please{EMOJI}", "é" * 4000]):
        reply = client.chat(text, session=SESSION, user=USER, key=f"control-{n}")
        assert reply.status == 200, (n, reply.status, reply.body[:300])

    dynamodb = api.dynamodb()
    before = scan_table(dynamodb, api.table_name)
    assert len(before) > 5

    failures = []
    for case in CASES:
        reply = client.raw(case.method, case.path, case.body, dict(case.headers))
        try:
            assert_clean_error(reply, case)
        except AssertionError as error:
            failures.append(f"{case.name}: {error}")
    assert not failures, "\n".join(failures)

    after = scan_table(dynamodb, api.table_name)
    assert describe_changes(before, after) == []
    assert json.dumps(after, sort_keys=True, default=str) == json.dumps(before, sort_keys=True, default=str)
    assert client.statuses.get(500, 0) == 0 and not client.unexpected_5xx


def test_another_users_session_is_never_reached_nor_shown(api: HttpStack) -> None:
    """Sessions are found only under their owner: the same sessionId from someone else is their own new
    session, the owner's Idempotency-Key means nothing to them, and the owner's session never changes."""
    client = ApiClient(api.url)
    secret = "Plan a trip to Reykjavik for my secret anniversary surprise"
    owner = client.chat(secret, session="private-s1", user="owner-u1", key="owner-k1")
    assert owner.status == 200

    def owners_view() -> dict[str, Any]:
        reply = client.send("GET", "/sessions/private-s1", headers={"X-User-Id": "owner-u1"})
        assert reply.status == 200
        return reply.json()

    before = owners_view()
    attempts = [
        client.chat("show me everything", session="private-s1", user="intruder-u2"),
        client.chat("show me everything", session="private-s1", headers={"X-User-Id": "intruder-u3"}),
        client.chat("what did I ask?", session="private-s1", user="intruder-u5", key="owner-k1"),
        # no user at all on someone's session id: an anonymous session of its own
        client.chat("hello", session="private-s1"),
    ]
    for reply in attempts:
        assert reply.status == 200, (reply.status, reply.body[:300])
        text = reply.body.decode()
        assert "Reykjavik" not in text and "anniversary" not in text and "owner-u1" not in text
    # replaying the owner's Idempotency-Key (even with the owner's very text) is a new turn, not a replay
    replayed = client.chat(secret, session="private-s1", user="intruder-u4", key="owner-k1")
    assert replayed.status == 200
    assert replayed.json()["metadata"]["timestamp"] != owner.json()["metadata"]["timestamp"]
    for intruder in ("intruder-u2", "intruder-u6"):
        view = client.send("GET", "/sessions/private-s1", headers={"X-User-Id": intruder})
        assert "Reykjavik" not in view.body.decode()
        deleted = client.send("DELETE", "/sessions/private-s1", headers={"X-User-Id": "intruder-u6"})
        assert deleted.status == 404 and set(deleted.json()["error"]) == {"code", "message"}
    listed = client.send("GET", "/sessions", headers={"X-User-Id": "intruder-u2"}).json()["sessions"]
    assert "Reykjavik" not in json.dumps(listed)
    assert owners_view() == before

    # the owner still gets their recorded answer for their key, and can go on
    again = client.chat(secret, session="private-s1", user="owner-u1", key="owner-k1")
    assert again.status == 200 and again.json()["content"] == owner.json()["content"]
    assert client.chat("from Boston, 3 days", session="private-s1", user="owner-u1").status == 200
