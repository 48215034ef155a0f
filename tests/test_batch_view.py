"""What a batch shows: the progress bar only on a terminal, -o jsonl / id / json on stdout, the summary."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from wxplan_cli.batch import BatchSummary
from wxplan_cli.batchview import BatchView

ROWS = [{"seq": 1, "source": "p.csv:2", "outcome": "created", "plan_id": "100000000001"},
        {"seq": 2, "source": "p.csv:3", "outcome": "failed", "plan_id": None, "http_status": 400,
         "error_code": "INVALID_REQUEST", "error_message": "no", "request_id": "R2"}]


def consoles(terminal: bool) -> tuple[Console, Console, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return (Console(file=out, force_terminal=False), Console(file=err, force_terminal=terminal, width=120),
            out, err)


def play(view: BatchView) -> None:
    view.begin(2, Path("/tmp/l.sqlite3"))
    for row in ROWS:
        view.plan(row)
    view.end()


def summary() -> BatchSummary:
    done = BatchSummary(Path("/tmp/l.sqlite3"), 1, "done", total=2, counts={"created": 1, "failed": 1},
                        sent=2, send_seconds=0.5, command="wxplan create --from p.csv")
    done.problems = [ROWS[1]]
    return done


def test_progress_bar_only_on_a_terminal() -> None:
    out_c, err_c, out, err = consoles(terminal=True)
    play(BatchView(out_c, err_c, output="table", progress=True, quiet=False))
    shown = err.getvalue()
    assert "2/2" in shown and "plans/s" in shown and "1 not created" in shown and out.getvalue() == ""
    out_c, err_c, out, err = consoles(terminal=False)
    play(BatchView(out_c, err_c, output="table", progress=True, quiet=False))
    assert err.getvalue() == "batch: 2 plans (ledger: /tmp/l.sqlite3)\n"
    out_c, err_c, out, err = consoles(terminal=True)
    play(BatchView(out_c, err_c, output="table", progress=True, quiet=True))
    assert err.getvalue() == ""


def test_jsonl_events_and_summary_line() -> None:
    out_c, err_c, out, err = consoles(terminal=False)
    view = BatchView(out_c, err_c, output="jsonl", progress=True, quiet=False)
    play(view)
    view.finish(summary())
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["plan", "plan", "summary"]
    assert lines[2]["counts"]["failed"] == 1 and lines[2]["complete"] is False
    assert lines[2]["plans_per_second"] == 4.0
    table = err.getvalue()
    for fragment in ("created", "已创建", "failed", "失败", "p.csv:3", "400 INVALID_REQUEST: no",
                     "Request-ID R2", "sent 2 plans", "ledger: /tmp/l.sqlite3"):
        assert fragment in table


def test_id_and_json_outputs() -> None:
    out_c, err_c, out, _ = consoles(terminal=False)
    view = BatchView(out_c, err_c, output="id", progress=False, quiet=False)
    play(view)
    view.finish(summary())
    assert out.getvalue() == "100000000001\n"
    out_c, err_c, out, _ = consoles(terminal=False)
    view = BatchView(out_c, err_c, output="json", progress=False, quiet=True)
    play(view)
    view.finish(summary())
    assert json.loads(out.getvalue())["status"] == "done"
