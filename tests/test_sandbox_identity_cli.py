"""Sandbox identity files, explicit trust material, and the ``sandbox serve|reset`` commands."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sandbox_helpers import LIST, PLANS, FakeClock, identity_from_process, make_client, plan_body
from typer.testing import CliRunner

from wxplan_cli import keygen, signing
from wxplan_cli.commands import sandbox as sandbox_command
from wxplan_cli.errors import ConfigError, UsageError
from wxplan_cli.sandbox import launch, open_sandbox
from wxplan_cli.sandbox.app import Sandbox
from wxplan_cli.sandbox.identity import SandboxIdentity, ensure_identity, override_identity
from wxplan_cli.sandbox.options import SandboxOptions
from wxplan_cli.sandbox.store import open_store
from wxplan_cli.sandbox.transport import SandboxTransport

pytest_plugins = ["sandbox_fixtures"]
SECRETS = ("merchant_key.pem", "platform_key.pem", "wechatpay_key.pem", "apiv3_key.txt")


def test_identity_files(sb_home: Path, sb_identity: SandboxIdentity) -> None:
    for name in SECRETS:
        assert stat.S_IMODE((sb_home / name).stat().st_mode) == 0o600, name
    profile = sb_identity.client_profile()
    for key in ("private_key", "merchant_cert", "wechatpay_public_key", "apiv3_key_file"):
        assert Path(str(profile[key])).is_absolute() and Path(str(profile[key])).is_file()
    assert profile["platform_certs"] == [str(sb_home / "platform_cert.pem")]
    assert str(profile["wechatpay_public_key_id"]).startswith("PUB_KEY_ID_")
    assert (sb_home / "apiv3_key.txt").read_text() == sb_identity.apiv3_key
    assert len(sb_identity.apiv3_key) == 32
    assert sb_identity.platform_key.public_key().public_numbers() != \
        sb_identity.wechatpay_key.public_key().public_numbers()
    again = ensure_identity(sb_home)
    assert (again.platform_serial, again.public_key_id, again.apiv3_key) == (
        sb_identity.platform_serial, sb_identity.public_key_id, sb_identity.apiv3_key)


def test_racing_processes_agree_on_one_identity(tmp_path: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        results = pool.map(identity_from_process, [str(tmp_path / "race")] * 3)
    assert len(set(results)) == 1


def test_damaged_identity_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "identity.json").write_text("{")
    with pytest.raises(ConfigError, match="damaged"):
        ensure_identity(tmp_path)


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Material from "another tool": a merchant cert and a signing key the sandbox did not generate."""
    folder = tmp_path_factory.mktemp("foreign")
    merchant, signer = keygen.new_rsa_key(), keygen.new_rsa_key()
    cert = keygen.self_signed_cert(merchant, "other tool merchant", serial=0x0ABC)
    (folder / "merchant_cert.pem").write_bytes(keygen.cert_pem(cert))
    keygen.write_secret(folder / "signer.pem", keygen.private_pem(signer, pkcs1=True))
    return {"folder": folder, "merchant": merchant, "signer": signer}


def test_explicit_material(sb_identity: SandboxIdentity, foreign: dict[str, Any]) -> None:
    folder = foreign["folder"]
    custom = override_identity(sb_identity, mchid="1230000109", merchant_certs=[folder / "merchant_cert.pem"],
                               platform_key=folder / "signer.pem", platform_serial="00ABCDEF01",
                               public_key_id="PUB_KEY_ID_0112300001092024", apiv3_key="k" * 32)
    assert custom.mchid == "1230000109" and custom.platform_serial == "ABCDEF01"
    assert custom.merchant_key("0abc") is not None
    assert custom.merchant_key(sb_identity.client_profile()["serial_no"]) is None  # type: ignore[arg-type]
    profile = custom.client_profile()
    assert not {"private_key", "platform_certs", "apiv3_key_file"} & set(profile)
    assert profile["serial_no"] == "0ABC"
    assert profile["wechatpay_public_key_id"] == "PUB_KEY_ID_0112300001092024"
    assert sb_identity.mchid == "1900000109"  # the base is untouched

    clock = FakeClock()
    box = Sandbox(custom, open_store(None), clock=clock)
    with httpx.Client(transport=SandboxTransport(box), base_url="http://x") as http:
        signer = signing.RequestSigner("1230000109", "0ABC", foreign["merchant"], clock=clock)
        public = foreign["signer"].public_key()
        keys = signing.VerificationKeys({"ABCDEF01": public, "PUB_KEY_ID_0112300001092024": public})
        for serial_header in ({}, {"Wechatpay-Serial": "PUB_KEY_ID_0112300001092024"}):
            response = http.get("/v3/certificates", headers={
                "Authorization": signer.authorization("GET", "/v3/certificates", b""), **serial_header})
            assert response.status_code == 200, response.text
            signing.ResponseValidator(keys, clock=clock).validate(response.headers, response.content)
    box.close()


