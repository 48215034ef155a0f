"""Batch create: many plans validated, then sent by concurrent workers under one rate limit, every step
recorded in the ledger, safe to interrupt and to re-run.

    run_batch(request, view) -> BatchSummary

1. First pass (:mod:`wxplan_cli.batchplans`): every plan is read, validated and recorded in the ledger;
   nothing is sent unless all are valid (or ``skip_invalid``).
2. Second pass: the run's plans are walked in input order from the ledger. Created by an earlier run:
   skipped. Otherwise (pending, failed, unknown) a worker takes it: waits for a token
   (:class:`~wxplan_cli.ratelimit.TokenBucket`), commits ``sending``, sends the recorded body, commits
   the outcome. Retries (429, 5xx, connect errors) are the client's ``RetryPolicy`` - same
   ``out_request_no``, the same bytes - with each retry also waiting for a token and counted as an attempt.
3. The report (``--report``) and the summary are read back from the ledger.

Ctrl-C: the first stops handing out plans; requests in flight finish (their outcomes are recorded), a
plan waiting to be retried is recorded ``unknown``, and the run ends as "interrupted" with the command
that resumes. A second Ctrl-C quits at once: in-flight plans stay ``sending``, which the next run
treats as unknown. Either way the ledger is consistent, and so it is after a SIGKILL.
"""

from __future__ import annotations

import queue
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from wxplan_cli import ledger as L
from wxplan_cli.batchplans import FirstPass, Layering, validate_into
from wxplan_cli.batchreport import collapse_issues, public_row, write_report
from wxplan_cli.errors import (
    ApiError,
    BatchIncomplete,
    Interrupted,
    Issue,
    SignatureError,
    UnknownOutcomeError,
    ValidationError,
    WxplanError,
)
from wxplan_cli.ratelimit import TokenBucket
from wxplan_cli.redact import redact_text

if TYPE_CHECKING:
    import httpx

    from wxplan_cli.client import PartnerClient
    from wxplan_cli.config import Profile
    from wxplan_cli.planstream import Input


MAX_PROBLEMS_SHOWN = 10
TO_SEND = "to-send"  # a dry run's count of the plans a real run would send


class View(Protocol):
    """What the batch tells the person or script watching (see :mod:`wxplan_cli.batchview`)."""

    def begin(self, total: int, ledger: Path) -> None:
        """Sending starts: ``total`` input plans."""

    def plan(self, row: dict[str, Any]) -> None:
        """One input plan's outcome (:func:`~wxplan_cli.batchreport.public_row` shape)."""

    def stopping(self, in_flight: int) -> None:
        """The first Ctrl-C arrived."""

    def end(self) -> None:
        """Sending is over."""


@dataclass
class BatchRequest:
    """Everything one batch run needs."""

    inputs: list[Input]
    layering: Layering
    profile: Profile
    ledger: Path
    command: str  # the command that re-runs (resumes) this batch
    concurrency: int = 4
    rate: float | None = None
    skip_invalid: bool = False
    dry_run: bool = False
    report: Path | None = None
    warn: Callable[[str], None] = lambda message: None
    log: Callable[[str], None] | None = None


@dataclass
class BatchSummary:
    """How a run ended, read back from the ledger."""

    ledger: Path
    run: int
    status: str  # done / invalid / interrupted / dry-run
    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    send_seconds: float = 0.0
    issues: list[tuple[Issue, int]] = field(default_factory=list)  # invalid plans' issues, collapsed
    more_issues: int = 0
    unreadable: int = 0  # inputs that could not be read (to the end)
    problems: list[dict[str, Any]] = field(default_factory=list)  # the first failed / unknown / invalid
    command: str = ""
    report: Path | None = None

    @property
    def complete(self) -> bool:
        """Every input plan is created (now or before)."""
        return all(outcome in L.OK_OUTCOMES for outcome, n in self.counts.items() if n)

    @property
    def not_created(self) -> int:
        """Input plans that are not created."""
        return sum(n for outcome, n in self.counts.items() if outcome not in L.OK_OUTCOMES)

    def error(self) -> WxplanError | None:
        """The error this run exits with (None: exit 0)."""
        resume = f"re-run the same command to resume: {self.command}"
        if self.status == "interrupted":
            return Interrupted(f"interrupted: {self.not_created} of {self.total} plans not created yet",
                               hint=resume)
        if self.status == "invalid":
            issues = [replace(issue, message=f"{issue.message} (in {n} plans)") if n > 1 else issue
                      for issue, n in self.issues]
            if self.more_issues:
                issues.append(Issue("...", f"and {self.more_issues} more problems",
                                    hint="--report FILE lists every plan's problems"))
            invalid = self.counts.get(L.INVALID, 0)
            parts = [f"{self.unreadable} input(s) cannot be read"] if self.unreadable else []
            parts += [f"{invalid} of {self.total} plans are not valid"] if invalid else []
            hint = "nothing was sent; fix them" + ("" if self.unreadable else
                                                  ", or pass --skip-invalid to send the valid plans")
            err = ValidationError(issues, hint=hint)
            err.message = "; ".join(parts)
            return err
        if self.status == "dry-run" or self.complete:
            return None
        return BatchIncomplete(f"{self.not_created} of {self.total} plans were not created",
                               hint=f"see the report or `wxplan ledger show {self.ledger}`; {resume}")


