"""``wxplan lint``: check plan files against every rule of ``create``'s validation, offline.

No profile, credentials or network: a file is read and validated exactly as ``create --from FILE``
would (same loader, same rules, same messages), and each problem becomes a :class:`Finding` with the
file, line and column split out for CI annotations.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from wxplan_cli.errors import Issue, ValidationError

_WHERE = re.compile(r"(?P<file>.+?):(?P<line>\d+)(?::(?P<column>\d+))?")
_LINT_MCHID = "lint"  # build_plan derives an out_request_no; lint never shows or sends it


@dataclass(frozen=True)
class Finding:
    """One problem in one file."""

    file: str
    line: int | None
    column: int | None
    field: str
    message: str
    hint: str | None = None

    def render(self) -> str:
        """``plan.yaml:7: total_count: must be ... (hint)``."""
        line = f":{self.line}" if self.line else ""
        where = self.file + line + (f":{self.column}" if line and self.column else "")
        tail = f" ({self.hint})" if self.hint else ""
        return f"{where}: {self.field}: {self.message}{tail}"

    def to_dict(self) -> dict[str, object]:
        """The JSON shape (``-o json``): every key always present, null when unknown."""
        return asdict(self)


def lint_file(path: str, *, defaults: Mapping[str, object] | None = None) -> list[Finding]:
    """Every problem of the plan file ``path`` (``-`` = stdin); ``defaults`` stand in for a profile's."""
    from wxplan_cli.plan import build_plan, load_plan_source

    try:
        source = load_plan_source(path)
        build_plan(source, {}, defaults or {}, mchid=_LINT_MCHID, defaults_source="--brand-id")
    except ValidationError as err:
        name = "<stdin>" if path == "-" else path
        return [finding(issue, name) for issue in err.issues]
    return []


def finding(issue: Issue, file: str) -> Finding:
    """An ``Issue`` with its ``file:line[:column]`` source split out (``file`` when it has none)."""
    match = _WHERE.fullmatch(issue.source or "")
    if match and match["file"] == file:
        column = int(match["column"]) if match["column"] else None
        return Finding(file, int(match["line"]), column, issue.field, issue.message, issue.hint)
    return Finding(file, None, None, issue.field, issue.message, issue.hint)
