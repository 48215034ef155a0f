"""Plan times: read RFC 3339 and friendly forms, write RFC 3339 in Beijing time.

Accepted: ``2025-01-01T00:00:00+08:00``, ``...Z``, fractional seconds (up to microseconds), and the
friendly forms ``2025-01-01``, ``2025-01-01 10:00``, ``2025-01-01 10:00:00``, ``2025-01-01T10:00``,
which are Asia/Shanghai time unless an offset is given. ``date`` / ``datetime`` objects are accepted
too (a naive datetime is Asia/Shanghai time).

Every time is written back as RFC 3339 in +08:00 (``2025-01-01T00:00:00+08:00``), whatever offset it
was given in: the same instant always gives the same text, so the request body (and the
out_request_no derived from it) does not depend on how the time was spelled.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

#: Asia/Shanghai. China has kept +08:00 without daylight saving since 1991, so a fixed offset is exact
#: (and needs no tzdata).
SHANGHAI = timezone(timedelta(hours=8))

FORMS_HINT = ('write RFC 3339 such as 2025-01-01T10:00:00+08:00, or 2025-01-01 / 2025-01-01 10:00 '
              '(Beijing time)')

_TIME = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:[Tt ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6}))?)?"
    r" ?(?P<offset>[Zz]|[+-]\d{2}:\d{2})?)?"
)


class TimeError(ValueError):
    """A value is not a usable time; ``hint`` says which forms are accepted."""

    def __init__(self, message: str, hint: str = FORMS_HINT) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def parse_time(value: object) -> datetime:
    """An aware datetime in +08:00 for ``value`` (str, date or datetime), or :class:`TimeError`."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=SHANGHAI)
        return _to_shanghai(aware, str(value))
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=SHANGHAI)
    if not isinstance(value, str):
        raise TimeError(f"must be a date-time, not {type(value).__name__}")
    match = _TIME.fullmatch(value.strip())
    if match is None:
        raise TimeError(f"{value!r} is not a date-time")
    return _to_shanghai(_build(match, value), value)


def _build(match: re.Match[str], text: str) -> datetime:
    part = match.groupdict()
    fraction = (part["fraction"] or "").ljust(6, "0")
    try:
        return datetime(int(part["year"]), int(part["month"]), int(part["day"]),
                        int(part["hour"] or 0), int(part["minute"] or 0), int(part["second"] or 0),
                        int(fraction or 0), tzinfo=_offset(part["offset"]))
    except ValueError:
        raise TimeError(f"{text!r} is not a real date or time") from None


def _offset(text: str | None) -> timezone:
    if text is None:
        return SHANGHAI
    if text in ("Z", "z"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError(f"bad offset {text}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _to_shanghai(value: datetime, text: str) -> datetime:
    try:
        return value.astimezone(SHANGHAI)
    except (OverflowError, ValueError):
        raise TimeError(f"{text!r} is out of range") from None


def format_rfc3339(value: datetime) -> str:
    """RFC 3339 in +08:00: ``2025-01-01T10:00:00+08:00`` (``.5`` style fraction only when non-zero)."""
    local = value.astimezone(SHANGHAI).replace(tzinfo=None)
    text = local.isoformat(timespec="seconds")
    if local.microsecond:
        text += f".{local.microsecond:06d}".rstrip("0")
    return text + "+08:00"
