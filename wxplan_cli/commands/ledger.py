"""``wxplan ledger show [FILE]``: what the latest batch run recorded in its ledger.

Thin: the ledger describes itself (:meth:`wxplan_cli.ledger.Ledger.describe`); this prints it.
"""

from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from wxplan_cli.commands.common import ConfigOpt, DebugOpt, OutputFormat, ProfileOpt, Run, make_run

app = typer.Typer(help="Inspect the ledgers of batch creates (wxplan create --from MANY).",
                  no_args_is_help=True)


class LedgerOutput(str, Enum):
    """``-o`` for ledger show."""

    table = "table"
    json = "json"


@app.command("show")
def show(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(
        help="ledger file (default: the most recently used one in the state dir)",
        show_default=False)] = None,
    limit: Annotated[int, typer.Option(
        "--limit", min=0, help="problems to list (failed, unknown, invalid, not sent); 0 = all")] = 20,
    output: Annotated[LedgerOutput, typer.Option(
        "--output", "-o", help="table for people, json for scripts",
        case_sensitive=False)] = LedgerOutput.table,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Summarise a batch: counts per outcome, and the plans that are not created with the reason."""
    from wxplan_cli import paths
    from wxplan_cli.errors import UsageError
    from wxplan_cli.ledger import latest, open_ledger

    run = make_run(ctx, config=config, profile=profile, debug=debug,
                   output=OutputFormat.json if output is LedgerOutput.json else OutputFormat.table)
    path = file or latest(paths.state_dir() / "ledgers")
    if path is None:
        raise UsageError(f"no ledgers in {paths.state_dir() / 'ledgers'}", hint="pass the ledger FILE")
    with open_ledger(path, create=False) as ledger:
        described = ledger.describe(limit)
    if output is LedgerOutput.json:
        import json

        run.out.file.write(json.dumps(described, ensure_ascii=False, indent=2) + "\n")
        return
    _print(run, described)


def _print(run: Run, d: dict[str, Any]) -> None:
    from rich.markup import escape

    from wxplan_cli.batchview import problem_line, summary_table

    meta, last = d["meta"], d["run"]
    run.out.print(f"ledger: {escape(d['ledger'])}  (mchid {meta.get('mchid', '-')}, "
                  f"{escape(meta.get('base_url', '-'))}, profile {escape(meta.get('profile', '-'))})",
                  highlight=False)
    if last is None:
        run.out.print("no runs yet", highlight=False)
        return
    when = datetime.fromtimestamp(last["started_at"]).strftime("%Y-%m-%d %H:%M:%S")
    run.out.print(f"run {last['run']} started {when}: {escape(last['status'])}", highlight=False)
    run.out.print(f"command: {escape(last['command'])}", highlight=False)
    run.out.print(summary_table(d["counts"], title=f"run {last['run']}"))
    for row in d["problems"]:
        run.out.print(f"  {escape(problem_line(row))}", highlight=False)
    listed = sum(d["counts"].get(o, 0) for o in ("failed", "unknown", "invalid", "pending"))
    if listed > len(d["problems"]):
        run.out.print(f"  ... {listed - len(d['problems'])} more (--limit 0 lists all)", highlight=False)
