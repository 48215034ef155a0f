"""The sandbox's synthetic product coupons (商品券) and batches (批次).

The sandbox has no coupon API, so every ``product_coupon_id`` / ``stock_id`` / ``stock_bundle_id`` exists
and describes a batch derived deterministically from the ids (CRC-32, no randomness):

- name ``沙盒商品券NNNN`` (NNNN = last 4 id characters), ``max_count`` 10000-99999, ``max_count_per_user``
  1-5, no per-day limit; available stock = ``max_count``;
- usable from ``2020-01-01T00:00:00+08:00`` to ``2099-12-31T23:59:59+08:00`` (so rules 3 and 4 of spec §2.1
  only refuse plans outside that window), redeemable in the mini program and by payment code.

Markers in any of the ids (case-insensitive) change the batch so clients can exercise the refusals:

- ``LOWSTOCK``: available stock 5000, under the 10000 a plan needs (400 ``INVALID_REQUEST``);
- ``OFFLINE``: redeemable only offline (线下滴码核销), which plans do not support (400 ``INVALID_REQUEST``).
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

CST = dt.timezone(dt.timedelta(hours=8))
AVAILABLE_BEGIN = dt.datetime(2020, 1, 1, tzinfo=CST)
AVAILABLE_END = dt.datetime(2099, 12, 31, 23, 59, 59, tzinfo=CST)
MIN_AVAILABLE_STOCK = 10000


@dataclass(frozen=True)
class Batch:
    """What the plan rules need to know about a coupon and its batch (or batch bundle)."""

    name: str
    max_count: int
    max_count_per_user: int
    max_count_per_day: int | None
    available_begin: dt.datetime
    available_end: dt.datetime
    available_stock: int
    usage_methods: tuple[str, ...]

    @property
    def latest_plan_end(self) -> dt.datetime:
        """Rule 3: a plan must end at least one day before the batch stops being usable."""
        return self.available_end - dt.timedelta(days=1)


def lookup(product_coupon_id: str, batch_id: str) -> Batch:
    """The synthetic batch for a coupon id and a ``stock_id`` or ``stock_bundle_id``."""
    ids = f"{product_coupon_id}/{batch_id}"
    crc = zlib.crc32(ids.encode("utf-8"))
    max_count = 10000 + crc % 90000
    marked = ids.upper()
    return Batch(
        name=f"沙盒商品券{product_coupon_id[-4:]}",
        max_count=max_count,
        max_count_per_user=1 + crc % 5,
        max_count_per_day=None,
        available_begin=AVAILABLE_BEGIN,
        available_end=AVAILABLE_END,
        available_stock=5000 if "LOWSTOCK" in marked else max_count,
        usage_methods=("OFFLINE",) if "OFFLINE" in marked else ("MINI_PROGRAM", "PAYMENT_CODE"),
    )


def rfc3339(moment: dt.datetime) -> str:
    """``2099-12-30T23:59:59+08:00`` in China Standard Time, as WeChat Pay writes times."""
    return moment.astimezone(CST).isoformat(timespec="seconds")
