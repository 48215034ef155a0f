"""Explain a ``401 SIGN_ERROR``: compare what WeChat Pay says it verified with what wxplan signed,
and the local clock with the server's ``Date`` header.

WeChat Pay's 401 body carries ``detail.sign_information`` (``method``, ``url``,
``truncated_sign_message``, ``sign_message_length``) when the signature did not match. Every member is
optional: the explanation uses what is there and says nothing it cannot back up.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from typing import Any

CLOCK_TOLERANCE = 60  # seconds of skew worth mentioning (the server's window is undocumented)


def explain_sign_error(detail: Mapping[str, Any], signed: bytes | None, server_date: str | None,
                       now: float) -> str:
    """One or more sentences saying the likely cause, for the hint of a 401 ``SIGN_ERROR``."""
    reasons = [r for r in (_clock(server_date, now), _compare(detail, signed)) if r]
    if not reasons:
        reasons.append("check that private_key belongs to the certificate whose serial is serial_no, "
                       "and that mchid is the service provider's")
    return "; ".join(reasons)


def _clock(server_date: str | None, now: float) -> str | None:
    if not server_date:
        return None
    try:
        server = email.utils.parsedate_to_datetime(server_date).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    skew = now - server
    if abs(skew) <= CLOCK_TOLERANCE:
        return None
    direction = "ahead of" if skew > 0 else "behind"
    return f"the local clock is {abs(int(skew))} s {direction} WeChat Pay's: sync it (NTP)"


def _compare(detail: Mapping[str, Any], signed: bytes | None) -> str | None:
    info = detail.get("sign_information") if isinstance(detail, Mapping) else None
    if not isinstance(info, Mapping) or signed is None:
        return None
    length = info.get("sign_message_length")
    shown = info.get("truncated_sign_message")
    if isinstance(length, int) and length != len(signed):
        return (f"WeChat Pay verified a {length}-byte message but wxplan signed {len(signed)} bytes: "
                "something between (a proxy?) changed the URL or body")
    if isinstance(shown, str) and not signed.decode("utf-8", "replace").startswith(shown):
        return ("the request WeChat Pay verified starts differently from what wxplan signed: "
                "something between (a proxy?) changed the method, URL or body")
    if isinstance(length, int) or isinstance(shown, str):
        return ("WeChat Pay verified exactly the message wxplan signed, so the key is the problem: "
                "private_key does not match serial_no (or the certificate was revoked)")
    return None
