"""The plan model's happy paths: loading, precedence, times, the body bytes, derivation, skeleton."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import sys
from pathlib import Path

import pytest

from wxplan_cli import plan as plan_module
from wxplan_cli.errors import ValidationError
from wxplan_cli.plan import (
    AUDIT_STATES,
    FIELDS,
    PLAN_RESPONSE_LABELS,
    PLAN_STATES,
    Plan,
    build_plan,
    derive_out_request_no,
    load_plan_source,
    skeleton,
)

MCHID = "1900000109"

# the reference page's example, with values the rules accept (a 30-day plan)
PLAN_YAML = """\
# 创建投放计划
out_request_no: asdf-1234-40016
brand_id: "40016"
product_coupon_id: "701146876221757924829193824428"
stock_id: "701246876221757924829194755312"
plan_name: 冬季饮料投放
total_count: 10000
user_limit: 1
daily_limit: 1
delivery_start_time: "2025-01-01T00:00:00+08:00"
delivery_end_time: "2025-01-31T00:00:00+08:00"
recommend_word: 天天有惊喜
"""

EXPECTED = {
    "out_request_no": "asdf-1234-40016", "brand_id": "40016",
    "product_coupon_id": "701146876221757924829193824428", "stock_id": "701246876221757924829194755312",
    "reuse_coupon_config": False, "plan_name": "冬季饮料投放", "total_count": 10000, "user_limit": 1,
    "daily_limit": 1, "delivery_start_time": "2025-01-01T00:00:00+08:00",
    "delivery_end_time": "2025-01-31T00:00:00+08:00", "recommend_word": "天天有惊喜",
}

FLAGS_ONLY = {
    "brand_id": "40016", "product_coupon_id": "701146876221757924829193824428",
    "stock_id": "701246876221757924829194755312", "plan_name": "冬季饮料投放", "total_count": 10000,
    "delivery_start_time": "2025-01-01", "delivery_end_time": "2025-01-31", "reuse_coupon_config": None,
    "user_limit": None, "out_request_no": None,
}


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def from_text(tmp_path: Path, text: str, name: str = "plan.yaml", **flags: object) -> Plan:
    return build_plan(load_plan_source(write(tmp_path, name, text)), flags, mchid=MCHID)


def test_reference_example_gives_the_expected_payload(tmp_path: Path) -> None:
    plan = from_text(tmp_path, PLAN_YAML)
    assert plan.payload() == EXPECTED
    assert list(plan.payload()) == [f.name for f in FIELDS if f.name in EXPECTED]
    assert not plan.out_request_no_derived
    assert plan.out_request_no == "asdf-1234-40016"


def test_body_is_compact_utf8_with_chinese_unescaped(tmp_path: Path) -> None:
    body = from_text(tmp_path, PLAN_YAML).body()
    assert body == json.dumps(EXPECTED, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert "冬季饮料投放".encode() in body
    assert b"\\u" not in body and b" " not in body and b"null" not in body
    assert body.startswith(b'{"out_request_no":"asdf-1234-40016","brand_id":"40016",')


def test_json_twin_gives_the_identical_body(tmp_path: Path) -> None:
    twin = json.dumps(EXPECTED, ensure_ascii=False, indent="\t")
    assert from_text(tmp_path, twin, "plan.json").body() == from_text(tmp_path, PLAN_YAML).body()


def test_sample_configs_are_valid() -> None:
    samples = Path(__file__).parent.parent / "sample-configs"
    if not (samples / "plan.yaml").exists():
        pytest.skip("no sample plans")
    yaml_plan = build_plan(load_plan_source(str(samples / "plan.yaml")), {}, mchid=MCHID)
    json_plan = build_plan(load_plan_source(str(samples / "plan.json")), {}, mchid=MCHID)
    assert yaml_plan.body() == json_plan.body()
    reuse = build_plan(load_plan_source(str(samples / "plan-reuse.yaml")), {}, mchid=MCHID)
    assert reuse.payload()["reuse_coupon_config"] is True


def test_flags_only() -> None:
    plan = build_plan(None, FLAGS_ONLY, mchid=MCHID)
    payload = plan.payload()
    assert payload["delivery_start_time"] == "2025-01-01T00:00:00+08:00"
    assert payload["reuse_coupon_config"] is False
    assert "user_limit" not in payload
    assert plan.out_request_no_derived
    assert plan.source_of("total_count") == "--total-count"
    assert plan.source_of("delivery_start_time") == "--start"
    assert plan.source_of("reuse_coupon_config") == "default"
    assert plan.source_of("out_request_no") == "derived"
    assert plan.source_of("user_limit") is None


def test_flags_override_file_and_file_overrides_defaults(tmp_path: Path) -> None:
    source = load_plan_source(write(tmp_path, "plan.yaml", PLAN_YAML.replace('brand_id: "40016"\n', "")))
    plan = build_plan(source, {"total_count": 20000, "plan_name": None},
                      {"brand_id": "50001", "plan_name": "默认名称", "mchid": "ignored"}, mchid=MCHID)
    payload = plan.payload()
    assert payload["total_count"] == 20000 and plan.source_of("total_count") == "--total-count"
    assert payload["plan_name"] == "冬季饮料投放" and plan.source_of("plan_name").endswith("plan.yaml:5")
    assert payload["brand_id"] == "50001" and plan.source_of("brand_id") == "profile"


def test_flag_false_for_reuse_overrides_file(tmp_path: Path) -> None:
    text = PLAN_YAML + "reuse_coupon_config: true\n"
    plan = from_text(tmp_path, text, reuse_coupon_config=False)
    assert plan.payload()["reuse_coupon_config"] is False
    assert plan.source_of("reuse_coupon_config") == "--no-reuse-coupon-config"


def test_flag_strings_for_counts_and_reuse_are_accepted() -> None:
    plan = build_plan(None, {**FLAGS_ONLY, "total_count": "500", "reuse_coupon_config": "false"}, mchid=MCHID)
    assert plan.payload()["total_count"] == 500


def test_unknown_flag_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not a plan field"):
        build_plan(None, {"start": "2025-01-01"}, mchid=MCHID)


def test_stdin_text_and_stdin_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    from_text_plan = build_plan(load_plan_source("-", PLAN_YAML), {}, mchid=MCHID)
    assert from_text_plan.payload() == EXPECTED
    stdin = io.TextIOWrapper(io.BytesIO(b"\xef\xbb\xbf" + PLAN_YAML.encode()), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    assert build_plan(load_plan_source("-"), {}, mchid=MCHID).body() == from_text_plan.body()


def test_stdin_json() -> None:
    plan = build_plan(load_plan_source("-", json.dumps(EXPECTED)), {}, mchid=MCHID)
    assert plan.payload() == EXPECTED


def test_stdin_issues_name_stdin() -> None:
    with pytest.raises(ValidationError) as info:
        build_plan(load_plan_source("-", PLAN_YAML.replace("10000", "0")), {}, mchid=MCHID)
    assert info.value.issues[0].source == "<stdin>:7"


def test_numeric_ids_are_kept_as_their_digits(tmp_path: Path) -> None:
    text = PLAN_YAML.replace('"40016"', "40016").replace('"701146876221757924829193824428"',
                                                           "701146876221757924829193824428")
    payload = from_text(tmp_path, text).payload()
    assert payload["brand_id"] == "40016"
    assert payload["product_coupon_id"] == "701146876221757924829193824428"


def test_crlf_and_bom_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + PLAN_YAML.replace("\n", "\r\n").encode("utf-8"))
    assert build_plan(load_plan_source(str(path)), {}, mchid=MCHID).payload() == EXPECTED


# -- times ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "sent"), [
    ('"2025-01-01T00:00:00+08:00"', "2025-01-01T00:00:00+08:00"),
    ("2025-01-01T00:00:00+08:00", "2025-01-01T00:00:00+08:00"),
    ("2025-01-01", "2025-01-01T00:00:00+08:00"),
    ('"2025-01-01"', "2025-01-01T00:00:00+08:00"),
    ("2025-01-01 10:00", "2025-01-01T10:00:00+08:00"),
    ("2025-01-01 10:00:00", "2025-01-01T10:00:00+08:00"),
    ("2025-01-01T10:00", "2025-01-01T10:00:00+08:00"),
    ("2024-12-31T16:00:00Z", "2025-01-01T00:00:00+08:00"),
    ("2025-01-01T00:00:00.250+08:00", "2025-01-01T00:00:00.25+08:00"),
    ("2025-01-01 10:00 +09:00", "2025-01-01T09:00:00+08:00"),
])
def test_time_forms(tmp_path: Path, written: str, sent: str) -> None:
    text = re.sub(r"delivery_start_time: .*", f"delivery_start_time: {written}", PLAN_YAML)
    assert from_text(tmp_path, text).payload()["delivery_start_time"] == sent


def test_naive_datetime_default_means_shanghai() -> None:
    import datetime as dt

    plan = build_plan(None, {**FLAGS_ONLY, "delivery_start_time": dt.datetime(2025, 1, 1, 9, 30)},
                      mchid=MCHID)
    assert plan.payload()["delivery_start_time"] == "2025-01-01T09:30:00+08:00"


# -- out_request_no derivation --------------------------------------------------------------------------


def test_derived_out_request_no_is_deterministic_and_well_formed(tmp_path: Path) -> None:
    text = PLAN_YAML.replace("out_request_no: asdf-1234-40016\n", "")
    first, again = from_text(tmp_path, text), from_text(tmp_path, text)
    assert first.out_request_no_derived
    assert first.out_request_no == again.out_request_no
    assert re.fullmatch(r"[0-9A-Za-z_-]{6,40}", first.out_request_no)
    assert re.fullmatch(r"wxp-[0-9a-f]{32}", first.out_request_no)
    assert first.payload()["out_request_no"] == first.out_request_no
    assert list(first.payload())[0] == "out_request_no"


def test_derivation_ignores_order_spelling_and_time_form(tmp_path: Path) -> None:
    text = PLAN_YAML.replace("out_request_no: asdf-1234-40016\n", "")
    lines = text.splitlines(keepends=True)
    shuffled = "".join([lines[0], *reversed(lines[1:])])
    friendly = (text.replace('"2025-01-01T00:00:00+08:00"', "2025-01-01")
                .replace('"2025-01-31T00:00:00+08:00"', "2025-01-30T16:00:00Z")
                .replace("plan_name: 冬季饮料投放", "plan_name: '冬季饮料投放'")
                + "reuse_coupon_config: false\n")
    numbers = {from_text(tmp_path, t).out_request_no for t in (text, shuffled, friendly)}
    as_json = {k: v for k, v in EXPECTED.items() if k != "out_request_no"}
    numbers.add(from_text(tmp_path, json.dumps(as_json, ensure_ascii=False), "p.json").out_request_no)
    numbers.add(build_plan(None, {**FLAGS_ONLY, "user_limit": 1, "daily_limit": 1,
                                  "recommend_word": "天天有惊喜"}, mchid=MCHID).out_request_no)
    assert len(numbers) == 1


def test_derivation_depends_on_content_and_merchant() -> None:
    base = {k: v for k, v in EXPECTED.items() if k != "out_request_no"}
    number = derive_out_request_no(base, MCHID)
    assert derive_out_request_no({**base, "total_count": 10001}, MCHID) != number
    assert derive_out_request_no(base, "1900000110") != number
    assert derive_out_request_no(dict(reversed(base.items())), MCHID) == number
    assert derive_out_request_no({**base, "out_request_no": "ignored-1"}, MCHID) == number
    assert derive_out_request_no({**base, "delivery_start_time": "2025-01-01"}, MCHID) == number


# -- the Plan object ---------------------------------------------------------------------------------


def test_plan_is_immutable(tmp_path: Path) -> None:
    plan = from_text(tmp_path, PLAN_YAML)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.items = ()  # type: ignore[misc]
    payload = plan.payload()
    payload["total_count"] = 1
    assert plan.payload()["total_count"] == 10000


def test_reuse_plan_is_minimal(tmp_path: Path) -> None:
    text = ('brand_id: "40016"\nproduct_coupon_id: "701146876221757924829193824428"\n'
            'stock_id: "701246876221757924829194755312"\nreuse_coupon_config: true\n')
    payload = from_text(tmp_path, text).payload()
    assert list(payload) == ["out_request_no", "brand_id", "product_coupon_id", "stock_id",
                             "reuse_coupon_config"]
    assert payload["reuse_coupon_config"] is True


def test_progressive_bundle_plan() -> None:
    flags = {**FLAGS_ONLY, "stock_id": None, "usage_mode": "PROGRESSIVE_BUNDLE", "stock_bundle_id": "1234567"}
    payload = build_plan(None, flags, mchid=MCHID).payload()
    assert payload["usage_mode"] == "PROGRESSIVE_BUNDLE" and payload["stock_bundle_id"] == "1234567"
    assert "stock_id" not in payload


# -- skeleton ----------------------------------------------------------------------------------------


def test_unedited_skeleton_cannot_be_sent(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        from_text(tmp_path, skeleton())
    placeholders = {i.field for i in info.value.issues if "placeholder" in i.message}
    assert placeholders == {"brand_id", "product_coupon_id", "stock_id", "plan_name", "total_count",
                            "delivery_start_time", "delivery_end_time"}


def test_prefilled_skeleton_round_trips(tmp_path: Path) -> None:
    text = skeleton(EXPECTED)
    for spec in FIELDS:
        assert spec.label in text
    assert from_text(tmp_path, text).payload() == EXPECTED


def test_skeleton_for_reuse_and_bundle(tmp_path: Path) -> None:
    reuse = skeleton({"reuse_coupon_config": True, "brand_id": "40016", "product_coupon_id": "1",
                      "stock_id": "2"})
    assert "\n# plan_name:" in reuse and "\n# total_count:" in reuse
    assert from_text(tmp_path, reuse).payload()["reuse_coupon_config"] is True
    bundle = skeleton({"usage_mode": "PROGRESSIVE_BUNDLE"})
    assert "\n# stock_id:" in bundle and '\nstock_bundle_id: "REPLACE-ME"' in bundle
    with pytest.raises(ValueError):
        skeleton({"nope": 1})


# -- vocabulary ----------------------------------------------------------------------------------------


def test_field_vocabulary() -> None:
    names = [f.name for f in FIELDS]
    assert names == ["out_request_no", "brand_id", "product_coupon_id", "stock_id", "reuse_coupon_config",
                     "plan_name", "total_count", "user_limit", "daily_limit", "delivery_start_time",
                     "delivery_end_time", "recommend_word", "usage_mode", "stock_bundle_id"]
    by_name = {f.name: f for f in FIELDS}
    assert by_name["delivery_start_time"].flag == "--start" and by_name["delivery_end_time"].flag == "--end"
    assert by_name["reuse_coupon_config"].flags == ("--reuse-coupon-config", "--no-reuse-coupon-config")
    assert by_name["plan_name"].label == "投放计划名称"
    assert all(f.help and f.label and f.flag.startswith("--") for f in FIELDS)
    assert PLAN_STATES["PLAN_DELIVERING"] == "投放中" and len(PLAN_STATES) == 7
    assert AUDIT_STATES["AUDIT_PASSED"] == "审批通过" and len(AUDIT_STATES) == 4
    assert PLAN_RESPONSE_LABELS["plan_id"] == "投放计划ID"


def test_field_vocabulary_does_not_load_yaml() -> None:
    import subprocess

    code = "import sys, wxplan_cli.plan_fields; assert 'yaml' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
    code = "import sys, wxplan_cli.plan; assert 'yaml' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
    assert plan_module.FIELDS is FIELDS
