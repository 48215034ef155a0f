"""The create-plan rules (spec §9.1 items 1-6, without the pre-flight GETs), on typed values.

:func:`check_plan` gets every field's value already converted to its type (str, int, bool, aware
datetime) with the source it came from, and returns every broken rule as an
:class:`~wxplan_cli.errors.Issue`; it never stops at the first.

Deliberately not checked here:

* ``total_count >= 10000``: the documented rule ("创建投放计划的券可用库存需在 10000 以上") is about the
  *coupon's available stock*, not the plan's quota, so a small ``total_count`` is valid. Checking the
  coupon's stock needs a pre-flight GET.
* ``delivery_end_time <= batch available_end_time - ...``: needs the batch (pre-flight GET).
* Undocumented relations: a start in the past, ``daily_limit <= user_limit <= total_count``.

ID syntax is undocumented: 1-64 of ``[0-9A-Za-z_-]`` is a guard against pasted spaces, quotes and
full-width digits (real IDs are digits), not a claim about WeChat Pay's format.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeAlias

from wxplan_cli.errors import Issue
from wxplan_cli.plan_fields import (
    FIELDS,
    ID_PATTERN,
    MAX_COUNT,
    MIN_DURATION_DAYS,
    OUT_REQUEST_NO_PATTERN,
    PLACEHOLDER,
    REUSED_FIELDS,
    FieldSpec,
)
from wxplan_cli.timeparse import format_rfc3339

_PATTERN_WORDS = {
    OUT_REQUEST_NO_PATTERN: "6-40 characters from 0-9 A-Z a-z _ -",
    ID_PATTERN: "1-64 characters from 0-9 A-Z a-z _ - (IDs are digits)",
}
_CONTROL_CATEGORIES = ("Cc", "Cs", "Zl", "Zp")  # controls, lone surrogates, line/paragraph separators
Problem: TypeAlias = "tuple[str, str | None]"  # message, hint


@dataclass(frozen=True)
class Given:
    """A field's typed value and where it came from (``plan.yaml:7``, ``--total-count``, ``profile``)."""

    value: object
    source: str | None = None


def check_plan(values: Mapping[str, Given], present: Mapping[str, str | None], *,
               file_name: str | None = None) -> list[Issue]:
    """Every rule ``values`` breaks. ``present`` names every field that was given (also those whose
    value could not be used, which are in ``present`` but not ``values``) with its source."""
    issues = [issue for spec in FIELDS if spec.name in values
              for issue in check_field(spec, values[spec.name])]
    issues += _check_presence(values, present, file_name)
    issues += _check_times(values)
    return issues


def check_field(spec: FieldSpec, given: Given) -> list[Issue]:
    """The rules of one field on its own."""
    value = given.value
    if isinstance(value, str):
        found = _text_problem(spec, value)
    elif isinstance(value, int) and not isinstance(value, bool):
        found = _count_problem(spec, value)
    else:
        found = None
    return [Issue(spec.name, found[0], given.source, found[1])] if found else []


def _text_problem(spec: FieldSpec, value: str) -> Problem | None:
    if PLACEHOLDER in value:
        return f"still holds the placeholder {PLACEHOLDER}", "replace it with the real value"
    if value == "":
        return "must not be empty", "remove the line or give a value"
    return (_character_problem(value) or _pattern_problem(spec, value)
            or _choice_problem(spec, value) or _size_problem(spec, value))


def _character_problem(value: str) -> Problem | None:
    for char in value:
        if ord(char) > 0xFFFF:
            return (f"contains {char} (U+{ord(char):X}), a 4-byte character WeChat Pay does not accept",
                    "remove emoji and other characters beyond U+FFFF")
        if unicodedata.category(char) in _CONTROL_CATEGORIES:
            return (f"contains the control character U+{ord(char):04X}",
                    "remove line breaks, tabs and other control characters")
    return None


def _pattern_problem(spec: FieldSpec, value: str) -> Problem | None:
    if spec.pattern is None or re.fullmatch(spec.pattern, value):
        return None
    return f"must be {_PATTERN_WORDS[spec.pattern]}, not {value!r}", _pattern_hint(spec, value)


def _pattern_hint(spec: FieldSpec, value: str) -> str:
    if value != value.strip():
        return "remove the spaces around it"
    if any(unicodedata.east_asian_width(c) == "F" for c in value):
        return "use half-width (ASCII) letters and digits"
    if spec.pattern == OUT_REQUEST_NO_PATTERN and not 6 <= len(value) <= 40:
        return f"it has {len(value)} characters; leave it out to have one derived from the plan"
    return "only letters, digits, _ and - are allowed"


def _choice_problem(spec: FieldSpec, value: str) -> Problem | None:
    if not spec.choices or value in spec.choices:
        return None
    close = difflib.get_close_matches(value.upper(), spec.choices, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]}?" if close else None
    return f"must be one of {', '.join(spec.choices)}, not {value!r}", hint


