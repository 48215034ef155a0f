"""The create and update rules of spec §2.1, §2.3 and §9.1, as the sandbox enforces them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sandbox_helpers import PLANS, FakeClock, SignedClient, plan_body

pytest_plugins = ["sandbox_fixtures"]

P, I = "PARAM_ERROR", "INVALID_REQUEST"  # noqa: E741

BAD_CREATES: list[tuple[str, dict[str, Any], str, str]] = [
    ("short out_request_no", {"out_request_no": "abc12"}, P, "/out_request_no"),
    ("long out_request_no", {"out_request_no": "a" * 41}, P, "/out_request_no"),
    ("space in out_request_no", {"out_request_no": "req 000001"}, P, "/out_request_no"),
    ("non-ASCII digit in out_request_no", {"out_request_no": "req-٠٠٠٠٠١"}, P, "/out_request_no"),
    ("missing out_request_no", {"out_request_no": None}, P, "/out_request_no"),
    ("empty brand_id", {"brand_id": ""}, P, "/brand_id"),
    ("bad brand_id", {"brand_id": "40 16"}, P, "/brand_id"),
    ("missing product_coupon_id", {"product_coupon_id": None}, P, "/product_coupon_id"),
    ("missing stock_id (SINGLE by default)", {"stock_id": None}, P, "/stock_id"),
    ("empty stock_id in SINGLE", {"usage_mode": "SINGLE", "stock_id": ""}, P, "/stock_id"),
    ("stock_bundle_id in SINGLE", {"stock_bundle_id": "B100"}, I, "/stock_bundle_id"),
    ("unknown usage_mode", {"usage_mode": "SEQUENTIAL"}, P, "/usage_mode"),
    ("bundle without stock_bundle_id", {"usage_mode": "PROGRESSIVE_BUNDLE", "stock_id": None}, P,
     "/stock_bundle_id"),
    ("bundle with stock_id", {"usage_mode": "PROGRESSIVE_BUNDLE", "stock_bundle_id": "B100"}, I, "/stock_id"),
    ("missing reuse_coupon_config", {"reuse_coupon_config": None}, P, "/reuse_coupon_config"),
    ("string reuse_coupon_config", {"reuse_coupon_config": "false"}, P, "/reuse_coupon_config"),
    ("missing plan_name", {"plan_name": None}, P, "/plan_name"),
    ("missing total_count", {"total_count": None}, P, "/total_count"),
    ("missing start", {"delivery_start_time": None}, P, "/delivery_start_time"),
    ("missing end", {"delivery_end_time": None}, P, "/delivery_end_time"),
    ("reuse with plan_name", {"reuse_coupon_config": True, "total_count": None, "user_limit": None,
                              "daily_limit": None, "delivery_start_time": None, "delivery_end_time": None},
     I, "/plan_name"),
    ("reuse with total_count", {"reuse_coupon_config": True, "plan_name": None}, I, "/total_count"),
    ("empty plan_name", {"plan_name": ""}, P, "/plan_name"),
    ("plan_name 13 CJK (39 bytes)", {"plan_name": "冬" * 13}, P, "/plan_name"),
    ("plan_name 25 columns", {"plan_name": "a" * 25}, P, "/plan_name"),
    ("emoji in plan_name", {"plan_name": "冬季\U0001f600"}, P, "/plan_name"),
    ("recommend_word 10 CJK", {"recommend_word": "惊" * 10}, P, "/recommend_word"),
    ("recommend_word 19 columns", {"recommend_word": "b" * 19}, P, "/recommend_word"),
    ("string count", {"total_count": "20000"}, P, "/total_count"),
    ("float count", {"total_count": 20000.0}, P, "/total_count"),
    ("boolean count", {"user_limit": True}, P, "/user_limit"),
    ("zero count", {"total_count": 0}, P, "/total_count"),
    ("negative count", {"daily_limit": -1}, P, "/daily_limit"),
    ("huge count", {"total_count": 2**64}, P, "/total_count"),
    ("unknown member", {"plan_desc": "x"}, P, "/plan_desc"),
    ("object member", {"plan_name": {"zh": "x"}}, P, "/plan_name"),
    ("time without offset", {"delivery_start_time": "2026-01-01T00:00:00"}, P, "/delivery_start_time"),
    ("time with a space", {"delivery_start_time": "2026-01-01 00:00:00+08:00"}, P, "/delivery_start_time"),
    ("date only", {"delivery_end_time": "2026-03-01"}, P, "/delivery_end_time"),
    ("impossible date", {"delivery_end_time": "2026-02-30T00:00:00+08:00"}, P, "/delivery_end_time"),
    ("impossible offset", {"delivery_end_time": "2026-03-01T00:00:00+25:00"}, P, "/delivery_end_time"),
    ("unix time", {"delivery_end_time": 1772294400}, P, "/delivery_end_time"),
    ("end before start", {"delivery_end_time": "2025-12-01T00:00:00+08:00"}, I, "/delivery_end_time"),
    ("under 5 days", {"delivery_end_time": "2026-01-05T23:59:59+08:00"}, I, "/delivery_end_time"),
    ("under 5 days across offsets", {"delivery_end_time": "2026-01-06T00:00:00+09:00"}, I,
     "/delivery_end_time"),
    ("end past the batch", {"delivery_end_time": "2099-12-31T00:00:00+08:00"}, I, "/delivery_end_time"),
    ("start before the batch", {"delivery_start_time": "2019-12-31T00:00:00+08:00"}, I,
     "/delivery_start_time"),
    ("coupon stock under 10000", {"product_coupon_id": "LOWSTOCK-1"}, I, "/product_coupon_id"),
    ("offline-only batch", {"stock_id": "OFFLINE-1"}, I, "/product_coupon_id"),
]


@pytest.mark.parametrize(("changes", "code", "field"), [c[1:] for c in BAD_CREATES],
                         ids=[c[0] for c in BAD_CREATES])
def test_bad_create_is_refused(sb_local: SignedClient, changes: dict[str, Any], code: str,
                               field: str) -> None:
    response = sb_local.send("POST", PLANS, plan_body(**changes))
    assert response.status_code == 400, response.text
    error = response.json()
    assert (error["code"], error["detail"]["field"]) == (code, field), error
    assert error["message"] and error["detail"]["issue"]


@pytest.mark.parametrize("key", ["user_limit", "stock_bundle_id", "plan_name"])
def test_null_is_refused(sb_local: SignedClient, key: str) -> None:
    body = plan_body()
    body[key] = None
    error = sb_local.send("POST", PLANS, body).json()
    assert (error["code"], error["detail"]["field"]) == (P, f"/{key}")
    assert "null" in error["detail"]["issue"]


BAD_BODIES: list[tuple[str, bytes, str]] = [
    ("empty", b"", ""), ("not JSON", b"plan", ""), ("array", b"[]", ""), ("string", b'"x"', ""),
    ("not UTF-8", b'{"plan_name":"\xff"}', ""), ("UTF-8 BOM", b"\xef\xbb\xbf{}", ""),
    ("truncated", b'{"out_request_no":', ""), ("NaN", b'{"total_count":NaN}', ""),
    ("duplicate key", b'{"out_request_no":"req-000001","out_request_no":"req-000002"}', "/out_request_no"),
    ("lone surrogate", json.dumps(plan_body(plan_name="\ud800")).encode(), "/plan_name"),
    ("escaped emoji", json.dumps(plan_body(plan_name="\U0001f600")).encode(), "/plan_name"),
    ("deep nesting", b'{"a":' * 5000 + b"1" + b"}" * 5000, ""),
    ("deep nesting inside the limit", b'{"a":' * 900 + b"1" + b"}" * 900, "/a"),
]


@pytest.mark.parametrize(("body", "field"), [c[1:] for c in BAD_BODIES], ids=[c[0] for c in BAD_BODIES])
def test_bad_body_is_a_param_error(sb_local: SignedClient, body: bytes, field: str) -> None:
    response = sb_local.send("POST", PLANS, body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["code"] == "PARAM_ERROR" and error["detail"]["field"].startswith(field), error


def test_json_body_needs_a_json_content_type(sb_local: SignedClient) -> None:
    response = sb_local.send("POST", PLANS, plan_body(), headers={"Content-Type": "text/plain"})
    assert response.status_code == 400 and response.json()["detail"]["field"] == "Content-Type"
    ok = sb_local.send("POST", PLANS, plan_body(),
                       headers={"Content-Type": "Application/JSON; charset=UTF-8"})
    assert ok.status_code == 200


@pytest.mark.parametrize("changes", [
    {"plan_name": "冬" * 12},
    {"plan_name": "a" * 24, "recommend_word": "b" * 18},
    {"recommend_word": ""},
    {"delivery_end_time": "2026-01-06T00:00:00+08:00"},  # exactly 5 days
    {"delivery_start_time": "2025-12-31T16:00:00Z",
     "delivery_end_time": "2026-03-01T00:00:00.123456789+08:00"},
    {"user_limit": None, "daily_limit": None, "recommend_word": None},
    {"stock_bundle_id": ""},
    {"usage_mode": "PROGRESSIVE_BUNDLE", "stock_id": "", "stock_bundle_id": "B100"},
    {"usage_mode": "PROGRESSIVE_BUNDLE", "stock_id": None, "stock_bundle_id": "B100"},
])
def test_valid_create_variants(sb_local: SignedClient, changes: dict[str, Any]) -> None:
    body = plan_body(**changes)
    plan = sb_local.verified(sb_local.send("POST", PLANS, body))["plan"]
    for key in ("plan_name", "total_count", "delivery_start_time", "delivery_end_time"):
        assert plan[key] == body[key]
    assert plan["usage_mode"] == body.get("usage_mode", "SINGLE")
    assert ("stock_id" in plan) == (plan["usage_mode"] == "SINGLE")
    assert all(value is not None for value in plan.values())


def test_reuse_coupon_config_fills_the_plan_from_the_batch(sb_local: SignedClient) -> None:
    reused = {key: None for key in ("plan_name", "total_count", "user_limit", "daily_limit",
                                    "delivery_start_time", "delivery_end_time")}
    body = plan_body(reuse_coupon_config=True, **reused)
    first = sb_local.verified(sb_local.send("POST", PLANS, body))["plan"]
    again = sb_local.verified(sb_local.send("POST", PLANS, body | {"out_request_no": "req-000002"}))["plan"]
    assert first["plan_name"] == "沙盒商品券4428" and first["reuse_coupon_config"] is True
    assert 10000 <= first["total_count"] < 100000 and 1 <= first["user_limit"] <= 5
    assert "daily_limit" not in first
    assert first["delivery_start_time"] == "2020-01-01T00:00:00+08:00"
    assert first["delivery_end_time"] == "2099-12-30T23:59:59+08:00"
    del first["plan_id"], again["plan_id"]
    assert again == first


@pytest.fixture
def plan_id(sb_local: SignedClient, sb_clock: FakeClock) -> str:
    body = plan_body(daily_limit=None)
    plan_id: str = sb_local.verified(sb_local.send("POST", PLANS, body))["plan"]["plan_id"]
    sb_clock.advance(10)
    return plan_id


def update(client: SignedClient, plan_id: str, modify: Any, number: str = "upd-000001") -> Any:
    return client.send("PATCH", f"{PLANS}/{plan_id}", {"out_request_no": number, "modify_content": modify})


BAD_UPDATES: list[tuple[str, Any, str, str]] = [
    ("same total_count", {"total_count": 20000}, I, "/modify_content/total_count"),
    ("lower total_count", {"total_count": 10000}, I, "/modify_content/total_count"),
    ("lower user_limit", {"user_limit": 1}, I, "/modify_content/user_limit"),
    ("daily_limit unset at creation", {"daily_limit": 5}, I, "/modify_content/daily_limit"),
    ("earlier end", {"delivery_end_time": "2026-02-01T00:00:00+08:00"}, I,
     "/modify_content/delivery_end_time"),
    ("same end", {"delivery_end_time": "2026-03-01T00:00:00+08:00"}, I, "/modify_content/delivery_end_time"),
    ("end past the batch", {"delivery_end_time": "2099-12-31T12:00:00+08:00"}, I,
     "/modify_content/delivery_end_time"),
    ("start time", {"delivery_start_time": "2026-01-02T00:00:00+08:00"}, I,
     "/modify_content/delivery_start_time"),
    ("unknown field", {"stock_id": "1"}, P, "/modify_content/stock_id"),
    ("null field", {"plan_name": None}, P, "/modify_content/plan_name"),
    ("empty modify_content", {}, P, "/modify_content"),
    ("modify_content not an object", [1], P, "/modify_content"),
    ("string count", {"total_count": "30000"}, P, "/modify_content/total_count"),
    ("long plan_name", {"plan_name": "冬" * 13}, P, "/modify_content/plan_name"),
    ("bad time", {"delivery_end_time": "tomorrow"}, P, "/modify_content/delivery_end_time"),
]


@pytest.mark.parametrize(("modify", "code", "field"), [c[1:] for c in BAD_UPDATES],
                         ids=[c[0] for c in BAD_UPDATES])
def test_bad_update_is_refused(sb_local: SignedClient, plan_id: str, modify: Any, code: str,
                               field: str) -> None:
    response = update(sb_local, plan_id, modify)
    assert response.status_code == 400, response.text
    error = response.json()
    assert (error["code"], error["detail"]["field"]) == (code, field), error


def test_update_body_shape(sb_local: SignedClient, plan_id: str) -> None:
    missing = sb_local.send("PATCH", f"{PLANS}/{plan_id}", {"modify_content": {"total_count": 30000}})
    assert missing.json()["detail"]["field"] == "/out_request_no"
    extra = sb_local.send("PATCH", f"{PLANS}/{plan_id}", {
        "out_request_no": "upd-000001", "plan_id": plan_id, "modify_content": {"total_count": 30000}})
    assert extra.json()["detail"]["field"] == "/plan_id"


def test_valid_update_changes_only_what_it_names(sb_local: SignedClient, plan_id: str) -> None:
    modify = {"total_count": 30000, "user_limit": 3, "plan_name": "春季投放",
              "delivery_end_time": "2026-04-01T00:00:00+08:00", "recommend_word": "新品"}
    plan = sb_local.verified(update(sb_local, plan_id, modify))["plan"]
    assert {k: plan[k] for k in modify} == modify
    assert plan["delivery_start_time"] == "2026-01-01T00:00:00+08:00" and "daily_limit" not in plan


def test_update_unknown_plan_is_404(sb_local: SignedClient) -> None:
    response = update(sb_local, "999999", {"total_count": 30000})
    assert response.status_code == 404 and response.json()["code"] == "RESOURCE_NOT_EXISTS"


def test_terminated_plan_cannot_be_updated(sb_local: SignedClient, plan_id: str) -> None:
    assert sb_local.send("POST", f"{PLANS}/{plan_id}/terminate").status_code == 204
    response = update(sb_local, plan_id, {"total_count": 30000})
    assert response.status_code == 400 and response.json()["code"] == "INVALID_REQUEST"
    again = sb_local.send("POST", f"{PLANS}/{plan_id}/terminate")
    assert again.status_code == 204  # idempotent
    assert sb_local.send("POST", f"{PLANS}/999999/terminate").status_code == 404
