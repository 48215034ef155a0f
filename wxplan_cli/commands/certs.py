"""``wxplan certs download``: fetch, decrypt and verify WeChat Pay platform certificates (平台证书)."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wxplan_cli.commands.common import (
    ConfigOpt,
    DebugOpt,
    OutputFormat,
    OutputOpt,
    QuietOpt,
    Run,
    make_run,
)
from wxplan_cli.commands.completion import ProfileOpt

if TYPE_CHECKING:
    from wxplan_cli.certs import PlatformCert

app = typer.Typer(help="WeChat Pay platform certificates (平台证书).", no_args_is_help=True)


@app.command("download")
def download(
    ctx: typer.Context,
    directory: Annotated[Path | None, typer.Option(
        "--dir", help="where to save wechatpay_<SERIAL>.pem (default: next to the config file)",
        show_default=False)] = None,
    output: OutputOpt = OutputFormat.table,
    quiet: QuietOpt = False,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Download the platform certificates (GET /v3/certificates), verify the reply with them, save them.

    The APIv3 key comes from WXPLAN_APIV3_KEY, the profile's apiv3_key_file, or a hidden prompt on a
    terminal; never from a flag. A wrong key is exit 3; a merchant without platform certificates
    (RESOURCE_NOT_EXISTS) is told how to use public-key mode instead (exit 5).
    """
    from wxplan_cli import certs
    from wxplan_cli.commands.interact import stdin_is_terminal

    run = make_run(ctx, config=config, profile=profile, output=output, quiet=quiet, debug=debug)
    prof = run.profile()
    prompt = _prompt if stdin_is_terminal() else None
    key = certs.apiv3_key(prof, prompt=prompt)
    found = certs.still_valid(
        certs.download(prof, key, warn=run.warn, log=run.log if run.opts.debug else None), run.warn)
    paths = certs.save(found, directory or certs.default_dir(prof))
    if not quiet:
        _render(run, found, paths, prof.name)


def _prompt() -> str:
    return str(typer.prompt("APIv3 key (APIv3密钥, not shown)", hide_input=True, err=True))


def _render(run: Run, found: "list[PlatformCert]", paths: list[Path], profile_name: str) -> None:
    from wxplan_cli.certs import config_lines
    from wxplan_cli.render import print_data, rows_table, to_json, to_yaml

    items = [{**c.to_dict(), "path": str(p)} for c, p in zip(found, paths, strict=True)]
    lines = config_lines(paths)
    if run.output is OutputFormat.json:
        print_data(run.out, to_json({"certificates": items, "config_lines": lines}))
    elif run.output is OutputFormat.yaml:
        print_data(run.out, to_yaml({"certificates": items, "config_lines": lines}))
    elif run.output is OutputFormat.id:
        print_data(run.out, "\n".join(i["serial_no"] for i in items))
    else:
        rows = [(i["serial_no"], i["not_before"], i["not_after"], i["path"]) for i in items]
        run.out.print(rows_table(("序列号 serial_no", "生效 not_before", "过期 not_after", "file"), rows,
                                 title="平台证书 platform certificates (signature verified)"))
        print_data(run.out, f"\nAdd to profile {profile_name!r} (keep older certificates during a "
                            f"rotation):\n\n{lines}")
