"""``wxplan lint FILE...``: check plan files offline, with file:line for every problem."""

from enum import Enum
from typing import Annotated

import typer

from wxplan_cli.commands.common import OutputFormat, QuietOpt, make_run

HELP = """Check plan files against every rule of create's validation, without credentials or network.

Prints each problem as FILE:LINE: field: message (hint), and `FILE: ok` for a clean file; -o json prints
a list of {file, line, column, field, message, hint} for CI annotations. Exit 4 when any file has a
problem. A plan that leaves brand_id to the profile can pass --brand-id.
"""


class LintFormat(str, Enum):
    """``-o`` formats of the lint report."""

    text = "text"
    json = "json"


def lint(
    ctx: typer.Context,
    files: Annotated[list[str], typer.Argument(help="plan files (YAML or JSON); `-` reads stdin",
                                               show_default=False)],
    brand_id: Annotated[str | None, typer.Option(
        "--brand-id", help="品牌ID a profile would supply to plans without one", show_default=False)] = None,
    output: Annotated[LintFormat, typer.Option(
        "--output", "-o", help="text for people; json for CI", case_sensitive=False)] = LintFormat.text,
    quiet: QuietOpt = False,
) -> None:
    """Check plan files offline (exit 4 when anything fails)."""
    import json

    from wxplan_cli.errors import ChecksFailed, ExitCode
    from wxplan_cli.lint import lint_file
    from wxplan_cli.render import print_data

    as_json = output is LintFormat.json
    run = make_run(ctx, output=OutputFormat.json if as_json else OutputFormat.table, quiet=quiet)
    defaults = {"brand_id": brand_id} if brand_id else {}
    report = {name: lint_file(name, defaults=defaults) for name in dict.fromkeys(files)}
    findings = [f for found in report.values() for f in found]
    if as_json:
        print_data(run.out, json.dumps([f.to_dict() for f in findings], ensure_ascii=False, indent=2))
    elif not quiet or findings:
        lines = [f.render() for f in findings] if quiet else [
            line for name, found in report.items()
            for line in ([f.render() for f in found] or [f"{name}: ok"])]
        print_data(run.out, "\n".join(lines))
    bad = sum(1 for found in report.values() if found)
    if bad:
        raise ChecksFailed(f"{len(findings)} problem(s) in {bad} of {len(report)} file(s)",
                           exit_code=ExitCode.VALIDATION)
