"""Unit tests of the small libraries behind doctor, certs, notify-url and config init."""

from __future__ import annotations

import base64
import os
from email.utils import formatdate
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from wxplan_cli.certs import decrypt
from wxplan_cli.config_tools import new_profile, write_config
from wxplan_cli.doctor import _skew
from wxplan_cli.errors import ConfigError, SignatureError, UsageError
from wxplan_cli.notify import notify_url_issues

KEY = "0123456789abcdefABCDEF0123456789"


@pytest.mark.parametrize(("offset", "status"), [(0, "ok"), (-45, "ok"), (90, "warn"), (-400, "fail")])
def test_clock_skew_from_the_date_header(offset: float, status: str) -> None:
    now = 1_800_000_000.0
    check = _skew(formatdate(now - offset, usegmt=True), now)
    assert check.status == status
    assert ("ahead of" if offset > 0 else "behind" if offset < 0 else "0 s") in check.detail
    assert _skew(None, now).status == "skip" and _skew("yesterday", now).status == "skip"


def test_decrypt_roundtrip_wrong_key_and_malformed() -> None:
    sealed = AESGCM(KEY.encode()).encrypt(b"abcdefghijkl", b"PEM", b"certificate")
    box = {"algorithm": "AEAD_AES_256_GCM", "nonce": "abcdefghijkl", "associated_data": "certificate",
           "ciphertext": base64.b64encode(sealed).decode()}
    assert decrypt(KEY, box) == b"PEM"
    with pytest.raises(ConfigError, match="APIv3 key does not decrypt"):
        decrypt("y" * 32, box)
    with pytest.raises(SignatureError, match="AEAD_AES_128"):
        decrypt(KEY, {**box, "algorithm": "AEAD_AES_128"})
    with pytest.raises(SignatureError, match="malformed"):
        decrypt(KEY, {**box, "ciphertext": "!!"})


@pytest.mark.parametrize(("url", "problems"), [
    ("https://example.com/cb", 0), ("HTTPS://example.com/cb", 0), ("http://example.com/cb", 1),
    ("https://example.com/a b", 1), ("https://example.com/#x", 1), ("ftp://", 2),
    ("https://e.com/" + "x" * 243, 1),
])
def test_notify_url_rules(url: str, problems: int) -> None:
    assert len(notify_url_issues(url)) == problems, notify_url_issues(url)


def test_new_profile_and_atomic_write(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="merchant_cert or serial_no"):
        new_profile({"mchid": "1", "private_key": "k.pem"})
    settings = new_profile({"mchid": "0123", "private_key": "k.pem", "serial_no": "AB", "brand_id": None})
    assert settings == {"mchid": "0123", "serial_no": "AB", "private_key": str(Path("k.pem").absolute())}
    path = tmp_path / "c.yaml"
    profile = write_config(path, "prod", settings)
    assert profile.get("mchid") == "0123" and oct(path.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(ConfigError, match="already exists"):
        write_config(path, "prod", settings)
    with pytest.raises(ConfigError):  # not loadable: refused, the old file stays
        write_config(path, "prod", {**settings, "timeout": "soon"}, force=True)
    assert "0123" in path.read_text() and "soon" not in path.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["c.yaml"] and os.access(path, os.R_OK)
