"""Every endpoint through PartnerClient -> sandbox over 127.0.0.1, in both verification modes.

The sandbox checks every request signature over the bytes it received; the client checks every
response signature. Public-key mode: the client sends ``Wechatpay-Serial: PUB_KEY_ID_...`` and the
sandbox signs with the WeChat Pay key. Certificate mode: no public key configured, the sandbox signs
with its platform certificate.
"""

from __future__ import annotations

import base64
import time

import pytest
from cli_fixtures import Served
from cryptography import x509
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from wxplan_cli.client import PartnerClient
from wxplan_cli.config import load_profile
from wxplan_cli.credentials import serial_hex
from wxplan_cli.errors import ApiError, ExitCode
from wxplan_cli.session import open_client
from wxplan_cli.wire import encode_json

PLAN = {"out_request_no": "rt-0001", "brand_id": "40016", "product_coupon_id": "7011468762",
        "stock_id": "7012468762", "reuse_coupon_config": False, "plan_name": "冬季饮料投放",
        "total_count": 10000, "user_limit": 2, "daily_limit": 1,
        "delivery_start_time": "2027-01-01T00:00:00+08:00",
        "delivery_end_time": "2027-01-31T00:00:00+08:00", "recommend_word": "天天有惊喜"}


@pytest.fixture(params=["pubkey", "certs"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client_and_log(served: Served, mode: str):
    log: list[str] = []
    profile = load_profile(str(served.config), mode, env={})
    with open_client(profile, warn=log.append, log=log.append) as client:
        yield client, log


def _response_serials(log: list[str]) -> set[str]:
    return {line.split(": ", 1)[1] for entry in log for line in entry.splitlines()
            if line.startswith("< wechatpay-serial:")}


def test_every_endpoint_round_trips(client_and_log, served: Served, mode: str) -> None:
    client, log = client_and_log
    client: PartnerClient
    plan = client.create_plan(encode_json(PLAN))
    assert plan["plan_name"] == "冬季饮料投放" and plan["plan_state"] == "PLAN_CREATING"
    plan_id = plan["plan_id"]
    again = client.create_plan(encode_json(PLAN))
    assert again["plan_id"] == plan_id  # same out_request_no, same content: same plan

    page = client.list_plans("40016", page_size=50)
    assert page.total_count == 1 and page.plan_list[0]["plan_id"] == plan_id
    assert client.list_plans("40016", plan_id=plan_id).plan_list[0]["plan_id"] == plan_id
    assert client.list_plans("40016", plan_id="999").plan_list == []

    update = {"out_request_no": "rt-upd-0001", "modify_content": {"total_count": 20000}}
    assert client.update_plan(plan_id, encode_json(update))["total_count"] == 20000

    assert client.set_notify_url(served.profile["mchid"], "https://example.com/notify") == \
        "https://example.com/notify"
    client.terminate_plan(plan_id)  # a signed 204 with an empty body
    time.sleep(0.3)
    assert client.list_plans("40016", plan_id=plan_id).plan_list[0]["plan_state"] == "PLAN_TERMINATED"

    expected = served.profile["wechatpay_public_key_id"] if mode == "pubkey" else None
    serials = _response_serials(log)
    if expected:
        assert serials == {expected}
    else:
        assert len(serials) == 1 and not next(iter(serials)).startswith("PUB_KEY_ID_")


def test_refusals_carry_code_field_and_request_id(client_and_log) -> None:
    client, _ = client_and_log
    with pytest.raises(ApiError) as info:
        client.create_plan(encode_json({**PLAN, "plan_name": "x" * 40}))
    err = info.value
    assert err.info.status == 400 and err.exit_code == ExitCode.API_REJECTED
    assert err.field == "/plan_name" and err.info.request_id
    client.create_plan(encode_json(PLAN))
    with pytest.raises(ApiError) as info:
        client.create_plan(encode_json({**PLAN, "total_count": 99999}))  # same number, new content
    assert info.value.info.code == "INVALID_REQUEST"


def test_certificates_decrypt_with_the_apiv3_key(served: Served) -> None:
    profile = load_profile(str(served.config), "certs", env={})
    with open_client(profile, warn=print) as client:
        data = client.certificates()["data"]
    key = open(served.profile["apiv3_key_file"]).read().strip().encode()
    enc = data[0]["encrypt_certificate"]
    pem = AESGCM(key).decrypt(enc["nonce"].encode(), base64.b64decode(enc["ciphertext"]),
                              enc["associated_data"].encode())
    cert = x509.load_pem_x509_certificate(pem)
    assert serial_hex(cert) == data[0]["serial_no"]
