"""What ``wxplan sandbox serve`` and ``wxplan sandbox reset`` do, as library functions.

The Typer commands (``wxplan_cli.commands.sandbox``) only parse options and call ``serve`` or ``reset``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wxplan_cli.errors import UsageError
from wxplan_cli.sandbox import STATE_FILE
from wxplan_cli.sandbox.app import Sandbox
from wxplan_cli.sandbox.identity import SandboxIdentity, ensure_identity, override_identity, remove_identity
from wxplan_cli.sandbox.options import SandboxOptions
from wxplan_cli.sandbox.server import serve_forever
from wxplan_cli.sandbox.store import open_store

Echo = Callable[[str], None]


@dataclass(frozen=True)
class ServeSettings:
    """Everything ``wxplan sandbox serve`` was told."""

    directory: Path
    host: str = "127.0.0.1"
    port: int = 8080
    state: Path | None = None
    options: SandboxOptions = field(default_factory=SandboxOptions)
    allow_remote: bool = False
    mchid: str | None = None
    merchant_certs: Sequence[Path] = ()
    platform_key: Path | None = None
    platform_serial: str | None = None
    public_key_id: str | None = None
    apiv3_key: str | None = None


def serve(settings: ServeSettings, out: Echo, err: Echo) -> None:
    """Serve until Ctrl-C; ``out`` gets the client profile, ``err`` the listening URL and the log."""
    check_host(settings.host, settings.allow_remote)
    identity = build_identity(settings)
    sandbox = Sandbox(identity, open_store(settings.state), settings.options)

    def ready(url: str) -> None:
        out(profile_snippet(identity, url).rstrip("\n"))
        err(f"wxplan sandbox listening on {url} (state: {settings.state or 'in memory'}; Ctrl-C stops)")

    try:
        serve_forever(sandbox, settings.host, settings.port, on_ready=ready, log=err)
    except OSError as exc:
        raise UsageError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}",
                         hint="choose another --port (0 picks a free one)") from None
    finally:
        sandbox.close()


def reset(directory: Path, state: Path | None = None, *, keys: bool = False) -> list[str]:
    """Forget the sandbox's plans (and with ``keys`` regenerate its keys); what was done, in words."""
    done: list[str] = []
    state_file = state or directory / STATE_FILE
    if state_file.exists():
        store = open_store(state_file)
        store.clear()
        store.close()
        done.append(f"deleted every plan in {state_file}")
    if keys:
        remove_identity(directory)
        ensure_identity(directory)
        done.append(f"generated new keys in {directory} (update profiles that point at the old ones)")
    return done or ["nothing to reset"]


def check_host(host: str, allow_remote: bool) -> None:
    """Refuse to listen beyond loopback unless explicitly allowed."""
    if host == "localhost" or allow_remote:
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise UsageError(f"--host {host} is not a loopback address",
                         hint="the sandbox trusts test keys; pass --allow-remote to expose it anyway")


def build_identity(settings: ServeSettings) -> SandboxIdentity:
    """The generated identity in ``settings.directory`` with any explicitly given material."""
    if (settings.platform_serial or settings.public_key_id) and settings.platform_key is None:
        raise UsageError("--platform-serial and --public-key-id describe --platform-key, which is missing")
    if settings.platform_key is not None and not (settings.platform_serial or settings.public_key_id):
        raise UsageError("--platform-key needs --platform-serial HEX (platform-certificate mode) "
                         "or --public-key-id PUB_KEY_ID_... (public-key mode)")
    return override_identity(
        ensure_identity(settings.directory), mchid=settings.mchid, merchant_certs=settings.merchant_certs,
        platform_key=settings.platform_key, platform_serial=settings.platform_serial,
        public_key_id=settings.public_key_id, apiv3_key=settings.apiv3_key)


def profile_snippet(identity: SandboxIdentity, url: str, name: str = "sandbox-local") -> str:
    """A YAML profile for a client of this sandbox (add it under ``profiles:`` in config.yaml)."""
    import yaml

    profile = {"base_url": url, **identity.client_profile()}
    text = yaml.safe_dump({name: profile}, allow_unicode=True, sort_keys=False)
    missing = [key for key in ("private_key", "wechatpay_public_key", "platform_certs", "apiv3_key_file")
               if key not in profile]
    note = f"# you supply: {', '.join(missing)} (the sandbox was given that material)\n" if missing else ""
    return f"# wxplan profile for this sandbox: add it under `profiles:` in config.yaml\n{note}{text}"
