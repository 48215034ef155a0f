"""Issue 6 safety properties at the CLI: permission checks, --strict, completion of the shared
options, plain http only to loopback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_fixtures import Served, write_config
from typer.testing import CliRunner

from wxplan_cli.cli import app
from wxplan_cli.errors import ConfigError, ExitCode
from wxplan_cli.session import check_base_url

SAMPLE = Path(__file__).resolve().parent.parent / "sample-configs" / "plan.yaml"


def _loose_key_config(served: Served, tmp_path: Path) -> Path:
    key = tmp_path / "key.pem"
    shutil.copy(served.profile["private_key"], key)
    key.chmod(0o640)
    config = write_config(tmp_path / "c.yaml", {**served.profile, "private_key": key}, served.url)
    config.chmod(0o644)
    return config


def test_loose_files_warn_and_strict_refuses(cli, served: Served, tmp_path: Path) -> None:
    config = _loose_key_config(served, tmp_path)
    res = cli("create", "--config", str(config), "--from", str(SAMPLE), "--dry-run")
    assert res.exit_code == 0
    assert f"config file {config} is readable by group or others" in res.stderr
    assert "key.pem is readable by group or others" in res.stderr
    strict = cli("--strict", "create", "--config", str(config), "--from", str(SAMPLE), "--dry-run")
    assert strict.exit_code == ExitCode.CONFIG and "refused" in strict.stderr and strict.stdout == ""
    assert "chmod 600" in strict.stderr
    env_strict = cli("create", "--config", str(config), "--from", str(SAMPLE), "--dry-run",
                     env={"WXPLAN_STRICT": "true"})
    assert env_strict.exit_code == ExitCode.CONFIG


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost", "http://[::1]:9",
                                 "https://api.mch.weixin.qq.com", "https://127.0.0.1"])
def test_allowed_base_urls(url: str) -> None:
    check_base_url(url)


@pytest.mark.parametrize("url", ["http://api.mch.weixin.qq.com", "http://10.0.0.1", "http://192.168.1.2",
                                 "ftp://127.0.0.1", "https://", "api.mch.weixin.qq.com"])
def test_refused_base_urls(url: str) -> None:
    with pytest.raises(ConfigError):
        check_base_url(url)


def test_profile_and_usage_mode_complete_on_create(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    def complete(words: str) -> list[str]:
        env = {"_WXPLAN_COMPLETE": "complete_bash", "COMP_WORDS": words,
               "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
        return CliRunner().invoke(app, [], prog_name="wxplan", env=env).stdout.split()

    monkeypatch.setenv("WXPLAN_CONFIG", str(served.config))
    assert complete("wxplan --profile p") == ["pubkey"]
    assert complete("wxplan create --profile ") == ["pubkey", "certs", "sandbox"]
    assert complete("wxplan create --usage-mode P") == ["PROGRESSIVE_BUNDLE"]


def test_a_bug_is_one_message_and_a_traceback_only_with_debug(isolated_env: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys, wxplan_cli.plan as p\n"
        "def boom(*a, **k):\n"
        "    secret_local = 'LOCALSECRET'\n"
        "    raise RuntimeError('bug near signature=\"QUJDREVGR0g=\"')\n"
        "p.build_plan = boom\n"
        "from wxplan_cli.cli import main\n"
        "main(sys.argv[1:])\n")
    base = [sys.executable, "-c", code, "create", "--profile", "sandbox", "--from", str(SAMPLE)]
    plain = subprocess.run(base, capture_output=True, text=True, timeout=60)
    assert plain.returncode == 1 and "internal error: RuntimeError" in plain.stderr
    assert "Traceback" not in plain.stderr and "QUJDREVGR0g=" not in plain.stderr
    debug = subprocess.run([*base, "--debug"], capture_output=True, text=True, timeout=60)
    assert debug.returncode == 1 and "Traceback" in debug.stderr and "in boom" in debug.stderr
    assert "QUJDREVGR0g=" not in debug.stderr and "LOCALSECRET" not in debug.stderr
