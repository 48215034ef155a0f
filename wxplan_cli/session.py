"""Turn a resolved ``Profile`` into a ready ``PartnerClient``: keys loaded, checks made, transport chosen."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from wxplan_cli.auth import WechatPayAuth
from wxplan_cli.client import PartnerClient, RetryPolicy
from wxplan_cli.config import Profile
from wxplan_cli.credentials import (
    load_certificate,
    load_private_key,
    same_serial,
    verification_keys,
)
from wxplan_cli.errors import ConfigError
from wxplan_cli.fileperm import group_or_world_readable
from wxplan_cli.signing import RequestSigner, ResponseValidator, VerificationKeys

Warn = Callable[[str], None]


@dataclass
class Credentials:
    """What signing and verification need, loaded from a profile."""

    mchid: str
    signer: RequestSigner
    keys: VerificationKeys


@contextmanager
def _named(profile: Profile, *keys: str) -> Iterator[None]:
    """Add to a ``ConfigError`` which profile settings, set where, led to it."""
    try:
        yield
    except ConfigError as err:
        set_by = "; ".join(f"{k} from {profile.source(k)}" for k in keys if profile.get(k))
        where = f"profile {profile.name!r}" + (f" in {profile.config_file}" if profile.config_file else "")
        err.message = f"{err.message} ({set_by or where})"
        raise


def load_credentials(profile: Profile, warn: Warn) -> Credentials:
    """Load and cross-check the merchant key, its serial and the verification keys."""
    mchid = str(profile.require("mchid"))
    key_path: Path = profile.require("private_key")
    with _named(profile, "private_key"):
        private_key = load_private_key(key_path)
    if group_or_world_readable(key_path):
        if profile.get("strict"):
            raise ConfigError(f"private key {key_path} is readable by group or others (refused: "
                              f"strict from {profile.source('strict')})", hint=f"chmod 600 {key_path}")
        warn(f"private key {key_path} is readable by group or others; run: chmod 600 {key_path}")
    with _named(profile, "serial_no", "merchant_cert"):
        serial = merchant_serial(profile, warn)
    with _named(profile, "wechatpay_public_key", "wechatpay_public_key_id", "platform_certs"):
        keys = verification_keys(profile.get("wechatpay_public_key"),
                                 profile.get("wechatpay_public_key_id"), profile.get("platform_certs"))
    if any(same_serial(serial, s) for s in keys):
        raise ConfigError(f"the merchant certificate serial {serial} is configured as a WeChat Pay key",
                          hint="platform_certs / wechatpay_public_key are WeChat Pay's, not yours")
    return Credentials(mchid, RequestSigner(mchid, serial, private_key), keys)


def merchant_serial(profile: Profile, warn: Warn) -> str:
    """The merchant certificate serial: ``serial_no``, else read from ``merchant_cert``."""
    given = profile.get("serial_no")
    cert_path = profile.get("merchant_cert")
    if cert_path is None:
        if not given:
            raise ConfigError(f"profile {profile.name!r} needs serial_no or merchant_cert",
                              hint="serial_no: `openssl x509 -in apiclient_cert.pem -noout -serial`")
        return str(given).upper()
    cert = load_certificate(cert_path)
    if given and not same_serial(str(given), cert.serial):
        warn(f"serial_no {given} ({profile.source('serial_no')}) differs from the serial of "
             f"{cert_path} ({cert.serial}); using {str(given).upper()}")
        return str(given).upper()
    return cert.serial


def check_base_url(url: str) -> None:
    """``https://`` anywhere; plain ``http://`` only to a loopback address."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return
    raise ConfigError(f"base_url {url!r} is not allowed",
                      hint="use https://; plain http:// is only for a sandbox on 127.0.0.1")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def open_client(profile: Profile, *, warn: Warn, log: Callable[[str], None] | None = None,
                retry: RetryPolicy | None = None) -> PartnerClient:
    """A ``PartnerClient`` for ``profile``; the built-in sandbox runs in-process."""
    creds = load_credentials(profile, warn)
    base_url = str(profile.get("base_url"))
    transport: httpx.BaseTransport | None = None
    if profile.is_sandbox:
        transport = sandbox_transport(profile)
    else:
        with _named(profile, "base_url"):
            check_base_url(base_url)
    timeout = httpx.Timeout(float(profile.get("timeout")), connect=float(profile.get("connect_timeout")))
    policy = retry or RetryPolicy(attempts=int(profile.get("retries")) + 1)
    auth = WechatPayAuth(creds.signer, ResponseValidator(creds.keys))
    return PartnerClient(auth=auth, base_url=base_url, transport=transport, timeout=timeout,
                         retry=policy, wechatpay_serial=creds.keys.public_key_id(), log=log)


def sandbox_transport(profile: Profile) -> httpx.BaseTransport:
    """The in-process transport of the built-in sandbox (keys and plans in the user state dir)."""
    from wxplan_cli import paths
    from wxplan_cli.sandbox import open_sandbox
    from wxplan_cli.sandbox.transport import SandboxTransport

    return SandboxTransport(open_sandbox(paths.sandbox_dir()))
