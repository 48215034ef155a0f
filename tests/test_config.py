"""Config resolution: file, profile and value precedence, provenance, and errors naming file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from wxplan_cli.config import load_profile
from wxplan_cli.errors import ConfigError, ExitCode

CONFIG = """\
default_profile: prod
profiles:
  prod:
    mchid: "1900000109"
    serial_no: ABC123
    private_key: keys/apiclient_key.pem
    brand_id: "40016"
    timeout: 3
  other:
    mchid: 1900000110
    base_url: https://api2.mch.weixin.qq.com
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "conf" / "config.yaml"
    path.parent.mkdir()
    path.write_text(CONFIG)
    return path


def test_file_values_with_lines_and_relative_paths(config_file: Path) -> None:
    prof = load_profile(str(config_file), None, env={})
    assert prof.name == "prod"
    assert prof.get("mchid") == "1900000109"
    assert prof.source("mchid") == f"{config_file}:4"
    assert prof.get("private_key") == config_file.parent / "keys/apiclient_key.pem"
    assert prof.get("timeout") == 3.0 and prof.source("connect_timeout") == "default"
    assert prof.get("base_url") == "https://api.mch.weixin.qq.com"


def test_precedence_flag_env_file(config_file: Path, tmp_path: Path) -> None:
    env = {"WXPLAN_CONFIG": str(config_file), "WXPLAN_PROFILE": "other", "WXPLAN_BRAND_ID": "999"}
    prof = load_profile(None, None, env=env)
    assert prof.name == "other" and prof.get("mchid") == "1900000110"
    assert prof.get("brand_id") == "999" and prof.source("brand_id") == "env WXPLAN_BRAND_ID"
    assert load_profile(None, "prod", env=env).name == "prod"
    elsewhere = tmp_path / "none.yaml"
    with pytest.raises(ConfigError, match="not found"):
        load_profile(str(elsewhere), None, env=env)


def test_default_file_location(isolated_env: Path) -> None:
    isolated_env.mkdir(parents=True, exist_ok=True)
    (isolated_env / "config.yaml").write_text(CONFIG)
    assert load_profile(None, None).name == "prod"


@pytest.mark.parametrize(("text", "fragment", "line"), [
    ("profiles:\n  prod:\n    mchd: 1\n", "unknown key 'mchd'", 3),
    ("profiles:\n  prod:\n\tmchid: 1\n", "tabs", 3),
    ("profiles:\n  prod:\n    mchid: 1\n    mchid: 2\n", "duplicate key 'mchid'", 4),
    ("profile:\n  prod: {}\n", "unknown top-level key 'profile'", 1),
    ("profiles:\n  prod:\n    timeout: soon\n", "timeout", 3),
    ("profiles:\n  prod:\n    private_key: '-----BEGIN PRIVATE KEY-----'\n", "inline", 3),
    ("profiles:\n  prod:\n    private_key: MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"
     "BKcwggSjAgEAAoIBAQDADkYE\n", "inline", 3),
    ("profiles:\n  prod:\n    apiv3_key_file: Zq8LmN3pR7sT1vW5xY9aB2cD4eF6gH0j\n", "APIv3 key itself", 3),
])
def test_errors_name_file_and_line(tmp_path: Path, text: str, fragment: str, line: int) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_profile(str(path), "prod", env={})
    err = info.value
    assert err.exit_code == ExitCode.CONFIG
    assert f"{path}:{line}" in err.message
    assert fragment in err.message + (err.hint or "")


def test_pasted_secrets_are_refused_without_being_quoted(tmp_path: Path) -> None:
    """Key material or the APIv3 key where a path belongs: refused, never echoed (``config show`` and
    errors would show the "path"); a file that really has such a name is a path."""
    apiv3 = "Zq8LmN3pR7sT1vW5xY9aB2cD4eF6gH0j"
    path = tmp_path / "c.yaml"
    path.write_text(f"profiles:\n  prod:\n    apiv3_key_file: {apiv3}\n")
    with pytest.raises(ConfigError) as info:
        load_profile(str(path), "prod", env={})
    assert apiv3 not in info.value.message + (info.value.hint or "")
    with pytest.raises(ConfigError):
        load_profile(None, "sandbox", env={"WXPLAN_APIV3_KEY_FILE": apiv3})
    (tmp_path / apiv3).write_text("x" * 32)
    assert load_profile(str(path), "prod", env={}).get("apiv3_key_file") == tmp_path / apiv3


def test_unknown_profile_suggests(config_file: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_profile(str(config_file), "prdo", env={})
    assert "did you mean 'prod'" in (info.value.hint or "")


def test_no_profile_chosen_hints_sandbox() -> None:
    with pytest.raises(ConfigError) as info:
        load_profile(None, None, env={})
    assert "--profile sandbox" in (info.value.hint or "")


def test_sample_config_loads() -> None:
    sample = Path(__file__).parent.parent / "sample-configs" / "config.yaml"
    prod = load_profile(str(sample), "prod", env={})
    assert prod.get("wechatpay_public_key_id").startswith("PUB_KEY_ID_")
    assert prod.get("private_key") == sample.parent / "keys/apiclient_key.pem"
