"""``wxplan doctor``: check a profile's credentials and settings, one result per check, each with its fix.

Offline: the profile resolves; the private key loads; it is not readable by group or others; it matches
the merchant certificate (when one is given) and that certificate's serial matches ``serial_no``;
certificate expiry (warn under :data:`EXPIRY_WARN_DAYS` days); the verification mode in use and whether
its material loads; the APIv3 key file; the base URL. Online (``online=True``): one signed list call
(``page_size`` 1) whose reply must verify, and the clock skew against the reply's ``Date`` header.

    diagnose(config, profile, online=..., brand_id=...)   -> list[Check]

A check never raises: every problem becomes a ``fail`` (or ``warn``) result.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlsplit

from wxplan_cli.errors import ConfigError, WxplanError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

    from wxplan_cli.client import PartnerClient
    from wxplan_cli.config import Profile
    from wxplan_cli.credentials import CertInfo

Status = Literal["ok", "warn", "fail", "skip"]
EXPIRY_WARN_DAYS = 30
SKEW_WARN_SECONDS = 60
SKEW_FAIL_SECONDS = 300  # the signature window (spec §9.3)
WECHATPAY_HOSTS = frozenset({"api.mch.weixin.qq.com", "api2.mch.weixin.qq.com", "api.wechatpay.cn",
                             "api2.wechatpay.cn"})
Opener = Callable[["Profile"], "PartnerClient"]


@dataclass(frozen=True)
class Check:
    """One result: what was checked, how it went, and what to do about it."""

    name: str
    status: Status
    detail: str
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``-o json`` shape."""
        return asdict(self)


def _fail(name: str, err: WxplanError) -> Check:
    return Check(name, "fail", err.message, err.hint)


def diagnose(config: str | None, profile_name: str | None, *, online: bool = False,
             brand_id: str | None = None, now: dt.datetime | None = None,
             opener: Opener | None = None, clock: Callable[[], float] = time.time) -> list[Check]:
    """Every check for the profile (see the module docstring)."""
    from wxplan_cli.config import load_profile

    try:
        profile = load_profile(config, profile_name)
    except ConfigError as err:
        return [_fail("config", err)]
    where = f"{profile.config_file}" if profile.config_file else "no config file"
    checks = [Check("config", "ok", f"profile {profile.name!r} ({where})")]
    checks += offline_checks(profile, now or dt.datetime.now(dt.timezone.utc))
    if online:
        ready = not any(c.status == "fail" for c in checks)
        checks += online_checks(profile, brand_id, ready=ready, opener=opener, clock=clock)
    return checks


def offline_checks(profile: Profile, now: dt.datetime) -> list[Check]:
    """Key, permissions, merchant certificate, verification material, APIv3 key file, base URL."""
    key, checks = _private_key(profile)
    checks += list(_permissions(profile))
    checks += list(_merchant_cert(profile, key, now))
    checks += list(_verification(profile, now))
    checks.append(_apiv3_key_file(profile))
    checks.append(_base_url(profile))
    return checks


# -- merchant key and certificate ----------------------------------------------------------------------


def _private_key(profile: Profile) -> tuple[RSAPrivateKey | None, list[Check]]:
    from wxplan_cli.credentials import load_private_key

    path = profile.get("private_key")
    if path is None:
        return None, [Check("private key", "fail", "no private_key in the profile",
                            "set private_key: path/to/apiclient_key.pem (商户API私钥)")]
    try:
        key = load_private_key(path)
    except ConfigError as err:
        return None, [_fail("private key", err)]
    return key, [Check("private key", "ok", f"{path} loads (RSA {key.key_size})")]


def _permissions(profile: Profile) -> Iterator[Check]:
    from wxplan_cli.fileperm import group_or_world_readable

    for setting in ("private_key", "apiv3_key_file"):
        path = profile.get(setting)
        if path is None or not Path(path).exists():
            continue
        if group_or_world_readable(path):
            yield Check("file permissions", "fail", f"{setting} {path} is readable by group or others",
                        f"chmod 600 {path}")
        else:
            yield Check("file permissions", "ok", f"{setting} {path} is private to its owner")


def _merchant_cert(profile: Profile, key: RSAPrivateKey | None, now: dt.datetime) -> Iterator[Check]:
    from wxplan_cli.credentials import key_matches_certificate, load_certificate, same_serial

    serial, path = profile.get("serial_no"), profile.get("merchant_cert")
    if path is None:
        if serial:
            yield Check("merchant certificate", "ok", f"serial_no {serial} (no merchant_cert to check it "
                        "or the key against)")
        else:
            yield Check("merchant certificate", "fail", "neither serial_no nor merchant_cert is set",
                        "set merchant_cert: path/to/apiclient_cert.pem (its serial is read from it)")
        return
    try:
        cert = load_certificate(path)
    except ConfigError as err:
        yield _fail("merchant certificate", err)
        return
    yield Check("merchant certificate", "ok", f"{path}: serial {cert.serial}")
    if key is not None:
        if key_matches_certificate(key, cert):
            yield Check("key matches certificate", "ok", "the private key is the certificate's key")
        else:
            yield Check("key matches certificate", "fail", f"the private key does not match {path} "
                        f"(serial {cert.serial})", "use the apiclient_cert.pem issued with this "
                        "apiclient_key.pem (商户平台 → API安全 → API证书)")
    if serial and not same_serial(str(serial), cert.serial):
        yield Check("serial_no", "fail", f"serial_no {serial} ({profile.source('serial_no')}) differs "
                    f"from the certificate's {cert.serial}",
                    "remove serial_no: it is read from merchant_cert")
    yield _expiry("merchant certificate expiry", cert, now, "renew the API certificate in 商户平台 → "
                  "API安全 → API证书 and point merchant_cert at the new one")


