"""Waiting for a plan to settle: poll the list endpoint with backoff until nothing is in flight.

A plan is *settled* when its ``plan_state`` is not transitional (``PLAN_CREATING``, ``PLAN_TERMINATING``)
and its audit is decided (``AUDIT_PASSED`` or ``AUDIT_REJECTED``). A terminated or expired plan is
settled whatever its audit says (nothing will change any more), and so is a plan object without
``audit_state`` (the official plan table does not list it, so a server may never send it).

    wait_for_plan(client, brand_id, plan_id, timeout=...)   the settled plan, or WaitTimeoutError
    check_audit(plan)                                       AuditRejectedError for AUDIT_REJECTED

Clock and sleep are injectable, so tests wait no real time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wxplan_cli.errors import AuditRejectedError, WaitTimeoutError
from wxplan_cli.plan_fields import (
    AUDIT_STATES,
    PLAN_STATES,
    TERMINAL_PLAN_STATES,
    TRANSITIONAL_PLAN_STATES,
)
from wxplan_cli.plan_query import fetch_plan

if TYPE_CHECKING:
    from wxplan_cli.client import PartnerClient

SETTLED_AUDIT_STATES = frozenset({"AUDIT_PASSED", "AUDIT_REJECTED"})
DEFAULT_TIMEOUT = 300.0

Tick = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Backoff:
    """Pause between polls: ``first`` seconds, growing by ``factor`` up to ``cap``."""

    first: float = 0.5
    factor: float = 1.6
    cap: float = 5.0

    def pauses(self) -> Callable[[], float]:
        """A function returning the next pause each time it is called."""
        state = {"next": self.first}

        def step() -> float:
            pause = state["next"]
            state["next"] = min(pause * self.factor, self.cap)
            return pause

        return step


def settled(plan: dict[str, Any]) -> bool:
    """True when nothing about ``plan`` is still in progress (see the module docstring)."""
    state = str(plan.get("plan_state", ""))
    if state in TERMINAL_PLAN_STATES:
        return True
    if state in TRANSITIONAL_PLAN_STATES:
        return False
    audit = plan.get("audit_state")
    return audit is None or str(audit) in SETTLED_AUDIT_STATES


def describe(plan: dict[str, Any]) -> str:
    """``PLAN_CREATED 创建成功, audit AUDIT_PROCESSING 审批中``."""
    state = str(plan.get("plan_state", "?"))
    text = f"{state} {PLAN_STATES.get(state, '')}".strip()
    audit = plan.get("audit_state")
    if audit is not None:
        text += f", audit {audit} {AUDIT_STATES.get(str(audit), '')}".rstrip()
    return text


def wait_for_plan(client: PartnerClient, brand_id: str, plan_id: str, *, timeout: float = DEFAULT_TIMEOUT,
                  sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                  on_tick: Tick | None = None, backoff: Backoff | None = None) -> dict[str, Any]:
    """Poll until the plan is settled and return it; ``WaitTimeoutError`` (exit 10) after ``timeout`` s.

    The plan is read at least once, even with ``timeout`` 0. ``on_tick`` sees every plan read.
    """
    deadline = clock() + timeout
    pause = (backoff or Backoff()).pauses()
    while True:
        plan = fetch_plan(client, brand_id, plan_id)
        if on_tick is not None:
            on_tick(plan)
        if settled(plan):
            return plan
        remaining = deadline - clock()
        if remaining <= 0:
            raise WaitTimeoutError(
                f"plan {plan_id} is still {describe(plan)} after {timeout:g} s",
                hint=f"wait longer with --timeout, or check later: wxplan show {plan_id} --wait",
                plan=plan)
        sleep(min(pause(), remaining))


def check_audit(plan: dict[str, Any]) -> None:
    """Raise ``AuditRejectedError`` (exit 9) when the plan's audit rejected it."""
    if plan.get("audit_state") != "AUDIT_REJECTED":
        return
    plan_id = plan.get("plan_id", "?")
    raise AuditRejectedError(
        f"the audit rejected plan {plan_id} (AUDIT_REJECTED 审批拒绝)",
        hint="a rejected update leaves the plan delivering with its previous content; a rejected new "
             "plan does not deliver. Change what the review objected to (often plan_name or "
             "recommend_word) and submit again")
