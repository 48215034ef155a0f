"""Property tests: whatever the input, the plan model answers with a Plan or a ValidationError."""

from __future__ import annotations

import datetime as dt
import json
import re

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wxplan_cli.errors import ValidationError
from wxplan_cli.plan import (
    FIELD_NAMES,
    Plan,
    build_plan,
    derive_out_request_no,
    load_plan_bytes,
    load_plan_source,
    skeleton,
    validate_payload_dict,
)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ORN = re.compile(r"[0-9A-Za-z_-]{6,40}")

TRICKY = ["00123", "0123", "yes", "no", "on", "off", "y", "~", "null", "", "12:30", "1e5", "1.5", "0x1F",
          "1_000", "2025-01-01", "2025-01-01 10:00", "2025-01-01 10:00:00", "2025-02-30", '"quoted"',
          "'single'", "[1, 2]", "{a: 1}", "&a x", "*a", "!!binary aGk=", "|\n  block", "冬季饮料投放",
          "😀", "\t1", "- x", "true", "10000", "-1", "2147483648", "REPLACE-ME", '"\\ud83d"', ".inf"]
KEYS = st.sampled_from([*FIELD_NAMES, "brand", "<<", "? x", "", "品牌ID"])
SCALARS = st.sampled_from(TRICKY) | st.text(max_size=20)
YAMLISH = st.lists(st.tuples(st.sampled_from(["", "  ", "\t", "- "]), KEYS, SCALARS), max_size=16).map(
    lambda rows: "\n".join(f"{indent}{key}: {value}" for indent, key, value in rows))
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
    | st.sampled_from(TRICKY) | st.dates().map(str),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
FIELD_DICTS = st.dictionaries(st.sampled_from(FIELD_NAMES), JSONISH, max_size=14)


def plan_or_validation_error(make: object) -> Plan | None:
    try:
        plan = make()  # type: ignore[operator]
    except ValidationError as exc:
        assert exc.issues and all(i.field and i.message for i in exc.issues)
        return None
    assert isinstance(plan, Plan)
    assert ORN.fullmatch(plan.out_request_no)
    assert None not in plan.payload().values()
    assert json.loads(plan.body()) == plan.payload()
    return plan


@SETTINGS
@given(st.text(max_size=400))
def test_any_text(text: str) -> None:
    plan_or_validation_error(lambda: build_plan(load_plan_source("-", text), {}, mchid="1900000109"))


@SETTINGS
@given(YAMLISH)
def test_yamlish_text(text: str) -> None:
    plan_or_validation_error(lambda: build_plan(load_plan_source("-", text), {}, mchid="1900000109"))


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes(data: bytes) -> None:
    plan_or_validation_error(lambda: build_plan(load_plan_bytes(data, "x.yaml"), {}, mchid="1900000109"))


@SETTINGS
@given(FIELD_DICTS)
def test_any_dict_as_a_file(data: dict[str, object]) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    plan_or_validation_error(lambda: build_plan(load_plan_source("-", text), {}, mchid="1900000109"))
    as_json = json.dumps(data, ensure_ascii=False)
    plan_or_validation_error(lambda: build_plan(load_plan_source("-", as_json), {}, mchid="1900000109"))


@SETTINGS
@given(FIELD_DICTS, FIELD_DICTS)
def test_any_flags_and_defaults(flags: dict[str, object], defaults: dict[str, object]) -> None:
    plan_or_validation_error(lambda: build_plan(None, flags, defaults, mchid="1900000109"))


@SETTINGS
@given(st.dictionaries(JSONISH.filter(lambda k: isinstance(k, (str, int))), JSONISH, max_size=8)  # type: ignore[arg-type]
       | FIELD_DICTS)
def test_validate_payload_dict_never_raises(data: dict[object, object]) -> None:
    issues = validate_payload_dict(data)
    assert isinstance(issues, list)


VALID_FLAGS = st.fixed_dictionaries({
    "brand_id": st.from_regex(r"[0-9]{1,10}", fullmatch=True),
    "product_coupon_id": st.from_regex(r"[0-9]{10,30}", fullmatch=True),
    "stock_id": st.from_regex(r"[0-9]{10,30}", fullmatch=True),
    "plan_name": st.text(st.characters(categories=["L", "N"], max_codepoint=0xFFFF), min_size=1, max_size=12),
    "total_count": st.integers(1, 2**31 - 1),
    "delivery_start_time": st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2030, 1, 1)),
}, optional={"user_limit": st.integers(1, 100), "recommend_word": st.sampled_from(["天天有惊喜", "hello"])})


@SETTINGS
@given(VALID_FLAGS, st.integers(5 * 86400, 400 * 86400), st.text(min_size=1, max_size=12))
def test_valid_plans_build_and_derive_stably(flags: dict[str, object], seconds: int, mchid: str) -> None:
    start = flags["delivery_start_time"]
    assert isinstance(start, dt.datetime)
    flags = {**flags, "delivery_end_time": start + dt.timedelta(seconds=seconds)}
    if len(str(flags["plan_name"]).encode()) > 36:
        flags["plan_name"] = "名称"
    first = build_plan(None, flags, mchid=mchid)
    again = build_plan(None, dict(reversed(list(flags.items()))), mchid=mchid)
    assert first.body() == again.body()
    assert ORN.fullmatch(first.out_request_no)
    assert derive_out_request_no(first.payload(), mchid) == first.out_request_no
    # skeleton() quotes all text (yaml.safe_dump would write Y or 1E5 plain, which are refused)
    from_file = build_plan(load_plan_source("-", skeleton(first.payload())), {}, mchid=mchid)
    assert from_file.body() == first.body()
