"""`wxplan certs download` and `wxplan doctor` end to end against the sandbox on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

import pytest
from cli_fixtures import Served, args_for, write_config

from wxplan_cli import keygen
from wxplan_cli.credentials import load_certificate
from wxplan_cli.errors import ApiError, ApiErrorInfo, ExitCode

WRONG_KEY = "x" * 32


@pytest.fixture
def apiv3(sb_identity, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("WXPLAN_APIV3_KEY", sb_identity.apiv3_key)
    return str(sb_identity.apiv3_key)


# -- certs download --------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["pubkey", "certs"])
def test_download_verifies_and_saves_one_pem_per_serial(cli, served: Served, apiv3: str, sb_identity,
                                                        tmp_path: Path, profile: str) -> None:
    out = tmp_path / "certs"
    res = cli(*args_for(served, "certs", "download", "--dir", str(out), "-o", "json", "-v", profile=profile))
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    (item,) = data["certificates"]
    assert item["serial_no"] == sb_identity.platform_serial
    saved = Path(item["path"])
    assert saved == out / f"wechatpay_{sb_identity.platform_serial}.pem"
    assert saved.read_bytes() == sb_identity.platform_cert_pem
    assert load_certificate(saved).not_after.isoformat().startswith(item["not_after"][:10])
    assert data["config_lines"] == f"platform_certs:\n  - {saved}\n"
    assert apiv3 not in res.stdout + res.stderr  # the key is never shown, even with -v


def test_downloaded_certificate_verifies_later_calls(cli, served: Served, apiv3: str, tmp_path: Path) -> None:
    res = cli(*args_for(served, "certs", "download", "--dir", str(tmp_path)))
    assert res.exit_code == 0, res.stderr
    assert "platform_certs:" in res.stdout and "signature verified" in res.stdout
    saved = next(tmp_path.glob("wechatpay_*.pem"))
    prof = {**served.profile, "platform_certs": [str(saved)]}
    config = write_config(tmp_path / "c.yaml", prof, served.url)
    listed = cli("list", "--config", str(config), "--profile", "certs", "-o", "json")
    assert listed.exit_code == 0, listed.stderr


def test_default_dir_is_next_to_the_config(cli, served: Served, apiv3: str) -> None:
    res = cli(*args_for(served, "certs", "download", "-o", "id"))
    assert res.exit_code == 0, res.stderr
    assert (served.config.parent / f"wechatpay_{res.stdout.strip()}.pem").exists()


def test_wrong_apiv3_key_is_exit_3_and_saves_nothing(cli, served: Served, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WXPLAN_APIV3_KEY", WRONG_KEY)
    res = cli(*args_for(served, "certs", "download", "--dir", str(tmp_path)))
    assert res.exit_code == ExitCode.CONFIG and "APIv3 key does not decrypt" in res.stderr
    assert WRONG_KEY not in res.stderr and not list(tmp_path.glob("*.pem"))
    monkeypatch.setenv("WXPLAN_APIV3_KEY", "short")
    res = cli(*args_for(served, "certs", "download", "--dir", str(tmp_path)))
    assert res.exit_code == ExitCode.CONFIG and "32 ASCII characters" in res.stderr


def test_apiv3_key_from_file_or_prompt_never_a_flag(cli, served: Served, sb_identity, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    res = cli(*args_for(served, "certs", "download", "--dir", str(tmp_path)))  # no key, no terminal
    assert res.exit_code == ExitCode.CONFIG and "WXPLAN_APIV3_KEY" in res.stderr
    config = write_config(tmp_path / "k.yaml", served.profile, served.url,
                          apiv3_key_file=sb_identity.profile_files["apiv3_key_file"])
    assert cli("certs", "download", "--config", str(config), "--dir", str(tmp_path)).exit_code == 0
    monkeypatch.setattr("wxplan_cli.commands.interact.stdin_is_terminal", lambda: True)
    asked = cli(*args_for(served, "certs", "download", "--dir", str(tmp_path / "p")),
                input=sb_identity.apiv3_key + "\n")
    assert asked.exit_code == 0, asked.stderr
    assert "APIv3 key" in asked.stderr and sb_identity.apiv3_key not in asked.stderr  # hidden input
    assert cli(*args_for(served, "certs", "download", "--apiv3-key", "k")).exit_code == ExitCode.USAGE


def test_tampered_reply_is_exit_8_and_saves_nothing(cli, serve_sandbox, apiv3: str, tmp_path: Path) -> None:
    box = serve_sandbox(rate_bad_signature=1.0)
    res = cli(*args_for(box, "certs", "download", "--dir", str(tmp_path)))
    assert res.exit_code == ExitCode.BAD_SIGNATURE and "signature invalid" in res.stderr
    assert not list(tmp_path.glob("*.pem"))


def test_no_platform_certificate_explains_public_key_mode(cli, served: Served, apiv3: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def none_here(self, path, query=None):
        message = "无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥"
        raise ApiError(ApiErrorInfo(404, "RESOURCE_NOT_EXISTS", message))

    monkeypatch.setattr("wxplan_cli.client.PartnerClient.get_raw", none_here)
    res = cli(*args_for(served, "certs", "download", "-o", "json"))
    assert res.exit_code == ExitCode.API_REJECTED
    err = json.loads(res.stderr)
    assert "RESOURCE_NOT_EXISTS" in err["message"]
    assert "wechatpay_public_key" in err["hint"] and "微信支付公钥" in err["hint"]


def test_certs_download_on_the_builtin_sandbox(cli, tmp_path: Path) -> None:
    res = cli("certs", "download", "--profile", "sandbox", "--dir", str(tmp_path), "-o", "json")
    assert res.exit_code == 0, res.stderr  # apiv3_key_file comes from the sandbox's identity
    assert stat.S_IMODE(next(tmp_path.glob("wechatpay_*.pem")).stat().st_mode) == 0o600


# -- doctor ----------------------------------------------------------------------------------------------


def checks(res) -> dict[str, dict]:
    return {c["name"]: c for c in json.loads(res.stdout)}


def test_doctor_healthy_profile_online(cli, served: Served) -> None:
    res = cli(*args_for(served, "doctor", "--online", "-o", "json"))
    assert res.exit_code == 0, res.stdout + res.stderr
    found = checks(res)
    assert all(c["status"] in ("ok", "skip") for c in found.values())
    assert "verified" in found["signed call"]["detail"]
    assert found["clock"]["status"] == "ok" and "Date" in found["clock"]["detail"]
    assert found["verification mode"]["detail"] == "public key"
    text = cli(*args_for(served, "doctor", profile="certs"))
    assert text.exit_code == 0 and "ok    key matches certificate" in text.stdout
    assert "platform certificates" in text.stdout


def test_doctor_broken_key_file(cli, served: Served, tmp_path: Path) -> None:
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n")
    broken.chmod(0o600)
    config = write_config(tmp_path / "c.yaml", {**served.profile, "private_key": broken}, served.url)
    res = cli("doctor", "--online", "--config", str(config))
    assert res.exit_code == ExitCode.CONFIG
    line = next(x for x in res.stdout.splitlines() if x.startswith("FAIL"))
    assert "private key" in line and "broken.pem" in line and "fix:" in line
    assert "skip  signed call: fix the failures above first" in res.stdout
    assert "checks failed: private key" in res.stderr


def test_doctor_mismatched_and_expired_certificates(cli, served: Served, tmp_path: Path, merchant,
                                                    other_key) -> None:
    mismatched = write_config(tmp_path / "m.yaml", {**served.profile, "merchant_cert": other_key.cert_path},
                              served.url)
    found = checks(cli("doctor", "--config", str(mismatched), "-o", "json"))
    assert found["key matches certificate"]["status"] == "fail"
    assert "apiclient_cert.pem" in found["key matches certificate"]["fix"]
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=400)
    expired = tmp_path / "expired.pem"
    old_cert = keygen.self_signed_cert(merchant.key, "old", not_before=old, days=10)
    expired.write_bytes(keygen.cert_pem(old_cert))
    soon = tmp_path / "soon.pem"
    soon.write_bytes(keygen.cert_pem(keygen.self_signed_cert(merchant.key, "soon", days=10)))
    config = write_config(tmp_path / "e.yaml", {**served.profile, "private_key": merchant.key_path,
                                                "merchant_cert": expired, "platform_certs": [soon]},
                          served.url)
    res = cli("doctor", "--config", str(config), "--profile", "certs", "-o", "json")
    assert res.exit_code == ExitCode.CONFIG
    found = checks(res)
    assert found["key matches certificate"]["status"] == "ok"
    assert found["merchant certificate expiry"]["status"] == "fail"
    assert "expired" in found["merchant certificate expiry"]["detail"]
    platform = next(c for n, c in found.items() if n.startswith("platform certificate "))
    assert platform["status"] == "warn" and "expires in" in platform["detail"]


def test_doctor_permissions_verification_and_base_url(cli, served: Served, tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_bytes(Path(served.profile["private_key"]).read_bytes())
    key.chmod(0o644)
    prof = {k: v for k, v in served.profile.items() if not k.startswith("wechatpay_")}
    lines = [f"    {k}: {v}" for k, v in (("mchid", f'"{prof["mchid"]}"'), ("private_key", key),
                                            ("merchant_cert", prof["merchant_cert"]),
                                            ("base_url", "http://example.com"))]
    config = tmp_path / "p.yaml"
    config.write_text("profiles:\n  bare:\n" + "\n".join(lines) + "\n")
    found = checks(cli("doctor", "--config", str(config), "-o", "json"))
    assert found["file permissions"]["status"] == "fail"
    assert found["file permissions"]["fix"] == f"chmod 600 {key}"
    assert found["verification"]["status"] == "fail" and "certs download" in found["verification"]["fix"]
    assert found["base URL"]["status"] == "fail"


def test_doctor_online_needs_a_brand_and_reports_api_errors(cli, served: Served, tmp_path: Path,
                                                            other_key) -> None:
    res = cli("doctor", "--online", "--profile", "sandbox", "-o", "json")
    assert res.exit_code == ExitCode.CONFIG and "--brand-id" in checks(res)["signed call"]["fix"]
    ok = cli("doctor", "--online", "--profile", "sandbox", "--brand-id", "40016", "-o", "json")
    assert ok.exit_code == 0 and checks(ok)["clock"]["status"] == "skip"  # in-process: no Date header
    wrong = write_config(tmp_path / "w.yaml", {**served.profile, "private_key": other_key.key_path,
                                               "merchant_cert": other_key.cert_path}, served.url)
    found = checks(cli("doctor", "--online", "--config", str(wrong), "-o", "json"))
    assert found["signed call"]["status"] == "fail" and "SIGN_ERROR" in found["signed call"]["detail"]


def test_doctor_unknown_profile(cli, served: Served) -> None:
    res = cli("doctor", "--config", str(served.config), "--profile", "prdo")
    assert res.exit_code == ExitCode.CONFIG and res.stdout.startswith("FAIL  config:")
    assert "did you mean 'pubkey'" in res.stdout or "known profiles" in res.stdout