class _Stopped(Exception):
    """Ctrl-C arrived while a plan waited to be retried."""


def run_batch(request: BatchRequest, view: View) -> BatchSummary:
    """Validate, send, report; see the module docstring. Never raises for bad plans or failed sends:
    the summary's ``error()`` says how the run ends."""
    with L.exclusive(request.ledger):
        if request.dry_run:  # no credentials needed: nothing is signed
            with _ledger_for(request) as ledger:
                _bind(ledger, request)
                with ledger.hold():
                    return _first_pass(ledger, request, ledger.start_run(request.command, _names(request)),
                                       dry_run=True)
        sender = _Sender(TokenBucket(request.rate), request.concurrency)
        with _client(request, sender) as client, _ledger_for(request) as ledger:  # config errors first
            _bind(ledger, request)
            run = ledger.start_run(request.command, _names(request))
            summary = _first_pass(ledger, request, run, dry_run=False)
            if summary.status == "invalid":
                return summary
            return _second_pass(ledger, request, run, view, sender, client)


def _bind(ledger: L.Ledger, request: BatchRequest) -> None:
    ledger.bind({"mchid": request.layering.mchid, "base_url": str(request.profile.get("base_url")),
                 "profile": request.profile.name})


def _client(request: BatchRequest, sender: _Sender) -> PartnerClient:
    """The signed client, its retries waiting for the rate limit and counted in the ledger."""
    from wxplan_cli.client import RetryPolicy
    from wxplan_cli.session import open_client

    policy = RetryPolicy(attempts=int(request.profile.get("retries")) + 1, sleep=sender.retry_sleep)
    client = open_client(request.profile, warn=request.warn, log=request.log, retry=policy)
    client.on_response(sender.on_response)
    return client


def _names(request: BatchRequest) -> list[str]:
    return [inp.name for inp in request.inputs]


@contextmanager
def _ledger_for(request: BatchRequest) -> Iterator[L.Ledger]:
    """The ledger; for a dry run without one yet, a throw-away one (a dry run never creates it)."""
    if request.dry_run and not request.ledger.exists():
        with tempfile.TemporaryDirectory(prefix="wxplan-dry-run-") as folder:
            with L.open_ledger(Path(folder) / "ledger.sqlite3") as ledger:
                yield ledger
        return
    with L.open_ledger(request.ledger) as ledger:
        yield ledger


def _first_pass(ledger: L.Ledger, request: BatchRequest, run: int, *, dry_run: bool) -> BatchSummary:
    try:
        found = validate_into(ledger, request.inputs, request.layering, run)
    except KeyboardInterrupt:  # while validating: nothing was sent
        if not dry_run:
            ledger.finish_run(run, "interrupted", {})
        raise Interrupted("interrupted while validating: nothing was sent",
                          hint=f"run the same command again: {request.command}") from None
    invalid = bool(found.fatal) or (found.invalid > 0 and not request.skip_invalid)
    status = "invalid" if invalid else "dry-run" if dry_run else "validated"
    summary = _summary(ledger, request, run, status, found)
    if invalid or dry_run:
        _finish(ledger, request, summary, record=not dry_run)
    return summary


def _summary(ledger: L.Ledger, request: BatchRequest, run: int, status: str,
             found: FirstPass | None = None) -> BatchSummary:
    summary = BatchSummary(request.ledger, run, status, command=request.command, report=request.report)
    summary.counts = ledger.counts(run)
    summary.total = sum(summary.counts.values())
    if found is not None and status == "invalid":
        rows = ledger.rows(run, only=(L.INVALID,))
        summary.issues, summary.more_issues = collapse_issues(found.fatal, rows)
        summary.unreadable = len(found.fatal)
        return summary
    shown = (L.INVALID,) if status == "dry-run" else (L.FAILED, L.UNKNOWN, L.INVALID)
    summary.problems = [public_row(row) for row in islice(ledger.rows(run, only=shown), MAX_PROBLEMS_SHOWN)]
    if status == "dry-run":  # what a real run would do: send everything not created yet
        kept = {o: n for o, n in summary.counts.items() if o in (L.SKIPPED, L.DUPLICATE, L.INVALID)}
        summary.counts = {**kept, TO_SEND: summary.total - sum(kept.values())}
    return summary


