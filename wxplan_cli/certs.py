"""Platform certificates (平台证书, spec §7.2): download, decrypt, verify the bootstrap, save.

The bootstrap problem: ``GET /v3/certificates`` is signed by a platform certificate the merchant may not
have yet. So, as the official downloaders do, the reply is fetched with ``UNVERIFIED_RESPONSES``, each
certificate is decrypted with the APIv3 key (AEAD_AES_256_GCM; a wrong key fails authentication here),
and only then is the reply's signature checked, with the decrypted certificate whose serial matches
``Wechatpay-Serial`` (or the profile's WeChat Pay public key when the reply is signed in public-key
mode). Nothing is saved unless that check passes. Each certificate's serial and validity are taken from
the certificate itself and cross-checked against what the list says.

    apiv3_key(profile, env, prompt)        WXPLAN_APIV3_KEY > the profile's apiv3_key_file > prompt
    download(profile, key, warn=...)       the verified certificates
    still_valid(certs, warn)               without the expired ones
    save(certs, directory)                 one PEM per serial: wechatpay_<SERIAL>.pem
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wxplan_cli.errors import ApiError, ConfigError, NotFoundError, SignatureError

if TYPE_CHECKING:
    from wxplan_cli.client import PartnerClient, RawResponse
    from wxplan_cli.config import Profile
    from wxplan_cli.signing import VerificationKeys

CERTIFICATES_PATH = "/v3/certificates"
ALGORITHM = "AEAD_AES_256_GCM"
APIV3_KEY_ENV = "WXPLAN_APIV3_KEY"
APIV3_KEY_LENGTH = 32
TIME_SLACK = dt.timedelta(minutes=1)

Warn = Callable[[str], None]
_KEY_HINT = ("the APIv3 key (APIv3密钥) is set in 商户平台 → 账户中心 → API安全; give it in "
             "WXPLAN_APIV3_KEY or in the file named by apiv3_key_file")
PUBLIC_KEY_MODE_HINT = (
    "this merchant verifies WeChat Pay with the WeChat Pay public key (微信支付公钥) instead: in 商户平台 → "
    "账户中心 → API安全 → 微信支付公钥, apply for it and download pub_key.pem, then set "
    "wechatpay_public_key: <path of pub_key.pem> and wechatpay_public_key_id: PUB_KEY_ID_... in the profile")


@dataclass(frozen=True)
class PlatformCert:
    """One decrypted platform certificate; serial and validity read from the certificate itself."""

    serial: str
    pem: bytes
    not_before: dt.datetime
    not_after: dt.datetime

    def to_dict(self) -> dict[str, str]:
        """``serial_no``, ``not_before``, ``not_after`` (UTC, RFC 3339)."""
        return {"serial_no": self.serial, "not_before": _iso(self.not_before),
                "not_after": _iso(self.not_after)}


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


# -- the APIv3 key -----------------------------------------------------------------------------------


def apiv3_key(profile: Profile, env: Mapping[str, str] | None = None,
              prompt: Callable[[], str] | None = None) -> str:
    """The APIv3 key: ``WXPLAN_APIV3_KEY``, else the profile's ``apiv3_key_file``, else ``prompt()``.

    It is never taken from a flag (flags end up in shell history and process lists). Once read it is
    registered with the redactor, so no log or error can show it.
    """
    from wxplan_cli.redact import register_secret

    env = os.environ if env is None else env
    if env.get(APIV3_KEY_ENV):
        value, where = env[APIV3_KEY_ENV].strip(), f"env {APIV3_KEY_ENV}"
    elif profile.get("apiv3_key_file"):
        path = Path(profile.get("apiv3_key_file"))
        value, where = _read_key_file(path), f"{path} ({profile.source('apiv3_key_file')})"
    elif prompt is not None:
        value, where = prompt().strip(), "the prompt"
    else:
        raise ConfigError("no APIv3 key to decrypt the certificates with",
                          hint=f"set {APIV3_KEY_ENV}, or apiv3_key_file in the profile, or run on a "
                               "terminal to be asked")
    register_secret(value)
    if len(value) != APIV3_KEY_LENGTH or not value.isascii():
        raise ConfigError(f"the APIv3 key from {where} is not {APIV3_KEY_LENGTH} ASCII characters "
                          f"(it has {len(value)})", hint=_KEY_HINT)
    return value


def _read_key_file(path: Path) -> str:
    try:
        return path.read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"apiv3_key_file {path} cannot be read: {getattr(exc, 'strerror', None) or exc}",
                          hint="check the path and its permissions (chmod 600)") from None


# -- decrypt and verify ------------------------------------------------------------------------------


def decrypt(key: str, sealed: Mapping[str, Any]) -> bytes:
    """Open one ``encrypt_certificate`` object; a wrong APIv3 key is a ``ConfigError`` (exit 3)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if sealed.get("algorithm") != ALGORITHM:
        raise SignatureError(f"certificate encrypted with {sealed.get('algorithm')!r}, not {ALGORITHM}")
    try:
        ciphertext = base64.b64decode(str(sealed.get("ciphertext", "")), validate=True)
        nonce = str(sealed["nonce"]).encode("utf-8")
        associated = str(sealed.get("associated_data") or "").encode("utf-8")
        return AESGCM(key.encode("ascii")).decrypt(nonce, ciphertext, associated)
    except InvalidTag:
        raise ConfigError("the APIv3 key does not decrypt the platform certificates: it is not this "
                          "merchant's APIv3 key", hint=_KEY_HINT) from None
    except (KeyError, ValueError, binascii.Error) as exc:
        raise SignatureError(f"malformed encrypt_certificate in the reply: {exc}") from None


