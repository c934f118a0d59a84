"""The local API gateway under load and bad input: backlog, body framing, Host/Origin, log escaping, routes.

Most tests use the echo handler (tests/fixtures/handlers/echo_api.py) behind an in-process
:class:`~devstack.gateway.ApiGateway`, and raw sockets where a client library would refuse to send
what is tested. One test runs 100 clients at once against the real stack (``python -m devstack.serve``).
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from devstack.gateway import ApiGateway
from devstack.lambda_runtime import LocalFunction, handler_from_file
from devstack.log_text import printable
from devstack.template import ApiRoute, SamTemplate
from tests.support.stack import serve

TEMPLATE = SamTemplate.load()
HANDLERS = Path(__file__).parent / "fixtures" / "handlers"
CLIENTS = 100

PAGE_AND_SESSION_ROUTES = [
    ApiRoute(method, path, "ApiFunction", "NONE", "Api", event)
    for method, path, event in [
        ("GET", "/", "Page"),
        ("GET", "/sessions", "ListSessions"),
        ("GET", "/sessions/{id}", "GetSession"),
        ("DELETE", "/sessions/{id}", "DeleteSession"),
    ]
]


def echo_gateway(**limits: Any) -> ApiGateway:
    """A gateway over the template's routes (and the page's) whose Api function echoes its event;
    ``limits``: the gateway's own (``header_deadline_seconds``, ``max_connections``)."""
    values = TEMPLATE.local_values()
    functions = {
        "ApiFunction": LocalFunction(
            TEMPLATE.functions["ApiFunction"],
            function_name=values.refs["ApiFunction"],
            region=values.region,
            account_id=values.account_id,
            handler=handler_from_file(HANDLERS / "echo_api.py"),
        )
    }
    routes = [*PAGE_AND_SESSION_ROUTES, *TEMPLATE.routes]
    return ApiGateway(routes, functions, stage="dev", account_id=values.account_id, **limits)


@pytest.fixture
def gateway() -> Iterator[ApiGateway]:
    with echo_gateway() as started:
        yield started


def address(gateway: ApiGateway) -> tuple[str, int]:
    url = urlsplit(gateway.url)
    assert url.hostname and url.port
    return url.hostname, url.port


def read_response(sock: socket.socket) -> tuple[int, http.client.HTTPMessage, bytes]:
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response.status, response.headers, response.read()


