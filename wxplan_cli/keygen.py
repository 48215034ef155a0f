"""Generate test key material: RSA 2048 keys and self-signed certificates.

Used by the sandbox on first run and by the tests. Nothing generated here is a real merchant key;
certificates carry ``wxplan TEST`` in their subject so nobody mistakes them for one.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.x509.oid import NameOID


def new_rsa_key(bits: int = 2048) -> RSAPrivateKey:
    """A fresh RSA private key (public exponent 65537)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def self_signed_cert(key: RSAPrivateKey, common_name: str, *, serial: int | None = None,
                     days: int = 3650, not_before: dt.datetime | None = None) -> x509.Certificate:
    """A self-signed test certificate for ``key``; ``serial`` defaults to a random 128-bit value."""
    start = not_before or dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wxplan TEST (not a real key)"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])
    return (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(serial if serial is not None else secrets.randbits(127) | (1 << 120))
            .not_valid_before(start).not_valid_after(start + dt.timedelta(days=days))
            .sign(key, hashes.SHA256()))


def private_pem(key: RSAPrivateKey, *, pkcs1: bool = False) -> bytes:
    """PEM of a private key, PKCS#8 by default (``BEGIN PRIVATE KEY``), PKCS#1 on request."""
    fmt = serialization.PrivateFormat.TraditionalOpenSSL if pkcs1 else serialization.PrivateFormat.PKCS8
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


def public_pem(key: RSAPublicKey) -> bytes:
    """SPKI PEM of a public key (``BEGIN PUBLIC KEY``), the WeChat Pay public key's format."""
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def cert_pem(cert: x509.Certificate) -> bytes:
    """PEM of a certificate."""
    return cert.public_bytes(serialization.Encoding.PEM)


def write_secret(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600, atomically (never a half-written key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
