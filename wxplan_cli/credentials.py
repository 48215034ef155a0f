"""Load merchant keys and certificates, and WeChat Pay verification keys, from PEM files.

Every failure is a ``ConfigError`` (exit 3) that names the file and says what to do.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from wxplan_cli.errors import ConfigError
from wxplan_cli.signing import VerificationKeys

KEY_BITS = 2048
PUB_KEY_ID = re.compile(r"PUB_KEY_ID_\d+")


def _read(path: Path, what: str) -> bytes:
    try:
        if path.is_dir():
            raise ConfigError(f"{what} {path} is a directory, not a file",
                              hint="point the setting at the .pem file itself")
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist", hint="check the path in the profile "
                          "(relative paths are relative to the config file)") from None
    except PermissionError:
        raise ConfigError(f"{what} {path} is not readable (permission denied)",
                          hint=f"check the file's owner and mode (chmod 600 {path})") from None
    except OSError as exc:
        raise ConfigError(f"{what} {path} cannot be read: {exc.strerror}") from None


def load_private_key(path: str | Path, *, self_generated: bool = False) -> RSAPrivateKey:
    """The merchant API private key (PKCS#8 ``BEGIN PRIVATE KEY`` or PKCS#1 ``BEGIN RSA PRIVATE KEY``).

    The RSA consistency check (~35 ms a key) stays on for every key a user supplies: signing with a
    corrupted CRT key can leak the key. ``self_generated`` skips it only for test keys wxplan made
    itself (the sandbox's own), whose leak would not matter.
    """
    path = Path(path)
    data = _read(path, "private key")
    if b"-----BEGIN CERTIFICATE-----" in data:
        raise ConfigError(f"private key {path} holds a certificate, not a private key",
                          hint="use apiclient_key.pem, not apiclient_cert.pem")
    if b"ENCRYPTED" in data:
        raise ConfigError(f"private key {path} is encrypted",
                          hint="wxplan needs an unencrypted key: "
                               f"openssl pkey -in {path} -out apiclient_key.pem")
    try:
        key = serialization.load_pem_private_key(data, password=None,
                                                 unsafe_skip_rsa_key_validation=self_generated)
    except TypeError:
        raise ConfigError(f"private key {path} is encrypted",
                          hint="decrypt it with openssl pkey first") from None
    except (ValueError, UnsupportedAlgorithm):
        raise ConfigError(f"private key {path} is not a PEM private key",
                          hint="expected apiclient_key.pem from the merchant platform "
                               "(BEGIN PRIVATE KEY)") from None
    return _check_rsa(key, path)


def _check_rsa(key: object, path: Path) -> RSAPrivateKey:
    if not isinstance(key, RSAPrivateKey):
        raise ConfigError(f"private key {path} is not an RSA key",
                          hint="WECHATPAY2-SHA256-RSA2048 needs the merchant's RSA 2048-bit key")
    if key.key_size != KEY_BITS:
        raise ConfigError(f"private key {path} is RSA {key.key_size}-bit, not {KEY_BITS}-bit",
                          hint="WeChat Pay merchant API keys are RSA 2048-bit")
    return key


def serial_hex(cert: x509.Certificate) -> str:
    """The certificate serial as WeChat writes it: upper-case hex, even length (``openssl x509 -serial``)."""
    n = cert.serial_number
    return n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big").hex().upper()


def same_serial(a: str, b: str) -> bool:
    """Compare two hex serials ignoring case and leading zeros."""
    return a.strip().upper().lstrip("0") == b.strip().upper().lstrip("0")


@dataclass(frozen=True)
class CertInfo:
    """What wxplan needs from an X.509 certificate."""

    path: Path
    serial: str
    public_key: RSAPublicKey
    not_before: dt.datetime
    not_after: dt.datetime
    subject: str


def load_certificate(path: str | Path) -> CertInfo:
    """A PEM certificate (merchant certificate or platform certificate)."""
    path = Path(path)
    data = _read(path, "certificate")
    try:
        cert = x509.load_pem_x509_certificate(data)
    except ValueError:
        raise ConfigError(f"certificate {path} is not a PEM X.509 certificate",
                          hint="expected a file starting with -----BEGIN CERTIFICATE-----") from None
    key = cert.public_key()
    if not isinstance(key, RSAPublicKey):
        raise ConfigError(f"certificate {path} does not hold an RSA public key")
    return CertInfo(path, serial_hex(cert), key, cert.not_valid_before_utc, cert.not_valid_after_utc,
                    cert.subject.rfc4514_string())


def load_public_key(path: str | Path) -> RSAPublicKey:
    """The WeChat Pay public key (SPKI PEM, ``BEGIN PUBLIC KEY``) from 商户平台 → API安全."""
    path = Path(path)
    data = _read(path, "WeChat Pay public key")
    if b"PRIVATE KEY" in data:
        raise ConfigError(f"WeChat Pay public key {path} holds a private key",
                          hint="wechatpay_public_key is WeChat Pay's public key (pub_key.pem), "
                               "never a private key")
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise ConfigError(f"WeChat Pay public key {path} is not a PEM public key",
                          hint="expected -----BEGIN PUBLIC KEY----- (pub_key.pem)") from None
    if not isinstance(key, RSAPublicKey):
        raise ConfigError(f"WeChat Pay public key {path} is not an RSA key")
    return key


def check_public_key_id(value: str) -> str:
    """``PUB_KEY_ID_`` followed by digits, exactly as shown in 商户平台."""
    if not PUB_KEY_ID.fullmatch(value):
        raise ConfigError(f"wechatpay_public_key_id {value!r} is not of the form PUB_KEY_ID_<digits>",
                          hint="copy it from 商户平台 → 账户中心 → API安全 → 微信支付公钥")
    return value


def verification_keys(public_key: str | Path | None, public_key_id: str | None,
                      platform_certs: list[str | Path] | None) -> VerificationKeys:
    """Build the serial → key map: the public key under its id and/or each platform certificate."""
    keys = VerificationKeys()
    if (public_key is None) != (public_key_id is None):
        raise ConfigError("wechatpay_public_key and wechatpay_public_key_id go together",
                          hint="set both, or neither and use platform_certs")
    if public_key is not None and public_key_id is not None:
        keys.add(check_public_key_id(public_key_id), load_public_key(public_key))
    for cert_path in platform_certs or []:
        info = load_certificate(cert_path)
        keys.add(info.serial, info.public_key)
    if not keys:
        raise ConfigError("no WeChat Pay verification key is configured",
                          hint="set wechatpay_public_key + wechatpay_public_key_id, or platform_certs")
    return keys


def key_matches_certificate(private_key: RSAPrivateKey, cert: CertInfo) -> bool:
    """True when the private key is the one the merchant certificate certifies."""
    return private_key.public_key().public_numbers() == cert.public_key.public_numbers()
