"""Find out whether a create whose reply could not be trusted actually made a plan.

The plan object has no ``out_request_no`` (spec §8.4), so a plan is matched on what identifies it:
``product_coupon_id``, ``stock_id`` (or ``stock_bundle_id``), ``plan_name`` and the delivery times.
Used after a bad response signature, before anything is re-sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

MATCH_KEYS = ("product_coupon_id", "stock_id", "stock_bundle_id", "plan_name", "delivery_start_time",
              "delivery_end_time")
TIME_KEYS = ("delivery_start_time", "delivery_end_time")
#: without these the match is only by coupon and batch, which several plans may share (rule 6)
DISTINCT_KEYS = ("plan_name", "delivery_start_time", "delivery_end_time")


class Lister(Protocol):
    """What reconciliation needs of a client: one page of a brand's plans."""

    def list_plans(self, brand_id: str, *, offset: int = ..., page_size: int = ...,
                   plan_state: str | None = ..., audit_state: str | None = ...,
                   plan_id: str | None = ...) -> Any:
        """A page with ``total_count`` and ``plan_list``."""


def matches(payload: Mapping[str, Any], plan: Mapping[str, Any]) -> bool:
    """True when ``plan`` agrees with every identifying field ``payload`` sets (times as instants)."""
    return all(_same(k, plan.get(k), payload[k]) for k in MATCH_KEYS if payload.get(k) is not None)


def is_distinctive(payload: Mapping[str, Any]) -> bool:
    """Whether a match identifies this plan, not just any plan on the same coupon and batch."""
    return all(payload.get(k) is not None for k in DISTINCT_KEYS)


def _same(key: str, got: Any, want: Any) -> bool:
    if key in TIME_KEYS and isinstance(got, str) and isinstance(want, str):
        try:
            return _instant(got) == _instant(want)
        except ValueError:
            return got == want
    return bool(got == want)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def find_created(client: Lister, payload: Mapping[str, Any], *, max_pages: int = 20) -> list[dict[str, Any]]:
    """Plans of the payload's brand that match it (newest pages are not special: all are read)."""
    found: list[dict[str, Any]] = []
    offset = 0
    for _ in range(max_pages):
        page = client.list_plans(str(payload["brand_id"]), offset=offset, page_size=50)
        found += [p for p in _plans(page.plan_list) if matches(payload, p)]
        offset += len(page.plan_list)
        if not page.plan_list or offset >= page.total_count:
            break
    return found


def _plans(items: Iterable[Any]) -> Iterable[dict[str, Any]]:
    return (p for p in items if isinstance(p, dict))
