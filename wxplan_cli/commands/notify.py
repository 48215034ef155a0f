"""``wxplan notify-url set URL``: where WeChat Pay reports plan changes (设置投放计划回调地址)."""

from typing import Annotated

import typer

from wxplan_cli.commands.common import (
    ConfigOpt,
    DebugOpt,
    OutputFormat,
    OutputOpt,
    QuietOpt,
    make_run,
)
from wxplan_cli.commands.completion import ProfileOpt

app = typer.Typer(help="The delivery-plan callback URL (投放计划回调地址) of the service provider.",
                  no_args_is_help=True)


@app.command("set")
def set_url(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="https:// URL, at most 256 characters")],
    output: OutputOpt = OutputFormat.table,
    quiet: QuietOpt = False,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Set the URL WeChat Pay POSTs DELIVERY_PLAN.CHANGE notifications to (sp_mchid = the profile's mchid).

    Checked first (exit 4, nothing sent): https://, a host, at most 256 characters.
    """
    from wxplan_cli.errors import ValidationError
    from wxplan_cli.notify import notify_url_issues
    from wxplan_cli.render import render_record

    run = make_run(ctx, config=config, profile=profile, output=output, quiet=quiet, debug=debug)
    issues = notify_url_issues(url)
    if issues:
        err = ValidationError(issues, hint="nothing was sent")
        err.message = f"the notify URL is not valid ({len(issues)} problem(s))"
        raise err
    prof = run.profile()
    sp_mchid = str(prof.require("mchid"))
    with run.client(prof) as client:
        saved = client.set_notify_url(sp_mchid, url)
    if quiet:
        return
    render_record(run.out, {"sp_mchid": sp_mchid, "notify_url": saved}, run.output, id_key="notify_url",
                  labels={"sp_mchid": "服务商商户号", "notify_url": "回调地址"},
                  title="投放计划回调地址 notify URL")
