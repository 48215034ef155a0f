"""The delivery-plan rules the sandbox enforces (spec §2.1, §2.3, §2.5 and §9.1 items 1-6, 8).

Format and type problems are 400 ``PARAM_ERROR``; well-formed requests that break a business rule are
400 ``INVALID_REQUEST``. Either way ``detail.field`` is a JSON pointer (``/modify_content/total_count``).
The first problem found is reported, as WeChat Pay does.

Choices where the spec is silent (documented in docs/sandbox.md):

- ``usage_mode`` absent means ``SINGLE``; an empty ``stock_id`` / ``stock_bundle_id`` counts as absent
  (the official example sends ``"stock_bundle_id": ""``), a non-empty one in the wrong mode is refused;
- with ``reuse_coupon_config: true`` the six reused fields must be omitted (they come from the batch,
  see ``coupons``); sending them is an ``INVALID_REQUEST`` rather than being silently ignored;
- ids (``brand_id``, ``product_coupon_id``, ``stock_id``, ``stock_bundle_id``) are 1-64 characters of
  ``[0-9A-Za-z_-]``; counts are positive 64-bit JSON integers (``true``, ``1.0`` and ``"1"`` are refused);
- ``recommend_word`` may be empty; ``plan_name`` may not.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from wxplan_cli.sandbox import coupons
from wxplan_cli.sandbox.fields import (
    check_count,
    check_id,
    check_out_request_no,
    check_shape,
    check_text,
    parse_time,
    require,
)
from wxplan_cli.sandbox.problems import invalid_request, param_error

CREATE_TYPES: dict[str, type] = {
    "out_request_no": str, "brand_id": str, "product_coupon_id": str, "stock_id": str,
    "reuse_coupon_config": bool, "plan_name": str, "total_count": int, "user_limit": int,
    "daily_limit": int, "delivery_start_time": str, "delivery_end_time": str, "recommend_word": str,
    "usage_mode": str, "stock_bundle_id": str,
}
MODIFY_TYPES: dict[str, type] = {
    "plan_name": str, "delivery_end_time": str, "total_count": int, "user_limit": int,
    "daily_limit": int, "recommend_word": str,
}
REUSED = ("plan_name", "total_count", "user_limit", "daily_limit", "delivery_start_time",
          "delivery_end_time")
COUNTS = ("total_count", "user_limit", "daily_limit")
USAGE_MODES = ("SINGLE", "PROGRESSIVE_BUNDLE")
MIN_DURATION = dt.timedelta(days=5)
MAX_NOTIFY_URL = 256


def validate_create(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(out_request_no, plan content)`` for a create body, or the first problem found."""
    check_shape(body, CREATE_TYPES)
    for key in ("out_request_no", "brand_id", "product_coupon_id", "reuse_coupon_config"):
        require(body, key)
    check_out_request_no(body["out_request_no"], "/out_request_no")
    check_id(body["brand_id"], "/brand_id")
    check_id(body["product_coupon_id"], "/product_coupon_id")
    content: dict[str, Any] = {"brand_id": body["brand_id"], "product_coupon_id": body["product_coupon_id"],
               **_usage(body), "reuse_coupon_config": body["reuse_coupon_config"]}
    batch = coupons.lookup(body["product_coupon_id"], content.get("stock_id") or content["stock_bundle_id"])
    if body["reuse_coupon_config"]:
        content.update(_reused_fields(body, batch))
    else:
        content.update(_given_fields(body))
    if "recommend_word" in body:
        _check_recommend_word(body["recommend_word"], "/recommend_word")
        content["recommend_word"] = body["recommend_word"]
    _check_batch(batch)
    _check_window(content, batch, "")
    return body["out_request_no"], content


