"""The one redactor every output path goes through: logs, dry-run, errors.

It masks the signature in ``Authorization`` headers (``WECHATPAY2-...`` and ``WECHATPAY-BRAND-...``),
``Wechatpay-Signature`` values, PEM blocks, ``openid``-like personal ids (JSON members and
``/users/{openid}/`` path segments) and anything registered as a secret at run time (the APIv3 key,
for instance).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"
_SIGNATURE_ATTR = re.compile(r'(signature\s*=\s*")[^"]*(")', re.IGNORECASE)
# JSON members and URL segments that hold a signature or a person's id (openid)
_SECRET_MEMBERS = ("signature", "openid", "sub_openid", "sp_openid", "apiv3_key")
_JSON_SECRET = re.compile(rf'("(?:{"|".join(_SECRET_MEMBERS)})"\s*:\s*")[^"]*(")', re.IGNORECASE)
_OPENID_PATH = re.compile(r"(/users/)[^/?\s]+")
_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.*?(-----END \1-----|$)", re.DOTALL)
_SECRET_HEADERS = {"wechatpay-signature", "cookie", "set-cookie", "proxy-authorization"}
_registered: set[str] = set()


def register_secret(value: str) -> None:
    """Mask ``value`` wherever it appears from now on (e.g. the APIv3 key once loaded)."""
    if value and len(value) >= 8:
        _registered.add(value)


def redact_text(text: str) -> str:
    """Mask signatures, PEM blocks and registered secrets in free text."""
    text = _SIGNATURE_ATTR.sub(rf"\g<1>{MASK}\g<2>", text)
    text = _JSON_SECRET.sub(rf"\g<1>{MASK}\g<2>", text)
    text = _OPENID_PATH.sub(rf"\g<1>{MASK}", text)
    text = _PEM.sub(lambda m: f"-----BEGIN {m.group(1)}----- {MASK} -----END {m.group(1)}-----", text)
    for secret in _registered:
        text = text.replace(secret, MASK)
    return text


def redact_data(value: Any) -> Any:
    """A JSON-like value (dicts, lists, strings) with every string redacted and secret members masked.

    For structures about to be serialised: redacting their JSON text afterwards would miss what the
    escaping changes (``signature=\\"...\\"``)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: MASK if str(k).lower() in _SECRET_MEMBERS and isinstance(v, str) else redact_data(v)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_data(v) for v in value]
    return value


def redact_header(name: str, value: str) -> str:
    """One header value, safe to print."""
    if name.lower() in _SECRET_HEADERS:
        return MASK
    return redact_text(value)


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Header pairs with every secret masked, order kept."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(k, redact_header(k, v)) for k, v in items]
