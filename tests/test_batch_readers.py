"""The batch readers (planstream): formats, shapes, line and row numbers, errors, stdin, bounded memory;
and the batch layering (plan > flags > defaults: > profile) through the one plan model."""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path

import pytest

from wxplan_cli.batchplans import Layering
from wxplan_cli.errors import ValidationError
from wxplan_cli.planstream import Input, InputError, PlanItem, detect, read_plans, sniff

GOOD = {"brand_id": "40016", "product_coupon_id": "1", "stock_id": "2", "plan_name": "计划",
        "total_count": 10000, "delivery_start_time": "2027-01-01", "delivery_end_time": "2027-02-01"}


def items(path: Path, fmt: str = "auto") -> list[PlanItem]:
    return list(read_plans(detect(str(path), fmt)))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def build(item: PlanItem, **kwargs) -> dict:
    return Layering("1900000109", **kwargs).build(item).payload()


def issues_of(item: PlanItem, **kwargs) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        Layering("1900000109", **kwargs).build(item)
    return [issue.render() for issue in caught.value.issues]


# -- CSV ---------------------------------------------------------------------------------------------


def test_csv_types_empty_cells_and_row_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "\ufeffbrand_id,product_coupon_id,stock_id,plan_name,total_count,"
                 "user_limit,reuse_coupon_config,delivery_start_time,delivery_end_time\n"
                 "00123,1,2,\"多行\n名字\",10000,,false,2027-01-01,2027-02-01\n"
                 "\n"
                 "40016,3,4,b,+20000,2,FALSE,2027-01-01,2027-02-01\n")
    got = items(path)
    assert [i.location for i in got] == [f"{path}:2", f"{path}:5"]
    first = got[0].doc
    assert first is not None
    assert first.data["brand_id"] == "00123"  # CSV cells are text: leading zeros kept
    assert first.data["total_count"] == 10000 and "user_limit" not in first.data
    assert first.data["reuse_coupon_config"] is False and first.where("plan_name") == f"{path}:2"
    payload = build(got[1])
    assert payload["total_count"] == 20000 and payload["user_limit"] == 2


def test_csv_bad_counts_and_booleans_are_row_level_issues(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "brand_id,product_coupon_id,stock_id,plan_name,total_count,"
                 "reuse_coupon_config,delivery_start_time,delivery_end_time\n"
                 "1,1,2,a,10k,yes,2027-01-01,2027-02-01\n1,1,2,a,1.0,false,2027-01-01,2027-02-01\n")
    first, second = items(path)
    problems = issues_of(first)
    assert f"{path}:2: total_count: must be a whole number, not 10k" in problems[1]
    assert problems[0].startswith(f"{path}:2: reuse_coupon_config: must be true or false, not yes")
    assert "(write 1)" in issues_of(second)[0]


@pytest.mark.parametrize(("text", "fragment"), [
    ("brand_id,plan_nme\n1,a\n",
     "plan_nme: unknown column (column 2 of the header) (did you mean plan_name?)"),
    ("brand_id,brand_id\n1,2\n", "brand_id: column appears twice"),
    ("\n\n", "file: file is empty"),
    ('brand_id,plan_name\n1,"unclosed\n', None),
])
def test_csv_file_level_errors(tmp_path: Path, text: str, fragment: str | None) -> None:
    path = write(tmp_path, "p.csv", text)
    try:
        got = items(path)
    except InputError as exc:
        assert fragment is not None and fragment in exc.issue.render()
        assert exc.issue.source and exc.issue.source.startswith(str(path))
    else:  # an unclosed quote runs to the end of the file: one row, whose value says so
        assert fragment is None and len(got) == 1


def test_csv_extra_and_short_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "brand_id,plan_name,\n1,a,,\n1,b,x\n1\n")
    ok, unnamed, short = items(path)
    assert ok.doc is not None and ok.doc.data == {"brand_id": "1", "plan_name": "a"}
    assert "a value in a column without a name" in unnamed.issues[0].message
    assert short.doc is not None and short.doc.data == {"brand_id": "1"}
    too_many = write(tmp_path, "q.csv", "brand_id,plan_name\n1,a,b\n")
    (bad,) = items(too_many)
    assert bad.issues[0].render() == f"{too_many}:2: row: has 3 cells, the header has 2 columns " \
                                     "(quote cells that contain commas)"


