"""Every create-plan rule, broken: the right field, the right file:line, a hint, all issues at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wxplan_cli.errors import ExitCode, Issue, ValidationError
from wxplan_cli.plan import build_plan, load_plan_source, validate_payload_dict
from wxplan_cli.yamlsrc import MAX_BYTES

MCHID = "1900000109"

GOOD = """\
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
LINE = {line.split(":")[0]: n for n, line in enumerate(GOOD.splitlines(), start=1)}
GOOD_DICT = {
    "out_request_no": "asdf-1234-40016", "brand_id": "40016",
    "product_coupon_id": "701146876221757924829193824428", "stock_id": "701246876221757924829194755312",
    "plan_name": "冬季饮料投放", "total_count": 10000, "delivery_start_time": "2025-01-01",
    "delivery_end_time": "2025-01-31",
}


def issues_of(tmp_path: Path, text: str, flags: dict[str, object] | None = None,
              name: str = "plan.yaml") -> list[Issue]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        build_plan(load_plan_source(str(path)), flags or {}, mchid=MCHID)
    assert info.value.exit_code == ExitCode.VALIDATION
    for issue in info.value.issues:
        assert issue.source is None or issue.source.startswith((str(path), "--")), issue
    return info.value.issues


def only_issue(tmp_path: Path, text: str, **flags: object) -> Issue:
    issues = issues_of(tmp_path, text, flags)
    assert len(issues) == 1, [i.render() for i in issues]
    assert issues[0].hint is None or issues[0].hint
    return issues[0]


def set_value(field: str, value: str, text: str = GOOD) -> str:
    return re.sub(rf"(?m)^{field}: .*$", lambda _: f"{field}: {value}", text)


def drop(field: str, text: str = GOOD) -> str:
    return re.sub(rf"(?m)^{field}: .*\n", "", text)


def at(tmp_path: Path, field: str) -> str:
    return f"{tmp_path / 'plan.yaml'}:{LINE[field]}"


# -- one rule each --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "needle"), [
    ("out_request_no", "abc", "6-40 characters"),
    ("out_request_no", '"' + "a" * 41 + '"', "6-40 characters"),
    ("out_request_no", "asdf 1234", "6-40 characters"),
    ("out_request_no", "订单-123456", "6-40 characters"),
    ("brand_id", '""', "must not be empty"),
    ("brand_id", '" 40016"', "1-64 characters"),
    ("brand_id", '"４００１６"', "1-64 characters"),
    ("product_coupon_id", '"7011/4687"', "1-64 characters"),
    ("stock_id", '"' + "1" * 65 + '"', "1-64 characters"),
    ("plan_name", "冬季饮料投放冬季饮料投放冬", "too long"),
    ("plan_name", "a" * 25, "too long"),
    ("plan_name", '"冬季\\n饮料"', "control character"),
    ("plan_name", "冬季饮料😀", "4-byte"),
    ("recommend_word", "天天有惊喜天天有惊喜", "too long"),
    ("recommend_word", "x" * 19, "too long"),
    ("recommend_word", '"\\ud83d"', "control character"),
    ("total_count", "0", "at least 1"),
    ("user_limit", "-1", "at least 1"),
    ("daily_limit", "2147483648", "at most 2147483647"),
    ("total_count", "10_000.5", "whole number"),
    ("total_count", '"10000"', "not the text"),
    ("total_count", "true", "whole number"),
    ("user_limit", "0100", "octal"),
    ("delivery_start_time", "2025-13-01", "not a real date"),
    ("delivery_start_time", '"tomorrow"', "not a date-time"),
    ("delivery_start_time", '"2025-01-01T10:00:00+25:00"', "not a real date"),
    ("delivery_start_time", "20250101", "not as a date-time"),
    ("delivery_end_time", "2024-12-31", "must be after"),
    ("delivery_end_time", '"2025-01-05T23:59:59+08:00"', "at least 5 days"),
    ("brand_id", "00123", "octal number 83"),
    ("brand_id", "yes", "boolean true"),
    ("stock_id", "12:30", "base-60"),
    ("product_coupon_id", "1e5", "other YAML tools"),
    ("product_coupon_id", "7.01e29", "number"),
    ("recommend_word", "~", "null"),
    ("plan_name", "", "null"),
    ("plan_name", "[a, b]", "not a list"),
    ("brand_id", "REPLACE-ME", "placeholder"),
    ("total_count", "REPLACE-ME", "placeholder"),
])
def test_each_rule(tmp_path: Path, field: str, value: str, needle: str) -> None:
    issue = only_issue(tmp_path, set_value(field, value))
    assert issue.field == field
    assert needle in issue.message, issue.render()
    assert issue.source == at(tmp_path, field)


def test_exactly_five_days_is_enough(tmp_path: Path) -> None:
    text = set_value("delivery_end_time", '"2025-01-06T00:00:00+08:00"')
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    assert build_plan(load_plan_source(str(path)), {}, mchid=MCHID).payload()["total_count"] == 10000


