"""Options every command shares, and ``Run``: the per-invocation context (profile, consoles, client).

Kept light: nothing heavy is imported until a command actually runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any

import typer

from wxplan_cli.commands.completion import complete_profile

if TYPE_CHECKING:
    from rich.console import Console

    from wxplan_cli.client import PartnerClient
    from wxplan_cli.config import Profile


@dataclass
class GlobalOptions:
    """Options given before the command name (commands accept ``--config``/``--profile`` too)."""

    config: str | None = None
    profile: str | None = None
    debug: bool = False
    json_errors: bool = False
    strict: bool = False


class OutputFormat(str, Enum):
    """``-o`` formats for one plan."""

    table = "table"
    json = "json"
    yaml = "yaml"
    id = "id"


ConfigOpt = Annotated[str | None, typer.Option(
    "--config", help="config file (overrides WXPLAN_CONFIG)", show_default=False)]
ProfileOpt = Annotated[str | None, typer.Option(
    "--profile", "-p", help="profile name; `sandbox` is the built-in sandbox", show_default=False,
    autocompletion=complete_profile)]
OutputOpt = Annotated[OutputFormat, typer.Option(
    "--output", "-o", help="table for people; json, yaml or id for scripts", case_sensitive=False)]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="print nothing on success")]
DebugOpt = Annotated[bool, typer.Option("--debug", "-v", help="log requests and responses "
                                        "(secrets redacted) to stderr")]


@dataclass
class Run:
    """What one command invocation needs; built from the root options plus the command's own."""

    opts: GlobalOptions
    output: OutputFormat = OutputFormat.table
    quiet: bool = False
    warnings: list[str] = field(default_factory=list)

    @cached_property
    def out(self) -> Console:
        """The data console (stdout)."""
        from wxplan_cli.render import stdout_console

        return stdout_console()

    @cached_property
    def err(self) -> Console:
        """The console for notes, warnings and errors (stderr)."""
        from wxplan_cli.render import stderr_console

        return stderr_console()

    def warn(self, message: str) -> None:
        """A warning on stderr (even with -q: warnings are not success output)."""
        from wxplan_cli.render import warn

        warn(self.err, message)

    def note(self, message: str) -> None:
        """An informational line on stderr, silenced by -q."""
        if not self.quiet:
            self.err.print(message, markup=False, highlight=False)

    def log(self, message: str) -> None:
        """A debug line on stderr (already redacted by the caller)."""
        self.err.print(message, markup=False, highlight=False, style="dim")

    def profile(self) -> Profile:
        """The resolved profile."""
        from wxplan_cli.config import Setting, load_profile

        profile = load_profile(self.opts.config, self.opts.profile)
        if self.opts.strict:
            profile.settings["strict"] = Setting(True, "flag --strict")
        for message in profile.warnings:
            self.warn(message)
        return profile

    def client(self, profile: Profile) -> PartnerClient:
        """A signed client for ``profile``."""
        from wxplan_cli.session import open_client

        return open_client(profile, warn=self.warn, log=self.log if self.opts.debug else None)


def make_run(ctx: typer.Context, *, config: str | None = None, profile: str | None = None,
             output: OutputFormat = OutputFormat.table, quiet: bool = False,
             debug: bool = False) -> Run:
    """Merge the command's own options over the root ones (``wxplan create --profile x`` works)."""
    opts: GlobalOptions = ctx.find_object(GlobalOptions) or GlobalOptions()
    if ctx.find_object(GlobalOptions) is None:
        ctx.obj = opts
    opts.config = config or opts.config
    opts.profile = profile or opts.profile
    opts.debug = debug or opts.debug
    opts.json_errors = output is OutputFormat.json
    return Run(opts, output=output, quiet=quiet)


def dump(value: Any) -> str:
    """Compact one-line JSON for notes."""
    import json

    return json.dumps(value, ensure_ascii=False)