# -- JSON Lines --------------------------------------------------------------------------------------


def test_jsonl_keeps_json_types_and_reports_bad_lines(tmp_path: Path) -> None:
    lines = [json.dumps({**GOOD, "total_count": "10000"}, ensure_ascii=False), "",
             '{"a": 1, "a": 2}', "[1, 2]", "{broken", json.dumps(GOOD, ensure_ascii=False)]
    path = write(tmp_path, "p.jsonl", "\n".join(lines) + "\n")
    got = items(path)
    assert [i.location for i in got] == [f"{path}:{n}" for n in (1, 3, 4, 5, 6)]
    assert 'total_count: must be a number, not the text "10000"' in issues_of(got[0])[0]
    assert [i.issues[0].message for i in got[1:4]] == [
        "duplicate key 'a'", "must be a JSON object (one plan per line)",
        "JSON syntax error: Expecting property name enclosed in double quotes (column 2)"]
    assert build(got[4])["plan_name"] == "计划"


# -- YAML and JSON -----------------------------------------------------------------------------------


def test_yaml_list_and_multiple_documents(tmp_path: Path) -> None:
    listed = write(tmp_path, "l.yaml", "# plans\n- brand_id: '1'\n  plan_name: a\n- brand_id: 00123\n- 5\n")
    first, trap, scalar = items(listed)
    assert first.location == f"{listed}:2" and first.doc is not None
    assert first.doc.where("plan_name") == f"{listed}:3"
    assert any("00123 is read as the octal number" in text for text in issues_of(trap))
    assert scalar.issues[0].message == "must be a mapping, not a single value"
    docs = write(tmp_path, "d.yaml", "brand_id: '1'\n---\nbrand_id: '2'\nbrand_id: '3'\n---\n")
    one, dup = items(docs)
    assert one.doc is not None and dup.location == f"{docs}:3"
    assert dup.issues[0].render().startswith(f"{docs}:4: brand_id: duplicate key")


def test_defaults_section_and_precedence(tmp_path: Path) -> None:
    path = write(tmp_path, "b.yaml", "defaults:\n  product_coupon_id: '9'\n  total_count: 20000\n"
                 "  plan_name: 默认\nplans:\n  - stock_id: '2'\n    plan_name: 自己\n"
                 "  - stock_id: '3'\n")
    own, default = items(path)
    base = {"delivery_start_time": "2027-01-01", "delivery_end_time": "2027-02-01"}
    layering = {"flags": {**base, "total_count": 30000}, "profile_defaults": {"brand_id": "40016"}}
    payload = build(own, **layering)
    assert payload["plan_name"] == "自己" and payload["total_count"] == 30000  # the flag beats defaults:
    assert payload["product_coupon_id"] == "9" and payload["brand_id"] == "40016"
    assert build(default, **layering)["plan_name"] == "默认"
    problems = issues_of(default, flags={**base, "user_limit": 0})
    assert problems == [
        f"{path}:8: brand_id: is required (add brand_id: ... to {path}, or pass --brand-id)",
        "--user-limit: user_limit: must be at least 1, not 0 (leave the field out for no limit)"]


def test_a_bad_defaults_value_points_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "b.yaml", "defaults:\n  total_count: many\n  out_request_no: same-for-all\n"
                 "plans:\n  - plan_name: a\n")
    (item,) = items(path)
    problems = issues_of(item, profile_defaults={"brand_id": "1"})
    assert any(p.startswith(f"{path}:2: total_count: must be a whole number") for p in problems)
    assert any(p.startswith(f"{path}:3: out_request_no: cannot be a default") for p in problems)


@pytest.mark.parametrize(("text", "fragment"), [
    ("plans:\n  - a: 1\ndefaults:\n  b: 2\n", ":3: defaults: must come before plans:"),
    ("defaults: {}\nextra: 1\n", ":2: extra: unknown top-level key in a batch file"),
    ("plans: {a: 1}\n", ":1: plans: must be a list of plans"),
    ("plans:\n  - a: [1\n  - b: 2\n", ":3:6: file: YAML syntax error"),
    ("defaults: [1]\nplans: []\n", "defaults: must be a mapping"),
])
def test_batch_file_structure_errors(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, "b.yaml", text)
    with pytest.raises(InputError) as caught:
        items(path)
    assert fragment in caught.value.issue.render()