def test_small_total_count_is_allowed(tmp_path: Path) -> None:
    # the documented 10000 minimum is the coupon's available stock, not the plan's quota
    path = tmp_path / "plan.yaml"
    path.write_text(set_value("total_count", "1"), encoding="utf-8")
    assert build_plan(load_plan_source(str(path)), {}, mchid=MCHID).payload()["total_count"] == 1


@pytest.mark.parametrize("field", ["brand_id", "product_coupon_id", "stock_id", "plan_name", "total_count",
                                   "delivery_start_time", "delivery_end_time"])
def test_required_fields(tmp_path: Path, field: str) -> None:
    issue = only_issue(tmp_path, drop(field))
    assert issue.field == field and "required" in issue.message
    assert issue.source == str(tmp_path / "plan.yaml")
    assert issue.hint and field in issue.hint


def test_missing_with_flags_only_has_no_source() -> None:
    with pytest.raises(ValidationError) as info:
        build_plan(None, {}, mchid=MCHID)
    issues = info.value.issues
    assert {i.field for i in issues} == {"brand_id", "product_coupon_id", "stock_id", "plan_name",
                                         "total_count", "delivery_start_time", "delivery_end_time"}
    assert all(i.source is None for i in issues)
    assert next(i for i in issues if i.field == "delivery_start_time").hint.startswith("pass --start")


def test_reuse_true_takes_the_six_fields_from_the_coupon(tmp_path: Path) -> None:
    issues = issues_of(tmp_path, GOOD + "reuse_coupon_config: true\n")
    assert {i.field for i in issues} == {"plan_name", "total_count", "user_limit", "daily_limit",
                                         "delivery_start_time", "delivery_end_time"}
    assert all("taken from the coupon" in i.message for i in issues)


@pytest.mark.parametrize(("value", "hint"), [("yes", "write true"), ('"true"', "remove the quotes"),
                                             ("1", "true or false")])
def test_reuse_must_be_a_real_boolean(tmp_path: Path, value: str, hint: str) -> None:
    issue = only_issue(tmp_path, GOOD + f"reuse_coupon_config: {value}\n")
    assert issue.field == "reuse_coupon_config" and hint in (issue.hint or "")
    assert issue.source == f"{tmp_path / 'plan.yaml'}:12"


def test_usage_mode_rules(tmp_path: Path) -> None:
    issue = only_issue(tmp_path, GOOD + "usage_mode: single\n")
    assert issue.field == "usage_mode" and issue.hint == "did you mean SINGLE?"
    bundle = issues_of(tmp_path, GOOD + "usage_mode: PROGRESSIVE_BUNDLE\n")
    assert [(i.field, "left out" in i.message or "required" in i.message) for i in bundle] == [
        ("stock_id", True), ("stock_bundle_id", True)]
    assert bundle[0].source == at(tmp_path, "stock_id")
    single = only_issue(tmp_path, GOOD + 'stock_bundle_id: "123"\n')
    assert single.field == "stock_bundle_id" and "only used with" in single.message


def test_unknown_keys_with_did_you_mean(tmp_path: Path) -> None:
    text = GOOD + "brnad_id: 1\n品牌ID: 2\nstart: 3\nTotal-Count: 4\nzzz: 5\n"
    issues = issues_of(tmp_path, text)
    unknown = {i.field: i for i in issues if i.message == "unknown key"}
    assert unknown["brnad_id"].hint == "did you mean brand_id?"
    assert unknown["品牌ID"].hint == "did you mean brand_id?"
    assert unknown["start"].hint == "did you mean delivery_start_time?"
    assert unknown["Total-Count"].hint == "did you mean total_count?"
    assert unknown["zzz"].hint.startswith("plan fields are:")
    assert unknown["zzz"].source == f"{tmp_path / 'plan.yaml'}:16"


# -- all at once ---------------------------------------------------------------------------------------


def test_every_issue_is_reported_at_once(tmp_path: Path) -> None:
    text = """\
out_request_no: abc
brand_id: 00123
plan_name: 这是一个非常非常长的投放计划名称
total_count: 0
user_limit: "2"
delivery_start_time: 2025-01-10
delivery_end_time: 2025-01-01
recommend_word: ~
colour: red
"""
    issues = issues_of(tmp_path, text)
    file = str(tmp_path / "plan.yaml")
    assert [(i.field, i.source) for i in issues] == [  # unknown keys first, then in field order
        ("colour", f"{file}:9"), ("out_request_no", f"{file}:1"), ("brand_id", f"{file}:2"),
        ("product_coupon_id", file), ("stock_id", file), ("plan_name", f"{file}:3"),
        ("total_count", f"{file}:4"), ("user_limit", f"{file}:5"), ("delivery_end_time", f"{file}:7"),
        ("recommend_word", f"{file}:8"),
    ]
    assert all(i.hint for i in issues if i.field != "total_count")
    rendered = ValidationError(issues).to_dict()
    assert len(rendered["issues"]) == len(issues) == 10


