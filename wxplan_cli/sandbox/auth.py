"""Check a request's ``Authorization`` the way WeChat Pay does (spec §5).

In order: the header is present and well-formed (scheme ``WECHATPAY2-SHA256-RSA2048``, the five attributes
in any order, optional spaces after commas); ``mchid`` is the sandbox's; ``serial_no`` names a trusted
merchant certificate (hex, any case); ``timestamp`` is within the window (300 s either way); ``nonce_str``
is present; the signature verifies over ``METHOD\\nTARGET\\nTIMESTAMP\\nNONCE\\nBODY\\n`` built from the raw
request target and the raw body bytes exactly as received - never a re-serialisation.

Any failure is a 401 ``SIGN_ERROR`` whose ``detail.issue`` names the failed check. A signature mismatch
also carries ``sign_information`` (method, url, the first bytes of the message the sandbox verified and
its length), like WeChat Pay's own replies, so a client can compare it with what it signed. The
signature itself is never echoed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wxplan_cli.sandbox.identity import SandboxIdentity
from wxplan_cli.sandbox.problems import ApiProblem
from wxplan_cli.signing import SCHEME, parse_authorization, request_message, verify

TRUNCATE_MESSAGE = 80


def authenticate(identity: SandboxIdentity, method: str, target: str, headers: Mapping[str, str],
                 body: bytes, now: float, window: int) -> str:
    """The authenticated ``mchid``, or a 401 ``SIGN_ERROR`` problem."""
    value = headers.get("authorization")
    if not value:
        raise _sign_error("the Authorization header is missing")
    try:
        scheme, attrs = parse_authorization(value)
    except ValueError as exc:
        raise _sign_error(f"the Authorization header is malformed: {exc}") from None
    if scheme != SCHEME:
        raise _sign_error(f"unsupported authorization scheme {scheme[:40]!r}: expected {SCHEME}")
    if attrs["mchid"] != identity.mchid:
        raise _sign_error(f"mchid {attrs['mchid'][:32]!r} is not the merchant this sandbox serves",
                          field="mchid")
    key = identity.merchant_key(attrs["serial_no"])
    if key is None:
        raise _sign_error(f"serial_no {attrs['serial_no'][:48]!r} is not a known merchant certificate",
                          field="serial_no")
    _check_timestamp(attrs["timestamp"], now, window)
    if not attrs["nonce_str"]:
        raise _sign_error("nonce_str is empty", field="nonce_str")
    message = request_message(method, target, attrs["timestamp"], attrs["nonce_str"], body)
    if not verify(key, message, attrs["signature"]):
        raise _sign_error("sign not match: the signature does not verify over the request as received",
                          field="signature", sign_information=_sign_information(method, target, message))
    return attrs["mchid"]


def _check_timestamp(timestamp: str, now: float, window: int) -> None:
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise _sign_error("timestamp is not a number of Unix seconds", field="timestamp")
    skew = int(timestamp) - now
    if skew < -window:
        raise _sign_error(f"timestamp is stale: {int(-skew)} s old (allowed {window} s)", field="timestamp")
    if skew > window:
        raise _sign_error(f"timestamp is {int(skew)} s in the future (allowed {window} s)", field="timestamp")


def _sign_information(method: str, target: str, message: bytes) -> dict[str, Any]:
    return {"method": method.upper(), "url": target[:200],
            "truncated_sign_message": message[:TRUNCATE_MESSAGE].decode("utf-8", "replace"),
            "sign_message_length": len(message)}


def _sign_error(issue: str, *, field: str | None = None, **extra: Any) -> ApiProblem:
    return ApiProblem(401, "SIGN_ERROR", issue, field=field, location="authorization", **extra)
