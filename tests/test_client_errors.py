"""Narrow error-mapping and retry cases of PartnerClient, with httpx.MockTransport.

End-to-end behaviour against the real sandbox lives in the sandbox and CLI tests; these pin down
how odd statuses, odd bodies and broken connections become errors and exit codes.
"""

from __future__ import annotations

import json
import random

import httpx
import pytest

from wxplan_cli.auth import WechatPayAuth
from wxplan_cli.client import PartnerClient, RetryPolicy
from wxplan_cli.errors import ApiError, ExitCode, TransportError, UnknownOutcomeError
from wxplan_cli.signing import RequestSigner, ResponseSigner, ResponseValidator, VerificationKeys
from wxplan_cli.wire import encode_json


@pytest.fixture
def make_client(merchant):
    def build(handler, *, attempts: int = 3, sleeps: list[float] | None = None) -> PartnerClient:
        signer = RequestSigner("1900000109", merchant.serial, merchant.key)
        validator = ResponseValidator(VerificationKeys({"PUB_KEY_ID_01": merchant.key.public_key()}))
        retry = RetryPolicy(attempts=attempts, sleep=(sleeps.append if sleeps is not None else
                                                      lambda _s: None), rng=random.Random(1))
        return PartnerClient(auth=WechatPayAuth(signer, validator), base_url="https://api.test",
                             transport=httpx.MockTransport(handler), retry=retry)
    return build


def signed(merchant, status: int, body: bytes) -> httpx.Response:
    return httpx.Response(status, content=body,
                          headers=ResponseSigner("PUB_KEY_ID_01", merchant.key).headers(body))


@pytest.mark.parametrize(("status", "body", "code", "exit_code"), [
    (400, b'{"code":"PARAM_ERROR","message":"bad","detail":{"field":"/plan_name"}}', "PARAM_ERROR",
     ExitCode.API_REJECTED),
    (403, b"<html>forbidden</html>", None, ExitCode.API_REJECTED),
    (404, b"[1,2]", None, ExitCode.API_REJECTED),
    (401, b'{"code":"SIGN_ERROR","message":"sig","detail":"not an object"}', "SIGN_ERROR",
     ExitCode.API_REJECTED),
    (500, b"", None, ExitCode.SERVER_ERROR),
    (429, b'{"code":"RATELIMIT_EXCEEDED"}', "RATELIMIT_EXCEEDED", ExitCode.SERVER_ERROR),
])
def test_non_2xx_parsed_leniently(make_client, status, body, code, exit_code) -> None:
    client = make_client(lambda r: httpx.Response(status, content=body, headers={"Request-ID": "rid-1"}),
                         attempts=1)
    with pytest.raises(ApiError) as info:
        client.create_plan(b"{}")
    err = info.value
    assert err.info.status == status and err.info.code == code
    assert err.info.request_id == "rid-1" and err.exit_code == exit_code
    assert isinstance(err.info.detail, dict)
    if code == "PARAM_ERROR":
        assert err.field == "/plan_name"


def test_retries_send_identical_bytes_then_give_up(make_client) -> None:
    seen: list[tuple[bytes, str]] = []
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.content, request.headers["Authorization"]))
        return httpx.Response(503, json={"code": "SERVICE_UNAVAILABLE"})

    body = encode_json({"out_request_no": "abc-123", "plan_name": "冬季"})
    with pytest.raises(ApiError) as info:
        make_client(handler, attempts=4, sleeps=sleeps).create_plan(body)
    assert info.value.exit_code == ExitCode.SERVER_ERROR
    assert [b for b, _ in seen] == [body] * 4
    assert len({a for _, a in seen}) == 4  # each attempt signed afresh (new nonce)
    assert len(sleeps) == 3 and all(0 < s <= 8 for s in sleeps)


def test_retry_after_is_honoured_and_success_returns(make_client, merchant) -> None:
    sleeps: list[float] = []
    replies = iter([httpx.Response(429, headers={"Retry-After": "2"}),
                    signed(merchant, 200, b'{"plan":{"plan_id":"1"}}')])
    client = make_client(lambda r: next(replies), sleeps=sleeps)
    assert client.create_plan(b"{}") == {"plan_id": "1"}
    assert sleeps == [2.0]


def test_write_without_reply_is_unknown_outcome(make_client) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(UnknownOutcomeError) as info:
        make_client(handler).create_plan(b"{}")
    assert info.value.exit_code == ExitCode.UNKNOWN_OUTCOME and len(calls) == 1
    assert "re-running the same command resends the same out_request_no" in (info.value.hint or "")


def test_read_without_reply_is_retried_then_transport_error(make_client, merchant) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.RemoteProtocolError("closed", request=request)

    with pytest.raises(TransportError):
        make_client(handler, attempts=3).list_plans("40016")
    assert len(calls) == 3  # a GET changes nothing: safe to ask again
    replies = iter([httpx.ReadTimeout("slow"), signed(merchant, 200, b'{"total_count":0,"plan_list":[]}')])

    def flaky(request: httpx.Request) -> httpx.Response:
        reply = next(replies)
        if isinstance(reply, Exception):
            raise reply
        return reply

    assert make_client(flaky).list_plans("40016").total_count == 0


def test_202_is_sent_again_with_the_same_bytes(make_client, merchant) -> None:
    bodies: list[bytes] = []
    replies = iter([signed(merchant, 202, b""), signed(merchant, 200, b'{"plan":{"plan_id":"7"}}')])

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        return next(replies)

    assert make_client(handler).create_plan(b'{"a":1}') == {"plan_id": "7"}
    assert bodies == [b'{"a":1}', b'{"a":1}']
    always = make_client(lambda r: signed(merchant, 202, b""), attempts=2)
    with pytest.raises(UnknownOutcomeError, match="HTTP 202"):
        always.create_plan(b"{}")


def test_hostile_error_body_does_not_crash(make_client) -> None:
    deep = b"[" * 200_000
    with pytest.raises(ApiError) as info:
        make_client(lambda r: httpx.Response(400, content=deep), attempts=1).create_plan(b"{}")
    assert info.value.info.status == 400 and info.value.info.code is None


def test_connect_errors_are_retried(make_client) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(TransportError) as info:
        make_client(handler, attempts=3).create_plan(b"{}")
    assert len(calls) == 3 and info.value.exit_code == ExitCode.SERVER_ERROR


def test_unsigned_2xx_is_refused(make_client) -> None:
    from wxplan_cli.errors import SignatureError

    client = make_client(lambda r: httpx.Response(200, json={"plan": {}}))
    with pytest.raises(SignatureError):
        client.create_plan(b"{}")


def test_request_shape(make_client, merchant) -> None:
    captured: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return signed(merchant, 200, json.dumps({"total_count": 0, "plan_list": []}).encode())

    page = make_client(handler).list_plans("40 16/x", offset=50, page_size=50, plan_state="PLAN_CREATED")
    assert page.total_count == 0
    req = captured[0]
    assert req.url.raw_path == (b"/v3/marketing/partner/delivery-plan/delivery-plans/40%2016%2Fx/"
                                b"delivery-plans?page_size=50&offset=50&plan_state=PLAN_CREATED")
    assert req.headers["Accept"] == "application/json"
    assert "Content-Type" not in req.headers and req.content == b""
    assert req.headers["User-Agent"].startswith("wxplan/")
