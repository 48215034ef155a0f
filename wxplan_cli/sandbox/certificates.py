"""``GET /v3/certificates``: the platform certificate, encrypted with the APIv3 key (spec §7.2).

Each entry's ``encrypt_certificate`` is AEAD_AES_256_GCM under the APIv3 key with a fresh 12-character
nonce and ``associated_data`` ``"certificate"``; ``ciphertext`` is base64 of the ciphertext with the
16-byte tag appended - what ``cryptography``'s ``AESGCM.encrypt`` returns.
"""

from __future__ import annotations

import base64
import secrets
import string
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from wxplan_cli.sandbox.coupons import rfc3339
from wxplan_cli.sandbox.identity import SandboxIdentity

ASSOCIATED_DATA = "certificate"
ALGORITHM = "AEAD_AES_256_GCM"


def certificates_payload(identity: SandboxIdentity) -> dict[str, Any]:
    """The response body: one entry for the sandbox's platform certificate."""
    cert = x509.load_pem_x509_certificate(identity.platform_cert_pem)
    return {"data": [{
        "serial_no": identity.platform_serial,
        "effective_time": rfc3339(cert.not_valid_before_utc),
        "expire_time": rfc3339(cert.not_valid_after_utc),
        "encrypt_certificate": encrypt(identity.apiv3_key, identity.platform_cert_pem, ASSOCIATED_DATA),
    }]}


def encrypt(apiv3_key: str, plaintext: bytes, associated_data: str) -> dict[str, str]:
    """An ``encrypt_certificate`` / ``resource`` object for ``plaintext``."""
    nonce = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(12))
    sealed = AESGCM(apiv3_key.encode("ascii")).encrypt(nonce.encode(), plaintext, associated_data.encode())
    return {"algorithm": ALGORITHM, "nonce": nonce, "associated_data": associated_data,
            "ciphertext": base64.b64encode(sealed).decode("ascii")}
