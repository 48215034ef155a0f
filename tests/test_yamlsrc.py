"""The line-tracking loader (wxplan_cli.yamlsrc) and the YAML 1.1 trap checks (wxplan_cli.yamltraps)."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

from wxplan_cli.yamlsrc import (
    YamlSourceError,
    decode_text,
    load_file,
    load_with_lines,
    read_bytes,
)
from wxplan_cli.yamlwalk import TAB_HINT


def load(text: str, **kwargs: object) -> object:
    return load_with_lines(text, "f.yaml", **kwargs)  # type: ignore[arg-type]


def error_of(text: str, **kwargs: object) -> YamlSourceError:
    with pytest.raises(YamlSourceError) as info:
        load(text, **kwargs)
    return info.value


# -- data and lines ---------------------------------------------------------------------------------------


def test_plain_data_and_lines_of_keys_and_items() -> None:
    doc = load_with_lines("# c\na: 1\nb:\n  c: x\n  d:\n    - 1\n    - two\n", "f.yaml")
    assert doc.data == {"a": 1, "b": {"c": "x", "d": [1, "two"]}}
    assert type(doc.data) is dict
    assert doc.line_of("a") == 2
    assert doc.line_of("b", "c") == 4
    assert doc.line_of("b", "d", 1) == 7
    assert doc.line_of("nope") is None
    assert doc.where("b", "c") == "f.yaml:4"
    assert doc.where("nope") == "f.yaml"
    assert doc.syntax == "yaml"


def test_scalar_records_how_it_was_written() -> None:
    doc = load_with_lines('a: 00123\nb: "00123"\n', "f.yaml")
    plain, quoted = doc.scalars[("a",)], doc.scalars[("b",)]
    assert (plain.value, plain.text, plain.tag, plain.quoted, plain.line) == (83, "00123", "int", False, 1)
    assert (quoted.value, quoted.tag, quoted.quoted, quoted.line) == ("00123", "str", True, 2)


def test_keys_are_the_text_written() -> None:
    assert load("yes: 1\n1: 2\nnull: 3\n").data == {"yes": 1, "1": 2, "null": 3}


def test_bom_is_dropped_and_crlf_accepted(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: x\r\nb: 2\r\nc: |\r\n  l1\r\n  l2\r\n")
    doc = load_file(path)
    assert doc.data == {"a": "x", "b": 2, "c": "l1\nl2\n"}
    assert doc.line_of("b") == 2


def test_bom_in_text_is_dropped() -> None:
    assert load("\ufeffa: 1\n").data == {"a": 1}


def test_aliases_are_expanded() -> None:
    assert load("a: &x {k: 1}\nb: *x\n").data == {"a": {"k": 1}, "b": {"k": 1}}


# -- errors ---------------------------------------------------------------------------------------------


def test_duplicate_key_names_both_lines() -> None:
    err = error_of("a: 1\nb: 2\na: 3\n")
    assert "first on line 1" in err.message and "again on line 3" in err.message
    assert (err.line, err.key, err.where) == (3, "a", "f.yaml:3")


def test_nested_duplicate_key() -> None:
    err = error_of("p:\n  x: 1\n  x: 2\n")
    assert err.key == "p.x" and err.line == 3


def test_tab_indentation_hint() -> None:
    err = error_of("a:\n\tb: 1\n")
    assert (err.line, err.column) == (2, 1)
    assert err.hint == TAB_HINT
    assert str(err).startswith("f.yaml:2:1: YAML syntax error")


@pytest.mark.parametrize(("text", "needle"), [
    ("a: b: c\n", "must be quoted"),
    ("a: 1\n---\nb: 2\n", "one document"),
    ("a: *nope\n", "anchor"),
    ('a: "open\n', "not closed"),
    ("a:\n  b: 1\n c: 2\n", "indentation"),
    ("a: @x\n", "quotes"),
])
def test_syntax_errors_have_line_column_and_hint(text: str, needle: str) -> None:
    err = error_of(text)
    assert err.message.startswith("YAML syntax error")
    assert err.line is not None and err.column is not None
    assert err.hint and needle in err.hint


@pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n"])
def test_empty_file(text: str) -> None:
    assert error_of(text).message == "file is empty"


@pytest.mark.parametrize(("text", "kind"), [("- a\n- b\n", "a list"), ("hello\n", "a single value")])
def test_top_level_must_be_a_mapping(text: str, kind: str) -> None:
    err = error_of(text)
    assert "top level must be a mapping" in err.message and kind in err.message
    assert load(text, require_mapping=False).data is not None


@pytest.mark.parametrize(("text", "needle"), [
    ("a: !!binary aGVsbG8=\n", "not supported"),
    ("a: !custom x\n", "not supported"),
    ("a: !!set {x, y}\n", "not supported"),
    ("base: &b {x: 1}\nc:\n  <<: *b\n", "merge keys"),
    ("? [a]\n: 1\n", "plain text"),
    ("a: &x [1, *x]\n", "refers to itself"),
    ("a: \x07\n", "U+0007"),
])
def test_unsupported_content(text: str, needle: str) -> None:
    assert needle in error_of(text).message


def test_alias_bomb_is_stopped_quickly() -> None:
    names = "abcdefghi"
    text = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{names[i + 1]}: &{names[i + 1]} [{','.join([f'*{names[i]}'] * 10)}]\n" for i in range(8))
    started = time.monotonic()
    assert "too many values" in error_of(text).message
    assert time.monotonic() - started < 10


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    assert "nested too deeply" in error_of("[" * 3000 + "]" * 3000, syntax="yaml").message
    deep = "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 80))
    assert "nested too deeply" in error_of(deep).message


# -- bytes and files ---------------------------------------------------------------------------------------


def test_non_utf8_names_offset_and_line() -> None:
    with pytest.raises(YamlSourceError) as info:
        decode_text("a: 1\nb: 中\n".encode("gbk"), "g.yaml")
    err = info.value
    assert err.filename == "g.yaml" and err.line == 2
    assert "byte offset 8" in err.message and "UTF-8" in (err.hint or "")


def test_binary_junk_is_refused() -> None:
    with pytest.raises(YamlSourceError, match="binary"):
        decode_text(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "x.yaml")


def test_utf16_is_refused() -> None:
    with pytest.raises(YamlSourceError, match="UTF-16"):
        decode_text("a: 1\n".encode("utf-16"), "x.yaml")


def test_missing_file_suggests_a_close_name(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text("a: 1\n")
    with pytest.raises(YamlSourceError) as info:
        read_bytes(tmp_path / "plan.yml")
    assert info.value.message == "file not found"
    assert "plan.yaml" in (info.value.hint or "")


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(YamlSourceError, match="directory"):
        load_file(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("a: 1\n")
    path.chmod(0)
    with pytest.raises(YamlSourceError, match="permission denied"):
        load_file(path)


def test_too_large_file(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: 1\n" + b"#" * 2000)
    with pytest.raises(YamlSourceError, match="larger than"):
        read_bytes(path, limit=1000)


def test_display_name_is_used(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("a: 1\na: 2\n")
    with pytest.raises(YamlSourceError) as info:
        load_file(path, display_name="p.yaml")
    assert info.value.where == "p.yaml:2"


# -- JSON ----------------------------------------------------------------------------------------------


def test_json_keeps_json_meaning_and_lines() -> None:
    text = '{\n\t"id": 40016,\n\t"n": 1e5,\n\t"s": "0123",\n\t"t": true,\n\t"e": "\\ud83d\\ude00"\n}'
    doc = load_with_lines(text, "p.json", syntax="json")
    assert doc.syntax == "json"
    assert doc.data == {"id": 40016, "n": 100000.0, "s": "0123", "t": True, "e": "\U0001F600"}
    assert doc.line_of("n") == 3
    assert doc.scalars[("n",)].tag == "float" and doc.scalars[("s",)].quoted


def test_json_syntax_error() -> None:
    err = error_of('{"a": 1,}', syntax="json")
    assert err.message.startswith("JSON syntax error") and (err.line, err.column) == (1, 9)


def test_json_rejects_yaml_only_syntax() -> None:
    assert error_of("a: 0123\n", syntax="json").message.startswith("JSON syntax error")


def test_json_duplicate_keys() -> None:
    err = error_of('{"a": 1,\n "a": 2}', syntax="json")
    assert "duplicate key" in err.message and err.line == 2


def test_json_that_yaml_cannot_follow_still_loads_without_lines() -> None:
    doc = load('{"a": "x\u0085y", "b": [1]}', syntax="json")
    assert doc.data == {"a": "x\u0085y", "b": [1]}
    assert doc.scalars[("a",)].value == "x\u0085y"
    assert doc.line_of("a") is None and doc.where("a") == "f.yaml"


def test_auto_detects_json_text() -> None:
    assert load('{"a":\t1}').syntax == "json"
    assert load("{a: 1}").syntax == "yaml"


# -- typed reading and the YAML 1.1 traps ----------------------------------------------------------------


def typed(text: str, expect: str) -> object:
    return load_with_lines(f"v: {text}\n", "f.yaml").typed("v", expect=expect)  # type: ignore[arg-type]


def trap(text: str, expect: str) -> YamlSourceError:
    with pytest.raises(YamlSourceError) as info:
        typed(text, expect)
    assert info.value.line == 1 and info.value.key == "v"
    return info.value


@pytest.mark.parametrize(("text", "value"), [
    ("40016", "40016"), ('"00123"', "00123"), ("'yes'", "yes"), ("abc", "abc"), ("0089", "0089"),
    ("冬季饮料", "冬季饮料"), ("!!str 0123", "0123"), ("|\n  block", "block\n"),
])
def test_string_values_that_mean_what_they_say(text: str, value: str) -> None:
    assert typed(text, "string") == value


@pytest.mark.parametrize(("text", "said"), [
    ("00123", "octal number 83"), ("0123", "octal"), ("12:30", "base-60 number 750"),
    ("0x1F", "number 31"), ("1_000", "number 1000"), ("+12", "number 12"), ("yes", "boolean true"),
    ("off", "boolean false"), ("1.5", "number 1.5"), ("2025-01-01", "a date"), ("1e5", "other YAML tools"),
    ("y", "other YAML tools"), ("0o17", "other YAML tools"),
])
def test_string_traps(text: str, said: str) -> None:
    err = trap(text, "string")
    assert said in err.message
    assert err.hint == f'put it in quotes: "{text}"'


@pytest.mark.parametrize("text", ["~", "null", "", "Null"])
def test_null_is_refused_for_typed_fields(text: str) -> None:
    for expect in ("string", "integer", "boolean", "time"):
        assert trap(text, expect).hint == "remove the line or give a value"
    assert typed(text, "any") is None


@pytest.mark.parametrize(("text", "value"), [("10000", 10000), ("1", 1), ("-3", -3), ("10_000", 10000)])
def test_integers(text: str, value: int) -> None:
    assert typed(text, "integer") == value


@pytest.mark.parametrize(("text", "message", "hint"), [
    ("0100", "octal number 64", "without leading zeros: 100"),
    ("12:30", "base-60", "plain decimal"),
    ("0x10", "number 16", "plain decimal"),
    ('"100"', "not the text", "remove the quotes: 100"),
    ("5.0", "whole number", "write 5"),
    ("1e5", "whole number", "write 100000"),
    ("true", "whole number", "whole number such as"),
    ("abc", "whole number", "whole number such as"),
])
def test_integer_traps(text: str, message: str, hint: str) -> None:
    err = trap(text, "integer")
    assert message in err.message and hint in (err.hint or "")


@pytest.mark.parametrize(("text", "value"),
                         [("true", True), ("false", False), ("True", True), ("FALSE", False)])
def test_booleans(text: str, value: bool) -> None:
    assert typed(text, "boolean") is value


@pytest.mark.parametrize(("text", "hint"), [
    ("yes", "write true"), ("no", "write false"), ("on", "write true"), ("Off", "write false"),
    ('"true"', "remove the quotes"), ("y", "write true or false"), ("1", "write true or false"),
])
def test_boolean_traps(text: str, hint: str) -> None:
    assert hint in (trap(text, "boolean").hint or "")


@pytest.mark.parametrize(("text", "value"), [
    ("2025-01-01", "2025-01-01"), ("2025-01-01 10:00:00", "2025-01-01 10:00:00"),
    ("2025-01-01 10:00", "2025-01-01 10:00"), ('"2025-01-01T00:00:00+08:00"', "2025-01-01T00:00:00+08:00"),
    ("2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z"),
])
def test_times_come_back_as_written(text: str, value: str) -> None:
    assert typed(text, "time") == value


def test_time_trap() -> None:
    assert "not as a date-time" in trap("20250101", "time").message


def test_lists_and_mappings_are_not_scalars() -> None:
    doc = load_with_lines("a: [1]\nb: {c: 1}\n", "f.yaml")
    with pytest.raises(YamlSourceError, match="not a list"):
        doc.typed("a", expect="string")
    with pytest.raises(YamlSourceError, match="not a mapping"):
        doc.typed("b", expect="integer")
    assert doc.get("b", "c") == 1
    assert doc.typed("b", "c", expect="integer") == 1


def test_values_yaml_cannot_build_are_kept_as_text() -> None:
    doc = load_with_lines("a: 2025-02-30\nb: " + "9" * 5000 + "\n", "f.yaml")
    assert doc.data["a"] == "2025-02-30" and doc.scalars[("a",)].tag == "timestamp"
    assert doc.typed("a", expect="time") == "2025-02-30"
    with pytest.raises(YamlSourceError, match="read as a date"):
        doc.typed("a", expect="string")
    with pytest.raises(YamlSourceError, match="whole number"):
        doc.typed("b", expect="integer")


def test_any_returns_yaml_value() -> None:
    assert typed("2025-01-01", "any") == dt.date(2025, 1, 1)
