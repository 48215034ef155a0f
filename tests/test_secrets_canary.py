"""The secrets canary (issue 6): plant secrets, run every command on its success and failure paths with
``--debug``, and find none of them in stdout, stderr or any file written.

Canaries (``Canaries``):

- private keys (the served sandbox's merchant, platform and public-key-mode keys, an unrelated PKCS#1
  key, the built-in sandbox's keys before and after ``sandbox reset --keys``): every PEM body line that
  carries private material, in PKCS#8 and PKCS#1 form; the whole base64 DER; the raw, decimal and hex
  private exponent and primes; and every 32-character window of the base64 of the private part (a
  fragment is a leak too);
- APIv3 keys: the sandbox's (given in ``WXPLAN_APIV3_KEY``, in an ``apiv3_key_file`` and at the
  prompt), a wrong one, the one given to ``sandbox serve``; each also in base64 and hex;
- signatures: every ``Authorization`` signature and every ``Wechatpay-Signature`` that crossed the wire,
  recorded by wrapping ``Sandbox.handle`` (the in-process sandboxes) and httpx's transport (the
  ``sandbox serve`` subprocess), whole and as 32-character windows.

Searched, as bytes: the stdout and stderr of every run and every file under the test's ``tmp_path``
(``WXPLAN_HOME``, ``HOME``, configs, reports, ledgers with their WAL files, downloaded certificates,
``config init`` output). The built-in sandbox's own key files may hold their own key and nothing else, and
must be 0600, as must configs ``config init`` writes and ledgers. Inputs that hold a planted secret on
purpose (a config with a pasted key, a key file) live in a separate folder wxplan must not write to.

Faults are injected per request: the recording wrapper adds the sandbox's ``Wechatpay-Negative-Test``
header to the requests of the chosen methods, so ``update`` and ``terminate`` read the plan normally and
meet the fault on their write. The last test checks that every leaf command of the app was run and
prints the counts (commands, command x path runs, canaries, leaks).
"""

from __future__ import annotations

import base64
import functools
import os
import re
import signal
import stat
import subprocess
import sys
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from cli_fixtures import Served, args_for, write_config
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from typer.testing import CliRunner

from wxplan_cli import certs as certslib
from wxplan_cli.cli import app, main
from wxplan_cli.client import RetryPolicy
from wxplan_cli.errors import ConfigError, ExitCode
from wxplan_cli.sandbox.app import Sandbox

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample-configs" / "plan.yaml"
WINDOW = 32
WRONG_APIV3_KEY = "Wr0ngApiV3KeyCanary0123456789xyz"
SERVE_APIV3_KEY = "SandboxServeApiV3KeyCanary012345"
SECRET_MODE = 0o600
WRITES = frozenset({"POST", "PATCH", "PUT"})
HEADER = "product_coupon_id,stock_id,plan_name,total_count,delivery_start_time,delivery_end_time\n"
DEBUG_FLAGS = {"--debug", "-v"}
_B64_RUN = re.compile(rb"[A-Za-z0-9+/=]{%d,}" % WINDOW)
_SIGNATURE_ATTR = re.compile(r'signature="([^"]+)"')


@dataclass(frozen=True)
class Fault:
    """A fault injected on writes, then on every request; the exit codes each kind of command gives."""

    header: str
    write_code: int
    read_code: int
    env: tuple[tuple[str, str], ...] = ()


FAULTS = (
    Fault("bad-signature", ExitCode.BAD_SIGNATURE, ExitCode.BAD_SIGNATURE),
    Fault("signtest", ExitCode.BAD_SIGNATURE, ExitCode.BAD_SIGNATURE),
    Fault("stale-timestamp", ExitCode.BAD_SIGNATURE, ExitCode.BAD_SIGNATURE),
    Fault("drop", ExitCode.UNKNOWN_OUTCOME, ExitCode.SERVER_ERROR),
    Fault("500", ExitCode.SERVER_ERROR, ExitCode.SERVER_ERROR),
    Fault("429", ExitCode.SERVER_ERROR, ExitCode.SERVER_ERROR),
    Fault("slow=2", ExitCode.UNKNOWN_OUTCOME, ExitCode.SERVER_ERROR, (("WXPLAN_TIMEOUT", "0.5"),)),
)


@dataclass
class Summary:
    """What the sweeps of this module ran and found (printed by the last test)."""

    runs: list[tuple[str, str]] = field(default_factory=list)
    sweeps: set[str] = field(default_factory=set)
    canaries: dict[str, set[bytes]] = field(default_factory=dict)
    strings: int = 0
    searched: int = 0
    leaks: list[str] = field(default_factory=list)


SUMMARY = Summary()


# -- canaries -----------------------------------------------------------------------------------------


