"""Reading plans through the list endpoint (spec §2.2): the API has no get-one endpoint.

    iter_plans(client, brand_id, ...)   every plan of a brand, page after page (<= 50 a page)
    fetch_plan(client, brand_id, id)    one plan (the list endpoint with ``plan_id``), or NotFoundError
    enum_value(value, choices, option)  a --state / --audit-state value checked, with a did-you-mean

Importing this module is cheap (the client, and with it httpx, is only needed by the caller).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from wxplan_cli.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from wxplan_cli.client import PartnerClient

PAGE_SIZE = 50  # the documented maximum ("最大不超过50")


def iter_plans(client: PartnerClient, brand_id: str, *, state: str | None = None,
               audit_state: str | None = None, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """Every plan of ``brand_id`` (filtered by ``state`` / ``audit_state``), up to ``limit``.

    Stops when a page is empty or ``offset`` reaches ``total_count`` (spec §2.2 recommendation).
    """
    offset, seen = 0, 0
    page_size = min(PAGE_SIZE, limit) if limit else PAGE_SIZE
    while True:
        page = client.list_plans(brand_id, offset=offset, page_size=page_size,
                                 plan_state=state, audit_state=audit_state)
        for plan in page.plan_list:
            yield plan
            seen += 1
            if limit is not None and seen >= limit:
                return
        offset += len(page.plan_list)
        if not page.plan_list or offset >= page.total_count:
            return


def fetch_plan(client: PartnerClient, brand_id: str, plan_id: str) -> dict[str, Any]:
    """The plan ``plan_id`` of ``brand_id``; ``NotFoundError`` (exit 5) when the API does not list it."""
    page = client.list_plans(brand_id, plan_id=plan_id, page_size=1)
    for plan in page.plan_list:
        if str(plan.get("plan_id")) == plan_id:
            return plan
    raise NotFoundError(f"plan {plan_id} not found for brand {brand_id}",
                        hint="check the plan id and --brand-id (wxplan list shows the brand's plans)")


def enum_value(value: str, choices: Iterable[str], option: str) -> str:
    """``value`` as one of ``choices``: any case, the prefix optional (``delivering`` -> PLAN_DELIVERING).

    Anything else is a ``UsageError`` (exit 2) listing the values, with a did-you-mean.
    """
    names = list(choices)
    word = value.strip().upper().replace("-", "_")
    for name in names:
        if word == name or name.endswith("_" + word):
            return name
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]}? " if close else ""
    raise UsageError(f"{option} {value!r} is not a known value",
                     hint=f"{hint}one of: {', '.join(names)}")