def test_json_array_and_object_with_tabs(tmp_path: Path) -> None:
    array = write(tmp_path, "a.json", '[\n\t{"brand_id":\t"1", "total_count": 1e5},\n\t{"brand_id": "2"}\n]')
    first, second = items(array)
    assert first.location == f"{array}:2" and second.location == f"{array}:3"
    assert first.doc is not None and first.doc.data["total_count"] == 1e5  # JSON's meaning: a float
    form = {"defaults": {"brand_id": "7"}, "plans": [{"plan_name": "x"}]}
    obj = write(tmp_path, "o.json", json.dumps(form))
    (only,) = items(obj)
    assert only.defaults is not None and only.defaults.data == {"brand_id": "7"}


# -- detection ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "fmt"), [
    ('{"a": 1}\n{"b": 2}\n', "jsonl"), ('{"a": 1}\n', "json"), ('{\n  "a": 1\n}\n', "json"),
    ("[1]", "json"), ("brand_id,plan_name\n1,a\n", "csv"), ("# c\nbrand_id: 1\n", "yaml"), ("", "yaml"),
])
def test_sniff(text: str, fmt: str) -> None:
    assert sniff(text.encode()) == fmt


@pytest.mark.parametrize(("name", "text", "shape"), [
    ("one.yaml", "brand_id: '1'\nplan_name: a\n", "one"),
    ("list.yaml", "- brand_id: '1'\n", "many"),
    ("docs.yaml", "a: 1\n---\nb: 2\n", "many"),
    ("form.yaml", "plans: []\n", "many"),
    ("broken.yaml", "a: [1\n", "one"),  # the single-plan loader reports it, as before
    ("one.json", '{"brand_id": "1"}', "one"),
    ("many.json", '[{"brand_id": "1"}]', "many"),
    ("rows.csv", "brand_id\n1\n", "many"),
    ("rows.txt", "brand_id,plan_name\n1,a\n", "many"),
])
def test_detect_shape(tmp_path: Path, name: str, text: str, shape: str) -> None:
    assert detect(str(write(tmp_path, name, text))).shape == shape
    assert detect(str(tmp_path / "missing.yaml")).shape == "one"


class Trickle(io.RawIOBase):
    """A pipe that hands out a few bytes at a time."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk, self.data = self.data[:7], self.data[7:]
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_stdin_csv_is_streamed_after_detection() -> None:
    rows = "".join(f"{n},计划{n}\n" for n in range(2000))
    stdin = io.BufferedReader(Trickle(("brand_id,plan_name\n" + rows).encode()))
    inp = detect("-", "auto", stdin)
    assert (inp.fmt, inp.shape, inp.data) == ("csv", "many", None) and inp.name == "<stdin>"
    got = list(read_plans(inp, stdin))
    assert len(got) == 2000 and got[-1].location == "<stdin>:2001"
    assert got[-1].doc is not None and got[-1].doc.data["plan_name"] == "计划1999"


def test_stdin_yaml_is_read_whole_and_one_plan_stays_one() -> None:
    one = detect("-", "auto", io.BytesIO(b"brand_id: '1'\n"))
    assert one.shape == "one" and one.data == b"brand_id: '1'\n"
    many = detect("-", "auto", io.BytesIO(b"- brand_id: '1'\n- brand_id: '2'\n"))
    assert many.shape == "many" and len(list(read_plans(many))) == 2


def test_not_utf8_is_a_file_level_error(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("brand_id,plan_name\n1,计划\n".encode("gbk"))
    with pytest.raises(InputError) as caught:
        items(path)
    assert "is not valid UTF-8" in caught.value.issue.message and "iconv" in (caught.value.issue.hint or "")


# -- bounded memory ----------------------------------------------------------------------------------


def peak_reading(path: Path) -> int:
    tracemalloc.start()
    try:
        for _ in read_plans(Input(str(path), "yaml", "many")):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_yaml_list_is_read_in_bounded_memory(tmp_path: Path) -> None:
    item = "".join(f"  {k}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in GOOD.items())
    small = write(tmp_path, "small.yaml", ("-" + item[1:]) * 120)
    large = write(tmp_path, "large.yaml", ("-" + item[1:]) * 1200)
    assert peak_reading(large) < 2 * peak_reading(small)
