"""Where wxplan keeps its files.

``WXPLAN_HOME`` relocates everything (config and state) into one folder, which keeps tests and
experiments isolated. Otherwise the config lives in Typer's app dir and state (the built-in sandbox's
keys and plans, ledgers) in the XDG state dir.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "wxplan"


def home_override() -> Path | None:
    """The ``WXPLAN_HOME`` folder, when set."""
    value = os.environ.get("WXPLAN_HOME")
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    """Folder of the default ``config.yaml``."""
    home = home_override()
    if home is not None:
        return home
    import typer  # lazily: keeps `wxplan --version` fast even though typer is loaded by then

    return Path(typer.get_app_dir(APP_NAME))


def default_config_file() -> Path:
    """``config.yaml`` in :func:`config_dir`."""
    return config_dir() / "config.yaml"


def state_dir() -> Path:
    """State folder: ``$WXPLAN_HOME/state``, else ``$XDG_STATE_HOME/wxplan`` or ``~/.local/state/wxplan``."""
    home = home_override()
    if home is not None:
        return home / "state"
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "state"
    return base / APP_NAME


def sandbox_dir() -> Path:
    """The built-in sandbox profile's keys and plans."""
    return state_dir() / "sandbox"
