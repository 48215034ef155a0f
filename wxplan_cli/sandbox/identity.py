"""Who the sandbox trusts and how it signs: ``SandboxIdentity``.

``ensure_identity(directory)`` generates, on first use, everything a sandbox and its client need and
keeps it in ``directory`` (private keys and the APIv3 key 0600, every file written atomically, generation
serialised by a lock file so two processes starting together agree on one identity):

=========================  =====================================================================
``merchant_key.pem``       the client's merchant API private key (PKCS#8)
``merchant_cert.pem``      its self-signed certificate; the sandbox trusts its serial
``platform_key.pem``       the platform-certificate signing key (platform-certificate mode)
``platform_cert.pem``      its certificate, served encrypted by ``GET /v3/certificates``
``wechatpay_key.pem``      the WeChat Pay public-key-mode signing key (a different RSA key)
``wechatpay_pub.pem``      its public key (SPKI), what a client configures with the ``PUB_KEY_ID_...``
``apiv3_key.txt``          the 32-character APIv3 key
``identity.json``          mchid, serials and public key id; written last, so its presence means done
=========================  =====================================================================

``override_identity`` replaces parts of an identity with material given explicitly (``wxplan sandbox
serve --mchid/--merchant-cert/--platform-key/...``) so other tools can be pointed at the sandbox.
Every generated certificate says ``wxplan TEST`` in its subject: none of this is a real key.
"""

from __future__ import annotations

import json
import os
import secrets
import string
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from wxplan_cli import credentials, keygen
from wxplan_cli.errors import ConfigError

DEFAULT_MCHID = "1900000109"
MANIFEST = "identity.json"
ProfileValue = str | list[str]


@dataclass(kw_only=True)
class SandboxIdentity:
    """The sandbox's trust and signing material (see the module docstring)."""

    mchid: str = DEFAULT_MCHID
    merchant_keys: dict[str, RSAPublicKey]
    platform_key: RSAPrivateKey
    platform_serial: str
    platform_cert_pem: bytes
    wechatpay_key: RSAPrivateKey
    public_key_id: str
    apiv3_key: str
    profile_files: dict[str, ProfileValue] = field(default_factory=dict)

    def merchant_key(self, serial: str) -> RSAPublicKey | None:
        """The trusted merchant key for a certificate serial (hex, any case, leading zeros ignored)."""
        for known, key in self.merchant_keys.items():
            if credentials.same_serial(known, serial):
                return key
        return None

    def client_profile(self) -> dict[str, ProfileValue]:
        """Profile settings a client needs, with absolute paths.

        ``mchid``, ``private_key``, ``merchant_cert``, ``serial_no``, ``wechatpay_public_key``,
        ``wechatpay_public_key_id``, ``platform_certs`` (a list) and ``apiv3_key_file``. After
        ``override_identity`` the settings for material the sandbox was given (and whose files it does
        not hold) are left out.
        """
        return {"mchid": self.mchid, **self.profile_files}


def ensure_identity(directory: Path) -> SandboxIdentity:
    """Load the identity kept in ``directory``, generating it first if there is none."""
    directory = directory.expanduser().absolute()
    if not (directory / MANIFEST).exists():
        with _exclusive(directory / ".identity.lock"):
            if not (directory / MANIFEST).exists():
                _generate(directory)
    return load_identity(directory)


def load_identity(directory: Path) -> SandboxIdentity:
    """The identity generated earlier in ``directory``."""
    directory = directory.expanduser().absolute()
    try:
        manifest = json.loads((directory / MANIFEST).read_text("utf-8"))
        mchid, public_key_id = str(manifest["mchid"]), str(manifest["public_key_id"])
    except (OSError, ValueError, KeyError, TypeError):
        raise ConfigError(f"sandbox identity in {directory} is damaged",
                          hint="regenerate it: wxplan sandbox reset --keys") from None
    merchant = credentials.load_certificate(directory / "merchant_cert.pem")
    platform = credentials.load_certificate(directory / "platform_cert.pem")
    apiv3_key = _read_apiv3_key(directory / "apiv3_key.txt")
    files: dict[str, ProfileValue] = {
        "private_key": str(directory / "merchant_key.pem"),
        "merchant_cert": str(merchant.path), "serial_no": merchant.serial,
        "wechatpay_public_key": str(directory / "wechatpay_pub.pem"),
        "wechatpay_public_key_id": public_key_id,
        "platform_certs": [str(platform.path)], "apiv3_key_file": str(directory / "apiv3_key.txt"),
    }
    return SandboxIdentity(
        mchid=mchid, merchant_keys={merchant.serial: merchant.public_key},
        platform_key=credentials.load_private_key(directory / "platform_key.pem", self_generated=True),
        platform_serial=platform.serial, platform_cert_pem=platform.path.read_bytes(),
        wechatpay_key=credentials.load_private_key(directory / "wechatpay_key.pem", self_generated=True),
        public_key_id=public_key_id, apiv3_key=apiv3_key, profile_files=files)


