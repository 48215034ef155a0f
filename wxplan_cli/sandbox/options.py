"""``SandboxOptions``: lifecycle delays, the request time window and fault-injection rates."""

from __future__ import annotations

from dataclasses import dataclass, fields

from wxplan_cli.sandbox.lifecycle import Delays

RATE_NAMES = ("rate_429", "rate_500", "rate_503", "rate_slow", "rate_drop", "rate_bad_signature",
              "rate_signtest", "rate_stale")


@dataclass(frozen=True)
class SandboxOptions:
    """How the sandbox behaves.

    Delays are in seconds (see ``lifecycle``). Each ``rate_*`` is the probability (0..1) that a request
    suffers that fault (see ``faults``); ``seed`` makes the draws reproducible. ``time_window`` is how far
    (seconds, either way) a request timestamp may be from the sandbox clock.
    """

    creating_delay: float = 1.0
    audit_delay: float = 3.0
    terminating_delay: float = 1.0
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_503: float = 0.0
    rate_slow: float = 0.0
    slow_seconds: float = 3.0
    rate_drop: float = 0.0
    rate_bad_signature: float = 0.0
    rate_signtest: float = 0.0
    rate_stale: float = 0.0
    seed: int | None = None
    time_window: int = 300

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name.startswith("rate_") and not 0.0 <= value <= 1.0:
                raise ValueError(f"{item.name} must be between 0 and 1, not {value}")
            if item.name.endswith(("_delay", "_seconds")) and value < 0:
                raise ValueError(f"{item.name} must not be negative")

    @property
    def delays(self) -> Delays:
        """The lifecycle delays."""
        return Delays(self.creating_delay, self.audit_delay, self.terminating_delay)

    @property
    def faulty(self) -> bool:
        """Whether any fault rate is set."""
        return any(getattr(self, name) > 0 for name in RATE_NAMES)
