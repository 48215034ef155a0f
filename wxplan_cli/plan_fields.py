"""The delivery-plan vocabulary: create-request fields, response labels and enums (spec §2.1, §2.6).

Plain data with no heavy imports, so the CLI can build its ``--help`` (and render.py its table labels)
from :data:`FIELDS` without loading PyYAML. :mod:`wxplan_cli.plan` re-exports everything here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["string", "integer", "boolean", "time"]
#: when a field is required: always; unless reuse_coupon_config is true; for usage_mode SINGLE
#: (the default); for usage_mode PROGRESSIVE_BUNDLE; never
Required = Literal["always", "unless_reuse", "single_mode", "bundle_mode", "optional"]

ID_PATTERN = r"[0-9A-Za-z_-]{1,64}"  # ids: undocumented charset; real ones are digits (see plan_rules)
OUT_REQUEST_NO_PATTERN = r"[0-9A-Za-z_-]{6,40}"
MAX_COUNT = 2**31 - 1
MIN_DURATION_DAYS = 5
PLACEHOLDER = "REPLACE-ME"


@dataclass(frozen=True)
class FieldSpec:
    """One field of the create-plan request body."""

    name: str
    kind: Kind
    label: str  # Chinese label, as on WeChat Pay's pages
    help: str  # one English line for --help
    flag: str  # the CLI option ("--start"; "--reuse-coupon-config/--no-reuse-coupon-config")
    required: Required = "optional"
    rule: str = ""  # the constraint, for help and the skeleton
    pattern: str | None = None  # full-match regex for the value
    max_bytes: int | None = None
    max_width: int | None = None
    choices: tuple[str, ...] = ()
    example: str = ""  # a sample value, written as YAML

    @property
    def flags(self) -> tuple[str, ...]:
        """Each option spelling: ``("--reuse-coupon-config", "--no-reuse-coupon-config")``."""
        return tuple(self.flag.split("/"))


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("out_request_no", "string", "创建请求单号",
              "Request number, unique per plan; derived from the plan's content when omitted",
              "--out-request-no", rule="6-40 characters: 0-9 A-Z a-z _ -",
              pattern=OUT_REQUEST_NO_PATTERN, example='"plan-2025-winter-01"'),
    FieldSpec("brand_id", "string", "品牌ID", "Brand the plan is for (authorised to the service provider)",
              "--brand-id", "always", "digits, as shown in 品牌经营中心", ID_PATTERN, example='"40016"'),
    FieldSpec("product_coupon_id", "string", "商品券ID", "Product coupon to deliver",
              "--product-coupon-id", "always", "digits, from 创建商品券", ID_PATTERN,
              example='"701146876221757924829193824428"'),
    FieldSpec("stock_id", "string", "批次ID", "Coupon batch (stock); only for usage mode SINGLE",
              "--stock-id", "single_mode", "digits", ID_PATTERN,
              example='"701246876221757924829194755312"'),
    FieldSpec("reuse_coupon_config", "boolean", "是否复用商品券和批次信息",
              "Take name, quota, limits and times from the coupon and batch (default: false)",
              "--reuse-coupon-config/--no-reuse-coupon-config",
              rule="true or false; true fills plan_name ... delivery_end_time from the coupon and batch",
              example="false"),
    FieldSpec("plan_name", "string", "投放计划名称", "Plan name, shown to users",
              "--plan-name", "unless_reuse", "at most 12 Chinese or 24 Latin characters (36 UTF-8 bytes)",
              max_bytes=36, max_width=24, example='"冬季饮料投放"'),
    FieldSpec("total_count", "integer", "投放总库存数量", "Total number of coupons the plan may deliver",
              "--total-count", "unless_reuse", f"whole number, 1 to {MAX_COUNT}", example="10000"),
    FieldSpec("user_limit", "integer", "单用户限领", "Claims per user (cannot be added later)",
              "--user-limit", rule=f"whole number, 1 to {MAX_COUNT}", example="1"),
    FieldSpec("daily_limit", "integer", "单日限领", "Claims per user per day (cannot be added later)",
              "--daily-limit", rule=f"whole number, 1 to {MAX_COUNT}", example="1"),
    FieldSpec("delivery_start_time", "time", "投放开始时间",
              "Start: RFC 3339, or 2025-01-01 [10:00] in Beijing time", "--start", "unless_reuse",
              "RFC 3339 or 2025-01-01 10:00 (Beijing time unless an offset is given)",
              example='"2025-01-01 00:00"'),
    FieldSpec("delivery_end_time", "time", "投放结束时间",
              f"End: at least {MIN_DURATION_DAYS} days after the start", "--end", "unless_reuse",
              f"as the start; at least {MIN_DURATION_DAYS} days after it", example='"2025-01-31 00:00"'),
    FieldSpec("recommend_word", "string", "营销标签", "Marketing tag shown on the offer",
              "--recommend-word", rule="at most 9 Chinese or 18 Latin characters (27 UTF-8 bytes)",
              max_bytes=27, max_width=18, example='"天天有惊喜"'),
    FieldSpec("usage_mode", "string", "使用模式", "SINGLE (default) or PROGRESSIVE_BUNDLE",
              "--usage-mode", rule="SINGLE or PROGRESSIVE_BUNDLE; SINGLE when left out",
              choices=("SINGLE", "PROGRESSIVE_BUNDLE"), example="SINGLE"),
    FieldSpec("stock_bundle_id", "string", "投放批次组ID", "Batch bundle; only for PROGRESSIVE_BUNDLE",
              "--stock-bundle-id", "bundle_mode", "digits",
              ID_PATTERN, example='"REPLACE-ME"'),
)

FIELD_BY_NAME: dict[str, FieldSpec] = {spec.name: spec for spec in FIELDS}
FIELD_NAMES: tuple[str, ...] = tuple(FIELD_BY_NAME)

#: the six fields WeChat Pay fills from the coupon and batch when reuse_coupon_config is true
REUSED_FIELDS: tuple[str, ...] = ("plan_name", "total_count", "user_limit", "daily_limit",
                                  "delivery_start_time", "delivery_end_time")

USAGE_MODES: dict[str, str] = {"SINGLE": "单批次", "PROGRESSIVE_BUNDLE": "多次优惠批次组"}

PLAN_STATES: dict[str, str] = {
    "PLAN_CREATING": "创建中", "PLAN_CREATED": "创建成功", "PLAN_DELIVERING": "投放中",
    "PLAN_PAUSED": "已暂停", "PLAN_TERMINATING": "终止中", "PLAN_TERMINATED": "已终止",
    "PLAN_EXPIRED": "已过期",
}
PLAN_STATES_EN: dict[str, str] = {
    "PLAN_CREATING": "being created", "PLAN_CREATED": "created", "PLAN_DELIVERING": "delivering",
    "PLAN_PAUSED": "paused", "PLAN_TERMINATING": "being terminated", "PLAN_TERMINATED": "terminated",
    "PLAN_EXPIRED": "expired",
}
#: undocumented classes (spec §2.6): no further change / a change is under way
TERMINAL_PLAN_STATES = frozenset({"PLAN_TERMINATED", "PLAN_EXPIRED"})
TRANSITIONAL_PLAN_STATES = frozenset({"PLAN_CREATING", "PLAN_TERMINATING"})

AUDIT_STATES: dict[str, str] = {
    "AUDIT_INITIAL": "初始化", "AUDIT_PROCESSING": "审批中", "AUDIT_PASSED": "审批通过",
    "AUDIT_REJECTED": "审批拒绝",
}
AUDIT_STATES_EN: dict[str, str] = {
    "AUDIT_INITIAL": "initial", "AUDIT_PROCESSING": "under review", "AUDIT_PASSED": "approved",
    "AUDIT_REJECTED": "rejected",
}

#: Chinese labels of the plan object returned by create, update and list (spec §2.1 response table,
#: plus the fields third-party SDKs show)
PLAN_RESPONSE_LABELS: dict[str, str] = {
    "plan_id": "投放计划ID", "plan_name": "投放计划名称", "plan_state": "投放计划状态",
    "audit_state": "审核状态", "delivery_start_time": "开始可用时间", "delivery_end_time": "结束可用时间",
    "stock_id": "批次ID", "product_coupon_id": "商品券ID", "recommend_word": "营销标签",
    "brand_id": "品牌ID", "total_count": "总库存", "user_limit": "单用户限领", "daily_limit": "单日限领",
    "reuse_coupon_config": "是否复用商品券和批次信息", "usage_mode": "使用模式",
    "stock_bundle_id": "投放批次组ID",
}
