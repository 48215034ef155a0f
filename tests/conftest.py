"""Shared fixtures: an isolated environment for every test, and generated test keys.

Every test runs with ``WXPLAN_*`` variables scrubbed, ``WXPLAN_HOME`` and ``HOME`` in its own temporary
folder, and no ``NO_COLOR``; RSA keys are generated once per session (key generation is slow).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from wxplan_cli import keygen
from wxplan_cli.credentials import serial_hex

pytest_plugins = ["sandbox_fixtures", "cli_fixtures"]


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Scrub the environment and point config/state at a per-test folder."""
    for name in list(os.environ):
        if name.startswith("WXPLAN_") or name in ("NO_COLOR", "FORCE_COLOR", "XDG_STATE_HOME",
                                                  "XDG_CONFIG_HOME"):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "wxplan-home"
    monkeypatch.setenv("WXPLAN_HOME", str(home))
    monkeypatch.setenv("HOME", str(tmp_path / "user-home"))
    monkeypatch.setenv("COLUMNS", "200")
    return home


@dataclass
class KeySet:
    """A merchant key pair with certificate, written to files."""

    dir: Path
    key_path: Path
    cert_path: Path
    serial: str
    key: object
    cert: object


def _make_keyset(directory: Path, name: str, *, pkcs1: bool = False) -> KeySet:
    key = keygen.new_rsa_key()
    cert = keygen.self_signed_cert(key, name)
    directory.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = directory / f"{name}_key.pem", directory / f"{name}_cert.pem"
    keygen.write_secret(key_path, keygen.private_pem(key, pkcs1=pkcs1))
    cert_path.write_bytes(keygen.cert_pem(cert))
    return KeySet(directory, key_path, cert_path, serial_hex(cert), key, cert)


@pytest.fixture(scope="session")
def merchant(tmp_path_factory: pytest.TempPathFactory) -> KeySet:
    """The merchant's API key (PKCS#8) and certificate."""
    return _make_keyset(tmp_path_factory.mktemp("merchant"), "apiclient")


@pytest.fixture(scope="session")
def other_key(tmp_path_factory: pytest.TempPathFactory) -> KeySet:
    """An unrelated key pair (PKCS#1), for wrong-key cases."""
    return _make_keyset(tmp_path_factory.mktemp("other"), "other", pkcs1=True)