def _expiry(name: str, cert: CertInfo, now: dt.datetime, fix: str) -> Check:
    left = cert.not_after - now
    if cert.not_before > now:
        return Check(name, "fail", f"{cert.path} is not valid before {cert.not_before:%Y-%m-%d %H:%M} UTC",
                     "check the local clock, or use the certificate in force now")
    if left.total_seconds() <= 0:
        return Check(name, "fail", f"{cert.path} expired on {cert.not_after:%Y-%m-%d}", fix)
    if left.days < EXPIRY_WARN_DAYS:
        return Check(name, "warn", f"{cert.path} expires in {left.days} days "
                     f"({cert.not_after:%Y-%m-%d})", fix)
    return Check(name, "ok", f"valid until {cert.not_after:%Y-%m-%d} ({left.days} days)")


# -- WeChat Pay verification material --------------------------------------------------------------------


def _verification(profile: Profile, now: dt.datetime) -> Iterator[Check]:
    from wxplan_cli.credentials import load_certificate, verification_keys

    public, public_id = profile.get("wechatpay_public_key"), profile.get("wechatpay_public_key_id")
    certs = profile.get("platform_certs") or []
    modes = [m for m, on in (("public key", public or public_id), ("platform certificates", certs)) if on]
    if not modes:
        yield Check("verification", "fail", "no WeChat Pay key to verify replies with",
                    "set wechatpay_public_key + wechatpay_public_key_id (商户平台 → API安全 → 微信支付公钥), "
                    "or run `wxplan certs download` and add platform_certs")
        return
    yield Check("verification mode", "ok", " + ".join(modes))
    if public or public_id:
        try:
            verification_keys(public, public_id, None)
            yield Check("WeChat Pay public key", "ok", f"{public_id}: {public} loads")
        except ConfigError as err:
            yield _fail("WeChat Pay public key", err)
    for path in certs:
        try:
            cert = load_certificate(path)
        except ConfigError as err:
            yield _fail("platform certificate", err)
            continue
        yield _expiry(f"platform certificate {cert.serial}", cert, now,
                      "run `wxplan certs download` and add the new certificate to platform_certs")


def _apiv3_key_file(profile: Profile) -> Check:
    path = profile.get("apiv3_key_file")
    if path is None:
        return Check("APIv3 key", "skip", "no apiv3_key_file (only `certs download` needs it; "
                     "WXPLAN_APIV3_KEY or a prompt will do)")
    try:
        size = len(Path(path).read_text("utf-8").strip())
    except (OSError, UnicodeDecodeError) as exc:
        return Check("APIv3 key", "fail", f"apiv3_key_file {path} cannot be read ({type(exc).__name__})",
                     "check the path and its permissions")
    if size != 32:
        return Check("APIv3 key", "fail", f"apiv3_key_file {path} holds {size} characters, not 32",
                     "put the 32-character APIv3 key (商户平台 → API安全 → APIv3密钥) alone in the file")
    return Check("APIv3 key", "ok", f"apiv3_key_file {path} holds a 32-character key")


def _base_url(profile: Profile) -> Check:
    from wxplan_cli.session import check_base_url

    url = str(profile.get("base_url"))
    if profile.is_sandbox:
        return Check("base URL", "ok", "the built-in sandbox, in-process")
    try:
        check_base_url(url)
    except ConfigError as err:
        return _fail("base URL", err)
    host = urlsplit(url).hostname or ""
    kind = "WeChat Pay" if host in WECHATPAY_HOSTS else ("a local sandbox" if url.startswith("http://")
                                                          else "not a WeChat Pay host")
    return Check("base URL", "ok", f"{url} ({kind})")


# -- online ----------------------------------------------------------------------------------------------


def online_checks(profile: Profile, brand_id: str | None, *, ready: bool, opener: Opener | None = None,
                  clock: Callable[[], float] = time.time) -> list[Check]:
    """A signed list call (page_size 1) that must verify, and the clock skew from its ``Date`` header."""
    from wxplan_cli.client import PLANS

    if not ready:
        return [Check("signed call", "skip", "fix the failures above first")]
    brand = brand_id or profile.get("brand_id")
    if not brand:
        return [Check("signed call", "fail", "no brand_id to list plans of",
                      "pass --brand-id or set brand_id in the profile")]
    try:
        with (opener or _open)(profile) as client:
            raw = client.get_raw(f"{PLANS}/{quote(str(brand), safe='')}/delivery-plans",
                                 {"page_size": 1, "offset": 0})
    except WxplanError as err:
        return [_fail("signed call", err)]
    request_id = raw.headers.get("Request-ID", "-")
    return [Check("signed call", "ok", f"list plans of brand {brand}: HTTP {raw.status}, reply signature "
                  f"verified (Request-ID {request_id})"), _skew(raw.headers.get("Date"), clock())]


def _open(profile: Profile) -> PartnerClient:
    from wxplan_cli.session import open_client

    return open_client(profile, warn=lambda message: None)


def _skew(date: str | None, now: float) -> Check:
    if not date:
        return Check("clock", "skip", "the reply has no Date header to compare the local clock with")
    try:
        server = parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return Check("clock", "skip", f"the reply's Date header {date!r} cannot be read")
    skew = now - server
    side = "ahead of" if skew >= 0 else "behind"
    text = f"local clock is {abs(skew):.0f} s {side} WeChat Pay's (from the Date header)"
    if abs(skew) > SKEW_FAIL_SECONDS:
        return Check("clock", "fail", text, "sync the clock (NTP): requests more than 300 s off are refused")
    if abs(skew) > SKEW_WARN_SECONDS:
        return Check("clock", "warn", text, "sync the clock (NTP) before it drifts past 300 s")
    return Check("clock", "ok", text)