def validate_update(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(out_request_no, modify_content)`` for an update body, format checks only."""
    check_shape(body, {"out_request_no": str, "modify_content": dict})
    require(body, "out_request_no")
    require(body, "modify_content")
    check_out_request_no(body["out_request_no"], "/out_request_no")
    changes: dict[str, Any] = body["modify_content"]
    if "delivery_start_time" in changes:
        raise invalid_request("/modify_content/delivery_start_time", "delivery_start_time cannot be changed")
    check_shape(changes, MODIFY_TYPES, "/modify_content")
    if not changes:
        raise param_error("/modify_content", "modify_content must name at least one field to change")
    if "plan_name" in changes:
        check_text(changes["plan_name"], "/modify_content/plan_name", max_bytes=36, max_width=24,
                   allow_empty=False)
    if "recommend_word" in changes:
        _check_recommend_word(changes["recommend_word"], "/modify_content/recommend_word")
    for key in COUNTS:
        if key in changes:
            check_count(changes[key], f"/modify_content/{key}")
    if "delivery_end_time" in changes:
        parse_time(changes["delivery_end_time"], "/modify_content/delivery_end_time")
    return body["out_request_no"], changes


def apply_update(content: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The plan content after ``changes``, enforcing the increase-only and extend-only rules."""
    for key in COUNTS:
        if key not in changes:
            continue
        if key not in content:
            raise invalid_request(f"/modify_content/{key}",
                                  f"{key} was not set when the plan was created and cannot be added")
        if changes[key] <= content[key]:
            raise invalid_request(f"/modify_content/{key}",
                                  f"{key} can only increase: must be greater than {content[key]}")
    if "delivery_end_time" in changes:
        old = parse_time(content["delivery_end_time"], "/delivery_end_time")
        if parse_time(changes["delivery_end_time"], "/modify_content/delivery_end_time") <= old:
            raise invalid_request("/modify_content/delivery_end_time",
                                  f"delivery_end_time can only be extended: must be later than "
                                  f"{content['delivery_end_time']}")
    updated = {**content, **changes}
    batch_id = updated.get("stock_id") or updated["stock_bundle_id"]
    _check_window(updated, coupons.lookup(updated["product_coupon_id"], batch_id), "/modify_content")
    return updated


def validate_notify(body: dict[str, Any]) -> str:
    """The ``notify_url`` of a set-notify-URL body: https, at most 256 characters."""
    check_shape(body, {"notify_url": str})
    require(body, "notify_url")
    url: str = body["notify_url"]
    if len(url) > MAX_NOTIFY_URL:
        raise param_error("/notify_url", f"is {len(url)} characters, at most {MAX_NOTIFY_URL} allowed")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if not host or parts.scheme != "https" or any(c.isspace() or ord(c) < 0x21 for c in url):
        raise param_error("/notify_url", "must be an absolute https:// URL without spaces", value=url)
    return url


def _usage(body: dict[str, Any]) -> dict[str, str]:
    mode = body.get("usage_mode", "SINGLE")
    if mode not in USAGE_MODES:
        raise param_error("/usage_mode", f"must be one of {', '.join(USAGE_MODES)}", value=mode)
    stock_id, bundle_id = body.get("stock_id", ""), body.get("stock_bundle_id", "")
    if mode == "SINGLE":
        require(body, "stock_id")
        check_id(stock_id, "/stock_id")
        if bundle_id:
            raise invalid_request("/stock_bundle_id",
                                  "stock_bundle_id must be omitted when usage_mode is SINGLE")
        return {"usage_mode": mode, "stock_id": stock_id}
    if not bundle_id:
        raise param_error("/stock_bundle_id",
                          "stock_bundle_id is required when usage_mode is PROGRESSIVE_BUNDLE")
    check_id(bundle_id, "/stock_bundle_id")
    if stock_id:
        raise invalid_request("/stock_id", "stock_id must be omitted when usage_mode is PROGRESSIVE_BUNDLE")
    return {"usage_mode": mode, "stock_bundle_id": bundle_id}


def _given_fields(body: dict[str, Any]) -> dict[str, Any]:
    for key in ("plan_name", "total_count", "delivery_start_time", "delivery_end_time"):
        if key not in body:
            raise param_error(f"/{key}", f"{key} is required when reuse_coupon_config is false")
    check_text(body["plan_name"], "/plan_name", max_bytes=36, max_width=24, allow_empty=False)
    for key in COUNTS:
        if key in body:
            check_count(body[key], f"/{key}")
    parse_time(body["delivery_start_time"], "/delivery_start_time")
    parse_time(body["delivery_end_time"], "/delivery_end_time")
    return {key: body[key] for key in REUSED if key in body}


def _reused_fields(body: dict[str, Any], batch: coupons.Batch) -> dict[str, Any]:
    for key in REUSED:
        if key in body:
            raise invalid_request(f"/{key}", f"{key} must be omitted when reuse_coupon_config is true: "
                                             "it is taken from the coupon and batch")
    fields: dict[str, Any] = {
        "plan_name": batch.name, "total_count": batch.max_count, "user_limit": batch.max_count_per_user,
        "delivery_start_time": coupons.rfc3339(batch.available_begin),
        "delivery_end_time": coupons.rfc3339(batch.latest_plan_end),
    }
    if batch.max_count_per_day is not None:
        fields["daily_limit"] = batch.max_count_per_day
    return fields


def _check_recommend_word(value: str, where: str) -> None:
    check_text(value, where, max_bytes=27, max_width=18, allow_empty=True)


def _check_batch(batch: coupons.Batch) -> None:
    if batch.usage_methods == ("OFFLINE",):
        raise invalid_request("/product_coupon_id", "该商品券核销方式暂不支持，请检查核销方式 "
                                                    "(offline-only coupons cannot be delivered by a plan)")
    if batch.available_stock < coupons.MIN_AVAILABLE_STOCK:
        raise invalid_request("/product_coupon_id",
                              f"创建投放计划的券可用库存需在 {coupons.MIN_AVAILABLE_STOCK} 以上 "
                              f"(available stock is {batch.available_stock})")


def _check_window(content: dict[str, Any], batch: coupons.Batch, prefix: str) -> None:
    """Rules 2-4: end after start, at least 5 days, inside the batch's usable period."""
    start = parse_time(content["delivery_start_time"], "/delivery_start_time")
    end = parse_time(content["delivery_end_time"], f"{prefix}/delivery_end_time")
    end_field = f"{prefix}/delivery_end_time"
    if end <= start:
        raise invalid_request(end_field, "delivery_end_time must be later than delivery_start_time")
    if end - start < MIN_DURATION:
        raise invalid_request(end_field, "投放计划周期过短: the plan must last at least 5 days")
    if start < batch.available_begin:
        raise invalid_request("/delivery_start_time", "delivery_start_time is before the batch becomes "
                              f"usable ({coupons.rfc3339(batch.available_begin)})")
    if end > batch.latest_plan_end:
        raise invalid_request(end_field, "delivery_end_time must be at least 1 day before the batch's "
                              f"available_end_time (latest {coupons.rfc3339(batch.latest_plan_end)})")