def parse_certificates(body: bytes, key: str, warn: Warn) -> list[PlatformCert]:
    """Every certificate of the (still unverified) reply, decrypted and cross-checked."""
    try:
        entries = json.loads(body).get("data")
    except (ValueError, AttributeError):
        entries = None
    if not isinstance(entries, list) or not entries:
        raise SignatureError("the certificate reply has no data list",
                             hint="check base_url: it should be WeChat Pay's API host")
    return [_one(entry, key, warn) for entry in entries if isinstance(entry, dict)]


def _one(entry: Mapping[str, Any], key: str, warn: Warn) -> PlatformCert:
    from cryptography import x509

    from wxplan_cli.credentials import same_serial, serial_hex

    sealed = entry.get("encrypt_certificate")
    pem = decrypt(key, sealed if isinstance(sealed, dict) else {})
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise SignatureError("a decrypted platform certificate is not a PEM certificate") from None
    found = PlatformCert(serial_hex(cert), pem, cert.not_valid_before_utc, cert.not_valid_after_utc)
    listed = str(entry.get("serial_no", ""))
    if not same_serial(listed, found.serial):
        raise SignatureError(f"the reply lists serial {listed!r} for a certificate whose serial is "
                             f"{found.serial}", hint="the reply cannot be trusted; nothing was saved")
    _check_listed_time(entry.get("effective_time"), found.not_before, "effective_time", found.serial, warn)
    _check_listed_time(entry.get("expire_time"), found.not_after, "expire_time", found.serial, warn)
    return found


def _check_listed_time(listed: object, actual: dt.datetime, name: str, serial: str, warn: Warn) -> None:
    from wxplan_cli.timeparse import TimeError, parse_time

    if listed is None:
        return
    try:
        differs = abs(parse_time(listed) - actual) > TIME_SLACK
    except TimeError:
        differs = True
    if differs:
        warn(f"certificate {serial}: the list's {name} {listed} differs from the certificate's own "
             f"({_iso(actual)}); the certificate's is used")


def verify_reply(raw: RawResponse, certs: list[PlatformCert], extra: VerificationKeys | None = None,
                 clock: Callable[[], float] = time.time) -> None:
    """Check the reply's signature with the decrypted certificates (and ``extra``, e.g. the public key)."""
    from cryptography import x509

    from wxplan_cli.credentials import same_serial
    from wxplan_cli.signing import ResponseValidator, VerificationKeys

    keys = VerificationKeys(dict(extra or {}))
    sent = raw.headers.get("Wechatpay-Serial", "")
    for cert in certs:
        public = x509.load_pem_x509_certificate(cert.pem).public_key()
        keys.add(sent if sent and same_serial(sent, cert.serial) else cert.serial, public)  # type: ignore[arg-type]
    ResponseValidator(keys, clock=clock).validate(raw.headers, raw.body)