def test_flag_sources(tmp_path: Path) -> None:
    issues = issues_of(tmp_path, GOOD, {"total_count": 0, "delivery_end_time": "2025-01-02",
                                        "reuse_coupon_config": None})
    assert [(i.field, i.source) for i in issues] == [("total_count", "--total-count"),
                                                     ("delivery_end_time", "--end")]
    issues = issues_of(tmp_path, GOOD, {"reuse_coupon_config": True})
    assert all(i.source.startswith(str(tmp_path)) for i in issues)


def test_a_bad_file_value_overridden_by_a_flag_is_not_reported(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(set_value("total_count", "0100"), encoding="utf-8")
    plan = build_plan(load_plan_source(str(path)), {"total_count": 100}, mchid=MCHID)
    assert plan.payload()["total_count"] == 100


def test_bad_flag_values() -> None:
    flags = {**GOOD_DICT, "total_count": "many", "plan_name": 5, "reuse_coupon_config": "yes",
             "delivery_start_time": 3}
    with pytest.raises(ValidationError) as info:
        build_plan(None, flags, mchid=MCHID)
    assert [(i.field, i.source) for i in info.value.issues] == [
        ("reuse_coupon_config", "--reuse-coupon-config"), ("total_count", "--total-count"),
        ("delivery_start_time", "--start")]  # plan_name 5 is the text "5"


# -- file-level problems ---------------------------------------------------------------------------------


def file_issue(tmp_path: Path, path: Path | str) -> Issue:
    with pytest.raises(ValidationError) as info:
        load_plan_source(str(path))
    assert len(info.value.issues) == 1
    issue = info.value.issues[0]
    assert issue.source and issue.source.startswith(str(path))
    return issue


@pytest.mark.parametrize(("content", "needle"), [
    (b"", "file is empty"),
    (b"# nothing\n", "file is empty"),
    (b"brand_id: 1\n\tstock_id: 2\n", "YAML syntax error"),
    (b"a: 1\na: 2\n", "duplicate key"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
    (b"plan_name: \xb6\xac\xbc\xbe\n", "not valid UTF-8"),
    (b"- brand_id: 1\n", "top level must be a mapping"),
])
def test_bad_files(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "plan.yaml"
    path.write_bytes(content)
    issue = file_issue(tmp_path, path)
    assert needle in issue.message and issue.hint


def test_tab_issue_has_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_bytes(b"brand_id: 1\n\tstock_id: 2\n")
    issue = file_issue(tmp_path, path)
    assert issue.source == f"{path}:2:1" and "tabs" in (issue.hint or "")


def test_missing_and_directory(tmp_path: Path) -> None:
    assert file_issue(tmp_path, tmp_path / "nope.yaml").message == "file not found"
    assert "directory" in file_issue(tmp_path, tmp_path).message


def test_too_large(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_bytes(b"# " + b"x" * MAX_BYTES + b"\n")
    assert "larger than 10 MB" in file_issue(tmp_path, path).message
    with pytest.raises(ValidationError) as info:
        load_plan_source("-", "#" * (MAX_BYTES + 1))
    assert info.value.issues[0].source == "<stdin>"


def test_undecodable_stdin_text_is_reported() -> None:
    text = b"plan_name: \xb6\xac\n".decode("utf-8", "surrogateescape")
    with pytest.raises(ValidationError) as info:
        load_plan_source("-", text)
    issue = info.value.issues[0]
    assert "byte offset 11" in issue.message and issue.source == "<stdin>:1"
    with pytest.raises(ValidationError) as info:
        load_plan_source("-", "a: \ud83d\n")
    assert "not valid UTF-8" in info.value.issues[0].message


def test_json_file_is_strict_json(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{"brand_id": 0123}')
    issue = file_issue(tmp_path, path)
    assert "JSON syntax error" in issue.message and issue.source == f"{path}:1:15"


def test_json_values_keep_json_types(tmp_path: Path) -> None:
    text = ('{"brand_id": 40016, "product_coupon_id": 7.5, "stock_id": "1", "plan_name": "x",\n'
            ' "total_count": "10000", "delivery_start_time": "2025-01-01",'
            ' "delivery_end_time": "2025-01-31",\n'
            ' "reuse_coupon_config": null}')
    issues = issues_of(tmp_path, text, name="plan.json")
    assert [(i.field, i.source.rsplit(":", 1)[-1]) for i in issues] == [
        ("product_coupon_id", "1"), ("reuse_coupon_config", "3"), ("total_count", "2")]


# -- validate_payload_dict ---------------------------------------------------------------------------


def test_validate_payload_dict_accepts_a_good_payload() -> None:
    assert validate_payload_dict(GOOD_DICT) == []
    assert validate_payload_dict({**GOOD_DICT, "brand_id": 40016}) == []


def test_validate_payload_dict_reports_everything() -> None:
    data = {**GOOD_DICT, "total_count": "10000", "stock_id": None, "plan_name": "😀", "extra": 1, 5: 6}
    issues = validate_payload_dict(data, source="body.json")
    assert [i.field for i in issues] == ["extra", "5", "stock_id", "plan_name", "total_count"]
    assert all(i.source == "body.json" for i in issues)
    assert validate_payload_dict(["not", "a", "dict"])[0].field == "file"
