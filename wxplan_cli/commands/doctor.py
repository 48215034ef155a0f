"""``wxplan doctor``: check a profile's credentials and settings; one line per check, with the fix."""

from typing import Annotated

import typer

from wxplan_cli.commands.common import ConfigOpt, DebugOpt, OutputFormat, make_run
from wxplan_cli.commands.completion import ProfileOpt

HELP = """Check a profile: the private key loads and is private (0600), it matches the merchant certificate,
certificates are not expired (warn under 30 days), the verification mode has its material, the APIv3 key
file, the base URL. --online also makes one signed list call (page_size 1) whose reply must verify, and
reports the clock skew from its Date header. Exit 3 when any check fails.
"""

_MARK = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "skip"}
_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red", "skip": "dim"}


def doctor(
    ctx: typer.Context,
    online: Annotated[bool, typer.Option("--online", help="also make one signed call to the API")] = False,
    brand_id: Annotated[str | None, typer.Option(
        "--brand-id", help="品牌ID for the --online probe (default: the profile's brand_id)",
        show_default=False)] = None,
    output: Annotated[OutputFormat, typer.Option(
        "--output", "-o", help="table for people; json or yaml for scripts",
        case_sensitive=False)] = OutputFormat.table,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Check a profile's credentials and settings (exit 3 when any check fails)."""
    from rich.text import Text

    from wxplan_cli.doctor import diagnose
    from wxplan_cli.errors import ChecksFailed, ExitCode
    from wxplan_cli.render import print_data, to_json, to_yaml

    run = make_run(ctx, config=config, profile=profile, output=output, debug=debug)
    checks = diagnose(run.opts.config, run.opts.profile, online=online, brand_id=brand_id)
    if output in (OutputFormat.json, OutputFormat.yaml):
        data = [c.to_dict() for c in checks]
        print_data(run.out, to_json(data) if output is OutputFormat.json else to_yaml(data))
    else:
        for c in checks:
            line = Text(_MARK[c.status], style=_STYLE[c.status])
            line.append(f"  {c.name}: {c.detail}")
            if c.fix and c.status in ("fail", "warn"):
                line.append(f" — fix: {c.fix}", style="cyan")
            run.out.print(line, soft_wrap=True)
    failed = [c for c in checks if c.status == "fail"]
    if failed:
        raise ChecksFailed(f"{len(failed)} of {len(checks)} checks failed: "
                           f"{', '.join(dict.fromkeys(c.name for c in failed))}",
                           exit_code=ExitCode.CONFIG, hint="apply the fixes shown above")
