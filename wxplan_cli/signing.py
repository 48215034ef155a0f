"""APIv3 signing primitives (WECHATPAY2-SHA256-RSA2048), shared by the client and the sandbox.

Small pure roles, each with an injectable clock and nonce source:

- message builders: the exact byte strings that are signed (spec §5.1 and §6);
- ``sign`` / ``verify``: RSASSA-PKCS1-v1_5 with SHA-256, base64 signatures;
- ``RequestSigner``: builds the ``Authorization`` header for one request;
- ``parse_authorization``: reads an ``Authorization`` header in any attribute order;
- ``VerificationKeys`` + ``ResponseValidator``: pick the key by ``Wechatpay-Serial`` and check a response;
- ``ResponseSigner``: the server side, used by the sandbox to sign its replies.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import string
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from wxplan_cli.errors import SignatureError

SCHEME = "WECHATPAY2-SHA256-RSA2048"
SIGNTEST_PREFIX = "WECHATPAY/SIGNTEST/"
WINDOW_SECONDS = 300
NONCE_ALPHABET = string.ascii_letters + string.digits
AUTH_ATTRIBUTES = ("mchid", "nonce_str", "timestamp", "serial_no", "signature")

Clock = Callable[[], float]
NonceSource = Callable[[], str]


def new_nonce(length: int = 32) -> str:
    """A nonce of ``length`` characters from ``[0-9A-Za-z]``, drawn from a CSPRNG."""
    return "".join(secrets.choice(NONCE_ALPHABET) for _ in range(length))


def request_message(method: str, path_qs: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n`` over the raw body bytes."""
    head = f"{method.upper()}\n{path_qs}\n{timestamp}\n{nonce}\n".encode()
    return head + body + b"\n"


def response_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    """``TIMESTAMP\\nNONCE\\nBODY\\n``; the body is empty for a 204."""
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


def sign(private_key: RSAPrivateKey, message: bytes) -> str:
    """Base64 RSASSA-PKCS1-v1_5 / SHA-256 signature of ``message``."""
    raw = private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode("ascii")


def verify(public_key: RSAPublicKey, message: bytes, signature: str) -> bool:
    """True when ``signature`` (base64) is a valid signature of ``message``."""
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def format_authorization(mchid: str, nonce: str, timestamp: str, serial_no: str,
                         signature: str) -> str:
    """The ``Authorization`` header value, attributes joined by ``,`` without spaces."""
    return (f'{SCHEME} mchid="{mchid}",nonce_str="{nonce}",timestamp="{timestamp}",'
            f'serial_no="{serial_no}",signature="{signature}"')


_ATTR = re.compile(r'\s*([A-Za-z_]+)\s*=\s*"([^"]*)"\s*')


def parse_authorization(value: str) -> tuple[str, dict[str, str]]:
    """Split an ``Authorization`` value into its scheme and attributes (any order, optional spaces).

    Raises ``ValueError`` naming what is malformed.
    """
    scheme, _, rest = value.strip().partition(" ")
    if not rest:
        raise ValueError("Authorization has no attributes after the scheme")
    attrs: dict[str, str] = {}
    for part in rest.split(","):
        match = _ATTR.fullmatch(part)
        if not match:
            raise ValueError(f"malformed Authorization attribute {part.strip()[:40]!r}")
        key, val = match.groups()
        if key in attrs:
            raise ValueError(f"duplicate Authorization attribute {key!r}")
        attrs[key] = val
    missing = [a for a in AUTH_ATTRIBUTES if a not in attrs]
    if missing:
        raise ValueError(f"Authorization lacks {', '.join(missing)}")
    return scheme, attrs


@dataclass
class RequestSigner:
    """Builds the ``Authorization`` header of a merchant request."""

    mchid: str
    serial_no: str
    private_key: RSAPrivateKey
    clock: Clock = time.time
    nonce_source: NonceSource = new_nonce

    def authorization(self, method: str, path_qs: str, body: bytes) -> str:
        """Sign ``method``, the raw ``path_qs`` and the exact ``body`` bytes that will be sent."""
        return self.sign_request(method, path_qs, body)[0]

    def sign_request(self, method: str, path_qs: str, body: bytes) -> tuple[str, bytes]:
        """The ``Authorization`` value and the exact message it signs (kept to explain a 401)."""
        timestamp = str(int(self.clock()))
        nonce = self.nonce_source()
        message = request_message(method, path_qs, timestamp, nonce, body)
        header = format_authorization(self.mchid, nonce, timestamp, self.serial_no,
                                      sign(self.private_key, message))
        return header, message


