"""Plan lifecycle, derived lazily from timestamps: no background threads, any clock.

A plan keeps the moment it was created, each submitted version of its content (creation, then every
update) with the moment it was submitted, and the moment it was terminated. Its states at time ``now``:

- ``plan_state``: ``PLAN_CREATING`` for ``creating_delay`` seconds; then ``PLAN_CREATED`` until some version
  has passed audit; then ``PLAN_DELIVERING`` (the sandbox does not wait for ``delivery_start_time``) until
  ``delivery_end_time`` passes (``PLAN_EXPIRED``). Terminate: ``PLAN_TERMINATING`` for ``terminating_delay``
  seconds, then ``PLAN_TERMINATED``. ``PLAN_PAUSED`` is never produced (the sandbox's batches never run out).
- ``audit_state`` of the newest version: ``AUDIT_INITIAL`` while the plan is being created,
  ``AUDIT_PROCESSING`` for ``audit_delay`` seconds (after creation, or after each update), then
  ``AUDIT_PASSED`` - or ``AUDIT_REJECTED`` when that version's ``plan_name`` contains ``REJECT`` (any case).
- A rejected update leaves the plan delivering with its last approved content (FAQ), which the plan then
  shows again. An update sent while an earlier one is still under audit supersedes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wxplan_cli.sandbox.fields import parse_time

PLAN_STATES = ("PLAN_CREATING", "PLAN_CREATED", "PLAN_DELIVERING", "PLAN_PAUSED", "PLAN_TERMINATING",
               "PLAN_TERMINATED", "PLAN_EXPIRED")
AUDIT_STATES = ("AUDIT_INITIAL", "AUDIT_PROCESSING", "AUDIT_PASSED", "AUDIT_REJECTED")
REJECT_MARKER = "REJECT"
_PLAN_KEYS = ("plan_id", "plan_name", "plan_state", "audit_state", "brand_id", "product_coupon_id",
              "stock_id", "stock_bundle_id", "usage_mode", "reuse_coupon_config", "total_count",
              "user_limit", "daily_limit", "delivery_start_time", "delivery_end_time", "recommend_word")


@dataclass(frozen=True)
class Delays:
    """Seconds each transitional state lasts."""

    creating: float = 1.0
    audit: float = 3.0
    terminating: float = 1.0


@dataclass(frozen=True)
class Version:
    """One submitted content of a plan (the creation or an update) and when it was submitted."""

    content: dict[str, Any]
    at: float


@dataclass
class PlanRecord:
    """A stored plan: who owns it, its versions and its timestamps."""

    plan_id: str
    mchid: str
    brand_id: str
    created_at: float
    versions: list[Version] = field(default_factory=list)
    terminated_at: float | None = None


@dataclass(frozen=True)
class PlanView:
    """A plan as seen at one moment."""

    plan_id: str
    content: dict[str, Any]
    plan_state: str
    audit_state: str

    def to_api(self) -> dict[str, Any]:
        """The plan object of the API (spec §2.1), plus ``audit_state``.

        The official plan table has no ``audit_state``, but list filters by it and clients must ignore
        unknown keys (spec §1), so the sandbox includes it. Absent optional members are omitted, never null.
        """
        merged = {**self.content, "plan_id": self.plan_id, "plan_state": self.plan_state,
                  "audit_state": self.audit_state}
        return {key: merged[key] for key in _PLAN_KEYS if key in merged}


def derive(record: PlanRecord, now: float, delays: Delays) -> PlanView:
    """The plan's content and states at ``now``."""
    shown, live, audit = _audit(record, now, delays)
    return PlanView(record.plan_id, shown, _plan_state(record, shown, live, now, delays), audit)


def rejected(content: dict[str, Any]) -> bool:
    """The sandbox's audit rule: names containing ``REJECT`` are refused."""
    return REJECT_MARKER in str(content.get("plan_name", "")).upper()


def _audit(record: PlanRecord, now: float, delays: Delays) -> tuple[dict[str, Any], bool, str]:
    """(content shown, whether some version passed audit, audit state of the newest version)."""
    versions = record.versions
    last = len(versions) - 1
    approved: dict[str, Any] | None = None
    audit = "AUDIT_PROCESSING"
    for index, version in enumerate(versions):
        ends = version.at + delays.audit + (delays.creating if index == 0 else 0.0)
        if index < last and versions[index + 1].at < ends:
            continue  # superseded before its audit finished
        if now < ends:
            initial = index == 0 and now < record.created_at + delays.creating
            audit = "AUDIT_INITIAL" if initial else "AUDIT_PROCESSING"
        elif rejected(version.content):
            audit = "AUDIT_REJECTED"
        else:
            approved, audit = version.content, "AUDIT_PASSED"
    shown = versions[last].content
    if audit == "AUDIT_REJECTED" and approved is not None:
        shown = approved
    return shown, approved is not None, audit


def _plan_state(record: PlanRecord, shown: dict[str, Any], live: bool, now: float,
                delays: Delays) -> str:
    if record.terminated_at is not None:
        done = now >= record.terminated_at + delays.terminating
        return "PLAN_TERMINATED" if done else "PLAN_TERMINATING"
    if now < record.created_at + delays.creating:
        return "PLAN_CREATING"
    if not live:
        return "PLAN_CREATED"
    if now >= parse_time(shown["delivery_end_time"], "/delivery_end_time").timestamp():
        return "PLAN_EXPIRED"
    return "PLAN_DELIVERING"