def _finish(ledger: L.Ledger, request: BatchRequest, summary: BatchSummary, *, record: bool = True) -> None:
    """Write the report; record how the run ended."""
    if request.report is not None:
        write_report(request.report, (public_row(row) for row in ledger.rows(summary.run)))
    if record:
        ledger.finish_run(summary.run, summary.status, summary.counts)


# -- the second pass -----------------------------------------------------------------------------------


def _second_pass(ledger: L.Ledger, request: BatchRequest, run: int, view: View, sender: _Sender,
                 client: PartnerClient) -> BatchSummary:
    started = time.monotonic()
    view.begin(sum(ledger.counts(run).values()), request.ledger)
    try:
        with _interruptible(sender.stop, lambda: view.stopping(sender.in_flight)):
            sender.start(client, ledger, run)
            _feed(ledger, run, sender, view, sender.stop)
    except KeyboardInterrupt:  # the second Ctrl-C: in-flight plans stay "sending" (= unknown)
        _finish(ledger, request, _summary(ledger, request, run, "interrupted"))
        raise Interrupted("interrupted at once: plans in flight are recorded as unknown",
                          hint=f"re-run the same command to resume: {request.command}") from None
    finally:
        view.end()
    interrupted = sender.stop.is_set() and sender.failure is None
    summary = _summary(ledger, request, run, "interrupted" if interrupted else "done")
    summary.sent, summary.send_seconds = sender.sent, time.monotonic() - started
    _finish(ledger, request, summary)
    if sender.failure is not None:
        raise sender.failure
    return summary


def _feed(ledger: L.Ledger, run: int, sender: _Sender, view: View, stop: threading.Event) -> None:
    """Walk the run's plans in order: report invalid and skipped ones, hand the rest to the workers."""
    for row in ledger.rows(run, with_body=True):
        if stop.is_set():
            break
        if row["outcome"] in (L.INVALID, L.SKIPPED):
            view.plan(public_row(row))
        elif row["duplicate_of"] is None and row["body"] is not None:
            sender.submit(_Job(row["seq"], row["source"], row["out_request_no"], row["body"]), view)
        sender.drain(view)
    sender.close(view)
    for dup in ledger.rows(run, duplicates=True):
        view.plan(public_row(dup))


@dataclass(frozen=True)
class _Job:
    seq: int
    source: str
    out_request_no: str
    body: bytes


