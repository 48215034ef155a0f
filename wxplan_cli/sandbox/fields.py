"""Field-level checks shared by the create and update rules: JSON types, strings, counts, times.

Each check raises a 400 ``PARAM_ERROR`` (a format or type problem) with ``detail.field`` set to the
JSON pointer of the offending member. Business rules live in ``rules``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from wxplan_cli.sandbox.problems import param_error

OUT_REQUEST_NO = re.compile(r"[0-9A-Za-z_-]{6,40}", re.ASCII)
ID = re.compile(r"[0-9A-Za-z_-]{1,64}", re.ASCII)
MAX_COUNT = 2**63 - 1
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?"
    r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))", re.ASCII)

_TYPE_NAMES = {str: "a string", int: "an integer", bool: "a boolean", dict: "an object"}


def check_shape(body: dict[str, Any], types: dict[str, type], prefix: str = "") -> None:
    """Unknown members, ``null`` values and wrong JSON types, in body order."""
    for key, value in body.items():
        where = f"{prefix}/{key}"
        expected = types.get(key)
        if expected is None:
            raise param_error(where, f"unknown field {key!r}")
        if value is None:
            raise param_error(where, "null is not allowed: omit the field instead")
        if not _is_type(value, expected):
            raise param_error(where, f"must be {_TYPE_NAMES[expected]}, not {json_type(value)}",
                              value=value)


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number with a fraction or exponent"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def require(body: dict[str, Any], key: str, prefix: str = "") -> None:
    """A required member is present."""
    if key not in body:
        raise param_error(f"{prefix}/{key}", f"{key} is required")


def check_out_request_no(value: str, where: str) -> None:
    """``[0-9A-Za-z_-]{6,40}`` (spec §2.1)."""
    if not OUT_REQUEST_NO.fullmatch(value):
        raise param_error(where, "must be 6-40 characters of [0-9A-Za-z_-]", value=value)


def check_id(value: str, where: str, *, location: str = "body") -> None:
    """A non-empty id of at most 64 characters of ``[0-9A-Za-z_-]``."""
    if not value:
        raise param_error(where, "must not be empty", location=location)
    if not ID.fullmatch(value):
        raise param_error(where, "must be 1-64 characters of [0-9A-Za-z_-]", location=location, value=value)


def display_width(text: str) -> int:
    """Columns on screen: 2 for wide (CJK) characters, 1 for the rest."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def check_text(value: str, where: str, *, max_bytes: int, max_width: int, allow_empty: bool) -> None:
    """UTF-8 byte length and display width limits (the spec treats both as binding)."""
    if not value and not allow_empty:
        raise param_error(where, "must not be empty")
    size = len(value.encode("utf-8"))
    if size > max_bytes:
        raise param_error(where, f"is {size} UTF-8 bytes, at most {max_bytes} allowed", value=value)
    width = display_width(value)
    if width > max_width:
        raise param_error(where, f"is {width} columns wide (CJK counts 2), at most {max_width} allowed",
                          value=value)


def check_count(value: int, where: str) -> None:
    """A positive JSON integer that fits in 64 bits."""
    if value <= 0:
        raise param_error(where, "must be a positive integer", value=value)
    if value > MAX_COUNT:
        raise param_error(where, "is too large (64-bit integer)")


def parse_time(value: str, where: str) -> dt.datetime:
    """An RFC 3339 date-time with an explicit offset (``Z`` or ``+08:00``), timezone-aware."""
    match = _RFC3339.fullmatch(value)
    moment = _build(match) if match else None
    if moment is None:
        raise param_error(where, "must be an RFC 3339 time with an offset, e.g. 2025-01-01T00:00:00+08:00",
                          value=value)
    return moment


def _build(match: re.Match[str]) -> dt.datetime | None:
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, zulu, sign, off_h, off_m = match.groups()[6:]
    micro = int((fraction or ".0")[1:7].ljust(6, "0"))
    if not 1970 <= year <= 9998:  # far from datetime's limits, so offsets and arithmetic never overflow
        return None
    if zulu:
        offset = dt.timedelta(0)
    else:
        if int(off_h) > 23 or int(off_m) > 59:
            return None
        offset = dt.timedelta(hours=int(off_h), minutes=int(off_m)) * (-1 if sign == "-" else 1)
    try:
        return dt.datetime(year, month, day, hour, minute, second, micro, dt.timezone(offset))
    except ValueError:
        return None


def _is_type(value: Any, expected: type) -> bool:
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)
