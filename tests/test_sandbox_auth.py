"""The sandbox checks every request's Authorization over the raw bytes it received."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from sandbox_helpers import LIST, PLANS, FakeClock, plan_body

from wxplan_cli import credentials, signing
from wxplan_cli.sandbox.app import Sandbox
from wxplan_cli.sandbox.identity import SandboxIdentity
from wxplan_cli.sandbox.server import RunningServer

pytest_plugins = ["sandbox_fixtures"]


def authorization(key: Any, method: str, target: str, body: bytes, *, ts: str, nonce: str = "N" * 32,
                  mchid: str = "1900000109", serial: str, scheme: str = signing.SCHEME,
                  separator: str = ",") -> str:
    signature = signing.sign(key, signing.request_message(method, target, ts, nonce, body))
    attrs = [f'serial_no="{serial}"', f'signature="{signature}"', f'timestamp="{ts}"',
             f'mchid="{mchid}"', f'nonce_str="{nonce}"']
    return f"{scheme} {separator.join(attrs)}"


class Request:
    """A valid signed create request that each test then spoils in one way."""

    def __init__(self, key: Any, sb_profile: dict[str, Any], sb_clock: FakeClock) -> None:
        self.method, self.target = "POST", PLANS
        self.body = json.dumps(plan_body(), ensure_ascii=False, separators=(",", ":")).encode()
        self.ts = str(int(sb_clock()))
        self.key, self.serial = key, sb_profile["serial_no"]

    def headers(self, **overrides: Any) -> dict[str, str]:
        sign_for: dict[str, Any] = {"method": self.method, "target": self.target, "body": self.body}
        sign_for.update({k: overrides.pop(k) for k in list(overrides) if k in sign_for})
        options: dict[str, Any] = {"ts": self.ts, "serial": self.serial, **overrides}
        value = authorization(self.key, sign_for["method"], sign_for["target"], sign_for["body"], **options)
        return {"Authorization": value, "Content-Type": "application/json"}


@pytest.fixture
def request_(sb_merchant_key: Any, sb_profile: dict[str, Any], sb_clock: FakeClock) -> Request:
    return Request(sb_merchant_key, sb_profile, sb_clock)


def send(sb: Sandbox, req: Request, headers: dict[str, str], *, target: str | None = None,
         body: bytes | None = None) -> tuple[int, dict[str, Any], dict[str, str]]:
    reply = sb.handle(req.method, target or req.target, headers, req.body if body is None else body)
    return reply.status, json.loads(reply.body or b"{}"), reply.headers


def test_valid_request_is_accepted(sb: Sandbox, request_: Request) -> None:
    status, body, headers = send(sb, request_, request_.headers())
    assert status == 200, body
    assert "Wechatpay-Signature" in headers and headers["Request-ID"]


@pytest.mark.parametrize(("name", "spoil", "issue"), [
    ("body", {"send_body": b'{"out_request_no":"req-000002"}'}, "sign not match"),
    ("body whitespace", {"send_body_fn": lambda b: b + b" "}, "sign not match"),
    ("path", {"send_target": f"{PLANS}/123/terminate"}, "sign not match"),
    ("query", {"target": f"{PLANS}?a=1"}, "sign not match"),
    ("method", {"method": "PATCH"}, "sign not match"),
    ("nonce", {"header_fn": lambda h: h.replace('nonce_str="' + "N" * 32, 'nonce_str="' + "M" * 32)},
     "sign not match"),
    ("timestamp in window", {"header_fn": lambda h: h.replace('timestamp="1767225600"',
                                                               'timestamp="1767225601"')}, "sign not match"),
    ("stale timestamp", {"ts": "1767225299"}, "stale"),
    ("future timestamp", {"ts": "1767225901"}, "future"),
    ("bad timestamp", {"ts": "17672256OO"}, "not a number"),
    ("serial", {"serial": "0123456789ABCDEF"}, "serial_no"),
    ("mchid", {"mchid": "1900000110"}, "mchid"),
    ("scheme", {"scheme": "WECHATPAY2-SHA256-RSA4096"}, "scheme"),
    ("scheme case", {"scheme": "wechatpay2-sha256-rsa2048"}, "scheme"),
    ("empty nonce", {"nonce": ""}, "nonce_str"),
    ("other key", {"key_is_platform": True}, "sign not match"),
    ("missing attribute", {"header_fn": lambda h: h.replace(',mchid="1900000109"', "")}, "lacks mchid"),
    ("garbage", {"header_fn": lambda h: "Bearer abc"}, "malformed"),
    ("missing", {"header_fn": lambda h: ""}, "missing"),
])
def test_tampering_is_rejected(sb: Sandbox, request_: Request, sb_identity: SandboxIdentity,
                               name: str, spoil: dict[str, Any], issue: str) -> None:
    spoil = dict(spoil)
    send_body = spoil.pop("send_body", None)
    body_fn = spoil.pop("send_body_fn", None)
    send_target = spoil.pop("send_target", None)
    header_fn = spoil.pop("header_fn", None)
    if spoil.pop("key_is_platform", False):
        request_.key = sb_identity.platform_key
    headers = request_.headers(**spoil)
    if header_fn:
        headers["Authorization"] = header_fn(headers["Authorization"])
        if not headers["Authorization"]:
            del headers["Authorization"]
    body = body_fn(request_.body) if body_fn else send_body
    status, reply, reply_headers = send(sb, request_, headers, target=send_target, body=body)
    assert (status, reply["code"]) == (401, "SIGN_ERROR"), (name, reply)
    assert issue in reply["detail"]["issue"]
    assert "Wechatpay-Signature" not in reply_headers and reply_headers["Request-ID"]
    signature = headers.get("Authorization", "").partition('signature="')[2].partition('"')[0]
    assert not signature or signature not in json.dumps(reply)


def test_bad_signature_detail_shows_the_verified_message(sb: Sandbox, request_: Request) -> None:
    headers = request_.headers()
    _, reply, _ = send(sb, request_, headers, body=request_.body.replace(b"20000", b"20001"))
    info = reply["detail"]["sign_information"]
    assert info["method"] == "POST" and info["url"] == PLANS
    assert info["truncated_sign_message"].startswith(f"POST\n{PLANS}\n1767225600\n")
    assert info["sign_message_length"] == len(signing.request_message(
        "POST", PLANS, "1767225600", "N" * 32, request_.body))


@pytest.mark.parametrize("offset", [-300, 300])
def test_window_edges_are_accepted(sb: Sandbox, request_: Request, sb_clock: FakeClock,
                                   offset: int) -> None:
    status, reply, _ = send(sb, request_, request_.headers(ts=str(int(sb_clock()) + offset)))
    assert status == 200, reply


def test_attribute_order_spaces_and_serial_case_do_not_matter(sb: Sandbox, request_: Request) -> None:
    headers = request_.headers(serial=request_.serial.lower(), separator=", ")
    status, reply, _ = send(sb, request_, headers)
    assert status == 200, reply


def other_sdk_request(sb_server: RunningServer, key: Any, sb_profile: dict[str, Any], sb_clock: FakeClock,
                      method: str, target: str, payload: Any | None) -> tuple[int, bytes, dict[str, str]]:
    """Like a Go/Java/PHP SDK: default json.dumps (", " separators, \\uXXXX escapes), a trailing newline,
    attributes in another order with spaces, lower-case serial, charset in Content-Type."""
    body = b"" if payload is None else (json.dumps(payload) + "\n").encode("ascii")
    ts, nonce = str(int(sb_clock())), "0123456789abcdefghijABCDEFGHIJxy"
    signature = signing.sign(key, signing.request_message(method, target, ts, nonce, body))
    serial = sb_profile["serial_no"].lower()
    auth = (f'{signing.SCHEME} signature="{signature}", timestamp="{ts}", serial_no="{serial}", '
            f'nonce_str="{nonce}", mchid="{sb_profile["mchid"]}"')
    parts = urlsplit(sb_server.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in (("Authorization", auth), ("Accept", "application/json"),
                            ("Content-Type", "application/json; charset=utf-8"),
                            ("User-Agent", "WechatPay-Go/0.2.20 (linux) GO/go1.22"),
                            ("Content-Length", str(len(body)))):
            conn.putheader(name, value)
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()


def test_other_sdk_style_client_over_loopback(sb_server: RunningServer, sb_merchant_key: Any,
                                               sb_profile: dict[str, Any], sb_clock: FakeClock) -> None:
    payload = plan_body(plan_name="冬季饮料投放", out_request_no="other-sdk-1")
    payload = dict(reversed(list(payload.items())))
    status, raw, headers = other_sdk_request(sb_server, sb_merchant_key, sb_profile, sb_clock, "POST", PLANS,
                                             payload)
    assert status == 200, raw
    assert b"\\u" in json.dumps(payload).encode()  # really sent with escapes
    plan = json.loads(raw)["plan"]
    assert plan["plan_name"] == "冬季饮料投放"
    keys = credentials.verification_keys(None, None, sb_profile["platform_certs"])
    signing.ResponseValidator(keys, clock=sb_clock).validate(headers, raw)
    query = f"{LIST}?page_size=5&offset=0&plan_id={plan['plan_id']}"
    status, raw, _ = other_sdk_request(sb_server, sb_merchant_key, sb_profile, sb_clock, "GET", query, None)
    assert status == 200 and json.loads(raw)["total_count"] == 1


def test_tampered_body_over_loopback(sb_server: RunningServer, sb_merchant_key: Any,
                                     sb_profile: dict[str, Any], sb_clock: FakeClock) -> None:
    """The signature covers the exact bytes: the same JSON re-serialised does not verify."""
    body = json.dumps(plan_body()).encode()
    ts = str(int(sb_clock()))
    auth = authorization(sb_merchant_key, "POST", PLANS, body, ts=ts, serial=sb_profile["serial_no"])
    parts = urlsplit(sb_server.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    resent = json.dumps(plan_body(), separators=(",", ":")).encode()
    conn.request("POST", PLANS, body=resent,
                 headers={"Authorization": auth, "Content-Type": "application/json"})
    response = conn.getresponse()
    assert response.status == 401 and json.loads(response.read())["code"] == "SIGN_ERROR"
    conn.close()
