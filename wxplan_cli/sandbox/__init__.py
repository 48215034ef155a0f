"""A local WeChat Pay APIv3 sandbox for the partner delivery-plan API family.

Modules, one concept each:

- ``identity``: keys and certificates it trusts and signs with (generated on first use);
- ``store``: plans, request numbers and notify URLs in SQLite (memory or a file);
- ``lifecycle``: plan and audit states derived from timestamps;
- ``rules``, ``fields``, ``coupons``, ``jsonbody``: request validation;
- ``auth``: request signature checking; ``faults``: fault injection;
- ``handlers``, ``routes``, ``certificates``: the endpoints;
- ``app``: ``Sandbox.handle``; ``transport``: in-process httpx transport; ``server``: loopback HTTP server.

See docs/sandbox.md for behaviour and choices.
"""

from __future__ import annotations

from pathlib import Path

from wxplan_cli.sandbox.app import Sandbox, SandboxOptions, SandboxResponse
from wxplan_cli.sandbox.identity import SandboxIdentity, ensure_identity
from wxplan_cli.sandbox.store import open_store

__all__ = ["STATE_FILE", "Sandbox", "SandboxIdentity", "SandboxOptions", "SandboxResponse", "open_sandbox"]

STATE_FILE = "plans.sqlite3"


def open_sandbox(directory: Path, options: SandboxOptions | None = None,
                 state_file: Path | None = None) -> Sandbox:
    """A sandbox with the identity kept in ``directory`` and its plans in ``state_file``
    (default ``directory / "plans.sqlite3"``)."""
    identity = ensure_identity(directory)
    return Sandbox(identity, open_store(state_file or directory / STATE_FILE), options)
