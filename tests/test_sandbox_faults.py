"""Fault injection through the Wechatpay-Negative-Test header and through rates."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from sandbox_helpers import LIST, PLANS, FakeClock, SignedClient, make_client, make_sandbox, plan_body

from wxplan_cli import signing
from wxplan_cli.errors import SignatureError
from wxplan_cli.sandbox.app import Sandbox
from wxplan_cli.sandbox.identity import SandboxIdentity
from wxplan_cli.sandbox.transport import SandboxTransport

pytest_plugins = ["sandbox_fixtures"]


def fault(name: str) -> dict[str, str]:
    return {"Wechatpay-Negative-Test": name}


def plan_count(client: SignedClient) -> int:
    count: int = client.verified(client.send("GET", LIST))["total_count"]
    return count


@pytest.mark.parametrize(("name", "status", "code"), [
    ("429", 429, "RATELIMIT_EXCEEDED"), ("500", 500, "SYSTEM_ERROR"), ("503", 503, "SERVICE_UNAVAILABLE"),
])
def test_refusals_apply_nothing(sb_remote: SignedClient, name: str, status: int, code: str) -> None:
    response = sb_remote.send("POST", PLANS, plan_body(), headers=fault(name))
    assert response.status_code == status and response.json()["code"] == code
    assert response.headers["Request-ID"] and "Wechatpay-Signature" not in response.headers
    assert plan_count(sb_remote) == 0
    assert sb_remote.send("POST", PLANS, plan_body()).status_code == 200  # a retry with the same number


def test_drop_over_loopback_commits_then_closes(sb_remote: SignedClient) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        sb_remote.send("POST", PLANS, plan_body(), headers=fault("drop"))
    assert plan_count(sb_remote) == 1
    replay = sb_remote.verified(sb_remote.send("POST", PLANS, plan_body()))  # same number: the same plan
    assert replay["plan"]["plan_id"]
    assert plan_count(sb_remote) == 1


def test_drop_in_process_raises_like_the_network(sb_local: SignedClient) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        sb_local.send("POST", PLANS, plan_body(), headers=fault("drop"))
    assert plan_count(sb_local) == 1


def test_slow_reply_over_loopback(sb_remote: SignedClient) -> None:
    started = time.monotonic()
    ok = sb_remote.send("GET", LIST, headers=fault("slow=0.2"))
    assert ok.status_code == 200 and time.monotonic() - started >= 0.2
    with pytest.raises(httpx.ReadTimeout):
        sb_remote.http.get(LIST, headers=sb_remote.send_headers("GET", LIST) | fault("slow=1"), timeout=0.2)


def test_slow_reply_in_process_honours_the_read_timeout(sb: Sandbox, sb_profile: dict[str, Any],
                                                         sb_clock: FakeClock, sb_merchant_key: Any) -> None:
    slept: list[float] = []
    transport = SandboxTransport(sb, sleep=slept.append)
    with httpx.Client(transport=transport, base_url="http://sandbox.invalid", timeout=5) as http:
        client = make_client(sb_profile, http, sb_clock, sb_merchant_key)
        with pytest.raises(httpx.ReadTimeout):
            client.send("POST", PLANS, plan_body(), headers=fault("slow=30"))
        assert client.send("GET", LIST, headers=fault("slow")).status_code == 200
        assert slept == [5, 3.0]
        assert plan_count(client) == 1  # the slow create was applied


@pytest.mark.parametrize(("name", "message"), [
    ("bad-signature", "response signature invalid"),
    ("signtest", "possible WECHATPAY/SIGNTEST probe"),
    ("stale-timestamp", "away from the local clock"),
])
def test_response_signature_faults_fail_validation(sb_remote: SignedClient, name: str, message: str) -> None:
    response = sb_remote.send("POST", PLANS, plan_body(), headers=fault(name))
    assert response.status_code == 200
    with pytest.raises(SignatureError, match=message):
        sb_remote.validator().validate(response.headers, response.content)
    if name == "signtest":
        assert response.headers["Wechatpay-Signature"].startswith(signing.SIGNTEST_PREFIX)
    assert plan_count(sb_remote) == 1


def test_terminate_204_can_be_spoiled_too(sb_local: SignedClient) -> None:
    plan_id = sb_local.verified(sb_local.send("POST", PLANS, plan_body()))["plan"]["plan_id"]
    response = sb_local.send("POST", f"{PLANS}/{plan_id}/terminate", headers=fault("bad-signature"))
    assert response.status_code == 204
    with pytest.raises(SignatureError):
        sb_local.validator().validate(response.headers, b"")


@pytest.mark.parametrize("value", ["explode", "slow=abc", "slow=-1", "slow=601", "slow=nan"])
def test_unknown_fault_is_a_param_error(sb_local: SignedClient, value: str) -> None:
    response = sb_local.send("GET", LIST, headers=fault(value))
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert (detail["field"], detail["location"]) == ("Wechatpay-Negative-Test", "header")


def test_faults_combine_and_need_a_valid_signature(sb_local: SignedClient) -> None:
    response = sb_local.send("GET", LIST, headers=fault("Signtest, SLOW=0"))
    assert response.headers["Wechatpay-Signature"].startswith(signing.SIGNTEST_PREFIX)
    unsigned = sb_local.http.get(LIST, headers=fault("500"))
    assert unsigned.status_code == 401


def signed_list(box: Sandbox, client: SignedClient) -> int:
    headers = {"Authorization": client.signer.authorization("GET", LIST, b"")}
    return box.handle("GET", LIST, headers, b"").status


def test_rates_are_random_but_reproducible(sb_identity: SandboxIdentity, sb_local: SignedClient,
                                           sb_clock: FakeClock) -> None:
    runs = []
    for _ in range(2):
        box = make_sandbox(sb_identity, sb_clock, rate_429=0.3, rate_503=0.2, seed=7)
        runs.append([signed_list(box, sb_local) for _ in range(200)])
    assert runs[0] == runs[1]
    assert 40 <= runs[0].count(429) <= 80 and 20 <= runs[0].count(503) <= 60 and runs[0].count(200) > 60


def test_rates_of_one_always_fire(sb_identity: SandboxIdentity, sb_local: SignedClient,
                                  sb_clock: FakeClock) -> None:
    box = make_sandbox(sb_identity, sb_clock, rate_drop=1.0, rate_slow=1.0, slow_seconds=0.5,
                       rate_bad_signature=1.0)
    headers = {"Authorization": sb_local.signer.authorization("GET", LIST, b"")}
    reply = box.handle("GET", LIST, headers, b"")
    assert reply.drop and reply.delay == 0.5
    validator = sb_local.validator()
    with pytest.raises(SignatureError):
        validator.validate(reply.headers, reply.body)
    box = make_sandbox(sb_identity, sb_clock, rate_500=1.0)
    assert box.handle("GET", LIST, headers, b"").status == 500
