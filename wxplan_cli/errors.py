"""Exception hierarchy and exit codes. A leaf module: it imports nothing else from the package.

    WxplanError                      exit code carried by the instance, optional hint
    ├── UsageError                   2  bad flags or arguments
    ├── ConfigError                  3  config file, profile or credentials unusable
    ├── ValidationError              4  the plan breaks a documented rule (all issues at once)
    ├── ApiError                     5  the API refused the request (4xx); 6 for 5xx / 429 after retries
    ├── NotFoundError                5  the plan asked for does not exist
    ├── TransportError               6  could not reach the server (nothing was applied)
    ├── UnknownOutcomeError          7  the request may have been applied; re-run the same command
    ├── SignatureError               8  a 2xx response failed verification
    ├── AuditRejectedError           9  --wait saw the plan's audit end in AUDIT_REJECTED
    ├── WaitTimeoutError            10  --wait gave up before the plan settled
    ├── ChecksFailed               3/4  a report found problems (doctor 3, lint 4); the report is on stdout
    ├── BatchIncomplete             11  a batch ended with plans not created (failed, unknown, invalid)
    └── Interrupted                  130
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    """Documented process exit codes (README, "Exit codes")."""

    OK = 0
    FAILURE = 1
    USAGE = 2
    CONFIG = 3
    VALIDATION = 4
    API_REJECTED = 5
    SERVER_ERROR = 6
    UNKNOWN_OUTCOME = 7
    BAD_SIGNATURE = 8
    AUDIT_REJECTED = 9
    WAIT_TIMEOUT = 10
    BATCH_INCOMPLETE = 11
    INTERRUPTED = 130


class WxplanError(Exception):
    """Root of every error wxplan reports to a user."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape of this error (``-o json`` writes it to stderr)."""
        out: dict[str, Any] = {"error": type(self).__name__, "exit_code": int(self.exit_code),
                               "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        return out


class UsageError(WxplanError):
    """Wrong flags or arguments."""

    exit_code = ExitCode.USAGE


class ConfigError(WxplanError):
    """Config file, profile, key or certificate problem."""

    exit_code = ExitCode.CONFIG


@dataclass(frozen=True)
class Issue:
    """One validation problem: which field, what is wrong, and where it came from."""

    field: str
    message: str
    source: str | None = None  # "plan.yaml:7" when the value came from a file
    hint: str | None = None

    def render(self) -> str:
        """One line for people: ``plan.yaml:7: total_count: must be ... (hint)``."""
        where = f"{self.source}: " if self.source else ""
        tail = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.field}: {self.message}{tail}"


class ValidationError(WxplanError):
    """The plan breaks one or more rules; carries every issue found."""

    exit_code = ExitCode.VALIDATION

    def __init__(self, issues: list[Issue], *, hint: str | None = None) -> None:
        count = len(issues)
        head = "1 problem" if count == 1 else f"{count} problems"
        super().__init__(f"the plan is not valid ({head})", hint=hint)
        self.issues = issues

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["issues"] = [
            {k: v for k, v in vars(i).items() if v is not None} for i in self.issues
        ]
        return out


@dataclass
class ApiErrorInfo:
    """What a non-2xx response said (all members optional, the body is unauthenticated)."""

    status: int
    code: str | None = None
    message: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None


class ApiError(WxplanError):
    """WeChat Pay answered with a non-2xx status."""

    def __init__(self, info: ApiErrorInfo, *, hint: str | None = None) -> None:
        text = info.message or "(no message)"
        super().__init__(f"HTTP {info.status} {info.code or ''}: {text}".replace("  ", " "), hint=hint)
        self.info = info

    @property
    def exit_code(self) -> ExitCode:  # type: ignore[override]
        """4xx is a refusal (5); 429 and 5xx mean the server could not take it (6)."""
        if self.info.status == 429 or self.info.status >= 500:
            return ExitCode.SERVER_ERROR
        return ExitCode.API_REJECTED

    @property
    def field(self) -> str | None:
        """The offending field from ``detail.field``, when the server named one."""
        value = self.info.detail.get("field") if isinstance(self.info.detail, dict) else None
        return str(value) if value else None

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.update({"status": self.info.status, "code": self.info.code,
                    "api_message": self.info.message, "detail": self.info.detail or None,
                    "request_id": self.info.request_id})
        return {k: v for k, v in out.items() if v is not None}


class NotFoundError(WxplanError):
    """The API answered, but the plan asked for does not exist (a refusal: exit 5)."""

    exit_code = ExitCode.API_REJECTED


class TransportError(WxplanError):
    """The server could not be reached; nothing was applied."""

    exit_code = ExitCode.SERVER_ERROR


class UnknownOutcomeError(WxplanError):
    """The request was sent but no trustworthy answer came back: it may have been applied."""

    exit_code = ExitCode.UNKNOWN_OUTCOME


class SignatureError(WxplanError):
    """A response (2xx) failed signature verification."""

    exit_code = ExitCode.BAD_SIGNATURE

    def __init__(self, message: str, *, hint: str | None = None,
                 request_id: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.request_id = request_id

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.request_id:
            out["request_id"] = self.request_id
        return out


class AuditRejectedError(WxplanError):
    """The plan's audit ended in ``AUDIT_REJECTED`` (seen by ``--wait``)."""

    exit_code = ExitCode.AUDIT_REJECTED


class WaitTimeoutError(WxplanError):
    """``--wait`` gave up; ``plan`` is the last state seen."""

    exit_code = ExitCode.WAIT_TIMEOUT

    def __init__(self, message: str, *, hint: str | None = None,
                 plan: dict[str, Any] | None = None) -> None:
        super().__init__(message, hint=hint)
        self.plan = plan or {}


class ChecksFailed(WxplanError):
    """A report (``doctor``, ``lint``) found problems; the report itself went to stdout."""

    def __init__(self, message: str, *, exit_code: ExitCode, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.exit_code = exit_code


class BatchIncomplete(WxplanError):
    """A batch finished, but some of its plans were not created (failed, unknown or skipped as
    invalid); the ledger knows which, and re-running the same command retries them."""

    exit_code = ExitCode.BATCH_INCOMPLETE


class Interrupted(WxplanError):
    """Ctrl-C."""

    exit_code = ExitCode.INTERRUPTED