class VerificationKeys(Mapping[str, RSAPublicKey]):
    """``{Wechatpay-Serial: public key}``: platform-certificate serials and/or a ``PUB_KEY_ID_...``."""

    def __init__(self, keys: Mapping[str, RSAPublicKey] | None = None) -> None:
        self._keys: dict[str, RSAPublicKey] = dict(keys or {})

    def add(self, serial: str, key: RSAPublicKey) -> None:
        """Register ``key`` under the exact serial WeChat Pay will send."""
        self._keys[serial] = key

    def __getitem__(self, serial: str) -> RSAPublicKey:
        return self._keys[serial]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def public_key_id(self) -> str | None:
        """The configured ``PUB_KEY_ID_...``, if any (sent as the ``Wechatpay-Serial`` request header)."""
        return next((s for s in self._keys if s.startswith("PUB_KEY_ID_")), None)


REQUIRED_RESPONSE_HEADERS = ("Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial",
                             "Wechatpay-Signature")


@dataclass
class ResponseValidator:
    """Checks a 2xx response: the four headers, the 300 s window, the key by serial, the signature."""

    keys: VerificationKeys
    clock: Clock = time.time
    window: int = WINDOW_SECONDS

    def validate(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise ``SignatureError`` (exit 8) unless the response is authentic."""
        h = {k.lower(): v for k, v in headers.items()}
        request_id = h.get("request-id")
        missing = [n for n in REQUIRED_RESPONSE_HEADERS if not h.get(n.lower())]
        if missing:
            raise SignatureError(
                f"response lacks {', '.join(missing)}: it cannot be verified",
                hint="a proxy may strip Wechatpay-* headers; the operation's outcome is unknown, "
                     "check it before retrying", request_id=request_id)
        timestamp, nonce = h["wechatpay-timestamp"], h["wechatpay-nonce"]
        serial, signature = h["wechatpay-serial"], h["wechatpay-signature"]
        self._check_time(timestamp, request_id)
        key = self.keys.get(serial)
        if key is None:
            known = ", ".join(sorted(self.keys)) or "none"
            raise SignatureError(
                f"response signed with unknown key serial {serial!r} (configured: {known})",
                hint="add that platform certificate or public key to the profile "
                     "(wxplan certs download)", request_id=request_id)
        if not verify(key, response_message(timestamp, nonce, body), signature):
            raise _bad_signature(signature, request_id)

    def _check_time(self, timestamp: str, request_id: str | None) -> None:
        if not re.fullmatch(r"[0-9]{1,12}", timestamp):  # isdigit() also takes "²"
            raise SignatureError(f"response Wechatpay-Timestamp {timestamp[:20]!r} is not a number",
                                 request_id=request_id)
        skew = abs(self.clock() - int(timestamp))
        if skew > self.window:
            raise SignatureError(
                f"response timestamp is {int(skew)} s away from the local clock "
                f"(allowed {self.window} s)",
                hint="sync the local clock (NTP); a stale response may be a replay",
                request_id=request_id)


def _bad_signature(signature: str, request_id: str | None) -> SignatureError:
    if signature.startswith(SIGNTEST_PREFIX):
        return SignatureError(
            "response signature invalid (possible WECHATPAY/SIGNTEST probe)",
            hint="WeChat Pay sometimes sends a deliberately wrong signature to test clients; "
                 "the operation may have succeeded: check the plan's state, do not assume it failed",
            request_id=request_id)
    return SignatureError(
        "response signature invalid",
        hint="the reply may have been tampered with or signed by another key; the operation's "
             "outcome is unknown: check the plan's state before retrying",
        request_id=request_id)


@dataclass
class ResponseSigner:
    """Server side: the ``Wechatpay-*`` headers for a response body (used by the sandbox)."""

    serial: str
    private_key: RSAPrivateKey
    clock: Clock = time.time
    nonce_source: NonceSource = new_nonce

    def headers(self, body: bytes) -> dict[str, str]:
        """Sign ``body`` (``b""`` for 204) and return the five signature headers."""
        timestamp = str(int(self.clock()))
        nonce = self.nonce_source()
        return {
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": sign(self.private_key, response_message(timestamp, nonce, body)),
            "Wechatpay-Serial": self.serial,
            "Wechatpay-Signature-Type": SCHEME,
        }