# -- the call ----------------------------------------------------------------------------------------


def bootstrap_client(profile: Profile, *, warn: Warn,
                     log: Callable[[str], None] | None = None) -> PartnerClient:
    """A signed client whose replies are *not* verified (``UNVERIFIED_RESPONSES``), for this bootstrap only.

    It sends no ``Wechatpay-Serial``, so the reply is signed by a platform certificate when there is one.
    """
    import httpx

    from wxplan_cli.auth import UNVERIFIED_RESPONSES, WechatPayAuth
    from wxplan_cli.client import PartnerClient, RetryPolicy
    from wxplan_cli.credentials import load_private_key
    from wxplan_cli.session import check_base_url, merchant_serial, sandbox_transport
    from wxplan_cli.signing import RequestSigner

    mchid = str(profile.require("mchid"))
    private_key = load_private_key(profile.require("private_key"))
    signer = RequestSigner(mchid, merchant_serial(profile, warn), private_key)
    base_url = str(profile.get("base_url"))
    transport = sandbox_transport(profile) if profile.is_sandbox else None
    if transport is None:
        check_base_url(base_url)
    timeout = httpx.Timeout(float(profile.get("timeout")), connect=float(profile.get("connect_timeout")))
    return PartnerClient(auth=WechatPayAuth(signer, UNVERIFIED_RESPONSES), base_url=base_url,
                         transport=transport, timeout=timeout,
                         retry=RetryPolicy(attempts=int(profile.get("retries")) + 1), log=log)


def configured_public_key(profile: Profile) -> VerificationKeys | None:
    """The profile's WeChat Pay public key under its id, when both are set and load."""
    from wxplan_cli.credentials import verification_keys

    key, key_id = profile.get("wechatpay_public_key"), profile.get("wechatpay_public_key_id")
    if key is None or key_id is None:
        return None
    try:
        return verification_keys(key, key_id, None)
    except ConfigError:
        return None


def download(profile: Profile, key: str, *, warn: Warn, log: Callable[[str], None] | None = None,
             client: PartnerClient | None = None) -> list[PlatformCert]:
    """Fetch, decrypt, cross-check and verify the platform certificates (nothing is written)."""
    own = client is None
    client = client or bootstrap_client(profile, warn=warn, log=log)
    try:
        raw = client.get_raw(CERTIFICATES_PATH)
    except ApiError as err:
        if err.info.code == "RESOURCE_NOT_EXISTS":
            raise NotFoundError("WeChat Pay has no platform certificate for this merchant "
                                "(RESOURCE_NOT_EXISTS)", hint=PUBLIC_KEY_MODE_HINT) from None
        raise
    finally:
        if own:
            client.close()
    certs = parse_certificates(raw.body, key, warn)
    verify_reply(raw, certs, configured_public_key(profile))
    return certs


def still_valid(certs: list[PlatformCert], warn: Warn, now: dt.datetime | None = None) -> list[PlatformCert]:
    """The certificates not yet expired (an expired one is reported and left out)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    keep = []
    for cert in certs:
        if cert.not_after <= now:
            warn(f"certificate {cert.serial} expired on {_iso(cert.not_after)}; not saved")
        else:
            keep.append(cert)
    return keep


# -- saving ------------------------------------------------------------------------------------------


def default_dir(profile: Profile) -> Path:
    """Next to the config file (the user config dir when there is none)."""
    from wxplan_cli import paths

    return profile.config_file.parent if profile.config_file else paths.config_dir()


def save(certs: list[PlatformCert], directory: Path) -> list[Path]:
    """Write ``wechatpay_<SERIAL>.pem`` for each certificate (atomically); returns the paths."""
    from wxplan_cli.keygen import write_secret

    written = []
    for cert in certs:
        path = directory / f"wechatpay_{cert.serial}.pem"
        write_secret(path, cert.pem)
        written.append(path.absolute())
    return written


def config_lines(paths: list[Path]) -> str:
    """The ``platform_certs`` lines to put in the profile."""
    return "platform_certs:\n" + "".join(f"  - {p}\n" for p in paths)
