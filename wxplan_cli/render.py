"""Rendering: plans as Rich tables for people, JSON / YAML / bare ids for scripts, errors to stderr.

Data goes to the stdout console only; everything else (notes, warnings, errors) to the stderr console.
Colour is off when ``NO_COLOR`` is set or the stream is not a terminal.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from wxplan_cli.errors import ApiError, ValidationError, WxplanError
from wxplan_cli.plan_fields import AUDIT_STATES, PLAN_RESPONSE_LABELS, PLAN_STATES
from wxplan_cli.redact import redact_data, redact_text

STATE_STYLES = {
    "PLAN_CREATING": "yellow", "PLAN_CREATED": "cyan", "PLAN_DELIVERING": "bold green",
    "PLAN_PAUSED": "yellow", "PLAN_TERMINATING": "magenta", "PLAN_TERMINATED": "red",
    "PLAN_EXPIRED": "dim", "AUDIT_INITIAL": "dim", "AUDIT_PROCESSING": "yellow",
    "AUDIT_PASSED": "green", "AUDIT_REJECTED": "bold red",
}


def make_console(stream: TextIO, *, soft_wrap: bool = False) -> Console:
    """A console on ``stream``: colour only for a terminal and without ``NO_COLOR``."""
    tty = stream.isatty()
    no_color = bool(os.environ.get("NO_COLOR")) or not tty
    # Piped output is not cut to 80 columns (Rich's guess): tables keep their natural width.
    width = None if tty or os.environ.get("COLUMNS") else 160
    return Console(file=stream, no_color=no_color, highlight=False, soft_wrap=soft_wrap,
                   color_system=None if no_color else "auto", width=width)


def stdout_console() -> Console:
    """The data console."""
    return make_console(sys.stdout)


def stderr_console() -> Console:
    """The console for everything that is not data; long lines are not re-wrapped (logs, paths)."""
    return make_console(sys.stderr, soft_wrap=True)


def state_text(value: str) -> Text:
    """``PLAN_DELIVERING 投放中``, coloured by meaning."""
    meaning = PLAN_STATES.get(value) or AUDIT_STATES.get(value)
    text = Text(value, style=STATE_STYLES.get(value, ""))
    if meaning:
        text.append(f" {meaning}")
    return text


def _ordered(plan: dict[str, Any]) -> list[str]:
    known = [k for k in PLAN_RESPONSE_LABELS if k in plan]
    return known + [k for k in plan if k not in PLAN_RESPONSE_LABELS]


def plan_table(plan: dict[str, Any], title: str | None = None,
               extra: Iterable[tuple[str, str, str]] = ()) -> Table:
    """Three columns: 中文 label | API field name | value."""
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("字段", overflow="fold")
    table.add_column("field", no_wrap=True)
    table.add_column("值 value", no_wrap=True)  # ids must stay whole for copy and paste
    for key in _ordered(plan):
        value = plan[key]
        cell = state_text(str(value)) if key in ("plan_state", "audit_state") else Text(_scalar(value))
        table.add_row(PLAN_RESPONSE_LABELS.get(key, ""), key, cell)
    for label, key, value in extra:
        table.add_row(label, key, Text(value))
    return table


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def to_json(data: Any) -> str:
    """Stable JSON for scripts: UTF-8, two-space indent, keys in API order."""
    return json.dumps(data, ensure_ascii=False, indent=2)


def to_yaml(data: Any) -> str:
    """YAML for people who script in YAML."""
    import yaml

    return str(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def print_data(console: Console, text: str) -> None:
    """Write machine-readable text to stdout exactly (no Rich markup, wrapping or colour)."""
    console.file.write(text if text.endswith("\n") else text + "\n")
    console.file.flush()


def render_plan(console: Console, plan: dict[str, Any], fmt: str, *,
                title: str | None = None, extra: Iterable[tuple[str, str, str]] = ()) -> None:
    """Print one plan as ``table``, ``json``, ``yaml`` or ``id``."""
    if fmt == "json":
        print_data(console, to_json(plan))
    elif fmt == "yaml":
        print_data(console, to_yaml(plan))
    elif fmt == "id":
        print_data(console, str(plan.get("plan_id", "")))
    else:
        console.print(plan_table(plan, title=title, extra=extra))


def render_error(console: Console, err: WxplanError, *, as_json: bool = False) -> None:
    """One clear message, the details that help, and the hint; every part through the redactor (an
    error's text can quote anything: a header, a reply, a file)."""
    if as_json:
        print_data(console, json.dumps(redact_data(err.to_dict()), ensure_ascii=False))
        return
    console.print(f"[bold red]error:[/] {_safe(err.message)}")
    if isinstance(err, ValidationError):
        for issue in err.issues:
            console.print(f"  - {_safe(issue.render())}")
    if isinstance(err, ApiError):
        _api_details(console, err)
    request_id = getattr(err, "request_id", None)
    if request_id:
        console.print(f"  Request-ID: {_safe(request_id)}")
    if err.hint:
        console.print(f"[cyan]hint:[/] {_safe(err.hint)}")


def _safe(text: object) -> str:
    """``text`` redacted and escaped for Rich markup."""
    return escape(redact_text(str(text)))


def _api_details(console: Console, err: ApiError) -> None:
    detail = err.info.detail or {}
    if err.field:
        console.print(f"  field: {_safe(err.field)}")
    for key in ("issue", "value", "location"):
        if detail.get(key) not in (None, ""):
            console.print(f"  {key}: {_safe(detail[key])}")
    if err.info.request_id:
        console.print(f"  Request-ID: {_safe(err.info.request_id)}")


def warn(console: Console, message: str) -> None:
    """A warning line on stderr."""
    console.print(f"[yellow]warning:[/] {_safe(message)}")


# -- lists, changes and reports (list, update, config show, certs download) ---------------------------

#: ``wxplan list -o csv`` columns: the official plan fields plus audit_state, in a fixed order
PLAN_CSV_COLUMNS = ("plan_id", "plan_name", "plan_state", "audit_state", "brand_id", "product_coupon_id",
                    "stock_id", "stock_bundle_id", "usage_mode", "total_count", "user_limit",
                    "daily_limit", "delivery_start_time", "delivery_end_time", "recommend_word")


def plans_csv(plans: Iterable[dict[str, Any]]) -> str:
    """RFC 4180 CSV with a header row; absent members are empty cells."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(PLAN_CSV_COLUMNS)
    for plan in plans:
        writer.writerow(["" if plan.get(c) is None else _scalar(plan[c]) for c in PLAN_CSV_COLUMNS])
    return buffer.getvalue()


def plan_list_table(plans: list[dict[str, Any]], title: str) -> Table:
    """One row per plan, states with their Chinese labels; Beijing times shortened (``-o json`` has all)."""
    table = Table(title=title)
    table.add_column("plan_id", no_wrap=True)  # ids stay whole for copy and paste
    for col in ("名称 plan_name", "状态 plan_state", "审核 audit_state", "总库存 total", "开始 start",
                "结束 end"):
        table.add_column(col, overflow="fold")
    for p in plans:
        audit = p.get("audit_state")
        table.add_row(str(p.get("plan_id", "")), str(p.get("plan_name", "")),
                      state_text(str(p.get("plan_state", ""))),
                      state_text(str(audit)) if audit is not None else Text(""),
                      _scalar(p.get("total_count", "")), short_time(p.get("delivery_start_time")),
                      short_time(p.get("delivery_end_time")))
    return table


def short_time(value: object) -> str:
    """``2027-01-01T00:00:00+08:00`` as ``2027-01-01 00:00`` (other offsets and seconds kept)."""
    text = "" if value is None else str(value)
    if len(text) == 25 and text.endswith(":00+08:00") and text[10] == "T":
        return f"{text[:10]} {text[11:16]}"
    return text


def change_table(rows: Iterable[tuple[str, object, object]], title: str | None = None) -> Table:
    """Before/after of an update: 中文 label | field | current | new (``-`` for unset)."""
    table = Table(title=title, header_style="bold")
    table.add_column("字段", overflow="fold")
    for col in ("field", "当前 before", "更新后 after"):
        table.add_column(col, no_wrap=True)
    for name, before, after in rows:
        table.add_row(PLAN_RESPONSE_LABELS.get(name, ""), name,
                      "-" if before is None else _scalar(before), Text(_scalar(after), style="bold"))
    return table


def rows_table(columns: Iterable[str], rows: Iterable[Iterable[object]], title: str | None = None) -> Table:
    """A plain table of text cells (``None`` shown as ``-``)."""
    table = Table(title=title, header_style="bold")
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*("-" if cell is None else _scalar(cell) for cell in row))
    return table


def render_record(console: Console, data: dict[str, Any], fmt: str, *, labels: dict[str, str],
                  title: str | None = None, id_key: str | None = None) -> None:
    """One non-plan record (``notify-url set``) as a 字段 | field | value table, JSON, YAML or its id."""
    if fmt == "json":
        print_data(console, to_json(data))
    elif fmt == "yaml":
        print_data(console, to_yaml(data))
    elif fmt == "id":
        print_data(console, str(data.get(id_key or next(iter(data)), "")))
    else:
        rows = [(labels.get(k, ""), k, v) for k, v in data.items()]
        console.print(rows_table(("字段", "field", "值 value"), rows, title=title))
