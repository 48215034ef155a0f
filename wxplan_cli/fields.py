"""Field names, Chinese labels and enum meanings of the delivery-plan API (spec §2.1, §2.6).

A leaf with no imports, so ``--help`` can show the labels without loading anything heavy.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldInfo:
    """One request field of 创建投放计划."""

    name: str
    label: str  # 中文 label as on the official page
    kind: str  # "str" | "int" | "bool" | "time" | "enum"
    help: str
    flag: str


CREATE_FIELDS: tuple[FieldInfo, ...] = (
    FieldInfo("out_request_no", "创建请求单号", "str",
              "request number, 6-40 of [0-9A-Za-z_-]; derived from the plan when omitted",
              "--out-request-no"),
    FieldInfo("brand_id", "品牌ID", "str", "brand the plan is for", "--brand-id"),
    FieldInfo("product_coupon_id", "商品券ID", "str", "product coupon id", "--product-coupon-id"),
    FieldInfo("stock_id", "批次ID", "str", "coupon batch id; required iff usage_mode is SINGLE",
              "--stock-id"),
    FieldInfo("reuse_coupon_config", "是否复用商品券和批次信息", "bool",
              "take name, counts and times from the coupon and batch (default: false)",
              "--reuse-coupon-config"),
    FieldInfo("plan_name", "投放计划名称", "str", "plan name, at most 12 Chinese characters",
              "--plan-name"),
    FieldInfo("total_count", "投放总库存数量", "int", "total delivery quota", "--total-count"),
    FieldInfo("user_limit", "单用户限领", "int", "per-user claim limit (cannot be added later)",
              "--user-limit"),
    FieldInfo("daily_limit", "单日限领", "int", "per-user per-day limit (cannot be added later)",
              "--daily-limit"),
    FieldInfo("delivery_start_time", "投放开始时间", "time",
              "start: RFC 3339, or 2025-01-01 / 2025-01-01 10:00 (Asia/Shanghai)", "--start"),
    FieldInfo("delivery_end_time", "投放结束时间", "time",
              "end: at least 5 days after the start; same formats as --start", "--end"),
    FieldInfo("recommend_word", "营销标签", "str", "marketing tag, at most 9 Chinese characters",
              "--recommend-word"),
    FieldInfo("usage_mode", "使用模式", "enum", "SINGLE (default) or PROGRESSIVE_BUNDLE",
              "--usage-mode"),
    FieldInfo("stock_bundle_id", "投放批次组ID", "str", "batch bundle id; for PROGRESSIVE_BUNDLE",
              "--stock-bundle-id"),
)

FIELD_BY_NAME: dict[str, FieldInfo] = {f.name: f for f in CREATE_FIELDS}

# The plan object returned by create, update and list (response labels differ slightly).
PLAN_LABELS: dict[str, str] = {
    "plan_id": "投放计划ID",
    "plan_name": "投放计划名称",
    "plan_state": "投放计划状态",
    "audit_state": "审核状态",
    "brand_id": "品牌ID",
    "product_coupon_id": "商品券ID",
    "stock_id": "批次ID",
    "usage_mode": "使用模式",
    "stock_bundle_id": "投放批次组ID",
    "reuse_coupon_config": "复用商品券和批次信息",
    "total_count": "总库存",
    "user_limit": "单用户限领",
    "daily_limit": "单日限领",
    "delivery_start_time": "开始可用时间",
    "delivery_end_time": "结束可用时间",
    "recommend_word": "营销标签",
}

PLAN_STATES: dict[str, str] = {
    "PLAN_CREATING": "创建中",
    "PLAN_CREATED": "创建成功",
    "PLAN_DELIVERING": "投放中",
    "PLAN_PAUSED": "已暂停",
    "PLAN_TERMINATING": "终止中",
    "PLAN_TERMINATED": "已终止",
    "PLAN_EXPIRED": "已过期",
}

AUDIT_STATES: dict[str, str] = {
    "AUDIT_INITIAL": "初始化",
    "AUDIT_PROCESSING": "审批中",
    "AUDIT_PASSED": "审批通过",
    "AUDIT_REJECTED": "审批拒绝",
}

USAGE_MODES = ("SINGLE", "PROGRESSIVE_BUNDLE")
TRANSITIONAL_STATES = frozenset({"PLAN_CREATING", "PLAN_TERMINATING"})
TERMINAL_STATES = frozenset({"PLAN_TERMINATED", "PLAN_EXPIRED"})
