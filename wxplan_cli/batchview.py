"""What people and scripts see of a batch: a progress bar, ``-o jsonl`` events, the summary.

* stderr, when it is a terminal (and not ``-q``): a Rich progress bar - done/total, plans per second,
  time left, failures so far;
* stdout with ``-o jsonl``: one ``{"event": "plan", ...}`` line per input plan as its outcome is known
  (:func:`~wxplan_cli.batchreport.public_row` shape), then one ``{"event": "summary", ...}`` line;
  ``-o id``: each created (or already created) plan's ``plan_id`` as it is known; ``-o json`` / ``-o yaml``:
  the summary object at the end;
* stderr at the end: the summary table (created, skipped, failed, unknown, invalid, ...), the first
  problems, where the ledger and the report are.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

from wxplan_cli.ledger import OK_OUTCOMES

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from wxplan_cli.batch import BatchSummary

#: summary rows: outcome, 中文, meaning
OUTCOMES = (
    ("created", "已创建", "created by this run"),
    ("skipped", "已存在", "created by an earlier run"),
    ("duplicate", "重复", "repeats an earlier plan of the input"),
    ("failed", "失败", "refused, or not reachable; re-run to retry"),
    ("unknown", "结果未知", "may exist; re-run to re-send with the same out_request_no"),
    ("invalid", "无效", "not valid; not sent"),
    ("pending", "未发送", "not sent yet (interrupted)"),
    ("to-send", "待发送", "would be sent (dry run)"),
)


class BatchView:
    """The batch's :class:`~wxplan_cli.batch.View`, plus the closing summary."""

    def __init__(self, out: Console, err: Console, *, output: str, progress: bool, quiet: bool) -> None:
        self.out, self.err, self.output, self.quiet = out, err, output, quiet
        self.show_progress = progress and err.is_terminal and not quiet
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self.done = self.failed = 0
        self.started = time.monotonic()

    def begin(self, total: int, ledger: Path) -> None:
        """Sending starts."""
        self.started = time.monotonic()
        if not self.quiet:
            self.err.print(f"batch: {total} plans (ledger: {escape(str(ledger))})", highlight=False)
        if self.show_progress:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(TextColumn("create"), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
                                     TextColumn("{task.fields[failures]}"), console=self.err)
            self.task = self.progress.add_task("create", total=total, rate="", failures="")
            self.progress.start()

    def plan(self, row: dict[str, Any]) -> None:
        """One input plan's outcome."""
        self.done += 1
        if row["outcome"] not in OK_OUTCOMES:
            self.failed += 1
        if self.output == "jsonl":
            self._line(json.dumps({"event": "plan", **row}, ensure_ascii=False))
        elif self.output == "id" and row["outcome"] in OK_OUTCOMES and row.get("plan_id"):
            self._line(str(row["plan_id"]))
        if self.progress is not None and self.task is not None:
            rate = self.done / max(time.monotonic() - self.started, 1e-6)
            self.progress.update(self.task, completed=self.done, rate=f"{rate:.0f} plans/s",
                                 failures=f"[red]{self.failed} not created[/]" if self.failed else "")

    def stopping(self, in_flight: int) -> None:
        """The first Ctrl-C."""
        self.err.print(f"stopping: no new plans; waiting for {in_flight} request(s) in flight "
                       "(Ctrl-C again to quit at once)", highlight=False)

    def end(self) -> None:
        """Sending is over."""
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def _line(self, text: str) -> None:
        self.out.file.write(text + "\n")
        self.out.file.flush()

    # -- the end ----------------------------------------------------------------------------------

    def finish(self, summary: BatchSummary) -> None:
        """Print the summary: data on stdout as ``-o`` asks, the table on stderr."""
        data = summary_dict(summary)
        if self.output == "jsonl":
            self._line(json.dumps({"event": "summary", **data}, ensure_ascii=False))
        elif self.output == "json":
            self._line(json.dumps(data, ensure_ascii=False, indent=2))
        elif self.output == "yaml":
            from wxplan_cli.render import to_yaml

            self.out.file.write(to_yaml(data))
        if self.quiet and summary.complete and summary.status != "invalid":
            return
        if summary.status == "invalid":  # the error lists every problem
            self._where(summary)
            return
        self.err.print(summary_table(summary.counts))
        for row in summary.problems:
            self.err.print(f"  {escape(problem_line(row))}", highlight=False)
        shown = len(summary.problems)
        hidden = sum(summary.counts.get(o, 0) for o in ("failed", "unknown", "invalid")) - shown
        if hidden > 0:
            self.err.print(f"  ... and {hidden} more: see the report or `wxplan ledger show`",
                           highlight=False)
        self._where(summary)

    def _where(self, summary: BatchSummary) -> None:
        if summary.sent:
            rate = summary.sent / max(summary.send_seconds, 1e-6)
            self.err.print(f"sent {summary.sent} plans in {summary.send_seconds:.1f} s ({rate:.0f} plans/s)",
                           highlight=False)
        if summary.status == "dry-run":
            self.err.print("dry run: every plan was validated; nothing was sent and the ledger is unchanged",
                           highlight=False)
        else:
            self.err.print(f"ledger: {escape(str(summary.ledger))}", highlight=False)
        if summary.report is not None:
            self.err.print(f"report: {escape(str(summary.report))}", highlight=False)


def summary_dict(summary: BatchSummary) -> dict[str, Any]:
    """The summary for scripts (``-o json``, the last ``-o jsonl`` line)."""
    rate = summary.sent / summary.send_seconds if summary.send_seconds else None
    return {"status": summary.status, "complete": summary.complete and summary.status != "invalid",
            "total": summary.total, "counts": {name: summary.counts.get(name, 0) for name, *_ in OUTCOMES
                                               if name != "to-send" or summary.status == "dry-run"},
            "sent": summary.sent, "seconds": round(summary.send_seconds, 3),
            "plans_per_second": round(rate, 1) if rate else None, "ledger": str(summary.ledger),
            "run": summary.run, "report": str(summary.report) if summary.report else None}


def summary_table(counts: dict[str, int], title: str = "batch 批量创建") -> Table:
    """outcome | 中文 | plans | meaning; rows with zero plans are left out (created is always shown)."""
    table = Table(title=title, header_style="bold")
    for column in ("outcome", "结果", "plans", "meaning"):
        table.add_column(column, justify="right" if column == "plans" else "left")
    for name, label, meaning in OUTCOMES:
        count = counts.get(name, 0)
        if count or (name == "created" and "to-send" not in counts):
            style = "green" if name in OK_OUTCOMES else "yellow" if name in ("pending", "to-send") else "red"
            table.add_row(f"[{style}]{name}[/]", label, str(count), meaning)
    table.add_row("total", "合计", str(sum(counts.values())), "", style="bold")
    return table


def problem_line(row: dict[str, Any]) -> str:
    """One failed / unknown / invalid plan on one line: where, what, the error, the Request-ID."""
    what = " ".join(str(x) for x in (row.get("http_status"), row.get("error_code")) if x)
    message = row.get("error_message") or ""
    text = f"{row['source']} {row.get('out_request_no') or ''}: {row['outcome']}"
    if what or message:
        text += " - " + ": ".join(part for part in (what, message) if part)
    if row.get("request_id"):
        text += f" (Request-ID {row['request_id']})"
    return text

