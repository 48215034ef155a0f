"""Behaviour that depends on a real terminal: colour on a TTY, none with NO_COLOR or a pipe.

Runs the installed script under a pseudo-terminal (the `pty` module), as an operator would.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "wxplan"
SAMPLE = Path(__file__).resolve().parent.parent / "sample-configs" / "plan.yaml"


def run_on_tty(args: list[str], env: dict[str, str]) -> bytes:
    """Run with stdout and stderr on a pseudo-terminal; return everything it wrote."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(leader)
    assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks)


def test_colour_only_on_a_terminal_without_no_color(isolated_env: Path) -> None:
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "160"}
    args = [str(SCRIPT), "create", "--profile", "sandbox", "--from", str(SAMPLE)]
    coloured = run_on_tty(args, env)
    assert b"\x1b[" in coloured and b"PLAN_CREATING" in coloured
    plain = run_on_tty(args, {**env, "NO_COLOR": "1"})
    assert b"\x1b[" not in plain.replace(b"\x1b[?25l", b"").replace(b"\x1b[?25h", b"")
    piped = subprocess.run(args, capture_output=True, env=env, timeout=60)
    assert piped.returncode == 0 and b"\x1b[" not in piped.stdout


def test_serial_mismatch_warns(cli, served, tmp_path: Path) -> None:
    from cli_fixtures import write_config

    config = write_config(tmp_path / "c.yaml", served.profile, served.url, serial_no="ABCDEF")
    res = cli("create", "--from", str(SAMPLE), "--config", str(config), "--dry-run")
    assert res.exit_code == 0
    assert "serial_no ABCDEF" in res.stderr and "differs from the serial" in res.stderr
    assert 'serial_no="ABCDEF"' in res.stdout  # the given serial is what gets signed