@dataclass
class Canaries:
    """Secret values (whole) and 32-byte windows of them. Each is labelled ``owner | detail``; ``homes``
    names the files allowed to hold an owner's secrets (its own key file)."""

    exact: dict[bytes, str] = field(default_factory=dict)
    fragments: dict[bytes, str] = field(default_factory=dict)
    homes: dict[str, set[Path]] = field(default_factory=dict)
    kinds: dict[str, set[bytes]] = field(default_factory=dict)

    def secret(self, owner: str, value: str, *, home: Collection[Path] = ()) -> None:
        """An APIv3 key: found whole, also in base64 and hex."""
        raw = value.encode()
        for form, detail in ((raw, "as is"), (base64.b64encode(raw), "base64"), (raw.hex().encode(), "hex")):
            self.exact[form] = f"{owner} | {detail}"
        self.kinds.setdefault("APIv3 keys", set()).add(raw)
        self.homes.setdefault(owner, set()).update(home)

    def private_key(self, owner: str, path: Path, *, home: Collection[Path] = ()) -> None:
        """Every private part of the RSA key in ``path`` (see the module docstring)."""
        key = serialization.load_pem_private_key(path.read_bytes(), password=None,
                                                 unsafe_skip_rsa_key_validation=True)
        assert isinstance(key, RSAPrivateKey)
        numbers = key.private_numbers()
        formats = (("PKCS8", serialization.PrivateFormat.PKCS8),
                   ("PKCS1", serialization.PrivateFormat.TraditionalOpenSSL))
        for name, fmt in formats:
            der = key.private_bytes(serialization.Encoding.DER, fmt, serialization.NoEncryption())
            self._der(owner, name, der, der.find(_big_endian(numbers.d)))
        for label, number in (("d", numbers.d), ("p", numbers.p), ("q", numbers.q)):
            for form in (_big_endian(number), str(number).encode(), f"{number:x}".encode()):
                self.exact[form] = f"{owner} | private number {label}"
        self.kinds.setdefault("private keys", set()).add(_big_endian(numbers.d))
        self.homes.setdefault(owner, set()).update(home)

    def _der(self, owner: str, fmt: str, der: bytes, private_from: int) -> None:
        b64 = base64.b64encode(der)
        start = -(-private_from // 3) * 4  # the first base64 character made of private bytes only
        self.exact[b64] = f"{owner} | base64 DER ({fmt})"
        for i in range(0, len(b64), 64):  # PEM lines that carry private material (not the modulus)
            if i + 64 > start:
                self.exact[b64[i:i + 64]] = f"{owner} | PEM line {i // 64 + 1} ({fmt})"
        for i in range(start, len(b64) - WINDOW + 1):
            self.fragments[b64[i:i + WINDOW]] = f"{owner} | fragment ({fmt})"

    def signature(self, kind: str, value: str) -> None:
        """A signature seen on the wire: whole and every window."""
        raw = value.encode()
        if raw in self.exact:
            return
        label = f"{kind} signature {value[:12]}... | whole"
        self.exact[raw] = label
        for i in range(len(raw) - WINDOW + 1):
            self.fragments.setdefault(raw[i:i + WINDOW], label.replace("| whole", "| fragment"))
        self.kinds.setdefault(f"{kind} signatures", set()).add(raw)

    def find(self, blob: bytes, where: Path | None = None) -> set[str]:
        """Labels of the canaries in ``blob``, except those ``where`` may hold."""
        found = {label for value, label in self.exact.items() if value in blob}
        for run in _B64_RUN.finditer(blob):
            text = run.group()
            for i in range(len(text) - WINDOW + 1):
                label = self.fragments.get(text[i:i + WINDOW])
                if label is not None:
                    found.add(label)
        return {label for label in found if where not in self.homes.get(label.split(" | ")[0], ())}


def _big_endian(number: int) -> bytes:
    return number.to_bytes((number.bit_length() + 7) // 8, "big")


def _family(label: str) -> str:
    """``owner | PEM line 7 (PKCS8)`` -> ``owner | PEM line (PKCS8)``: one entry per kind of leak."""
    return re.sub(r" \d+ \(", " (", label)


# -- recording what crosses the wire --------------------------------------------------------------------


@dataclass
class Wire:
    """Signatures seen on the wire, and the fault to inject into requests of some methods."""

    canaries: Canaries
    inject: tuple[str, Collection[str]] | None = None

    def request(self, method: str, headers: Any) -> dict[str, str]:
        """Record the request's signature; the headers with the fault to inject, if any, added."""
        out = {str(k): str(v) for k, v in headers.items()}
        auth = next((v for k, v in out.items() if k.lower() == "authorization"), "")
        for value in _SIGNATURE_ATTR.findall(auth):
            self.canaries.signature("Authorization", value)
        if self.inject is not None and method.upper() in self.inject[1]:
            out["Wechatpay-Negative-Test"] = self.inject[0]
        return out

    def response(self, headers: Any) -> None:
        """Record the response's ``Wechatpay-Signature``."""
        for key, value in headers.items():
            if str(key).lower() == "wechatpay-signature":
                self.canaries.signature("Wechatpay-Signature", str(value))


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    """Record every signature of every sandbox in this process and of every httpx request sent; no real
    retry backoff, quick ``--wait`` polls."""
    seen = Wire(Canaries())
    handle, send = Sandbox.handle, httpx.HTTPTransport.handle_request

    def recording_handle(self: Sandbox, method: str, target: str, headers: Any, body: bytes) -> Any:
        reply = handle(self, method, target, seen.request(method, headers), body)
        seen.response(reply.headers)
        return reply

    def recording_send(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        seen.request(request.method, request.headers)
        response = send(self, request)
        seen.response(response.headers)
        return response

    monkeypatch.setattr(Sandbox, "handle", recording_handle)
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", recording_send)
    monkeypatch.setattr(RetryPolicy, "delay", lambda self, attempt, retry_after: 0.01)
    import wxplan_cli.wait

    monkeypatch.setattr(wxplan_cli.wait, "Backoff",
                        functools.partial(wxplan_cli.wait.Backoff, first=0.05, cap=0.2))
    return seen


# -- the sweep: run, keep every output, then search ----------------------------------------------------


@dataclass
class Outcome:
    """One run's exit code and output."""

    exit_code: int
    stdout: str
    stderr: str


@dataclass
class Sweep:
    """Runs wxplan in-process with ``--debug``, keeps everything it printed, and searches it all (and
    every file under ``tmp``) for canaries."""

    name: str
    tmp: Path
    planted: Path
    wire: Wire
    outputs: list[tuple[str, bytes]] = field(default_factory=list)
    runs: list[tuple[str, str]] = field(default_factory=list)
    inputs: set[Path] = field(default_factory=set)
    runner: CliRunner = field(default_factory=CliRunner)

    @property
    def canaries(self) -> Canaries:
        return self.wire.canaries

    def run(self, command: str, path: str, *args: str | Path, code: int | Collection[int] = 0,
            input: str | None = None, env: dict[str, str] | None = None) -> Outcome:
        """``wxplan ARGS`` (which must ask for debug output); the exit code must be ``code`` (or one of)."""
        argv = [str(a) for a in args]
        label = f"{command} [{path}]"
        assert DEBUG_FLAGS & set(argv), f"{label}: run it with --debug or -v"
        res = self.runner.invoke(app, argv, input=input, env=env, catch_exceptions=False)
        self.outputs += [(f"{label} stdout", res.stdout_bytes), (f"{label} stderr", res.stderr_bytes)]
        self.runs.append((command, path))
        codes = {code} if isinstance(code, int) else set(code)
        assert res.exit_code in codes, f"{label}: exit {res.exit_code}, wanted {codes}\n{res.stderr}"
        return Outcome(res.exit_code, res.stdout, res.stderr)

    def plant(self, name: str, data: str | bytes) -> Path:
        """An input holding a secret on purpose, outside the searched folder."""
        path = self.planted / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        self.inputs.add(path)
        return path

    def output(self, label: str, data: bytes) -> None:
        """Output produced outside ``run`` (a subprocess, a direct ``main()`` call)."""
        self.outputs.append((label, data))

    def leaks(self) -> list[str]:
        """Every place (output or file under ``tmp``) holding a canary, with the kinds it holds."""
        places = [(where, self.canaries.find(data)) for where, data in self.outputs]
        for path in sorted(p for p in self.tmp.rglob("*") if p.is_file() and not p.is_symlink()):
            places.append((str(path), self.canaries.find(path.read_bytes(), path)))
        SUMMARY.searched += len(places)
        return [f"{where}: {'; '.join(sorted({_family(n) for n in found}))}"
                for where, found in places if found]

    def finish(self, *, networked: bool = True) -> None:
        """Search everything; record the counts for the module summary."""
        assert set(self.planted.rglob("*")) == self.inputs, "wxplan wrote into the planted folder"
        if networked:
            kinds = self.canaries.kinds
            assert kinds.get("Authorization signatures") and kinds.get("Wechatpay-Signature signatures")
        leaks = self.leaks()
        SUMMARY.leaks += leaks
        SUMMARY.runs += self.runs
        SUMMARY.sweeps.add(self.name)
        SUMMARY.strings += len(self.canaries.exact) + len(self.canaries.fragments)
        for kind, values in self.canaries.kinds.items():
            SUMMARY.canaries.setdefault(kind, set()).update(values)
        assert not leaks, "secrets leaked:\n" + "\n".join(leaks)


@pytest.fixture
def sweep(request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
          wire: Wire, sb_identity: Any, other_key: Any) -> Iterator[Sweep]:
    """A ``Sweep`` with the session's private keys and the APIv3 keys planted as canaries."""
    box = Sweep(request.node.name, tmp_path, tmp_path_factory.mktemp("planted"), wire)
    sb_dir = Path(str(sb_identity.profile_files["private_key"])).parent
    for name in ("merchant_key", "platform_key", "wechatpay_key"):
        box.canaries.private_key(f"sandbox {name}", sb_dir / f"{name}.pem")
    box.canaries.private_key("unrelated PKCS#1 key", other_key.key_path)
    for name, value in (("sandbox APIv3 key", sb_identity.apiv3_key), ("wrong APIv3 key", WRONG_APIV3_KEY),
                        ("sandbox serve APIv3 key", SERVE_APIV3_KEY)):
        box.canaries.secret(name, value)
    yield box


def assert_secret_mode(*paths: Path) -> None:
    assert paths
    for path in paths:
        assert stat.S_IMODE(path.stat().st_mode) == SECRET_MODE, f"{path} is {oct(path.stat().st_mode)}"


def ledger_files(folder: Path) -> list[Path]:
    """SQLite ledgers and their WAL and shared-memory files (not the empty lock files)."""
    return [p for pattern in ("*.sqlite3", "*.sqlite3-wal", "*.sqlite3-shm") for p in folder.rglob(pattern)]


def csv_plans(path: Path, first: int, count: int, *, bad: bool = False) -> Path:
    rows = "".join(f"7011{n:04d},7012{n:04d},计划{n:04d},{10000 + n},2027-01-01,2027-02-01\n"
                   for n in range(first, first + count))
    if bad:
        rows += "7011x,7012x,坏,-5,2027-01-01,2026-01-01\n"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


# -- the detector itself ------------------------------------------------------------------------------


def test_the_search_finds_planted_leaks(sweep: Sweep, served: Served) -> None:
    """A control: a signature, a PEM line and a 32-character fragment of a key are found in an output
    and in a SQLite file; an owner's own file is exempt for its own secret only."""
    sweep.run("list", "control", *args_for(served, "list", "-v"))
    auth = next(iter(sweep.canaries.kinds["Authorization signatures"])).decode()
    pem_line = Path(str(served.profile["private_key"])).read_text().splitlines()[12]
    sweep.output("control stdout", f"x{auth}x".encode())
    sweep.output("control stderr", f"..{pem_line[5:5 + WINDOW]}..".encode())
    import sqlite3

    with sqlite3.connect(sweep.tmp / "control.sqlite3") as db:
        db.execute("create table t (v text)")
        db.execute("insert into t values (?)", (pem_line,))
    db.close()
    found = "\n".join(sweep.leaks())
    assert "control stdout: Authorization signature" in found and "| whole" in found
    assert "control stderr: sandbox merchant_key | fragment" in found
    assert "control.sqlite3: sandbox merchant_key | PEM line (PKCS8)" in found
    own = sweep.tmp / "own.pem"
    own.write_bytes(Path(str(served.profile["private_key"])).read_bytes())
    sweep.canaries.homes["sandbox merchant_key"] = {own}
    assert not sweep.canaries.find(own.read_bytes(), own)
    other = sweep.canaries.find(own.read_bytes() + WRONG_APIV3_KEY.encode(), own)
    assert other == {"wrong APIv3 key | as is"}


# -- plan commands: success paths, refusals, validation ----------------------------------------------


def test_plan_commands_success_refusal_and_validation(sweep: Sweep, served: Served, serve_sandbox: Any,
                                                      tmp_path: Path) -> None:
    run, a = sweep.run, functools.partial(args_for, served)
    res = run("create", "single, table", *a("create", "--from", SAMPLE, "-v"))
    assert 'signature="***"' in res.stderr and "wechatpay-signature: ***" in res.stderr  # it did log
    run("create", "single, -o json, certs profile",
        *args_for(served, "create", "--from", SAMPLE, "-o", "json", "-v", profile="certs"))
    run("create", "single, -o yaml", *a("create", "--from", SAMPLE, "-o", "yaml", "--debug"))
    run("create", "single, stdin, -o id", *a("create", "--from", "-", "-o", "id", "-v"),
        input=SAMPLE.read_text())
    run("create", "--dry-run",
        *a("create", "--from", SAMPLE, "--out-request-no", "dry-0001", "--dry-run", "-v"))
    run("create", "--dry-run -o json", *a("create", "--from", SAMPLE, "--dry-run", "-o", "json", "-v"))
    run("create", "--skeleton", "--debug", "create", "--skeleton", "--plan-name", "骨架")
    refused = ExitCode.API_REJECTED
    run("create", "API refusal: same out_request_no, other content",
        *a("create", "--from", SAMPLE, "--total-count", "20000", "-v"), code=refused)
    run("create", "API refusal, -o json error",
        *a("create", "--from", SAMPLE, "--total-count", "20000", "-o", "json", "-v"), code=refused)
    run("create", "validation error", *a("create", "--from", SAMPLE, "--total-count", "-1", "--end",
                                         "2026-01-01", "-v"), code=ExitCode.VALIDATION)
    run("create", "validation error, -o json",
        *a("create", "--from", SAMPLE, "--total-count", "0", "-o", "json", "-v"), code=ExitCode.VALIDATION)
    ids = [run("create", "single, -o id", *a("create", "--from", SAMPLE, "--out-request-no",
                                             f"canary-{n:04d}", "-o", "id", "-v")).stdout.strip()
           for n in range(4)]
    rejected = run("create", "audit will reject", *a("create", "--from", SAMPLE, "--plan-name", "REJECT计划",
                                                     "--out-request-no", "reject-0001", "-o", "id", "-v"))
    plan_reads(sweep, served, ids, rejected.stdout.strip())
    slow = serve_sandbox(creating_delay=60)
    creating = run("create", "single, -o id, plan stays creating",
                   *args_for(slow, "create", "--from", SAMPLE, "-o", "id", "-v")).stdout.strip()
    run("show", "--wait --timeout 0", *args_for(slow, "show", creating, "--wait", "--timeout", "0", "-v"),
        code=ExitCode.WAIT_TIMEOUT)
    plan_changes(sweep, served, ids, tmp_path)
    batch_paths(sweep, served, tmp_path)
    sweep.finish()


def plan_reads(sweep: Sweep, served: Served, ids: list[str], rejected: str) -> None:
    run, a = sweep.run, functools.partial(args_for, served)
    run("list", "table", *a("list", "-v"))
    for fmt in ("json", "yaml", "csv", "id"):
        run("list", f"-o {fmt}", *a("list", "-o", fmt, "--debug"))
    run("list", "usage error, -o json", *a("list", "--state", "PLAN_DELIVERNG", "-v", "-o", "json"),
        code=ExitCode.USAGE)
    run("show", "-o json, certs profile",
        *args_for(served, "show", ids[0], "-o", "json", "-v", profile="certs"))
    run("show", "--wait", *a("show", ids[-1], "--wait", "--timeout", "20", "-v"))
    run("show", "--wait, audit rejected", *a("show", rejected, "--wait", "--timeout", "20", "-v"),
        code=ExitCode.AUDIT_REJECTED)
    run("show", "API: not found", *a("show", "999999999999", "-v"), code=ExitCode.API_REJECTED)


def plan_changes(sweep: Sweep, served: Served, ids: list[str], tmp_path: Path) -> None:
    run, a = sweep.run, functools.partial(args_for, served)
    run("update", "--yes", *a("update", ids[0], "--total-count", "20000", "--yes", "-v"))
    edited = tmp_path / "edited.yaml"
    edited.write_text(SAMPLE.read_text().replace("total_count: 10000", "total_count: 25000"))
    run("update", "--from FILE -o json", *a("update", ids[3], "--from", edited, "--yes", "-o", "json", "-v"))
    run("update", "--dry-run", *a("update", ids[1], "--total-count", "30000", "--dry-run", "-v"))
    run("update", "validation: count lowered", *a("update", ids[1], "--total-count", "5", "--yes", "-v"),
        code=ExitCode.VALIDATION)
    run("update", "no terminal, no --yes", *a("update", ids[1], "--total-count", "40000", "-v"),
        code=ExitCode.USAGE)
    run("terminate", "--yes -o json", *a("terminate", ids[2], "--yes", "-o", "json", "-v"))
    run("terminate", "already terminating", *a("terminate", ids[2], "--yes", "-v"))
    run("terminate", "--wait", *a("terminate", ids[1], "--yes", "--wait", "--timeout", "20", "-v"))
    run("terminate", "API: not found", *a("terminate", "999999999999", "--yes", "-v"),
        code=ExitCode.API_REJECTED)
    run("notify-url set", "success", *a("notify-url", "set", "https://example.com/wxpay/notify", "-v"))
    run("notify-url set", "-o json", *a("notify-url", "set", "https://example.com/n2", "-o", "json", "-v"))
    run("notify-url set", "validation: http://", *a("notify-url", "set", "http://example.com/n", "-v"),
        code=ExitCode.VALIDATION)


def batch_paths(sweep: Sweep, served: Served, tmp_path: Path) -> None:
    """Batch create with every output, report kind and ledger choice; then ``ledger show``."""
    run, a = sweep.run, functools.partial(args_for, served)
    plans, ledger = csv_plans(tmp_path / "plans.csv", 0, 3), tmp_path / "ledgers" / "batch.sqlite3"
    ledger.parent.mkdir()
    run("create", "batch, --report csv --ledger -o jsonl", *a(
        "create", "--from", plans, "--report", tmp_path / "r.csv", "--ledger", ledger, "-o", "jsonl", "-v"))
    run("create", "batch re-run, --report json -o json", *a(
        "create", "--from", plans, "--report", tmp_path / "r.json", "--ledger", ledger, "-o", "json", "-v"))
    run("create", "batch, -o yaml", *a("create", "--from", plans, "--ledger", ledger, "-o", "yaml", "-v"))
    run("create", "batch, -o id, default ledger", *a("create", "--from", plans, "-o", "id", "-v"))
    run("create", "batch --dry-run", *a("create", "--from", plans, "--dry-run", "-v", "--ledger", ledger))
    mixed = csv_plans(tmp_path / "mixed.csv", 10, 2, bad=True)
    run("create", "batch validation error",
        *a("create", "--from", mixed, "--report", tmp_path / "bad.csv", "-v"), code=ExitCode.VALIDATION)
    run("create", "batch --skip-invalid", *a("create", "--from", mixed, "--skip-invalid", "--report",
                                             tmp_path / "skip.json", "-o", "jsonl", "-v"),
        code=ExitCode.BATCH_INCOMPLETE)
    run("ledger show", "latest", *a("ledger", "show", "-v"))
    run("ledger show", "file, -o json", *a("ledger", "show", ledger, "-o", "json", "--limit", "0", "-v"))
    run("ledger show", "not a ledger", *a("ledger", "show", plans, "-v"), code=ExitCode.CONFIG)
    assert_secret_mode(*ledger_files(ledger.parent), *ledger_files(sweep.tmp / "wxplan-home" / "state"))


# -- faults: bad signatures, dropped connections, server errors, timeouts ------------------------------


def test_faults_on_every_networked_command(sweep: Sweep, served: Served, tmp_path: Path,
                                           sb_identity: Any) -> None:
    run, a = sweep.run, functools.partial(args_for, served)
    base = csv_plans(tmp_path / "base.csv", 100, 2 * len(FAULTS))
    ids = run("create", "batch, -o id", *a("create", "--from", base, "-o", "id", "-v")).stdout.split()
    run("show", "--wait -o id", *a("show", ids[-1], "--wait", "--timeout", "20", "-o", "id", "-v"))
    for n, fault in enumerate(FAULTS):
        env, name = dict(fault.env), fault.header
        sweep.wire.inject = (fault.header, WRITES)
        run("create", f"{name} on the write", *a("create", "--from", SAMPLE, "--out-request-no",
                                                 f"fault-{n:04d}", "-v"), code=fault.write_code, env=env)
        run("create", f"batch, {name} on the writes", *a(
            "create", "--from", csv_plans(tmp_path / f"f{n}.csv", 200 + 10 * n, 2), "--report",
            tmp_path / f"f{n}.json", "-o", "jsonl", "-v"), code=ExitCode.BATCH_INCOMPLETE, env=env)
        run("update", f"{name} on the write", *a("update", ids[2 * n], "--total-count", "50000", "--yes",
                                                 "-v"), code=fault.write_code, env=env)
        run("terminate", f"{name} on the write", *a("terminate", ids[2 * n + 1], "--yes", "-v"),
            code=fault.write_code, env=env)
        run("notify-url set", f"{name} on the write", *a("notify-url", "set", f"https://example.com/{n}",
                                                         "-v"), code=fault.write_code, env=env)
        sweep.wire.inject = (fault.header, {"GET", *WRITES})
        env["WXPLAN_APIV3_KEY"] = sb_identity.apiv3_key
        run("list", name, *a("list", "-v"), code=fault.read_code, env=env)
        run("show", name, *a("show", ids[0], "-v", "-o", "json"), code=fault.read_code, env=env)
        run("doctor", f"--online, {name}", *a("doctor", "--online", "-v"), code=ExitCode.CONFIG, env=env)
        run("certs download", name, *a("certs", "download", "--dir", tmp_path / "c", "-v"),
            code=fault.read_code, env=env)
        sweep.wire.inject = None
    run("ledger show", "after faults", *a("ledger", "show", "--limit", "0", "-v"), code=(0, 11))
    sweep.finish()


# -- wrong keys: SIGN_ERROR, mismatched certificate, wrong APIv3 key -----------------------------------


def test_wrong_keys_sign_error_and_apiv3(sweep: Sweep, served: Served, tmp_path: Path, other_key: Any,
                                         sb_identity: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    run = sweep.run
    plan_id = run("create", "single, -o id", *args_for(served, "create", "--from", SAMPLE, "-o", "id", "-v")
                  ).stdout.strip()
    wrong = write_config(tmp_path / "wrong-key.yaml", {**served.profile, "private_key": other_key.key_path},
                         served.url)

    def w(*args: str | Path) -> list[str | Path]:
        return [*args, "--config", wrong]

    env = {"WXPLAN_APIV3_KEY": sb_identity.apiv3_key}
    refused = ExitCode.API_REJECTED
    run("create", "SIGN_ERROR", *w("create", "--from", SAMPLE, "--out-request-no", "sign-0001", "-v"),
        code=refused)
    run("create", "SIGN_ERROR, -o json", *w("create", "--from", SAMPLE, "-o", "json", "-v"), code=refused)
    run("create", "batch, SIGN_ERROR", *w("create", "--from", csv_plans(tmp_path / "s.csv", 300, 2),
                                          "--report", tmp_path / "s-report.csv", "-v"),
        code=ExitCode.BATCH_INCOMPLETE)
    run("list", "SIGN_ERROR", *w("list", "-v"), code=refused)
    run("show", "SIGN_ERROR", *w("show", plan_id, "-v"), code=refused)
    run("update", "SIGN_ERROR", *w("update", plan_id, "--total-count", "20000", "--yes", "-v"), code=refused)
    run("terminate", "SIGN_ERROR", *w("terminate", plan_id, "--yes", "-v"), code=refused)
    run("notify-url set", "SIGN_ERROR", *w("notify-url", "set", "https://example.com/n", "-v"), code=refused)
    run("doctor", "--online, SIGN_ERROR", *w("doctor", "--online", "-v", "-o", "json"), code=ExitCode.CONFIG)
    run("certs download", "SIGN_ERROR", *w("certs", "download", "-v"), code=refused, env=env)
    mismatched = write_config(tmp_path / "mismatch.yaml",
                              {**served.profile, "merchant_cert": other_key.cert_path}, served.url)
    run("doctor", "key does not match the certificate", "doctor", "--config", mismatched, "-v",
        code=ExitCode.CONFIG)
    apiv3_paths(sweep, served, tmp_path, sb_identity, monkeypatch)
    sweep.finish()


def apiv3_paths(sweep: Sweep, served: Served, tmp_path: Path, sb_identity: Any,
                monkeypatch: pytest.MonkeyPatch) -> None:
    """``certs download`` with the APIv3 key from the environment, a file and the prompt, right and wrong."""
    run, a = sweep.run, functools.partial(args_for, served)
    env, out = {"WXPLAN_APIV3_KEY": sb_identity.apiv3_key}, tmp_path / "certs"
    for profile in ("pubkey", "certs"):
        run("certs download", f"success, {profile} profile, -o json", *args_for(
            served, "certs", "download", "--dir", out, "-o", "json", "-v", profile=profile), env=env)
    run("certs download", "-o yaml", *a("certs", "download", "--dir", out, "-o", "yaml", "-v"), env=env)
    run("certs download", "default dir, table", *a("certs", "download", "-v"), env=env)
    wrong = {"WXPLAN_APIV3_KEY": WRONG_APIV3_KEY}
    run("certs download", "wrong APIv3 key", *a("certs", "download", "--dir", tmp_path / "no", "-v"),
        env=wrong, code=ExitCode.CONFIG)
    run("certs download", "wrong APIv3 key, -o json", *a("certs", "download", "-o", "json", "-v"),
        env=wrong, code=ExitCode.CONFIG)
    run("certs download", "short APIv3 key", *a("certs", "download", "-v"),
        env={"WXPLAN_APIV3_KEY": WRONG_APIV3_KEY[:20]}, code=ExitCode.CONFIG)
    run("certs download", "no APIv3 key, no terminal", *a("certs", "download", "-v"), code=ExitCode.CONFIG)
    key_file = sweep.plant("apiv3.txt", WRONG_APIV3_KEY + "\n")
    with_file = write_config(tmp_path / "apiv3-file.yaml", served.profile, served.url,
                             apiv3_key_file=key_file)
    run("certs download", "wrong key in apiv3_key_file", "certs", "download", "--config", with_file, "-v",
        code=ExitCode.CONFIG)
    run("doctor", "apiv3_key_file readable by others", "doctor", "--config", with_file, "-v",
        code=ExitCode.CONFIG)
    key_file.chmod(SECRET_MODE)
    run("doctor", "apiv3_key_file, --online", "doctor", "--online", "--config", with_file, "-v")
    monkeypatch.setattr("wxplan_cli.commands.interact.stdin_is_terminal", lambda: True)
    run("certs download", "key typed at the prompt", *a("certs", "download", "--dir", out, "-v"),
        input=sb_identity.apiv3_key + "\n")
    run("certs download", "wrong key typed at the prompt", *a("certs", "download", "--dir", out, "-v"),
        input=WRONG_APIV3_KEY + "\n", code=ExitCode.CONFIG)


# -- config commands and config errors ----------------------------------------------------------------


def test_config_commands_and_config_errors(sweep: Sweep, served: Served, tmp_path: Path, sb_identity: Any,
                                           merchant: Any) -> None:
    run, prof = sweep.run, served.profile
    new = tmp_path / "new" / "config.yaml"
    init = ["config", "init", "--config", new, "--mchid", str(prof["mchid"]), "--private-key",
            prof["private_key"], "--merchant-cert", prof["merchant_cert"], "--wechatpay-public-key",
            prof["wechatpay_public_key"], "--wechatpay-public-key-id", prof["wechatpay_public_key_id"],
            "--apiv3-key-file", prof["apiv3_key_file"], "--brand-id", "40016", "--base-url", served.url]
    run("config init", "flags", "--debug", *init)
    run("config init", "exists, no --force", "--debug", *init, code=ExitCode.CONFIG)
    run("config init", "--force", "--debug", *init, "--force")
    run("list", "config written by init", "list", "--config", new, "-v", "-o", "json")
    sandbox_cfg = tmp_path / "sandbox-config.yaml"
    run("config init", "--sandbox", "--debug", "config", "init", "--sandbox", "--config", sandbox_cfg)
    run("config init", "default path (WXPLAN_HOME)", "--debug", "config", "init", "--sandbox", "-p", "sb")
    assert_secret_mode(new, sandbox_cfg, sweep.tmp / "wxplan-home" / "config.yaml")
    run("config init", "private key is a certificate", "--debug", "config", "init", "--config",
        tmp_path / "x.yaml", "--mchid", "1900000109", "--private-key", merchant.cert_path,
        "--serial-no", "AB", code=ExitCode.CONFIG)
    truncated = sweep.plant("truncated_key.pem",
                            b"".join(Path(str(prof["private_key"])).read_bytes().splitlines(True)[:12]))
    run("config init", "truncated private key", "--debug", "config", "init", "--config", tmp_path / "y.yaml",
        "--mchid", "1900000109", "--private-key", truncated, "--serial-no", "AB", code=ExitCode.CONFIG)
    run("config init", "no terminal, flags missing", "--debug", "config", "init", "--config",
        tmp_path / "z.yaml", code=ExitCode.USAGE)
    env = {"WXPLAN_APIV3_KEY": sb_identity.apiv3_key}
    for fmt in ("table", "json", "yaml"):
        run("config show", f"-o {fmt}, WXPLAN_APIV3_KEY set", "--debug", "config", "show", "--config",
            served.config, "-o", fmt, env=env)
    run("config show", "certs profile", "--debug", "config", "show", "--config", served.config, "-p", "certs")
    run("config show", "built-in sandbox", "--debug", "config", "show", "-p", "sandbox", "-o", "json")
    for fmt in ("table", "json", "yaml", "id"):
        run("config profiles", f"-o {fmt}", "--debug", "config", "profiles", "--config", served.config,
            "-o", fmt)
    run("doctor", "offline, pubkey profile", "doctor", "--config", served.config, "-v")
    run("doctor", "--online, certs profile, -o json", "doctor", "--online", "--config", served.config,
        "-p", "certs", "-v", "-o", "json")
    run("doctor", "--online, -o yaml", "doctor", "--online", "--config", served.config, "-o", "yaml", "-v")
    config_errors(sweep, served, tmp_path, truncated)
    sweep.finish()


def config_errors(sweep: Sweep, served: Served, tmp_path: Path, truncated: Path) -> None:
    """Broken configs, most holding a planted secret, through every command that loads a profile."""
    key = Path(str(served.profile["private_key"]))
    pem_lines = key.read_text().splitlines()
    body = [line for line in pem_lines if not line.startswith("-----")]
    apiv3 = str(served.sandbox.identity.apiv3_key)
    head = "profiles:\n  p:\n    mchid: '1900000109'\n    serial_no: AB\n    private_key: "
    inline = sweep.plant("inline.yaml", head + "|\n" + "".join(f"      {line}\n" for line in pem_lines))
    broken = sweep.plant("broken.yaml", head + "\n".join(pem_lines[:8]) + "\n    brand_id: x\n")
    tabbed = sweep.plant("tabbed.yaml", inline.read_text() + "\tbrand_id: x\n")
    pasted_body = sweep.plant("body.yaml", "")
    write_config(pasted_body, {**served.profile, "private_key": "".join(body)}, served.url)
    key_as_file = sweep.plant("apiv3-inline.yaml", "")
    write_config(key_as_file, served.profile, served.url, apiv3_key_file=apiv3)
    truncated_cfg = write_config(tmp_path / "truncated.yaml", {**served.profile, "private_key": truncated},
                                 served.url)
    cert_as_key = write_config(tmp_path / "cert-as-key.yaml",
                               {**served.profile, "private_key": served.profile["merchant_cert"]}, served.url)
    config = ["--config", served.config]
    cases: list[tuple[str, list[str | Path], dict[str, str] | None]] = [
        ("missing config file", ["--config", tmp_path / "nope.yaml"], None),
        ("unknown profile", [*config, "-p", "prod"], None),
        ("PEM pasted inline", ["--config", inline, "-p", "p"], None),
        ("PEM pasted, YAML syntax error", ["--config", broken, "-p", "p"], None),
        ("PEM pasted, tab", ["--config", tabbed, "-p", "p"], None),
        ("PEM body (no BEGIN/END lines) pasted as the key path", ["--config", pasted_body], None),
        ("APIv3 key given as apiv3_key_file", ["--config", key_as_file], None),
        ("APIv3 key in WXPLAN_APIV3_KEY_FILE", config, {"WXPLAN_APIV3_KEY_FILE": apiv3}),
        ("PEM in WXPLAN_PRIVATE_KEY", config, {"WXPLAN_PRIVATE_KEY": key.read_text()}),
        ("PEM body in WXPLAN_PRIVATE_KEY", config, {"WXPLAN_PRIVATE_KEY": "\n".join(body) + "\n"}),
        ("truncated private key", ["--config", truncated_cfg], None),
        ("private key is a certificate", ["--config", cert_as_key], None),
    ]
    for path, extra, env in cases:
        run = functools.partial(sweep.run, code=ExitCode.CONFIG, env=env)
        run("list", f"config error: {path}", "list", *extra, "-v")
        run("create", f"config error: {path}", "create", "--from", SAMPLE, *extra, "-v", "-o", "json")
        run("doctor", f"config error: {path}", "doctor", *extra, "-v")
        run("certs download", f"config error: {path}", "certs", "download", *extra, "-v")
        run("config show", f"config error: {path}", "--debug", "config", "show", *extra,
            code=(0, ExitCode.CONFIG))


# -- lint, and secret files given where a plan, ledger or config belongs --------------------------------


def test_lint_and_key_files_given_as_inputs(sweep: Sweep, served: Served, tmp_path: Path) -> None:
    run, a = sweep.run, functools.partial(args_for, served)
    key = Path(str(served.profile["private_key"]))
    bad = tmp_path / "bad.yaml"
    bad.write_text(SAMPLE.read_text().replace("total_count: 10000", "total_count: -1"))
    invalid = ExitCode.VALIDATION
    run("lint", "clean", "--debug", "lint", SAMPLE)
    run("lint", "-o json", "--debug", "lint", SAMPLE, bad, "-o", "json", code=invalid)
    run("lint", "problem", "--debug", "lint", bad, code=invalid)
    run("lint", "the private key", "--debug", "lint", key, code=invalid)
    run("lint", "the private key, -o json", "--debug", "lint", key, "-o", "json", code=invalid)
    run("lint", "the private key on stdin", "--debug", "lint", "-", input=key.read_text(), code=invalid)
    for fmt in ("auto", "yaml", "json", "csv", "jsonl"):
        run("create", f"the private key as --from, --format {fmt}", *a(
            "create", "--from", key, "--format", fmt, "-v", "--report", tmp_path / f"k-{fmt}.csv"),
            code=invalid)
    run("create", "the private key on stdin", *a("create", "--from", "-", "-v", "-o", "json"),
        input=key.read_text(), code=invalid)
    run("update", "the private key as --from", *a("update", "999", "--from", key, "--yes", "-v"),
        code=invalid)
    run("ledger show", "the private key as the ledger", *a("ledger", "show", key, "-v"), code=ExitCode.CONFIG)
    for command in ("show", "profiles"):
        run(f"config {command}", "the private key as the config", "--debug", "config", command,
            "--config", key, code=ExitCode.CONFIG)
    run("doctor", "the private key as the config", "doctor", "--config", key, "-v", code=ExitCode.CONFIG)
    sweep.finish(networked=False)


# -- the sandbox commands and the built-in sandbox profile ----------------------------------------------


def test_sandbox_serve_reset_and_builtin_profile(sweep: Sweep, tmp_path: Path, sb_home: Path,
                                                 sb_identity: Any) -> None:
    run = sweep.run
    run("create", "built-in sandbox", "create", "--profile", "sandbox", "--from", SAMPLE, "-v", "-o", "json")
    builtin = sweep.tmp / "wxplan-home" / "state" / "sandbox"
    plant_builtin_keys(sweep, builtin, "old")
    run("list", "built-in sandbox", "list", "--profile", "sandbox", "--brand-id", "40016", "-v")
    run("sandbox reset", "no terminal, no --yes", "--debug", "sandbox", "reset", code=ExitCode.USAGE)
    run("sandbox reset", "--yes", "--debug", "sandbox", "reset", "--yes")
    run("sandbox reset", "--keys --yes", "--debug", "sandbox", "reset", "--keys", "--yes")
    plant_builtin_keys(sweep, builtin, "new")
    run("create", "built-in sandbox, new keys", "create", "--profile", "sandbox", "--from", SAMPLE, "-v")
    run("certs download", "built-in sandbox", "certs", "download", "--profile", "sandbox", "--dir",
        tmp_path / "sb-certs", "-v")
    run("doctor", "built-in sandbox, --online", "doctor", "--profile", "sandbox", "--online", "--brand-id",
        "40016", "-v")
    secret_files = ("merchant_key.pem", "platform_key.pem", "wechatpay_key.pem", "apiv3_key.txt")
    assert_secret_mode(*(folder / name for folder in (builtin, sb_home) for name in secret_files))
    run("sandbox serve", "non-loopback host refused", "--debug", "sandbox", "serve", "--host", "0.0.0.0",
        "--port", "0", "--dir", sb_home, code=ExitCode.USAGE)
    serve_subprocess(sweep, tmp_path, sb_home, sb_identity)
    sweep.finish()


def plant_builtin_keys(sweep: Sweep, folder: Path, which: str) -> None:
    """The built-in sandbox's keys are canaries everywhere but in their own files."""
    for name in ("merchant_key", "platform_key", "wechatpay_key"):
        path = folder / f"{name}.pem"
        sweep.canaries.private_key(f"built-in sandbox {name} ({which})", path, home={path})
    apiv3 = folder / "apiv3_key.txt"
    sweep.canaries.secret(f"built-in sandbox APIv3 key ({which})", apiv3.read_text().strip(), home={apiv3})


def serve_subprocess(sweep: Sweep, tmp_path: Path, sb_home: Path, sb_identity: Any) -> None:
    """``wxplan --debug sandbox serve`` as a process given an APIv3 key; three commands use it; Ctrl-C."""
    env = {**os.environ, "WXPLAN_SANDBOX_APIV3_KEY": SERVE_APIV3_KEY, "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "wxplan_cli", "--debug", "sandbox", "serve", "--port", "0", "--dir",
         str(sb_home), "--creating-delay", "0", "--state", str(tmp_path / "served.sqlite3")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    seen: list[bytes] = []
    try:
        assert proc.stderr is not None
        for line in iter(proc.stderr.readline, b""):
            seen.append(line)
            if b"listening on " in line:
                break
        url = re.search(rb"listening on (\S+)", b"".join(seen))
        assert url, b"".join(seen)
        config = write_config(tmp_path / "serve.yaml", sb_identity.client_profile(), url.group(1).decode())
        sweep.run("create", "against sandbox serve", "create", "--from", SAMPLE, "--config", config, "-v")
        sweep.run("list", "against sandbox serve", "list", "--config", config, "-v", "-o", "json")
        sweep.run("certs download", "against sandbox serve (its --apiv3-key)", "certs", "download",
                  "--config", config, "--dir", tmp_path / "serve-certs", "-v",
                  env={"WXPLAN_APIV3_KEY": SERVE_APIV3_KEY})
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    sweep.output("sandbox serve stdout", out)
    sweep.output("sandbox serve stderr", b"".join(seen) + err)
    sweep.runs.append(("sandbox serve", "subprocess, --apiv3-key from the environment, Ctrl-C"))
    assert b"wxplan profile for this sandbox" in out and b"GET /v3/certificates" in err, (out, err)


# -- tracebacks under --debug ----------------------------------------------------------------------------


def test_tracebacks_under_debug_show_no_canary(sweep: Sweep, served: Served, sb_identity: Any,
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Exceptions whose text holds the APIv3 key, a private key PEM and a real request signature, raised
    from inside the library, through ``main()`` (the real entry point): an unexpected ``RuntimeError``
    (the boundary of last resort) and a ``WxplanError`` (the error boundary), each with a traceback under
    ``--debug``, as text and as a JSON error."""
    pem = Path(str(served.profile["private_key"])).read_text()
    monkeypatch.setenv("WXPLAN_APIV3_KEY", sb_identity.apiv3_key)
    send = httpx.Client.send

    def leaky_send(error: type[Exception]) -> Any:
        def fake(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
            send(self, request, **kwargs)  # the sandbox saw (and recorded) the signature
            raise error(f"bug while sending: Authorization: {request.headers['Authorization']}\n{pem}")
        return fake

    def leaky_decrypt(error: type[Exception]) -> Any:
        def fake(key: str, sealed: Any) -> bytes:
            raise error(f"AES-GCM failed with key {key} for {sealed}\n{pem}") from ValueError(key)
        return fake

    cases = [("list", ["--debug", "list", "--config", str(served.config)], httpx.Client, "send", leaky_send),
             ("certs download", ["--debug", "certs", "download", "--config", str(served.config)], certslib,
              "decrypt", leaky_decrypt)]
    for error, code in ((RuntimeError, ExitCode.FAILURE), (ConfigError, ExitCode.CONFIG)):
        for command, argv, target, attr, leaky in cases:
            for extra in ([], ["-o", "json"]):
                with monkeypatch.context() as patch:
                    patch.setattr(target, attr, leaky(error))
                    with pytest.raises(SystemExit) as exited:
                        main([*argv, *extra])
                captured = capsys.readouterr()
                path = f"{error.__name__} holding secrets {' '.join(extra)}".strip()
                sweep.output(f"{command} [{path}] stdout", captured.out.encode())
                sweep.output(f"{command} [{path}] stderr", captured.err.encode())
                sweep.runs.append((command, path))
                assert exited.value.code == code, captured.err
                assert "Traceback" in captured.err and "***" in captured.err, captured.err
    sweep.finish()


# -- every command was run ------------------------------------------------------------------------------


def test_zz_every_command_ran_and_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """Every leaf command of the app appeared in the sweeps (checked when the whole module ran)."""
    not_sweeps = {"test_zz_every_command_ran_and_summary", "test_the_search_finds_planted_leaks"}
    if SUMMARY.sweeps != {name for name in globals() if name.startswith("test_")} - not_sweeps:
        pytest.skip("run the whole module to check coverage")
    commands = set(_leaf_commands(typer.main.get_command(app)))
    ran = {command for command, _path in SUMMARY.runs}
    assert commands <= ran, f"commands the canary never ran: {sorted(commands - ran)}"
    with capsys.disabled():
        print(f"\nsecrets canary: {len(commands)} commands, {len(set(SUMMARY.runs))} distinct command x path "
              f"runs ({len(SUMMARY.runs)} invocations); distinct canaries: "
              + ", ".join(f"{len(v)} {kind}" for kind, v in sorted(SUMMARY.canaries.items()))
              + f" ({SUMMARY.strings} strings and windows searched for in {SUMMARY.searched} outputs and "
              f"files); leaks: {len(SUMMARY.leaks)}")


def _leaf_commands(command: Any, prefix: str = "") -> Iterator[str]:
    subcommands = getattr(command, "commands", None)
    if not subcommands:
        yield prefix.strip()
        return
    for name, sub in subcommands.items():
        yield from _leaf_commands(sub, f"{prefix} {name}")
