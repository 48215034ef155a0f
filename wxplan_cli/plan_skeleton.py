"""A commented YAML plan template (``wxplan create --skeleton``), optionally pre-filled.

Required fields not pre-filled hold the placeholder ``REPLACE-ME``, which validation refuses, so an
unedited template can never be sent. Optional fields are commented out with an example value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date

from wxplan_cli.plan_fields import FIELD_NAMES, FIELDS, PLACEHOLDER, REUSED_FIELDS, FieldSpec
from wxplan_cli.timeparse import format_rfc3339, parse_time

_HEADER = """\
# 投放计划 delivery plan for: wxplan create --from FILE
# Replace every REPLACE-ME. Lines "# field: value" are optional: delete "# " to use one.
# Quote IDs and text ("..."): unquoted, YAML reads 00123 as the number 83 and yes as true.
# Times: RFC 3339 (2025-01-01T10:00:00+08:00) or 2025-01-01 10:00 (Beijing time).
"""


def skeleton(prefill: Mapping[str, object] | None = None) -> str:
    """The template as YAML text; ``prefill`` (field -> value, None ignored) fills fields in."""
    values = {key: value for key, value in (prefill or {}).items() if value is not None}
    unknown = sorted(set(values) - set(FIELD_NAMES))
    if unknown:
        raise ValueError(f"not plan fields: {', '.join(unknown)}")
    reuse = values.get("reuse_coupon_config") is True
    mode = values.get("usage_mode", "SINGLE")
    blocks = [_block(spec, values, _state(spec, reuse, mode)) for spec in FIELDS]
    return _HEADER + "".join(blocks)


def _state(spec: FieldSpec, reuse: bool, mode: object) -> str:
    """How the field stands in this template: its marker text (starting "required" when it is)."""
    if spec.name in REUSED_FIELDS and reuse:
        return "taken from the coupon and batch (reuse_coupon_config: true)"
    if spec.required == "always" or (spec.required == "unless_reuse" and not reuse):
        return "required"
    if spec.required == "single_mode":
        return "required (usage_mode SINGLE)" if mode == "SINGLE" else "leave out (not SINGLE)"
    if spec.required == "bundle_mode":
        bundle = mode == "PROGRESSIVE_BUNDLE"
        return "required (PROGRESSIVE_BUNDLE)" if bundle else "only for PROGRESSIVE_BUNDLE"
    if spec.name == "out_request_no":
        return "optional: derived from the plan's content when left out"
    return "optional"


def _block(spec: FieldSpec, values: Mapping[str, object], state: str) -> str:
    head = f"\n# {spec.label} - {spec.help}\n#   {state}; {spec.rule}\n"
    if spec.name in values:
        return head + f"{spec.name}: {_scalar(values[spec.name])}\n"
    if spec.name == "reuse_coupon_config":
        return head + "reuse_coupon_config: false\n"
    if state.startswith("required"):
        return head + f'{spec.name}: "{PLACEHOLDER}"   # e.g. {spec.example}\n'
    return head + f"# {spec.name}: {spec.example}\n"


def _scalar(value: object) -> str:
    """``value`` as a YAML scalar that reads back unchanged (text always double-quoted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):  # datetime too
        return json.dumps(format_rfc3339(parse_time(value)))
    return json.dumps(str(value), ensure_ascii=False)
