"""Loading merchant keys, certificates and WeChat Pay public keys: good files and each bad one."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from wxplan_cli import keygen
from wxplan_cli.credentials import (
    key_matches_certificate,
    load_certificate,
    load_private_key,
    load_public_key,
    verification_keys,
)
from wxplan_cli.errors import ConfigError, ExitCode


def test_loads_pkcs8_and_pkcs1(merchant, other_key) -> None:
    assert load_private_key(merchant.key_path).key_size == 2048
    assert b"BEGIN RSA PRIVATE KEY" in other_key.key_path.read_bytes()
    assert load_private_key(other_key.key_path).key_size == 2048


def test_serial_matches_openssl(merchant) -> None:
    out = subprocess.run(["openssl", "x509", "-in", str(merchant.cert_path), "-noout", "-serial"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == f"serial={merchant.serial}"
    assert load_certificate(merchant.cert_path).serial == merchant.serial


def test_key_matches_only_its_certificate(merchant, other_key) -> None:
    cert = load_certificate(merchant.cert_path)
    assert key_matches_certificate(load_private_key(merchant.key_path), cert)
    assert not key_matches_certificate(load_private_key(other_key.key_path), cert)


def _expect(path: Path, fragment: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_private_key(path)
    assert info.value.exit_code == ExitCode.CONFIG
    assert str(path) in info.value.message
    assert fragment in info.value.message
    return info.value


def test_bad_private_keys(tmp_path: Path, merchant) -> None:
    _expect(tmp_path / "missing.pem", "does not exist")
    _expect(tmp_path, "is a directory")
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"\x00\x01 not a key")
    _expect(junk, "not a PEM private key")
    _expect(merchant.cert_path, "holds a certificate")
    encrypted = tmp_path / "enc.pem"
    encrypted.write_bytes(merchant.key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret-pass")))
    err = _expect(encrypted, "is encrypted")
    assert err.hint and "openssl" in err.hint
    ec_key = tmp_path / "ec.pem"
    ec_key.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    _expect(ec_key, "not an RSA key")
    small = tmp_path / "small.pem"
    small.write_bytes(keygen.private_pem(keygen.new_rsa_key(1024)))
    _expect(small, "1024-bit")


def test_public_key_and_verification_map(tmp_path: Path, merchant) -> None:
    pub = tmp_path / "pub_key.pem"
    pub.write_bytes(keygen.public_pem(merchant.key.public_key()))  # type: ignore[attr-defined]
    assert load_public_key(pub).key_size == 2048
    keys = verification_keys(pub, "PUB_KEY_ID_0114232020250101", [merchant.cert_path])
    assert set(keys) == {"PUB_KEY_ID_0114232020250101", merchant.serial}
    assert keys.public_key_id() == "PUB_KEY_ID_0114232020250101"
    with pytest.raises(ConfigError, match="PUB_KEY_ID_<digits>"):
        verification_keys(pub, "PUBKEY123", None)
    with pytest.raises(ConfigError, match="go together"):
        verification_keys(pub, None, None)
    with pytest.raises(ConfigError, match="holds a private key"):
        load_public_key(merchant.key_path)
    with pytest.raises(ConfigError, match="no WeChat Pay verification key"):
        verification_keys(None, None, [])
