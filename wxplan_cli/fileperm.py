"""File permission checks for files that hold secrets or point at them."""

from __future__ import annotations

import stat
from pathlib import Path


def group_or_world_readable(path: str | Path) -> bool:
    """True when ``path`` can be read by its group or by others (a private key should be 0600)."""
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IRGRP | stat.S_IROTH))
