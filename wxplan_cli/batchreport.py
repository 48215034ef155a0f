"""What a batch reports per plan: one stable row shape for ``-o jsonl`` events and ``--report`` files.

Columns (:data:`REPORT_COLUMNS`): ``seq`` (position in the input, from 1), ``source`` (``file:line``; for
CSV the row), ``outcome`` (created, skipped, duplicate, failed, unknown, invalid, pending),
``out_request_no``, ``plan_id``, ``attempts``, ``http_status``, ``error_code``, ``error_message``,
``request_id``, ``note``.
A report is written from the ledger a page at a time, to a temporary file renamed into place.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import Any

from wxplan_cli.errors import Issue, UsageError

REPORT_COLUMNS = ("seq", "source", "outcome", "out_request_no", "plan_id", "attempts", "http_status",
                  "error_code", "error_message", "request_id", "note")
REPORT_SUFFIXES = (".csv", ".json")
MAX_SHOWN_ISSUES = 1000
_NOTES = {"skipped": "created by an earlier run", "pending": "not sent yet (the run was interrupted)"}


def public_row(row: dict[str, Any]) -> dict[str, Any]:
    """A ledger row (``Ledger.rows``) or a worker's result as the report / event shape."""
    out = {column: row.get(column) for column in REPORT_COLUMNS}
    if row.get("issues"):
        out["error_code"] = "INVALID"
        out["error_message"] = "; ".join(Issue(**issue).render() for issue in row["issues"])
    if row.get("duplicate_of"):
        out["note"] = f"same plan as {row['duplicate_of']}"
    else:
        out["note"] = _NOTES.get(str(row.get("outcome")))
    return out


def check_report_path(path: Path) -> None:
    """A report is ``.csv`` or ``.json``."""
    if path.suffix.lower() not in REPORT_SUFFIXES:
        raise UsageError(f"--report {path}: the file name must end in .csv or .json",
                         hint="e.g. --report batch-report.csv")


def write_report(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write ``rows`` (public shape) as CSV (header row) or a JSON array, by ``path``'s suffix."""
    check_report_path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        if path.suffix.lower() == ".csv":
            writer = csv.DictWriter(fh, REPORT_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        else:
            fh.write("[")
            for index, row in enumerate(rows):
                fh.write(("," if index else "") + "\n  " + json.dumps(row, ensure_ascii=False))
            fh.write("\n]\n")
    os.replace(tmp, path)


def collapse_issues(fatal: list[Issue],
                    rows: Iterator[dict[str, Any]]) -> tuple[list[tuple[Issue, int]], int]:
    """Every distinct issue of the invalid ``rows`` (and the reading problems in ``fatal``) with how many
    plans have it: a bad flag or ``defaults:`` value is one line, not one per plan. At most
    :data:`MAX_SHOWN_ISSUES` distinct issues are kept; the second value counts the rest."""
    seen: dict[Issue, int] = {}
    more = 0
    for issue in chain(fatal, (Issue(**d) for row in rows for d in row.get("issues") or ())):
        if issue in seen:
            seen[issue] += 1
        elif len(seen) < MAX_SHOWN_ISSUES:
            seen[issue] = 1
        else:
            more += 1
    return list(seen.items()), more
