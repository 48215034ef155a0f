"""The endpoints: create, list, update, terminate, notify URL and certificates (spec §2, §7.2).

``out_request_no`` idempotency (undocumented upstream; the sandbox's choice, spec §8.4): numbers are
scoped per ``mchid`` and shared by creates and updates. A number seen before with the same *parsed*
content (compared canonically, so serialisation differences do not matter) replays: the same plan comes
back in its current state, and nothing is applied twice. With different content it is a 400
``INVALID_REQUEST``. Refused requests do not use up their number. The check and the write happen in one
``BEGIN IMMEDIATE`` transaction, so simultaneous identical creates make exactly one plan.

Terminating a plan that is already terminating or terminated answers 204 again (so a client that lost
the reply can repeat it); an expired plan cannot be terminated or updated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wxplan_cli.sandbox.certificates import certificates_payload
from wxplan_cli.sandbox.fields import check_id
from wxplan_cli.sandbox.identity import SandboxIdentity
from wxplan_cli.sandbox.jsonbody import fingerprint, parse_object
from wxplan_cli.sandbox.lifecycle import (
    AUDIT_STATES,
    PLAN_STATES,
    Delays,
    PlanRecord,
    PlanView,
    Version,
    derive,
)
from wxplan_cli.sandbox.problems import ApiProblem, invalid_request, not_found, param_error
from wxplan_cli.sandbox.rules import apply_update, validate_create, validate_notify, validate_update
from wxplan_cli.sandbox.store import Store, Transaction

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 50
FILTERS = ("plan_state", "audit_state", "plan_id")
CLOSED = ("PLAN_TERMINATING", "PLAN_TERMINATED", "PLAN_EXPIRED")


@dataclass(frozen=True)
class Call:
    """One authenticated request, as the endpoints see it."""

    mchid: str
    now: float
    params: dict[str, str]
    query: dict[str, str]
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """A successful answer: status and JSON payload (``None`` for an empty body)."""

    status: int
    payload: dict[str, Any] | None


class Endpoints:
    """The delivery-plan endpoints over a store."""

    def __init__(self, identity: SandboxIdentity, store: Store, delays: Delays) -> None:
        self.identity = identity
        self.store = store
        self.delays = delays

    def dispatch(self, endpoint: str, call: Call) -> Reply:
        """Run ``endpoint`` (a name from ``routes``)."""
        handler = {"create": self.create, "list": self.list, "update": self.update,
                   "terminate": self.terminate, "notify_url": self.notify_url,
                   "certificates": self.certificates}[endpoint]
        return handler(call)

    def create(self, call: Call) -> Reply:
        """A: create a plan, idempotent on ``out_request_no``."""
        body = _json_body(call)
        out_request_no, content = validate_create(body)
        digest = fingerprint("create", "", body)
        with self.store.transaction() as tx:
            plan_id = _replay(tx, call.mchid, out_request_no, digest)
            if plan_id is None:
                plan_id = tx.new_plan_id()
                tx.insert_plan(PlanRecord(plan_id, call.mchid, content["brand_id"], call.now,
                                          [Version(content, call.now)]))
                tx.add_request(call.mchid, out_request_no, digest, plan_id, "create")
            view = self._view(tx, call, plan_id)
        return Reply(200, {"plan": view.to_api()})

    def list(self, call: Call) -> Reply:
        """B: one page of a brand's plans, filtered by state, audit state or id."""
        brand_id = call.params["brand_id"]
        check_id(brand_id, "brand_id", location="path")
        offset = _int_param(call.query, "offset", 0, 0, 10**9)
        page_size = _int_param(call.query, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        wanted = {k: v for k, v in call.query.items() if k in FILTERS}
        _check_enum(wanted, "plan_state", PLAN_STATES)
        _check_enum(wanted, "audit_state", AUDIT_STATES)
        with self.store.transaction(write=False) as tx:
            records = tx.list_plans(call.mchid, brand_id)
        plans = [derive(record, call.now, self.delays).to_api() for record in records]
        chosen = [plan for plan in plans if all(plan.get(k) == value for k, value in wanted.items())]
        return Reply(200, {"total_count": len(chosen), "plan_list": chosen[offset:offset + page_size]})

    def update(self, call: Call) -> Reply:
        """C: change a plan (increase-only counts, extend-only end), idempotent on ``out_request_no``."""
        plan_id = call.params["plan_id"]
        body = _json_body(call)
        out_request_no, changes = validate_update(body)
        digest = fingerprint("update", plan_id, body)
        with self.store.transaction() as tx:
            record = self._record(tx, call, plan_id)
            if _replay(tx, call.mchid, out_request_no, digest) is None:
                view = derive(record, call.now, self.delays)
                if view.plan_state in CLOSED:
                    raise invalid_request(None, f"plan {plan_id} is {view.plan_state} and cannot be updated")
                record.versions.append(Version(apply_update(view.content, changes), call.now))
                tx.save_plan(record)
                tx.add_request(call.mchid, out_request_no, digest, plan_id, "update")
            view = self._view(tx, call, plan_id)
        return Reply(200, {"plan": view.to_api()})

    def terminate(self, call: Call) -> Reply:
        """D: terminate a plan; 204 with an empty body, also when it is already terminated."""
        plan_id = call.params["plan_id"]
        with self.store.transaction() as tx:
            record = self._record(tx, call, plan_id)
            if record.terminated_at is None:
                if derive(record, call.now, self.delays).plan_state == "PLAN_EXPIRED":
                    raise invalid_request(None, f"plan {plan_id} has expired and cannot be terminated")
                record.terminated_at = call.now
                tx.save_plan(record)
        return Reply(204, None)

    def notify_url(self, call: Call) -> Reply:
        """E: set the service provider's notify URL (the sandbox stores it but sends no callbacks)."""
        if call.params["sp_mchid"] != call.mchid:
            raise ApiProblem(403, "NO_AUTH", "sp_mchid in the path is not the requesting merchant",
                             field="sp_mchid", location="path")
        url = validate_notify(_json_body(call))
        with self.store.transaction() as tx:
            tx.set_notify_url(call.mchid, url)
        return Reply(200, {"notify_url": url})

    def certificates(self, call: Call) -> Reply:
        """``GET /v3/certificates``: the platform certificate, encrypted with the APIv3 key."""
        return Reply(200, certificates_payload(self.identity))

    def _record(self, tx: Transaction, call: Call, plan_id: str) -> PlanRecord:
        record = tx.get_plan(call.mchid, plan_id)
        if record is None:
            raise not_found("plan_id", f"plan {plan_id[:40]!r} does not exist")
        return record

    def _view(self, tx: Transaction, call: Call, plan_id: str) -> PlanView:
        return derive(self._record(tx, call, plan_id), call.now, self.delays)


def _replay(tx: Transaction, mchid: str, out_request_no: str, digest: str) -> str | None:
    """The plan of an earlier identical request with this number; 400 if the content differs."""
    seen = tx.find_request(mchid, out_request_no)
    if seen is None:
        return None
    earlier, plan_id, kind = seen
    if earlier != digest:
        raise invalid_request("/out_request_no", f"out_request_no {out_request_no} was already used by a "
                              f"{kind} request with different content (plan {plan_id}); a new request "
                              "needs a new out_request_no")
    return plan_id


def _json_body(call: Call) -> dict[str, Any]:
    content_type = call.headers.get("content-type", "")
    if call.body.strip() and content_type.split(";")[0].strip().lower() != "application/json":
        raise param_error("Content-Type", "a JSON body needs Content-Type: application/json",
                          location="header", value=content_type)
    return parse_object(call.body)


def _int_param(query: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    text = query.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 10) or not low <= int(text) <= high:
        raise param_error(name, f"must be an integer from {low} to {high}", location="query", value=text)
    return int(text)


def _check_enum(wanted: dict[str, str], name: str, allowed: tuple[str, ...]) -> None:
    if name in wanted and wanted[name] not in allowed:
        raise param_error(name, f"must be one of {', '.join(allowed)}", location="query", value=wanted[name])

