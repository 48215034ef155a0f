"""The installed `wxplan` script and `python -m wxplan_cli`, run as real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from wxplan_cli import __version__

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / "wxplan"


def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, input=input, env=os.environ.copy(),
                          timeout=120)


def test_installed_script_creates_on_the_builtin_sandbox(isolated_env: Path) -> None:
    assert SCRIPT.exists(), f"wxplan is not installed next to {sys.executable}"
    assert run(str(SCRIPT), "--version").stdout == f"wxplan {__version__}\n"
    first = run(str(SCRIPT), "create", "--profile", "sandbox", "--from",
                str(ROOT / "sample-configs" / "plan.yaml"), "-o", "json")
    assert first.returncode == 0, first.stderr
    plan = json.loads(first.stdout)
    assert plan["plan_state"] in ("PLAN_CREATING", "PLAN_CREATED") and plan["plan_id"]
    assert (isolated_env / "state" / "sandbox").is_dir()
    table = run(str(SCRIPT), "create", "--profile", "sandbox", "--from",
                str(ROOT / "sample-configs" / "plan.yaml"))
    assert table.returncode == 0 and plan["plan_id"] in table.stdout
    assert "\x1b[" not in table.stdout  # stdout is a pipe: no colour


def test_python_dash_m_and_bad_input_exit_codes(isolated_env: Path, tmp_path: Path) -> None:
    base = [sys.executable, "-m", "wxplan_cli"]
    assert run(*base, "--version").returncode == 0
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    res = run(*base, "create", "--profile", "sandbox", "--from", str(empty))
    assert res.returncode == 4 and "empty" in res.stderr and "Traceback" not in res.stderr
    res = run(*base, "create", "--profile", "sandbox", "--from", "-", input="brand_id: [\n")
    assert res.returncode == 4 and "<stdin>" in res.stderr and "Traceback" not in res.stderr
    res = run(*base, "create", "--bogus")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    res = run(*base, "create", "--from", str(empty))  # no config, no profile
    assert res.returncode == 3 and "--profile sandbox" in res.stderr
