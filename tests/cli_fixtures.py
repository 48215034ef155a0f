"""Fixtures for end-to-end tests: a sandbox served on 127.0.0.1, a config file pointing at it, and a
``cli`` runner that invokes the real Typer app with stdout and stderr kept apart.

Loaded from conftest.py through ``pytest_plugins``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wxplan_cli.cli import app
from wxplan_cli.sandbox.app import Sandbox, SandboxOptions
from wxplan_cli.sandbox.identity import SandboxIdentity
from wxplan_cli.sandbox.server import RunningServer, serve_in_thread
from wxplan_cli.sandbox.store import open_store


@dataclass
class Served:
    """A sandbox on 127.0.0.1 and a config file whose profiles talk to it."""

    sandbox: Sandbox
    server: RunningServer
    config: Path
    profile: dict[str, Any]

    @property
    def url(self) -> str:
        return self.server.url


def write_config(path: Path, prof: dict[str, Any], url: str, **extra: Any) -> Path:
    """Two profiles on the served sandbox: ``pubkey`` (public-key mode, the default) and ``certs``."""
    settings: dict[str, Any] = {"base_url": url, "mchid": f'"{prof["mchid"]}"',
                                "private_key": prof["private_key"], "merchant_cert": prof["merchant_cert"],
                                "brand_id": '"40016"', "retries": 1, "timeout": 5, **extra}
    common = [f"    {k}: {v}" for k, v in settings.items()]
    lines = ["default_profile: pubkey", "profiles:", "  pubkey:", *common,
             f"    wechatpay_public_key: {prof['wechatpay_public_key']}",
             f"    wechatpay_public_key_id: {prof['wechatpay_public_key_id']}",
             "  certs:", *common, "    platform_certs:",
             *[f"      - {p}" for p in prof["platform_certs"]]]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)  # as a user should keep it (a looser file gets a warning on stderr)
    return path


@pytest.fixture
def serve_sandbox(sb_identity: SandboxIdentity, tmp_path: Path) -> Iterator[Any]:
    """``serve_sandbox(**options)``: a fresh in-memory sandbox over HTTP on 127.0.0.1 (fast lifecycle
    delays unless given), with a config file for it; all are stopped after the test."""
    stack = ExitStack()

    def start(**options: Any) -> Served:
        opts = {"creating_delay": 0.2, "audit_delay": 0.4, "terminating_delay": 0.2, **options}
        sandbox = Sandbox(sb_identity, open_store(None), SandboxOptions(**opts), clock=time.time)
        stack.callback(sandbox.close)
        server_log: list[str] = []  # kept off stderr, which CliRunner captures
        running = stack.enter_context(serve_in_thread(sandbox, log=server_log.append))
        prof = sb_identity.client_profile()
        n = len(list(tmp_path.glob("config*.yaml")))
        config = write_config(tmp_path / f"config{n}.yaml", prof, running.url)
        return Served(sandbox, running, config, prof)

    with stack:
        yield start


@pytest.fixture
def served(serve_sandbox: Any) -> Served:
    """A fresh in-memory sandbox over HTTP on 127.0.0.1, no faults."""
    return serve_sandbox()  # type: ignore[no-any-return]


@dataclass
class Result:
    """What one CLI run produced."""

    exit_code: int
    stdout: str
    stderr: str

    def __post_init__(self) -> None:
        assert "Traceback" not in self.stderr, self.stderr


@pytest.fixture
def cli() -> Any:
    """``cli(*args, input=None, env=None)`` runs ``wxplan`` in-process and returns a ``Result``."""
    runner = CliRunner()

    def invoke(*args: str, input: str | bytes | None = None,
               env: dict[str, str] | None = None) -> Result:
        res = runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)
        return Result(res.exit_code, res.stdout, res.stderr)

    return invoke


def args_for(served: Served, *args: str, profile: str = "pubkey") -> Sequence[str]:
    """``args`` plus ``--config`` and ``--profile`` for the served sandbox."""
    return [*args, "--config", str(served.config), "--profile", profile]
