"""Shell-completion callbacks (Typer's ``--install-completion``): profile names and enum values.

They run on every Tab press, so they stay cheap: the enums come from ``plan_fields`` (plain data), and
profile names from one read of the config file (PyYAML imported only then). A completion callback
never raises: on any problem it offers what it can (at least the built-in ``sandbox``).
"""

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from wxplan_cli.plan_fields import AUDIT_STATES, PLAN_STATES, USAGE_MODES

Choices = list[tuple[str, str]]


def _matching(options: dict[str, str], incomplete: str) -> Choices:
    word = incomplete.upper()
    return [(name, help) for name, help in options.items() if name.startswith(word)]


def complete_plan_state(incomplete: str) -> Choices:
    """``PLAN_*`` values with their Chinese meaning."""
    return _matching(PLAN_STATES, incomplete)


def complete_audit_state(incomplete: str) -> Choices:
    """``AUDIT_*`` values with their Chinese meaning."""
    return _matching(AUDIT_STATES, incomplete)


def complete_usage_mode(incomplete: str) -> Choices:
    """``SINGLE`` / ``PROGRESSIVE_BUNDLE``."""
    return _matching(USAGE_MODES, incomplete)


def _config_flag(ctx: Any) -> str | None:
    while ctx is not None:
        value = (getattr(ctx, "params", None) or {}).get("config")
        if value:
            return str(value)
        ctx = getattr(ctx, "parent", None)
    return None


def profile_names(config: str | None) -> list[str]:
    """Profile names in the config file (``--config``, ``WXPLAN_CONFIG`` or the default), then ``sandbox``."""
    from wxplan_cli import paths

    path = Path(config or os.environ.get("WXPLAN_CONFIG") or paths.default_config_file()).expanduser()
    names: list[str] = []
    try:
        import yaml

        data = yaml.safe_load(path.read_text("utf-8"))
        names = [str(n) for n in (data.get("profiles") or {})]
    except Exception:  # noqa: BLE001 - completion offers what it can, never fails
        names = []
    return names + (["sandbox"] if "sandbox" not in names else [])


def complete_profile(ctx: typer.Context, incomplete: str) -> list[str]:
    """Profile names starting with ``incomplete``."""
    return [n for n in profile_names(_config_flag(ctx)) if n.startswith(incomplete)]


ProfileOpt = Annotated[str | None, typer.Option(
    "--profile", "-p", help="profile name; `sandbox` is the built-in sandbox", show_default=False,
    autocompletion=complete_profile)]
PlanStateOpt = Annotated[str | None, typer.Option(
    "--state", help="plan_state filter, e.g. PLAN_DELIVERING (or delivering)", show_default=False,
    autocompletion=complete_plan_state)]
AuditStateOpt = Annotated[str | None, typer.Option(
    "--audit-state", help="audit_state filter, e.g. AUDIT_PASSED (or passed)", show_default=False,
    autocompletion=complete_audit_state)]
