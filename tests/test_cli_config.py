"""`wxplan config init|show|profiles` end to end: 0600 files, no overwrite, sources, masking."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import yaml
from cli_fixtures import Served

from wxplan_cli.errors import ExitCode

APIV3_KEY = "0123456789abcdefABCDEF0123456789"


def init_args(served: Served, path: Path, *extra: str) -> list[str]:
    prof = served.profile
    return ["config", "init", "--config", str(path), "--mchid", prof["mchid"], "--private-key",
            prof["private_key"], "--merchant-cert", prof["merchant_cert"], "--wechatpay-public-key",
            prof["wechatpay_public_key"], "--wechatpay-public-key-id", prof["wechatpay_public_key_id"],
            "--brand-id", "40016", "--base-url", served.url, *extra]


def test_init_writes_0600_yaml_that_works(cli, served: Served, tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.yaml"
    res = cli(*init_args(served, path, "--profile", "prod"))
    assert res.exit_code == 0, res.stderr
    assert res.stdout.strip() == str(path) and "0600" in res.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = yaml.safe_load(path.read_text())
    assert data["default_profile"] == "prod"
    assert data["profiles"]["prod"]["mchid"] == served.profile["mchid"]  # written as text, not a number
    assert "BEGIN" not in path.read_text()  # paths only, never key material
    assert not list(path.parent.glob(".*.tmp"))
    listed = cli("list", "--config", str(path), "-o", "json")  # the written profile really works
    assert listed.exit_code == 0, listed.stderr
    assert json.loads(listed.stdout) == []


def test_init_never_overwrites_without_force(cli, served: Served, tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("# mine\n")
    res = cli(*init_args(served, path))
    assert res.exit_code == ExitCode.CONFIG and "already exists" in res.stderr and "--force" in res.stderr
    assert path.read_text() == "# mine\n"
    forced = cli(*init_args(served, path, "--force"))
    assert forced.exit_code == 0 and "default_profile: default" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_init_without_terminal_needs_the_flags(cli, tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    res = cli("config", "init", "--config", str(path), "--mchid", "1900000109")
    assert res.exit_code == ExitCode.USAGE and "private_key" in res.stderr and "--private-key" in res.stderr
    assert not path.exists()


def test_init_refuses_a_broken_key_file(cli, tmp_path: Path) -> None:
    bad = tmp_path / "key.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    path = tmp_path / "config.yaml"
    res = cli("config", "init", "--config", str(path), "--mchid", "1900000109", "--private-key", str(bad),
              "--serial-no", "ABCDEF")
    assert res.exit_code == ExitCode.CONFIG and "key.pem" in res.stderr and not path.exists()


def test_init_asks_on_a_terminal(cli, served: Served, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wxplan_cli.commands.interact.stdin_is_terminal", lambda: True)
    prof = served.profile
    answers = [prof["mchid"], prof["private_key"], prof["merchant_cert"], "", "40016"]
    path = tmp_path / "config.yaml"
    res = cli("config", "init", "--config", str(path), input="\n".join(answers) + "\n")
    assert res.exit_code == 0, res.stderr
    assert "商户号" in res.stderr  # the questions are on stderr
    body = yaml.safe_load(path.read_text())["profiles"]["default"]
    assert body == {"mchid": prof["mchid"], "merchant_cert": prof["merchant_cert"],
                    "private_key": prof["private_key"], "brand_id": "40016"}


def test_init_sandbox_profile(cli, tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    assert cli("config", "init", "--sandbox", "--brand-id", "40016", "--config", str(path),
               "-p", "practice").exit_code == 0
    assert yaml.safe_load(path.read_text())["profiles"]["practice"] == {"brand_id": "40016", "sandbox": True}
    shown = json.loads(cli("config", "show", "--config", str(path), "-o", "json").stdout)
    assert shown["settings"]["mchid"]["source"] == "built-in sandbox"
    assert shown["settings"]["brand_id"]["source"] == f"{path}:7"  # after the 3 comment lines


def test_show_says_where_each_setting_came_from(cli, served: Served,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WXPLAN_TIMEOUT", "7")
    monkeypatch.setenv("WXPLAN_APIV3_KEY", APIV3_KEY)
    res = cli("config", "show", "--config", str(served.config), "--profile", "certs", "-o", "json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["config_file"] == {"value": str(served.config), "source": "--config"}
    assert data["profile"] == {"value": "certs", "source": "--profile"}
    settings = data["settings"]
    assert settings["timeout"] == {"value": 7.0, "source": "env WXPLAN_TIMEOUT"}
    assert settings["mchid"]["source"].startswith(f"{served.config}:")
    assert settings["connect_timeout"]["source"] == "default"
    assert settings["serial_no"] == {"value": None, "source": "unset"}
    assert settings["private_key"]["value"] == served.profile["private_key"]  # a path is fine to show
    assert settings["apiv3_key"] == {"value": "***", "source": "env WXPLAN_APIV3_KEY"}
    assert APIV3_KEY not in res.stdout
    table = cli("config", "show", "--config", str(served.config))
    assert "default_profile" not in table.stdout and f"{served.config}:1" in table.stdout  # pubkey's line
    assert APIV3_KEY not in table.stdout and "env WXPLAN_TIMEOUT" in table.stdout


def test_show_builtin_sandbox_and_errors(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    res = cli("config", "show", "--profile", "sandbox", "-o", "json")
    data = json.loads(res.stdout)
    assert data["config_file"]["value"] is None and "does not exist" in data["config_file"]["source"]
    assert data["settings"]["sandbox"] == {"value": True, "source": "built-in sandbox"}
    res = cli("config", "show", "--profile", "prdo")
    assert res.exit_code == ExitCode.CONFIG and "not found" in res.stderr


def test_profiles(cli, served: Served) -> None:
    res = cli("config", "profiles", "--config", str(served.config), "-o", "json")
    data = json.loads(res.stdout)
    assert [(p["name"], p["default"], p["sandbox"]) for p in data] == [
        ("pubkey", True, False), ("certs", False, False), ("sandbox", False, True)]
    assert cli("config", "profiles", "--config", str(served.config), "-o", "id").stdout.split() == [
        "pubkey", "certs", "sandbox"]
    table = cli("config", "profiles", "--config", str(served.config)).stdout
    assert "* pubkey" in table and served.url in table
    assert cli("config", "profiles", "-o", "id").stdout.split() == ["sandbox"]  # no config file at all
