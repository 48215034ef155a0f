"""Signing and response validation, cross-checked against the openssl command line."""

from __future__ import annotations

import base64
import itertools
import subprocess
from pathlib import Path

import pytest

from wxplan_cli.errors import ExitCode, SignatureError
from wxplan_cli.signing import (
    RequestSigner,
    ResponseSigner,
    ResponseValidator,
    VerificationKeys,
    new_nonce,
    parse_authorization,
    request_message,
    response_message,
    sign,
    verify,
)

NOW = 1_800_000_000


def _openssl_verify(tmp_path: Path, cert_path: Path, message: bytes, signature_b64: str) -> bool:
    pub = tmp_path / "pub.pem"
    subprocess.run(["openssl", "x509", "-in", str(cert_path), "-pubkey", "-noout", "-out", str(pub)],
                   check=True)
    msg, sig = tmp_path / "msg", tmp_path / "sig"
    msg.write_bytes(message)
    sig.write_bytes(base64.b64decode(signature_b64))
    res = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(pub), "-signature", str(sig),
                          str(msg)], capture_output=True)
    return res.returncode == 0


def test_request_signature_verified_by_openssl(tmp_path: Path, merchant) -> None:
    signer = RequestSigner("1900000109", merchant.serial, merchant.key,  # type: ignore[arg-type]
                           clock=lambda: NOW, nonce_source=lambda: "N" * 32)
    body = '{"plan_name":"冬季饮料投放"}'.encode()
    header = signer.authorization("POST", "/v3/x?a=1", body)
    scheme, attrs = parse_authorization(header)
    assert scheme == "WECHATPAY2-SHA256-RSA2048"
    assert attrs["timestamp"] == str(NOW) and attrs["nonce_str"] == "N" * 32
    message = request_message("POST", "/v3/x?a=1", str(NOW), "N" * 32, body)
    assert message == f"POST\n/v3/x?a=1\n{NOW}\n{'N' * 32}\n".encode() + body + b"\n"
    assert _openssl_verify(tmp_path, merchant.cert_path, message, attrs["signature"])
    assert not _openssl_verify(tmp_path, merchant.cert_path, message + b"x", attrs["signature"])


def test_authorization_attributes_in_any_order() -> None:
    parts = ['mchid="1"', 'nonce_str="n"', 'timestamp="2"', 'serial_no="S"', 'signature="x=="']
    for order in itertools.permutations(parts):
        _, attrs = parse_authorization("WECHATPAY2-SHA256-RSA2048 " + ", ".join(order))
        assert attrs == {"mchid": "1", "nonce_str": "n", "timestamp": "2", "serial_no": "S",
                         "signature": "x=="}
    for bad in ("WECHATPAY2-SHA256-RSA2048", 'X mchid="1"', 'X mchid=1,nonce_str="n"',
                'X mchid="1",mchid="1",nonce_str="n",timestamp="2",serial_no="S",signature="x"'):
        with pytest.raises(ValueError):
            parse_authorization(bad)


def test_nonce_shape() -> None:
    nonces = {new_nonce() for _ in range(200)}
    assert len(nonces) == 200
    assert all(len(n) == 32 and n.isalnum() and n.isascii() for n in nonces)


@pytest.fixture
def validator(merchant) -> ResponseValidator:
    return ResponseValidator(VerificationKeys({"PUB_KEY_ID_01": merchant.key.public_key()}),
                             clock=lambda: NOW)


def _signed(merchant, body: bytes, *, at: int = NOW) -> dict[str, str]:
    return ResponseSigner("PUB_KEY_ID_01", merchant.key, clock=lambda: at).headers(body)


def test_valid_responses_pass(validator, merchant) -> None:
    validator.validate(_signed(merchant, b'{"a":1}'), b'{"a":1}')
    validator.validate(_signed(merchant, b""), b"")  # a signed 204
    validator.validate(_signed(merchant, b"", at=NOW - 300), b"")  # the edge of the window


@pytest.mark.parametrize("case", ["tampered", "missing", "stale", "future", "serial", "signtest",
                                  "garbage", "odd-digits"])
def test_each_bad_response_is_refused(validator, merchant, case: str) -> None:
    body = b'{"plan":{}}'
    headers = _signed(merchant, body)
    if case == "tampered":
        body = b'{"plan":{"x":1}}'
    elif case == "missing":
        del headers["Wechatpay-Nonce"]
    elif case == "stale":
        headers = _signed(merchant, body, at=NOW - 301)
    elif case == "future":
        headers = _signed(merchant, body, at=NOW + 301)
    elif case == "serial":
        headers["Wechatpay-Serial"] = "PUB_KEY_ID_02"
    elif case == "signtest":
        headers["Wechatpay-Signature"] = "WECHATPAY/SIGNTEST/" + headers["Wechatpay-Signature"][19:]
    elif case == "garbage":
        headers["Wechatpay-Signature"] = "!!not base64!!"
    elif case == "odd-digits":  # a Latin-1 byte httpx decodes to a character isdigit() accepts
        headers["Wechatpay-Timestamp"] = "\u00b2"
    with pytest.raises(SignatureError) as info:
        validator.validate(headers, body)
    assert info.value.exit_code == ExitCode.BAD_SIGNATURE
    if case == "signtest":
        assert "probe" in info.value.message and "check the plan" in (info.value.hint or "")


def test_openssl_signature_accepted(tmp_path: Path, merchant) -> None:
    message = response_message(str(NOW), "nonce", b'{"ok":true}')
    (tmp_path / "m").write_bytes(message)
    raw = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(merchant.key_path),
                          str(tmp_path / "m")], capture_output=True, check=True).stdout
    ours = sign(merchant.key, message)
    assert ours == base64.b64encode(raw).decode()  # PKCS#1 v1.5 is deterministic
    assert verify(merchant.key.public_key(), message, base64.b64encode(raw).decode())
