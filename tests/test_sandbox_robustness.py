"""Bad requests get WeChat-style 4xx bodies: never a 500, a traceback or a hang."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sandbox_helpers import LIST, PLANS, FakeClock, make_sandbox, plan_body

from wxplan_cli import signing
from wxplan_cli.sandbox import server as server_module
from wxplan_cli.sandbox.app import Sandbox
from wxplan_cli.sandbox.identity import SandboxIdentity
from wxplan_cli.sandbox.server import RunningServer, serve_in_thread

pytest_plugins = ["sandbox_fixtures"]

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
METHODS = st.sampled_from(["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "get", "BREW", ""])
TARGETS = st.one_of(
    st.text(max_size=80),
    st.sampled_from([PLANS, LIST, f"{PLANS}/1", f"{PLANS}/1/terminate", "/v3/certificates",
                     "/v3/marketing/partner/delivery-plan/1900000109/notify-url"]).flatmap(
        lambda path: st.text(max_size=40).map(lambda tail: path + tail)),
)
FIELDS = ["out_request_no", "brand_id", "product_coupon_id", "stock_id", "reuse_coupon_config", "plan_name",
          "total_count", "user_limit", "daily_limit", "delivery_start_time", "delivery_end_time",
          "recommend_word", "usage_mode", "stock_bundle_id", "modify_content", "notify_url"]
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=8), inner, max_size=3), max_leaves=8)
OBJECTS = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=5), JSON, max_size=8)


@pytest.fixture(scope="module")
def fuzz_box(sb_identity: SandboxIdentity) -> Iterator[tuple[Sandbox, FakeClock]]:
    clock = FakeClock()
    box = make_sandbox(sb_identity, clock)
    yield box, clock
    box.close()


@pytest.fixture(scope="module")
def signer(sb_profile: dict[str, Any], sb_merchant_key: Any) -> signing.RequestSigner:
    return signing.RequestSigner(sb_profile["mchid"], sb_profile["serial_no"], sb_merchant_key,
                                 clock=lambda: FakeClock()())


def assert_client_error(status: int, body: bytes) -> None:
    assert status < 500, body
    if status >= 400:
        error = json.loads(body)
        assert error["code"] and error["message"] and "Traceback" not in body.decode()


@FUZZ
@given(method=METHODS, target=TARGETS, headers=st.dictionaries(st.text(max_size=20), st.text(max_size=40),
                                                               max_size=4), body=st.binary(max_size=200))
def test_unsigned_garbage(fuzz_box: tuple[Sandbox, FakeClock], method: str, target: str,
                          headers: dict[str, str], body: bytes) -> None:
    box, _ = fuzz_box
    reply = box.handle(method, target, headers, body)
    assert_client_error(reply.status, reply.body)
    assert reply.headers["Request-ID"]


@FUZZ
@given(target=st.sampled_from([PLANS, f"{PLANS}/100000000001",
                               "/v3/marketing/partner/delivery-plan/1900000109/notify-url"]),
       body=st.one_of(st.binary(max_size=300), OBJECTS.map(lambda o: json.dumps(o).encode())))
def test_signed_random_bodies(fuzz_box: tuple[Sandbox, FakeClock], signer: signing.RequestSigner,
                              target: str, body: bytes) -> None:
    box, _ = fuzz_box
    method = "PATCH" if target.endswith("0001") else "POST"
    headers = {"Authorization": signer.authorization(method, target, body),
               "Content-Type": "application/json"}
    reply = box.handle(method, target, headers, body)
    assert_client_error(reply.status, reply.body)


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(FIELDS[:14]), JSON, max_size=4))
def test_signed_mutated_plans(fuzz_box: tuple[Sandbox, FakeClock], signer: signing.RequestSigner,
                              changes: dict[str, Any]) -> None:
    box, _ = fuzz_box
    body = json.dumps(plan_body() | changes, ensure_ascii=False).encode("utf-8", "surrogatepass")
    headers = {"Authorization": signer.authorization("POST", PLANS, body), "Content-Type": "application/json"}
    reply = box.handle("POST", PLANS, headers, body)
    assert_client_error(reply.status, reply.body)


@FUZZ
@given(query=st.text(max_size=60), brand=st.text(min_size=1, max_size=10).filter(lambda s: "/" not in s))
def test_signed_random_queries(fuzz_box: tuple[Sandbox, FakeClock], signer: signing.RequestSigner,
                               query: str, brand: str) -> None:
    box, _ = fuzz_box
    target = f"{PLANS}/{brand}/delivery-plans?{query}"
    headers = {"Authorization": signer.authorization("GET", target, b"")}
    reply = box.handle("GET", target, headers, b"")
    assert_client_error(reply.status, reply.body)


def test_an_unexpected_error_is_a_500_without_details(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("wxplan_cli.sandbox.app.match", explode)
    reply = sb.handle("GET", LIST, {}, b"")
    assert reply.status == 500 and json.loads(reply.body)["code"] == "SYSTEM_ERROR"
    assert b"secret internals" not in reply.body


def raw_exchange(server: RunningServer, data: bytes, *, half_close: bool = False, wait: float = 5) -> bytes:
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname or "", parts.port or 0), timeout=wait) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status_and_body(raw: bytes) -> tuple[int | None, dict[str, Any]]:
    """Status and JSON body; the status is None for an HTTP/0.9-style reply (body only)."""
    if raw.startswith(b"{"):
        return None, json.loads(raw)
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


@pytest.mark.parametrize(("request_bytes", "status"), [
    (b"POST /v3/certificates HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 411),
    (b"POST /v3/certificates HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
    (b"POST /v3/certificates HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n", 413),
    (b"BREW /v3/certificates HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    (b"HELLO\r\n\r\n", None),
    (b"GET /v3/certificates HTTP/2.0\r\n\r\n", None),
    (b"GET /v3/certificates HTTP/1.1 extra\r\n\r\n", None),
    (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
    (b"GET /v3/nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404),
    (b"DELETE /v3/certificates HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405),
    (b"GET /v3/certificates HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 401),
])
def test_malformed_http_gets_json_errors(sb_server: RunningServer, request_bytes: bytes,
                                        status: int | None) -> None:
    got, body = status_and_body(raw_exchange(sb_server, request_bytes))
    assert got == status and body["code"] and body["message"]


def test_a_body_shorter_than_announced_does_not_hang(sb_server: RunningServer) -> None:
    started = time.monotonic()
    raw = raw_exchange(sb_server, b"POST /v3/certificates HTTP/1.1\r\nContent-Length: 100\r\n\r\n{}",
                       half_close=True)
    assert raw == b"" and time.monotonic() - started < 3


def test_a_stalled_client_is_cut_off(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module._Handler, "timeout", 0.3)
    with serve_in_thread(sb, log=lambda line: None) as running:
        started = time.monotonic()
        assert raw_exchange(running, b"GET /v3/certif") == b""
        assert time.monotonic() - started < 3


def test_keep_alive_serves_several_requests(sb_remote: Any) -> None:
    for _ in range(3):
        assert sb_remote.send("GET", LIST).status_code == 200
    assert sb_remote.send("POST", PLANS, plan_body()).status_code == 200
