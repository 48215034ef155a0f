"""Shared sandbox-test fixtures; a test module loads them with ``pytest_plugins = ["sandbox_fixtures"]``.

Keys are generated once per session (RSA key generation is slow); every test gets a fresh in-memory
store and a fresh fake clock shared by the sandbox and the client.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sandbox_helpers import FakeClock, SignedClient, make_client, make_sandbox

from wxplan_cli import credentials
from wxplan_cli.sandbox.app import Sandbox
from wxplan_cli.sandbox.identity import SandboxIdentity, ensure_identity
from wxplan_cli.sandbox.server import RunningServer, serve_in_thread
from wxplan_cli.sandbox.transport import SandboxTransport


@pytest.fixture(scope="session")
def sb_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding one generated sandbox identity for the whole session."""
    home = tmp_path_factory.mktemp("sandbox-home")
    ensure_identity(home)
    return home


@pytest.fixture(scope="session")
def sb_identity(sb_home: Path) -> SandboxIdentity:
    return ensure_identity(sb_home)


@pytest.fixture(scope="session")
def sb_profile(sb_identity: SandboxIdentity) -> dict[str, Any]:
    return sb_identity.client_profile()


@pytest.fixture(scope="session")
def sb_merchant_key(sb_profile: dict[str, Any]) -> Any:
    """The client's merchant private key, loaded once (loading checks the key, which is slow)."""
    return credentials.load_private_key(sb_profile["private_key"])


@pytest.fixture
def sb_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sb(sb_identity: SandboxIdentity, sb_clock: FakeClock) -> Iterator[Sandbox]:
    box = make_sandbox(sb_identity, sb_clock, creating_delay=1.0, audit_delay=3.0, terminating_delay=1.0)
    yield box
    box.close()


@pytest.fixture
def sb_local(sb: Sandbox, sb_profile: dict[str, Any], sb_clock: FakeClock,
             sb_merchant_key: Any) -> Iterator[SignedClient]:
    """A client talking to ``sb`` in-process (no socket)."""
    with httpx.Client(transport=SandboxTransport(sb), base_url="http://sb.invalid") as http:
        yield make_client(sb_profile, http, sb_clock, sb_merchant_key)


@pytest.fixture
def sb_server(sb: Sandbox) -> Iterator[RunningServer]:
    lines: list[str] = []
    with serve_in_thread(sb, log=lines.append) as running:
        running.log_lines = lines  # type: ignore[attr-defined]
        yield running


@pytest.fixture
def sb_remote(sb_server: RunningServer, sb_profile: dict[str, Any], sb_clock: FakeClock,
              sb_merchant_key: Any) -> Iterator[SignedClient]:
    """A client talking to ``sb`` over 127.0.0.1."""
    with httpx.Client(base_url=sb_server.url, timeout=10) as http:
        yield make_client(sb_profile, http, sb_clock, sb_merchant_key)
