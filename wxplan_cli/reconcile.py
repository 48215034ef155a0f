"""Find out whether a create whose reply could not be trusted actually made a plan.

The plan object has no ``out_request_no`` (spec §8.4), so a plan is matched on what identifies it:
``product_coupon_id``, ``stock_id`` (or ``stock_bundle_id``), ``plan_name`` and the delivery times.
Used after a bad response signature, before anything is re-sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

MATCH_KEYS = ("product_coupon_id", "stock_id", "stock_bundle_id", "plan_name", "delivery_start_time",
              "delivery_end_time")


class Lister(Protocol):
    """What reconciliation needs of a client: one page of a brand's plans."""

    def list_plans(self, brand_id: str, *, offset: int = ..., page_size: int = ...,
                   plan_state: str | None = ..., audit_state: str | None = ...,
                   plan_id: str | None = ...) -> Any:
        """A page with ``total_count`` and ``plan_list``."""


def matches(payload: Mapping[str, Any], plan: Mapping[str, Any]) -> bool:
    """True when ``plan`` agrees with every identifying field ``payload`` sets."""
    return all(plan.get(k) == payload[k] for k in MATCH_KEYS if payload.get(k) is not None)


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