class _Sender:
    """The worker threads, and the hooks the client calls back (retry waits, responses)."""

    def __init__(self, limiter: TokenBucket, concurrency: int) -> None:
        self.limiter, self.stop = limiter, threading.Event()
        self.ledger: L.Ledger | None = None
        self.run = 0
        self.jobs: queue.Queue[_Job | None] = queue.Queue(maxsize=concurrency * 2)
        self.results: queue.Queue[dict[str, Any]] = queue.Queue()
        self.threads = [threading.Thread(target=self._work, name=f"wxplan-batch-{n}", daemon=True)
                        for n in range(concurrency)]
        self.client: PartnerClient | None = None
        self.local = threading.local()
        self.in_flight = 0
        self.sent = 0
        self.failure: BaseException | None = None
        self._count_lock = threading.Lock()

    # -- main thread -------------------------------------------------------------------------------

    def start(self, client: PartnerClient, ledger: L.Ledger, run: int) -> None:
        """Start the workers, sending with ``client`` and recording in ``ledger`` for run ``run``."""
        self.client, self.ledger, self.run = client, ledger, run
        for thread in self.threads:
            thread.start()

    def submit(self, job: _Job, view: View) -> None:
        """Queue ``job`` (waiting while the queue is full, showing results meanwhile)."""
        while not self.stop.is_set():
            try:
                self.jobs.put(job, timeout=0.05)
                return
            except queue.Full:
                self.drain(view)

    def drain(self, view: View, timeout: float = 0.0) -> None:
        """Show the results that came in."""
        try:
            while True:
                view.plan(self.results.get(timeout=timeout) if timeout else self.results.get_nowait())
                timeout = 0.0
        except queue.Empty:
            return

    def close(self, view: View) -> None:
        """No more jobs: let the workers finish (showing results), then return."""
        for _ in self.threads:
            while any(thread.is_alive() for thread in self.threads):
                try:
                    self.jobs.put(None, timeout=0.05)
                    break
                except queue.Full:
                    self.drain(view)
        while any(thread.is_alive() for thread in self.threads):
            self.drain(view, timeout=0.05)
        self.drain(view)

    # -- workers -----------------------------------------------------------------------------------

    def _work(self) -> None:
        while (job := self.jobs.get()) is not None:
            if self.stop.is_set():
                continue  # not sent: stays pending for the next run
            with self._count_lock:
                self.in_flight += 1
            try:
                row = self._send(job)
            except BaseException as exc:  # noqa: BLE001 - a bug: stop the batch, re-raised by the main thread
                self.failure = exc
                self.stop.set()
                row = None
            finally:
                with self._count_lock:
                    self.in_flight -= 1
            if row is not None:
                self.results.put(row)

    def _send(self, job: _Job) -> dict[str, Any] | None:
        local = self.local
        local.out_request_no, local.attempts, local.request_id = job.out_request_no, 0, None
        if not self.limiter.acquire(self.stop):
            return None
        self._attempt()
        assert self.client is not None and self.ledger is not None
        try:
            result = _created(self.client.create_plan(job.body), local.request_id)
        except _Stopped:
            result = L.Outcome(L.UNKNOWN, error_code="INTERRUPTED", request_id=local.request_id,
                               error_message="stopped (Ctrl-C) while waiting to retry")
        except WxplanError as exc:
            result = _failure(exc, local.request_id)
        self.ledger.record(job.out_request_no, result, self.run)
        with self._count_lock:
            self.sent += 1
        return public_row({"seq": job.seq, "source": job.source, "out_request_no": job.out_request_no,
                           "outcome": result.outcome, "plan_id": result.plan_id, "attempts": local.attempts,
                           "http_status": result.http_status, "error_code": result.error_code,
                           "error_message": result.error_message, "request_id": result.request_id})

    def _attempt(self) -> None:
        """An attempt is about to leave: commit ``sending`` (and count it)."""
        self.local.request_id = None
        assert self.ledger is not None
        self.local.attempts = self.ledger.mark_sending(self.local.out_request_no)

    # -- client hooks (called in the worker's thread) -----------------------------------------------

    def retry_sleep(self, pause: float) -> None:
        """``RetryPolicy.sleep``: the backoff, then a token, then the next attempt is recorded."""
        if self.stop.wait(pause) or not self.limiter.acquire(self.stop):
            raise _Stopped
        self._attempt()

    def on_response(self, response: httpx.Response) -> None:
        """Keep the ``Request-ID`` of the reply being handled."""
        self.local.request_id = response.headers.get("Request-ID")


def _created(plan: dict[str, Any], request_id: str | None) -> L.Outcome:
    plan_id = plan.get("plan_id")
    if not plan_id:
        return L.Outcome(L.UNKNOWN, http_status=200, error_code="NO_PLAN_ID", request_id=request_id,
                         error_message="the reply has no plan_id; check with wxplan list")
    return L.Outcome(L.CREATED, plan_id=str(plan_id), http_status=200, request_id=request_id)


def _failure(exc: WxplanError, request_id: str | None) -> L.Outcome:
    """A send's exception as the outcome the ledger records (see the README's error codes)."""
    if isinstance(exc, ApiError):
        info = exc.info
        message = info.message or ""
        if exc.field:
            message = f"{message} (field {exc.field})"
        return L.Outcome(L.FAILED, http_status=info.status, error_code=info.code or f"HTTP_{info.status}",
                         error_message=redact_text(message), request_id=info.request_id or request_id)
    if isinstance(exc, SignatureError):
        return L.Outcome(L.UNKNOWN, http_status=200, error_code="BAD_SIGNATURE",
                         error_message=redact_text(exc.message), request_id=exc.request_id or request_id)
    code = "NO_REPLY" if isinstance(exc, UnknownOutcomeError) else "UNREACHABLE"
    outcome = L.UNKNOWN if isinstance(exc, UnknownOutcomeError) else L.FAILED
    return L.Outcome(outcome, error_code=code, error_message=redact_text(exc.message), request_id=request_id)


@contextmanager
def _interruptible(stop: threading.Event, on_first: Callable[[], None]) -> Iterator[None]:
    """First Ctrl-C sets ``stop``; a second one raises KeyboardInterrupt (main thread only; a process
    started with SIGINT ignored, as background jobs of scripts are, keeps ignoring it)."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is signal.SIG_IGN):
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        on_first()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