def raw(gateway: ApiGateway, data: bytes, timeout: float = 5) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Send ``data`` as it is on a new connection; the response (a timeout fails the test)."""
    with socket.create_connection(address(gateway), timeout=timeout) as sock:
        sock.sendall(data)
        return read_response(sock)


def error_of(response: tuple[int, http.client.HTTPMessage, bytes]) -> tuple[int, str]:
    status, headers, body = response
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message"} and error["message"]
    return status, error["code"]


def still_serving(gateway: ApiGateway) -> bool:
    return raw(gateway, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")[0] == 201


# --- load -------------------------------------------------------------------------------------------


def test_the_listen_backlog_holds_100_clients_connecting_at_once() -> None:
    """100 clients connect while the gateway accepts nothing yet: the kernel must queue all of them."""
    gateway = echo_gateway()  # listening, not yet accepting
    try:
        barrier = threading.Barrier(CLIENTS)
        sockets: list[socket.socket] = []
        failures: list[BaseException] = []

        def connect() -> None:
            barrier.wait()
            try:
                sockets.append(socket.create_connection(address(gateway), timeout=3))
            except OSError as error:
                failures.append(error)

        threads = [threading.Thread(target=connect) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == [] and len(sockets) == CLIENTS

        gateway.start()
        for sock in sockets:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        statuses = [read_response(sock)[0] for sock in sockets]
        assert statuses == [201] * CLIENTS
    finally:
        for sock in sockets:
            sock.close()
        gateway.stop()


@pytest.mark.slow
def test_100_clients_at_once_all_get_answers_from_the_real_stack(tmp_path: Path) -> None:
    served = serve(tmp_path / "data")
    try:
        warm = http.client.HTTPConnection("127.0.0.1", served.port, timeout=60)
        warm.request("GET", "/health")  # the API handler is imported on its first request
        assert warm.getresponse().status == 200
        warm.close()
        barrier = threading.Barrier(CLIENTS)
        results: list[tuple[int, float]] = []
        failures: list[BaseException] = []

        def health() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=60)
            barrier.wait()
            started = time.perf_counter()
            try:
                connection.request("GET", "/health")
                response = connection.getresponse()
                body = json.loads(response.read())
                assert body["status"] == "healthy"
                results.append((response.status, time.perf_counter() - started))
            except Exception as error:  # noqa: BLE001 - every failure is reported below
                failures.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=health) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        served.close()
    assert failures == []
    assert [status for status, _ in results] == [200] * CLIENTS
    latencies = sorted(seconds * 1000 for _, seconds in results)
    p50, p95 = statistics.median(latencies), latencies[int(0.95 * CLIENTS) - 1]
    print(
        f"{CLIENTS} clients at once on /health: {len(results)} answered, p50 {p50:.0f} ms, p95 {p95:.0f} ms"
    )


# --- body framing -----------------------------------------------------------------------------------


def post(headers: str, body: bytes = b"") -> bytes:
    return f"POST /chat HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode() + body


FRAMING_ERRORS = {
    "Content-Length abc": (post("Content-Length: abc\r\n", b"{}"), "bad_content_length"),
    "Content-Length -1": (post("Content-Length: -1\r\n", b"{}"), "bad_content_length"),
    "Content-Length +2": (post("Content-Length: +2\r\n", b"{}"), "bad_content_length"),
    "Content-Length hex": (post("Content-Length: 0x10\r\n", b"{}"), "bad_content_length"),
    "Content-Length 1e3": (post("Content-Length: 1e3\r\n", b"{}"), "bad_content_length"),
    "Content-Length two numbers": (post("Content-Length: 2 2\r\n", b"{}"), "bad_content_length"),
    "Content-Length empty": (post("Content-Length: \r\n", b"{}"), "bad_content_length"),
    "Content-Length 20 digits": (
        post("Content-Length: 99999999999999999999\r\n", b"{}"),
        "bad_content_length",
    ),
    "Content-Length twice": (post("Content-Length: 2\r\nContent-Length: 2\r\n", b"{}"), "bad_content_length"),
    "Content-Length and chunked": (
        post("Content-Length: 2\r\nTransfer-Encoding: chunked\r\n", b"2\r\n{}\r\n0\r\n\r\n"),
        "ambiguous_body_length",
    ),
    "gzip": (post("Transfer-Encoding: gzip\r\n", b"{}"), "unsupported_transfer_encoding"),
    "gzip, chunked": (
        post("Transfer-Encoding: gzip, chunked\r\n", b"2\r\n{}\r\n0\r\n\r\n"),
        "unsupported_transfer_encoding",
    ),
    "chunk size zz": (post("Transfer-Encoding: chunked\r\n", b"zz\r\n{}\r\n0\r\n\r\n"), "bad_chunk"),
    "chunk size -1": (post("Transfer-Encoding: chunked\r\n", b"-1\r\n{}\r\n0\r\n\r\n"), "bad_chunk"),
    "chunk size empty": (post("Transfer-Encoding: chunked\r\n", b"\r\n{}\r\n0\r\n\r\n"), "bad_chunk"),
    "chunk size 0x2": (post("Transfer-Encoding: chunked\r\n", b"0x2\r\n{}\r\n0\r\n\r\n"), "bad_chunk"),
    "chunk size line of 5000": (post("Transfer-Encoding: chunked\r\n", b"1" * 5000 + b"\r\n"), "bad_chunk"),
    "chunk longer than its size": (
        post("Transfer-Encoding: chunked\r\n", b"2\r\n{}}}\r\n0\r\n\r\n"),
        "bad_chunk",
    ),
    "endless trailers": (
        post("Transfer-Encoding: chunked\r\n", b"2\r\n{}\r\n0\r\n" + b"X: y\r\n" * 100),
        "bad_chunk",
    ),
}


@pytest.mark.parametrize(("request_bytes", "code"), FRAMING_ERRORS.values(), ids=FRAMING_ERRORS.keys())
def test_malformed_body_framing_is_a_400_json_error_and_closes_the_connection(
    gateway: ApiGateway, request_bytes: bytes, code: str
) -> None:
    response = raw(gateway, request_bytes)
    assert error_of(response) == (400, code)
    headers = response[1]
    assert headers["Connection"] == "close"
    assert still_serving(gateway)


def test_well_formed_framing_still_reaches_the_handler(gateway: ApiGateway) -> None:
    for request_bytes in [
        post("Content-Length: 2\r\n", b"{}"),
        post("Content-Length:  002 \r\n", b"{}"),
        post("Transfer-Encoding: chunked\r\n", b"1;ext=1\r\n{\r\n1\r\n}\r\n0\r\nTrailer: x\r\n\r\n"),
        post("Transfer-Encoding: Chunked\r\n", b"2\r\n{}\r\n0\r\n\r\n"),
    ]:
        status, _, body = raw(gateway, request_bytes)
        assert status == 201, body
        assert json.loads(body)["event"]["body"] == "{}"


def test_a_body_shorter_than_its_content_length_is_answered_once_the_client_stops_sending(
    gateway: ApiGateway,
) -> None:
    with socket.create_connection(address(gateway), timeout=5) as sock:
        sock.sendall(post("Content-Length: 10\r\n", b"{}"))
        sock.shutdown(socket.SHUT_WR)
        assert error_of(read_response(sock)) == (400, "incomplete_body")


PROTOCOL_ERRORS = {
    "HTTP/0.9": (b"GET /health\r\n\r\n", 400, "bad_request"),
    "four words": (b"GET /health HTTP/1.1 extra\r\nHost: 127.0.0.1\r\n\r\n", 400, "bad_request"),
    "HTTP/2.0": (b"GET /health HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", 400, "bad_request"),
    "HTTP/x.y": (b"GET /health HTTP/x.y\r\nHost: 127.0.0.1\r\n\r\n", 400, "bad_request"),
    "a header of 70 KB": (
        b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n",
        431,
        "headers_too_large",
    ),
    "a path of 70 KB": (
        b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        414,
        "uri_too_long",
    ),
    "a control character in the method": (
        b"G\x01T /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        400,
        "bad_method",
    ),
    "an absolute URL": (
        b"GET http://127.0.0.1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        400,
        "bad_request_target",
    ),
    "OPTIONS *": (b"OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400, "bad_request_target"),
    "an unknown method": (b"BREW /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405, "method_not_allowed"),
}


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"), PROTOCOL_ERRORS.values(), ids=PROTOCOL_ERRORS.keys()
)
def test_what_http_server_refuses_is_json_too(
    gateway: ApiGateway, request_bytes: bytes, status: int, code: str
) -> None:
    assert error_of(raw(gateway, request_bytes)) == (status, code)
    assert still_serving(gateway)


# --- Host and Origin --------------------------------------------------------------------------------


def get_with(headers: str) -> bytes:
    return f"GET /health HTTP/1.1\r\n{headers}\r\n".encode()


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.1:3000", "localhost", "LocalHost:8080", "[::1]", "[::1]:3000"]
)
def test_loopback_host_names_are_served(gateway: ApiGateway, host: str) -> None:
    assert raw(gateway, get_with(f"Host: {host}\r\n"))[0] == 201


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ("Host: attacker.example\r\n", 403, "host_not_allowed"),
        ("Host: attacker.example:3000\r\n", 403, "host_not_allowed"),
        ("Host: 127.0.0.1.attacker.example\r\n", 403, "host_not_allowed"),
        ("Host: localhost.\r\n", 403, "host_not_allowed"),
        ("Host: 10.0.0.1:3000\r\n", 403, "host_not_allowed"),
        ("Host: \r\n", 403, "host_not_allowed"),
        ("", 400, "missing_host"),
        ("Host: 127.0.0.1\r\nHost: attacker.example\r\n", 400, "bad_host"),
        ("Host: localhost:port\r\n", 400, "bad_host"),
        ("Host: 127.0.0.1\r\nOrigin: http://attacker.example\r\n", 403, "origin_not_allowed"),
        ("Host: 127.0.0.1\r\nOrigin: null\r\n", 403, "origin_not_allowed"),
        ("Host: 127.0.0.1\r\nOrigin: http://localhost.attacker.example\r\n", 403, "origin_not_allowed"),
    ],
)
def test_other_hosts_and_origins_are_refused_before_any_handler(
    gateway: ApiGateway, headers: str, status: int, code: str
) -> None:
    assert error_of(raw(gateway, get_with(headers))) == (status, code)
    # the refusal comes with the connection closed, also for a body the handler never saw
    chat = f"POST /chat HTTP/1.1\r\n{headers}Content-Length: 2\r\n\r\n{{}}".encode()
    assert error_of(raw(gateway, chat)) == (status, code)


@pytest.mark.parametrize("origin", ["http://127.0.0.1:3000", "http://localhost:5173", "http://[::1]:3000"])
def test_pages_from_loopback_origins_are_served(gateway: ApiGateway, origin: str) -> None:
    assert raw(gateway, get_with(f"Host: 127.0.0.1\r\nOrigin: {origin}\r\n"))[0] == 201


# --- logs -------------------------------------------------------------------------------------------


def test_log_lines_escape_control_characters_from_requests(
    gateway: ApiGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="devstack.gateway")
    nasty = "\x1b[31mred\x07\x00\x7f\u2028\u202e\\"  # sent as UTF-8: \u2028 arrives as \xe2\x80\xa8
    raw(gateway, f"GET /x{nasty}\x85 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())  # \x85 splits the line
    raw(
        gateway,
        f"GET /agents/A/{nasty}/state HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Echo-Raise: 1\r\n\r\n".encode(),
    )
    raw(gateway, b"GET /\x1b]0;title\x07 HTTP/9\r\n\r\n")
    lines = [record.getMessage() for record in caplog.records]
    escaped = "\\x1b[31mred\\x07\\x00\\x7f\u00e2\\x80\u00a8\u00e2\\x80\u00ae\\\\"
    assert any(f"/x{escaped}" in line for line in lines), lines
    assert any(f"GET /agents/A/{escaped}/state: the handler raised\n" in line for line in lines), lines
    assert any("\\x1b]0;title\\x07" in line for line in lines), lines
    for line in lines:
        assert all(part.isprintable() for part in line.split("\n")), repr(line)  # \n: only the traceback's
        assert not any(character in line for character in "\x1b\x07\x00\x7f\x85")


def test_printable_escapes_what_a_terminal_or_log_reader_would_act_on() -> None:
    assert printable("GET /health") == "GET /health"
    assert printable("a\r\nb\tc") == "a\\x0d\\x0ab\\x09c"
    assert printable("\u2028\u202e\U000e0001") == "\\u2028\\u202e\\U000e0001"
    assert printable("C:\\x41") == "C:\\\\x41"  # a literal backslash cannot pass for an escape
    assert printable("caf\u00e9 \u6771\u4eac") == "caf\u00e9 \u6771\u4eac"


# --- routes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "resource", "parameters"),
    [
        ("GET", "/", "/", None),
        ("GET", "/sessions", "/sessions", None),
        ("GET", "/sessions/abc%20d", "/sessions/{id}", {"id": "abc d"}),
        ("DELETE", "/sessions/abc", "/sessions/{id}", {"id": "abc"}),
        ("GET", "/health", "/health", None),
    ],
)
def test_every_route_is_served_the_same_way(
    gateway: ApiGateway, method: str, path: str, resource: str, parameters: Any
) -> None:
    status, _, body = raw(gateway, f"{method} {path} HTTP/1.1\r\nHost: localhost:3000\r\n\r\n".encode())
    assert status == 201
    event = json.loads(body)["event"]
    assert (event["httpMethod"], event["resource"], event["pathParameters"]) == (method, resource, parameters)
    assert event["requestContext"]["domainName"] == "localhost:3000"


def test_a_route_with_another_method_is_405_with_allow(gateway: ApiGateway) -> None:
    response = raw(gateway, b"PUT /sessions/abc HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert error_of(response) == (405, "method_not_allowed")
    assert response[1]["Allow"] == "DELETE, GET"


# --- smuggling, trickling clients, connection cap (issue 17 part 4) -----------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        "Transfer-Encoding : chunked\r\n",
        "Transfer-Encoding\t: chunked\r\n",
        "X-A: 1\r\nnot a header line\r\nTransfer-Encoding: chunked\r\n",
        "X-A: 1\r\n Transfer-Encoding: chunked\r\n",
        ": no name\r\n",
    ],
    ids=["space before colon", "tab before colon", "line without colon", "folded line", "empty name"],
)
def test_a_malformed_header_line_is_400_and_its_body_is_never_read_as_a_request(
    gateway: ApiGateway, headers: str
) -> None:
    """A body that is a whole request must not be served as the next request on the connection."""
    smuggled = b"GET /sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    body = f"{len(smuggled):x}\r\n".encode() + smuggled + b"\r\n0\r\n\r\n"
    with socket.create_connection(address(gateway), timeout=5) as sock:
        sock.sendall(post(headers) + body)
        first = read_response(sock)
        assert error_of(first) == (400, "bad_header")
        assert first[1]["Connection"] == "close"
        assert sock.recv(1) == b""  # closed: nothing more is answered


def test_two_origin_headers_are_refused_whichever_comes_first(gateway: ApiGateway) -> None:
    for first, second in [
        ("http://127.0.0.1:3000", "http://attacker.example"),
        ("http://attacker.example", "http://127.0.0.1:3000"),
    ]:
        request = get_with(f"Host: 127.0.0.1\r\nOrigin: {first}\r\nOrigin: {second}\r\n")
        assert error_of(raw(gateway, request)) == (400, "bad_origin")


def _closed_within(sock: socket.socket, seconds: float, trickle: bytes) -> bool:
    """Send ``trickle`` a byte every 0.1 s; True once the server closes the connection in time."""
    deadline = time.monotonic() + seconds
    sock.settimeout(0.1)
    for byte in trickle:
        if time.monotonic() > deadline:
            return False
        try:
            sock.sendall(bytes([byte]))
            if sock.recv(1) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:
            return True
    return False


def test_a_client_trickling_its_headers_is_disconnected_at_the_header_deadline() -> None:
    """Each byte arrives within the per-read timeout, but the whole header block does not in time."""
    with echo_gateway(header_deadline_seconds=0.5) as gateway:
        with socket.create_connection(address(gateway), timeout=5) as sock:
            trickle = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200
            started = time.monotonic()
            assert _closed_within(sock, 10, trickle)
            assert 0.4 <= time.monotonic() - started < 5
        assert still_serving(gateway)


def test_a_request_sent_in_time_is_served_on_a_gateway_with_a_short_header_deadline() -> None:
    with echo_gateway(header_deadline_seconds=0.5) as gateway:
        with socket.create_connection(address(gateway), timeout=5) as sock:
            for _ in range(3):  # keep-alive: each request has its own deadline
                time.sleep(0.3)
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert read_response(sock)[0] == 201


def test_connections_over_the_cap_are_refused_with_503_and_served_again_when_one_closes() -> None:
    with echo_gateway(max_connections=3) as gateway:
        idle = [socket.create_connection(address(gateway), timeout=5) for _ in range(3)]
        try:
            deadline = time.monotonic() + 5
            while gateway._server.slots.open < 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            with socket.create_connection(address(gateway), timeout=5) as extra:
                extra.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                status, headers, body = read_response(extra)
                assert (status, json.loads(body)["error"]["code"]) == (503, "too_many_connections")
                assert headers["Retry-After"] == "1"
        finally:
            idle.pop().close()
        deadline = time.monotonic() + 5
        while gateway._server.slots.open > 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert still_serving(gateway)
        for sock in idle:
            sock.close()