@pytest.mark.parametrize(("changes", "message"), [
    ({"platform_serial": "xyz"}, "hex"), ({"public_key_id": "PUB_KEY_1"}, "PUB_KEY_ID"),
    ({"apiv3_key": "short"}, "32"),
])
def test_bad_explicit_material(sb_identity: SandboxIdentity, foreign: dict[str, Any], changes: dict[str, str],
                               message: str) -> None:
    options: dict[str, Any] = {"platform_key": foreign["folder"] / "signer.pem", "public_key_id": None,
                               "platform_serial": "01"} | changes
    if "apiv3_key" in changes:
        options = changes
    with pytest.raises(ConfigError, match=message):
        override_identity(sb_identity, **options)


@pytest.mark.parametrize(("host", "allowed"), [
    ("127.0.0.1", True), ("::1", True), ("localhost", True), ("127.0.0.2", True),
    ("0.0.0.0", False), ("192.168.1.10", False), ("example.com", False),
])
def test_loopback_only_unless_allowed(host: str, allowed: bool) -> None:
    if allowed:
        launch.check_host(host, False)
    else:
        with pytest.raises(UsageError, match="not a loopback address"):
            launch.check_host(host, False)
        launch.check_host(host, True)


@pytest.mark.parametrize("settings", [{"platform_serial": "01"}, {"platform_key": Path("k.pem")}])
def test_platform_options_go_together(sb_home: Path, settings: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        launch.build_identity(launch.ServeSettings(sb_home, **settings))


def test_profile_snippet_is_yaml(sb_identity: SandboxIdentity) -> None:
    text = launch.profile_snippet(sb_identity, "http://127.0.0.1:1234")
    profile = yaml.safe_load(text)["sandbox-local"]
    assert profile["base_url"] == "http://127.0.0.1:1234" and profile["mchid"] == "1900000109"
    assert profile["platform_certs"] == sb_identity.client_profile()["platform_certs"]
    assert sb_identity.apiv3_key not in text


def test_reset_clears_plans_and_optionally_keys(tmp_path: Path) -> None:
    box = open_sandbox(tmp_path, SandboxOptions())
    profile = box.identity.client_profile()
    clock = FakeClock()
    box.clock = clock
    with httpx.Client(transport=SandboxTransport(box), base_url="http://x") as http:
        client = make_client(profile, http, clock)
        assert client.send("POST", PLANS, plan_body()).status_code == 200
    box.close()
    result = CliRunner().invoke(sandbox_command.app, ["reset", "--yes", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    store = open_store(tmp_path / "plans.sqlite3")
    with store.transaction(write=False) as tx:
        assert tx.list_plans("1900000109", "40016") == []
    store.close()
    old_serial = profile["serial_no"]
    result = CliRunner().invoke(sandbox_command.app, ["reset", "--keys", "-y", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert ensure_identity(tmp_path).client_profile()["serial_no"] != old_serial


def test_reset_needs_confirmation(tmp_path: Path) -> None:
    result = CliRunner().invoke(sandbox_command.app, ["reset", "--dir", str(tmp_path)])
    assert isinstance(result.exception, UsageError)


def test_serve_refuses_a_public_host(tmp_path: Path) -> None:
    result = CliRunner().invoke(sandbox_command.app, ["serve", "--host", "0.0.0.0", "--dir", str(tmp_path)])
    assert isinstance(result.exception, UsageError)


def test_importing_the_command_module_is_cheap() -> None:
    code = ("import sys, wxplan_cli.commands.sandbox; "
            "print([m for m in ('httpx', 'cryptography', 'yaml') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery differs on Windows")
def test_serve_end_to_end(tmp_path: Path) -> None:
    code = "from wxplan_cli.commands.sandbox import app; app(prog_name='wxplan sandbox')"
    args = [sys.executable, "-c", code, "serve", "--port", "0", "--dir", str(tmp_path / "keys"),
            "--state", str(tmp_path / "state.sqlite3"), "--audit-delay", "0"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=os.environ | {"PYTHONUNBUFFERED": "1"})
    try:
        ready = proc.stderr.readline() if proc.stderr else ""
        assert "listening on http://127.0.0.1:" in ready, ready
        snippet = ""
        while proc.stdout and "apiv3_key_file" not in snippet:
            snippet += proc.stdout.readline()
        profile = yaml.safe_load(snippet)["sandbox-local"]
        with httpx.Client(base_url=profile["base_url"], timeout=10) as http:
            client = make_client(profile, http, time.time)
            plan = client.verified(client.send("POST", PLANS, plan_body()))["plan"]
            page = client.verified(client.send("GET", f"{LIST}?plan_id={plan['plan_id']}"))
            assert page["total_count"] == 1
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert f"POST {PLANS} 200" in err and "Authorization" not in err
    assert json.dumps(plan_body()) not in err