def _size_problem(spec: FieldSpec, value: str) -> Problem | None:
    if spec.max_bytes is None or spec.max_width is None:
        return None
    size, width = len(value.encode("utf-8")), display_width(value)
    if size <= spec.max_bytes and width <= spec.max_width:
        return None
    return (f"is too long: {size} UTF-8 bytes, display width {width} (at most {spec.max_bytes} bytes "
            f"and width {spec.max_width})",
            f"shorten it to {spec.max_width // 2} Chinese or {spec.max_width} Latin characters")


def display_width(text: str) -> int:
    """Columns ``text`` takes: wide and full-width characters (CJK) count 2, others 1."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _count_problem(spec: FieldSpec, value: int) -> Problem | None:
    if value < 1:
        hint = "leave the field out for no limit" if spec.name != "total_count" else None
        return f"must be at least 1, not {value}", hint
    if value > MAX_COUNT:
        return f"must be at most {MAX_COUNT} (2^31-1), not {value}", None
    return None


# -- which fields must (not) be there ----------------------------------------------------------------


def _check_presence(values: Mapping[str, Given], present: Mapping[str, str | None],
                    file_name: str | None) -> Iterator[Issue]:
    reuse = _known(values, present, "reuse_coupon_config", default=False)
    mode = _known(values, present, "usage_mode", default="SINGLE")
    for spec in FIELDS:
        need = _needed(spec, reuse, mode)
        if need is True and spec.name not in present:
            yield Issue(spec.name, _missing_message(spec), file_name, _missing_hint(spec, file_name))
        elif need is False and spec.name in present:
            message, hint = _unwanted(spec, reuse)
            yield Issue(spec.name, message, present[spec.name], hint)


def _known(values: Mapping[str, Given], present: Mapping[str, str | None], name: str,
           default: object) -> object:
    """The field's usable value, its default when absent, None when given but unusable."""
    if name in values:
        return values[name].value
    return None if name in present else default


def _needed(spec: FieldSpec, reuse: object, mode: object) -> bool | None:
    """True: required; False: must be left out; None: either (or unknown, the value being unusable)."""
    if spec.required == "always":
        return True
    if spec.name in REUSED_FIELDS and reuse is True:
        return False
    if spec.required == "unless_reuse":
        return True if reuse is False else None
    if spec.required in ("single_mode", "bundle_mode") and mode in ("SINGLE", "PROGRESSIVE_BUNDLE"):
        return (mode == "SINGLE") == (spec.required == "single_mode")
    return None


def _missing_message(spec: FieldSpec) -> str:
    return {
        "unless_reuse": "is required when reuse_coupon_config is false (the default)",
        "single_mode": "is required for usage_mode SINGLE (the default)",
        "bundle_mode": "is required for usage_mode PROGRESSIVE_BUNDLE",
    }.get(spec.required, "is required")


def _missing_hint(spec: FieldSpec, file_name: str | None) -> str:
    hint = f"add {spec.name}: ... to {file_name}, or pass {spec.flags[0]}" if file_name \
        else f"pass {spec.flags[0]}"
    if spec.required == "unless_reuse":
        hint += ", or set reuse_coupon_config to true"
    return hint


def _unwanted(spec: FieldSpec, reuse: object) -> Problem:
    if spec.name in REUSED_FIELDS and reuse is True:
        return ("is taken from the coupon and batch when reuse_coupon_config is true",
                "remove it, or set reuse_coupon_config to false to give your own")
    if spec.name == "stock_id":
        return ("must be left out for usage_mode PROGRESSIVE_BUNDLE (其他模式不应填写)",
                "remove it; the bundle is given by stock_bundle_id")
    return ("is only used with usage_mode PROGRESSIVE_BUNDLE",
            "remove it, or set usage_mode to PROGRESSIVE_BUNDLE")


# -- times ---------------------------------------------------------------------------------------------


def _check_times(values: Mapping[str, Given]) -> list[Issue]:
    start, end = values.get("delivery_start_time"), values.get("delivery_end_time")
    if start is None or end is None:
        return []
    if not isinstance(start.value, datetime) or not isinstance(end.value, datetime):
        return []
    length = end.value - start.value
    if length <= timedelta(0):
        message = f"must be after delivery_start_time ({format_rfc3339(start.value)})"
        return [Issue("delivery_end_time", message, end.source, "are the start and end swapped?")]
    if length < timedelta(days=MIN_DURATION_DAYS):
        message = (f"must be at least {MIN_DURATION_DAYS} days after delivery_start_time; "
                   f"the plan lasts {_duration(length)}")
        return [Issue("delivery_end_time", message, end.source,
                      "WeChat Pay refuses shorter plans: 投放计划周期过短")]
    return []


def _duration(length: timedelta) -> str:
    hours, rest = divmod(length.seconds, 3600)
    parts = [f"{length.days} days" if length.days else "", f"{hours} h" if hours else "",
             f"{rest // 60} min" if rest // 60 else ""]
    return " ".join(p for p in parts if p) or f"{length.total_seconds():g} s"
