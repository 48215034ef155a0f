"""Every endpoint round-tripped over 127.0.0.1 with real signatures, in both verification modes."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sandbox_helpers import BRAND, LIST, PLANS, FakeClock, SignedClient, plan_body

from wxplan_cli import signing
from wxplan_cli.credentials import serial_hex
from wxplan_cli.sandbox.identity import SandboxIdentity
from wxplan_cli.sandbox.server import RunningServer

pytest_plugins = ["sandbox_fixtures"]


def expected_serial(identity: SandboxIdentity, public_key_mode: bool) -> str:
    return identity.public_key_id if public_key_mode else identity.platform_serial


@pytest.mark.parametrize("public_key_mode", [False, True], ids=["platform-cert", "public-key"])
def test_plan_family_round_trip(sb_remote: SignedClient, sb_identity: SandboxIdentity, sb_clock: FakeClock,
                                public_key_mode: bool) -> None:
    def call(method: str, path: str, body: Any = None) -> Any:
        response = sb_remote.send(method, path, body, public_key_mode=public_key_mode)
        assert response.headers["Wechatpay-Serial"] == expected_serial(sb_identity, public_key_mode)
        assert response.headers["Wechatpay-Signature-Type"] == signing.SCHEME
        assert response.headers["Request-ID"]
        return sb_remote.verified(response)

    plan = call("POST", PLANS, plan_body())["plan"]
    assert plan["plan_id"].isdigit() and len(plan["plan_id"]) <= 32
    assert (plan["plan_state"], plan["audit_state"]) == ("PLAN_CREATING", "AUDIT_INITIAL")
    assert "out_request_no" not in plan
    page = call("GET", f"{LIST}?page_size=5&offset=0&plan_id={plan['plan_id']}")
    assert page["total_count"] == 1 and page["plan_list"][0]["plan_id"] == plan["plan_id"]
    sb_clock.advance(10)
    change = {"out_request_no": "upd-000001", "modify_content": {"total_count": 30000}}
    updated = call("PATCH", f"{PLANS}/{plan['plan_id']}", change)["plan"]
    assert updated["total_count"] == 30000 and updated["audit_state"] == "AUDIT_PROCESSING"
    assert call("POST", f"{PLANS}/{plan['plan_id']}/terminate") is None
    notify = call("POST", "/v3/marketing/partner/delivery-plan/1900000109/notify-url",
                  {"notify_url": "https://example.com/wxplan/callback"})
    assert notify == {"notify_url": "https://example.com/wxplan/callback"}


def test_terminate_is_a_signed_204_with_an_empty_body(sb_remote: SignedClient) -> None:
    plan = sb_remote.verified(sb_remote.send("POST", PLANS, plan_body()))["plan"]
    response = sb_remote.send("POST", f"{PLANS}/{plan['plan_id']}/terminate")
    assert response.status_code == 204 and response.content == b""
    assert "Content-Type" not in response.headers
    sb_remote.validator().validate(response.headers, b"")
    with pytest.raises(Exception, match="signature invalid"):
        sb_remote.validator().validate(response.headers, b"{}")


def test_certificates_bootstrap(sb_remote: SignedClient, sb_identity: SandboxIdentity,
                                sb_clock: FakeClock) -> None:
    response = sb_remote.send("GET", "/v3/certificates")
    assert response.status_code == 200
    entry = response.json()["data"][0]
    sealed = entry["encrypt_certificate"]
    assert sealed["algorithm"] == "AEAD_AES_256_GCM" and sealed["associated_data"] == "certificate"
    assert len(sealed["nonce"]) == 12
    pem = AESGCM(sb_identity.apiv3_key.encode()).decrypt(
        sealed["nonce"].encode(), base64.b64decode(sealed["ciphertext"]), sealed["associated_data"].encode())
    cert = x509.load_pem_x509_certificate(pem)
    assert serial_hex(cert) == entry["serial_no"] == response.headers["Wechatpay-Serial"]
    assert entry["effective_time"].endswith("+08:00") and entry["expire_time"] > entry["effective_time"]
    public_key = cert.public_key()
    keys = signing.VerificationKeys({entry["serial_no"]: public_key})  # type: ignore[dict-item]
    signing.ResponseValidator(keys, clock=sb_clock).validate(response.headers, response.content)


def test_certificates_in_public_key_mode_are_signed_with_the_public_key(sb_remote: SignedClient,
                                                                       sb_identity: SandboxIdentity) -> None:
    response = sb_remote.send("GET", "/v3/certificates", public_key_mode=True)
    assert response.headers["Wechatpay-Serial"] == sb_identity.public_key_id
    sb_remote.verified(response)


def test_unknown_public_key_id_is_refused(sb_remote: SignedClient) -> None:
    response = sb_remote.send("GET", "/v3/certificates", headers={"Wechatpay-Serial": "PUB_KEY_ID_0000"})
    assert response.status_code == 400 and response.json()["detail"]["field"] == "Wechatpay-Serial"


def test_list_pages_and_filters(sb_local: SignedClient, sb_clock: FakeClock) -> None:
    ids = []
    for n in range(12):
        name = "REJECT me" if n == 0 else f"plan {n}"
        body = plan_body(out_request_no=f"req-list-{n:02d}", plan_name=name)
        ids.append(sb_local.verified(sb_local.send("POST", PLANS, body))["plan"]["plan_id"])
    sb_clock.advance(60)

    def page(query: str) -> Any:
        return sb_local.verified(sb_local.send("GET", f"{LIST}?{query}"))

    first = page("page_size=5")
    assert first["total_count"] == 12 and [p["plan_id"] for p in first["plan_list"]] == ids[:5]
    assert [p["plan_id"] for p in page("page_size=5&offset=10")["plan_list"]] == ids[10:]
    assert len(page("")["plan_list"]) == 10  # default page size
    assert page("page_size=50&offset=12")["plan_list"] == []
    assert page("audit_state=AUDIT_REJECTED")["total_count"] == 1
    assert page("plan_state=PLAN_DELIVERING")["total_count"] == 11
    assert page("plan_state=PLAN_CREATED&audit_state=AUDIT_REJECTED")["plan_list"][0]["plan_id"] == ids[0]
    assert page("plan_id=999")["total_count"] == 0
    other = sb_local.verified(sb_local.send("GET", f"{PLANS}/40017/delivery-plans"))
    assert other == {"total_count": 0, "plan_list": []}


@pytest.mark.parametrize(("query", "field"), [
    ("page_size=51", "page_size"), ("page_size=0", "page_size"), ("page_size=-1", "page_size"),
    ("page_size=abc", "page_size"), ("offset=-5", "offset"), ("plan_state=DELIVERING", "plan_state"),
    ("audit_state=PASSED", "audit_state"), ("pagesize=5", "pagesize"), ("offset=1&offset=2", "offset"),
])
def test_list_rejects_bad_queries(sb_local: SignedClient, query: str, field: str) -> None:
    response = sb_local.send("GET", f"{LIST}?{query}")
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["code"] == "PARAM_ERROR" and error["detail"]["field"] == field
    assert error["detail"]["location"] == "query"


def test_notify_url_rules(sb_local: SignedClient) -> None:
    path = "/v3/marketing/partner/delivery-plan/1900000109/notify-url"
    bad_urls = ("http://example.com/cb", "https://", "ftp://x", "https://a b.com/",
                "https://x.com/" + "a" * 250)
    for bad in bad_urls:
        response = sb_local.send("POST", path, {"notify_url": bad})
        assert response.status_code == 400 and response.json()["detail"]["field"] == "/notify_url", bad
    other = sb_local.send("POST", "/v3/marketing/partner/delivery-plan/1900000110/notify-url",
                          {"notify_url": "https://example.com/cb"})
    assert other.status_code == 403 and other.json()["code"] == "NO_AUTH"


def test_every_response_has_a_request_id_and_errors_after_auth_are_signed(sb_local: SignedClient) -> None:
    response = sb_local.send("PATCH", f"{PLANS}/12345", {"out_request_no": "upd-000009",
                                                         "modify_content": {"total_count": 5}})
    assert response.status_code == 404 and response.json()["code"] == "RESOURCE_NOT_EXISTS"
    assert response.headers["Request-ID"]
    sb_local.validator().validate(response.headers, response.content)


def test_server_logs_one_line_per_request_without_secrets(sb_server: RunningServer,
                                                          sb_remote: SignedClient) -> None:
    response = sb_remote.send("GET", f"{LIST}?page_size=5&plan_id=secret-looking")
    auth_header = response.request.headers["Authorization"]
    lines: list[str] = sb_server.log_lines  # type: ignore[attr-defined]
    deadline = time.monotonic() + 2
    while not lines and time.monotonic() < deadline:  # the line is written just after the reply
        time.sleep(0.01)
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith(f"GET {PLANS}/{BRAND}/delivery-plans 200 ")
    assert response.headers["Request-ID"] in line
    assert "secret-looking" not in line and auth_header.split("signature=")[1][:20] not in line
