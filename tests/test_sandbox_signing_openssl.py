"""``signing.sign`` / ``verify`` agree with ``openssl dgst -sha256`` on the same message."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest

from wxplan_cli import credentials, keygen, signing

pytest_plugins = ["sandbox_fixtures"]
pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")

MESSAGE = signing.request_message(
    "POST", "/v3/marketing/partner/delivery-plan/delivery-plans?x=%E4%BD%A0+1", "1767225600",
    "593BEC0C930BF1AFEB40B4A08C8FB242", '{"plan_name":"冬季饮料投放","n":1}'.encode())


def _openssl_sign(key_pem: Path, message_file: Path) -> str:
    raw = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(key_pem), str(message_file)],
                         check=True, capture_output=True).stdout
    return base64.b64encode(raw).decode()


@pytest.fixture(scope="module")
def material(sb_profile: dict[str, object], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("openssl")
    message_file = folder / "message.txt"
    message_file.write_bytes(MESSAGE)
    return Path(str(sb_profile["private_key"])), message_file


def test_sign_equals_openssl(material: tuple[Path, Path]) -> None:
    key_pem, message_file = material
    ours = signing.sign(credentials.load_private_key(key_pem), MESSAGE)
    assert ours == _openssl_sign(key_pem, message_file)


def test_pkcs1_key_signs_the_same(material: tuple[Path, Path], tmp_path: Path) -> None:
    key_pem, message_file = material
    key = credentials.load_private_key(key_pem)
    pkcs1 = tmp_path / "pkcs1.pem"
    keygen.write_secret(pkcs1, keygen.private_pem(key, pkcs1=True))
    assert signing.sign(credentials.load_private_key(pkcs1), MESSAGE) == _openssl_sign(pkcs1, message_file)


def test_verify_accepts_openssl_signature(material: tuple[Path, Path], sb_profile: dict[str, object]) -> None:
    key_pem, message_file = material
    cert = credentials.load_certificate(str(sb_profile["merchant_cert"]))
    theirs = _openssl_sign(key_pem, message_file)
    assert signing.verify(cert.public_key, MESSAGE, theirs)


def test_openssl_verifies_our_signature(material: tuple[Path, Path], tmp_path: Path) -> None:
    key_pem, message_file = material
    key = credentials.load_private_key(key_pem)
    (tmp_path / "pub.pem").write_bytes(keygen.public_pem(key.public_key()))
    (tmp_path / "sig.bin").write_bytes(base64.b64decode(signing.sign(key, MESSAGE)))
    result = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(tmp_path / "pub.pem"),
                             "-signature", str(tmp_path / "sig.bin"), str(message_file)],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "Verified OK" in result.stdout


@pytest.mark.parametrize("tamper", [
    lambda m: m.replace(b"POST", b"GET "),
    lambda m: m.replace(b"1767225600", b"1767225601"),
    lambda m: m[:-1],  # the final newline
    lambda m: m + b"\n",
    lambda m: m.replace("冬季".encode(), "夏季".encode()),
])
def test_tampered_message_is_rejected(material: tuple[Path, Path], sb_profile: dict[str, object],
                                      tamper: object) -> None:
    key_pem, message_file = material
    cert = credentials.load_certificate(str(sb_profile["merchant_cert"]))
    theirs = _openssl_sign(key_pem, message_file)
    assert callable(tamper)
    assert not signing.verify(cert.public_key, tamper(MESSAGE), theirs)


def test_request_message_layout() -> None:
    message = signing.request_message("get", "/v3/certificates", "1", "n", b"")
    assert message == b"GET\n/v3/certificates\n1\nn\n\n"
