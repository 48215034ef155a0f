"""The ``wxplan`` command line: Typer app, global options, and the one error boundary.

Commands live in ``wxplan_cli.commands``; each parses options, calls the library and renders.
This module imports nothing heavy (httpx, cryptography, yaml, the sandbox) so ``--help`` and
``--version`` stay fast; commands import what they need when they run.
"""

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from wxplan_cli import __version__
from wxplan_cli.commands.common import GlobalOptions
from wxplan_cli.commands.completion import complete_profile
from wxplan_cli.errors import ExitCode, Interrupted, WxplanError


class WxplanGroup(TyperGroup):
    """Root group whose ``invoke`` is the error boundary for every command."""

    def invoke(self, ctx: Any) -> Any:
        """Run the command; turn ``WxplanError`` and Ctrl-C into one message and an exit code."""
        try:
            return super().invoke(ctx)
        except WxplanError as err:
            report(err, ctx)
            raise typer.Exit(int(err.exit_code)) from None
        except KeyboardInterrupt:
            report(Interrupted("interrupted", hint="if a request was in flight its outcome is "
                                                   "unknown: re-run the same command"), ctx)
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None


def report(err: WxplanError, ctx: Any) -> None:
    """Render ``err`` on stderr (JSON when ``-o json`` was asked for); traceback only under --debug."""
    from wxplan_cli.render import render_error, stderr_console

    opts = ctx.find_object(GlobalOptions) or GlobalOptions()
    console = stderr_console()
    if opts.debug and err.__traceback__ is not None:
        import traceback

        from wxplan_cli.redact import redact_text

        console.file.write(redact_text("".join(traceback.format_exception(err))))
    render_error(console, err, as_json=opts.json_errors)


app = typer.Typer(
    name="wxplan", cls=WxplanGroup, no_args_is_help=True, add_completion=True,
    pretty_exceptions_show_locals=False, rich_markup_mode=None,
    help="Create and manage WeChat Pay delivery plans (投放计划) for service providers (服务商).",
    epilog="Exit codes: 0 ok, 2 usage, 3 config, 4 validation, 5 rejected by the API, "
           "6 server error, 7 outcome unknown, 8 response signature invalid, 9 audit rejected (--wait), "
           "10 --wait timed out, 11 batch incomplete, 130 interrupted.",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"wxplan {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[str | None, typer.Option("--config", help="config file (default: WXPLAN_CONFIG, "
                                               "then the user config dir)", show_default=False)] = None,
    profile: Annotated[str | None, typer.Option("--profile", "-p", help="profile name (default: "
                                                "WXPLAN_PROFILE, then the file's default_profile)",
                                                autocompletion=complete_profile)] = None,
    debug: Annotated[bool, typer.Option("--debug", "-v", help="log requests and responses "
                                        "(secrets redacted) to stderr")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="refuse private key files readable by "
                                         "group or others (instead of warning)")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="print the version and exit")] = False,
) -> None:
    """Create and manage WeChat Pay delivery plans (投放计划)."""
    ctx.obj = GlobalOptions(config=config, profile=profile, debug=debug, strict=strict)


def _register() -> None:
    from wxplan_cli.commands import create, plans
    from wxplan_cli.commands.sandbox import app as sandbox_app

    app.command("create", help=create.HELP, no_args_is_help=False)(create.create)
    app.command("list", help=plans.LIST_HELP)(plans.list_plans)
    app.command("show", help=plans.SHOW_HELP)(plans.show_plan)
    _register_lifecycle()
    app.add_typer(sandbox_app, name="sandbox")
    from wxplan_cli.commands.ledger import app as ledger_app  # batch create's ledgers (issue 5)

    app.add_typer(ledger_app, name="ledger")


def _register_lifecycle() -> None:
    """update, terminate, notify-url, config, certs, doctor, lint (issue 4)."""
    from wxplan_cli.commands import certs, config_cmd, doctor, lint, notify, terminate, update

    app.command("update", help=update.HELP)(update.update)
    app.command("terminate", help=terminate.HELP)(terminate.terminate)
    app.add_typer(notify.app, name="notify-url")
    app.add_typer(config_cmd.app, name="config")
    app.add_typer(certs.app, name="certs")
    app.command("doctor", help=doctor.HELP)(doctor.doctor)
    app.command("lint", help=lint.HELP)(lint.lint)


_register()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``wxplan`` script: last-resort guard for bugs (no locals, no secrets)."""
    try:
        app(args=argv, prog_name="wxplan")
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(int(ExitCode.INTERRUPTED))
    except Exception as exc:  # noqa: BLE001 - the boundary of last resort
        import traceback

        from wxplan_cli.redact import redact_text

        args = sys.argv[1:] if argv is None else argv
        if "--debug" in args or "-v" in args:  # frames only, never local variables
            sys.stderr.write(redact_text(traceback.format_exc()))
        sys.stderr.write(redact_text(f"internal error: {type(exc).__name__}: {exc}\n"
                                     "please report it with the command you ran (use --debug)\n"))
        sys.exit(int(ExitCode.FAILURE))