def remove_identity(directory: Path) -> None:
    """Delete the identity files in ``directory`` (the next ``ensure_identity`` makes new ones)."""
    with _exclusive(directory / ".identity.lock"):
        for name in (MANIFEST, *_FILES):
            (directory / name).unlink(missing_ok=True)


def override_identity(base: SandboxIdentity, *, mchid: str | None = None,
                      merchant_certs: Sequence[Path] = (), platform_key: Path | None = None,
                      platform_serial: str | None = None, public_key_id: str | None = None,
                      apiv3_key: str | None = None) -> SandboxIdentity:
    """``base`` with explicitly given material: whom to trust and how to sign.

    ``merchant_certs`` replace the trusted merchant certificates. ``platform_key`` signs in
    platform-certificate mode under ``platform_serial`` (the sandbox then serves a self-signed
    certificate for that key with that serial) and/or in public-key mode under ``public_key_id``.
    """
    identity = replace(base, profile_files=dict(base.profile_files))
    if mchid is not None:
        identity.mchid = mchid
    if merchant_certs:
        _trust_merchants(identity, merchant_certs)
    if platform_key is not None:
        _sign_with(identity, credentials.load_private_key(platform_key), platform_serial, public_key_id)
    if apiv3_key is not None:
        identity.apiv3_key = check_apiv3_key(apiv3_key)
        identity.profile_files.pop("apiv3_key_file", None)
    return identity


def check_apiv3_key(value: str) -> str:
    """An APIv3 key is 32 ASCII characters (it is the AES-256 key)."""
    if len(value) != 32 or not value.isascii() or not value.isprintable():
        raise ConfigError("the APIv3 key must be exactly 32 printable ASCII characters")
    return value


def _trust_merchants(identity: SandboxIdentity, paths: Sequence[Path]) -> None:
    certs = [credentials.load_certificate(path) for path in paths]
    identity.merchant_keys = {cert.serial: cert.public_key for cert in certs}
    identity.profile_files.pop("private_key", None)
    identity.profile_files.update(merchant_cert=str(certs[0].path.absolute()), serial_no=certs[0].serial)


def _sign_with(identity: SandboxIdentity, key: RSAPrivateKey, serial: str | None,
               public_key_id: str | None) -> None:
    if serial is not None:
        number = _serial_number(serial)
        cert = keygen.self_signed_cert(key, "wxplan sandbox platform", serial=number)
        identity.platform_key, identity.platform_cert_pem = key, keygen.cert_pem(cert)
        identity.platform_serial = credentials.serial_hex(cert)
        identity.profile_files.pop("platform_certs", None)
    if public_key_id is not None:
        identity.wechatpay_key = key
        identity.public_key_id = credentials.check_public_key_id(public_key_id)
        identity.profile_files["wechatpay_public_key_id"] = identity.public_key_id
        identity.profile_files.pop("wechatpay_public_key", None)


def _serial_number(serial: str) -> int:
    try:
        number = int(serial, 16)
    except ValueError:
        number = 0
    if not 0 < number < 2**159:
        raise ConfigError(f"platform serial {serial[:48]!r} is not a positive hex number "
                          "of at most 40 digits")
    return number


_FILES = ("merchant_key.pem", "merchant_cert.pem", "platform_key.pem", "platform_cert.pem",
          "wechatpay_key.pem", "wechatpay_pub.pem", "apiv3_key.txt")


def _generate(directory: Path) -> None:
    merchant, platform, wechatpay = (keygen.new_rsa_key() for _ in range(3))
    merchant_cert = keygen.self_signed_cert(merchant, "wxplan sandbox merchant")
    platform_cert = keygen.self_signed_cert(platform, "wxplan sandbox platform")
    apiv3_key = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    digits = "".join(secrets.choice(string.digits) for _ in range(12))
    public_key_id = f"PUB_KEY_ID_01{DEFAULT_MCHID}{digits}"
    contents = {
        "merchant_key.pem": keygen.private_pem(merchant), "merchant_cert.pem": keygen.cert_pem(merchant_cert),
        "platform_key.pem": keygen.private_pem(platform), "platform_cert.pem": keygen.cert_pem(platform_cert),
        "wechatpay_key.pem": keygen.private_pem(wechatpay),
        "wechatpay_pub.pem": keygen.public_pem(wechatpay.public_key()), "apiv3_key.txt": apiv3_key.encode(),
    }
    for name, data in contents.items():
        keygen.write_secret(directory / name, data)
    manifest = {"mchid": DEFAULT_MCHID, "public_key_id": public_key_id,
                "merchant_serial": credentials.serial_hex(merchant_cert),
                "platform_serial": credentials.serial_hex(platform_cert)}
    keygen.write_secret(directory / MANIFEST, json.dumps(manifest, indent=2).encode())


def _read_apiv3_key(path: Path) -> str:
    try:
        return check_apiv3_key(path.read_text("ascii").strip())
    except (OSError, UnicodeDecodeError):
        raise ConfigError(f"sandbox APIv3 key {path} is unreadable",
                          hint="regenerate it: wxplan sandbox reset --keys") from None


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (released when the descriptor closes)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
