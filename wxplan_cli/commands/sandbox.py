"""``wxplan sandbox serve|reset``: run the local WeChat Pay sandbox over HTTP, or reset it.

Thin: options in, one call to ``wxplan_cli.sandbox.launch``. Importing this module must stay cheap
(httpx, cryptography and yaml are imported inside the commands).
"""

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from wxplan_cli import paths
from wxplan_cli.errors import UsageError

app = typer.Typer(help="Run a local WeChat Pay APIv3 sandbox for delivery plans (test keys only).",
                  no_args_is_help=True)

def _rate(fault: str) -> Any:
    return typer.Option(min=0.0, max=1.0, help=f"Probability (0-1) that a request gets {fault}.")


def _seconds(what: str) -> Any:
    return typer.Option(min=0.0, max=600.0, help=f"Seconds {what}.")


KeyDir = Annotated[Path | None, typer.Option("--dir", help="Where the sandbox keeps its keys "
                                             "(default: the built-in sandbox's).")]
Text = str | None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback only unless --allow-remote).")] = (
        "127.0.0.1"),
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port; 0 picks a free one.")] = 8080,
    state: Annotated[Path | None, typer.Option(help="SQLite file keeping plans across restarts "
                                                    "(default: in memory).")] = None,
    directory: KeyDir = None,
    creating_delay: Annotated[float, _seconds("a new plan stays PLAN_CREATING")] = 1.0,
    audit_delay: Annotated[float, _seconds("an audit takes")] = 3.0,
    terminating_delay: Annotated[float, _seconds("a plan stays PLAN_TERMINATING")] = 1.0,
    rate_429: Annotated[float, _rate("a 429 (not applied)")] = 0.0,
    rate_500: Annotated[float, _rate("a 500 (not applied)")] = 0.0,
    rate_503: Annotated[float, _rate("a 503 (not applied)")] = 0.0,
    rate_slow: Annotated[float, _rate("a slow reply")] = 0.0,
    slow_seconds: Annotated[float, _seconds("a slow reply waits")] = 3.0,
    rate_drop: Annotated[float, _rate("its connection dropped after being applied")] = 0.0,
    rate_bad_signature: Annotated[float, _rate("a wrongly signed reply")] = 0.0,
    rate_signtest: Annotated[float, _rate("a WECHATPAY/SIGNTEST/ probe signature")] = 0.0,
    rate_stale: Annotated[float, _rate("a reply signed with a stale timestamp")] = 0.0,
    seed: Annotated[int | None, typer.Option(help="Seed for the fault rates.")] = None,
    mchid: Annotated[Text, typer.Option(help="Service-provider mchid to accept.")] = None,
    merchant_cert: Annotated[list[Path] | None, typer.Option(
        help="Trust this merchant certificate (PEM; repeatable; replaces the generated one).")] = None,
    platform_key: Annotated[Path | None, typer.Option(help="Sign replies with this RSA key (PEM).")] = None,
    platform_serial: Annotated[Text, typer.Option(
        help="Certificate serial (hex) for --platform-key: platform-certificate mode.")] = None,
    public_key_id: Annotated[Text, typer.Option(
        help="PUB_KEY_ID_... for --platform-key: public-key mode.")] = None,
    apiv3_key: Annotated[Text, typer.Option(
        envvar="WXPLAN_SANDBOX_APIV3_KEY", help="32-character APIv3 key.")] = None,
    allow_remote: Annotated[bool, typer.Option(help="Allow a non-loopback --host.")] = False,
) -> None:
    """Serve the sandbox over HTTP; prints the client profile on stdout and one log line per request."""
    from wxplan_cli.sandbox import launch
    from wxplan_cli.sandbox.options import SandboxOptions

    try:
        options = SandboxOptions(
            creating_delay=creating_delay, audit_delay=audit_delay, terminating_delay=terminating_delay,
            rate_429=rate_429, rate_500=rate_500, rate_503=rate_503, rate_slow=rate_slow,
            slow_seconds=slow_seconds, rate_drop=rate_drop, rate_bad_signature=rate_bad_signature,
            rate_signtest=rate_signtest, rate_stale=rate_stale, seed=seed)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    settings = launch.ServeSettings(
        directory=directory or paths.sandbox_dir(), host=host, port=port, state=state, options=options,
        allow_remote=allow_remote, mchid=mchid, merchant_certs=tuple(merchant_cert or ()),
        platform_key=platform_key, platform_serial=platform_serial, public_key_id=public_key_id,
        apiv3_key=apiv3_key)
    launch.serve(settings, out=typer.echo, err=lambda line: typer.echo(line, err=True))


@app.command()
def reset(
    keys: Annotated[bool, typer.Option("--keys", help="Also generate new keys.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    directory: KeyDir = None,
    state: Annotated[Path | None, typer.Option(help="State file to clear "
                                                    "(default: DIR/plans.sqlite3).")] = None,
) -> None:
    """Delete the built-in sandbox's plans (and with --keys, its keys)."""
    from wxplan_cli.sandbox import launch

    folder = directory or paths.sandbox_dir()
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("reset deletes sandbox state and needs confirmation", hint="pass --yes")
        what = "plans and keys" if keys else "plans"
        typer.confirm(f"Delete the sandbox's {what} in {folder}?", abort=True)
    for line in launch.reset(folder, state, keys=keys):
        typer.echo(line, err=True)
