"""The update-plan request (更新投放计划, spec §2.3): what changes, the rules, the one serialisation.

    requested_values(source, flags)            the values asked for (flags win over the file) + issues
    build_update(plan, requested, mchid=...)   -> Update, or ValidationError naming every broken rule

Only fields whose value differs from the current plan go into ``modify_content`` ("修改哪个字段就填入
哪个字段"); a field asked for with its current value is reported as unchanged and not sent. Refused
locally, before anything is sent (spec §9.1 item 8):

* counts (``total_count``, ``user_limit``, ``daily_limit``) that do not grow ("must be greater");
* ``user_limit`` / ``daily_limit`` when the plan was created without them (they cannot be added);
* a ``delivery_end_time`` that is not later than the current one (extend only);
* any change of ``delivery_start_time`` or of a field the update request does not have (ids, mode);
* a plan that is terminated, being terminated or expired;
* and every single-field rule of create (length, characters, placeholders).

A plan file may be a create file edited in place: fields equal to the current plan are ignored, and its
``out_request_no`` (the create request's) is not used.

``out_request_no`` is derived, like create's, from the merchant, the plan id, ``modify_content`` and
the values being replaced (``wxu-`` + 32 hex digits): re-running the same command sends the same number,
so an update whose reply was lost is never applied twice, while changing a field back to an earlier
value (A -> B -> A) gets a new number rather than a replay of the first request.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from wxplan_cli.errors import Issue, ValidationError
from wxplan_cli.plan_fields import FIELD_BY_NAME, FIELD_NAMES, TERMINAL_PLAN_STATES, FieldSpec
from wxplan_cli.plan_rules import Given, check_field
from wxplan_cli.timeparse import TimeError, format_rfc3339, parse_time

if TYPE_CHECKING:
    from wxplan_cli.plan import PlanSource

#: the members of ``modify_content``, in the API's order
UPDATABLE: tuple[str, ...] = ("plan_name", "delivery_end_time", "total_count", "user_limit",
                              "daily_limit", "recommend_word")
INCREASE_ONLY = frozenset({"total_count", "user_limit", "daily_limit"})
SET_AT_CREATION_ONLY = frozenset({"user_limit", "daily_limit"})
#: what a plan without these members has (so an edited create file saying so is not a change)
_ABSENT_MEANS = {"reuse_coupon_config": False, "usage_mode": "SINGLE"}
_DERIVATION_TAG = "wxplan/update-plan/v1"  # changing the derivation must change this tag
_NOT_UPDATABLE_HINT = f"an update can change only {', '.join(UPDATABLE)}"


@dataclass(frozen=True)
class Change:
    """One field that changes: its current value (None when unset) and the value sent."""

    field: str
    before: object
    after: str | int


@dataclass(frozen=True)
class Update:
    """A valid update request for one plan."""

    plan_id: str
    changes: tuple[Change, ...]
    out_request_no: str
    out_request_no_derived: bool
    unchanged: tuple[str, ...] = ()

    def modify_content(self) -> dict[str, str | int]:
        """Only the fields that change."""
        return {change.field: change.after for change in self.changes}

    def payload(self) -> dict[str, Any]:
        """``{"modify_content": {...}, "out_request_no": ...}``."""
        return {"modify_content": self.modify_content(), "out_request_no": self.out_request_no}

    def body(self) -> bytes:
        """The exact bytes to sign and send (compact UTF-8 JSON)."""
        return json.dumps(self.payload(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def applied_in(self, plan: Mapping[str, Any]) -> bool:
        """True when ``plan`` shows every change (a replayed older request would not)."""
        return all(_same(change.field, plan.get(change.field), change.after) for change in self.changes)


# -- what was asked for ------------------------------------------------------------------------------


def requested_values(source: PlanSource | None,
                     flags: Mapping[str, object]) -> tuple[dict[str, Given], list[Issue]]:
    """The values asked for, typed (str, int, aware datetime), flags over file; plus unusable ones."""
    values: dict[str, Given] = {}
    issues: list[Issue] = []
    if source is not None:
        values, issues = _from_file(source)
    for name, raw in flags.items():
        if raw is None:
            continue
        spec = FIELD_BY_NAME[name]
        try:
            values[name] = Given(_typed_flag(spec, raw), spec.flags[0])
        except TimeError as exc:
            issues.append(Issue(name, exc.message, spec.flags[0], exc.hint))
    return values, issues


def _typed_flag(spec: FieldSpec, raw: object) -> object:
    return parse_time(raw) if spec.kind == "time" else raw


def _from_file(source: PlanSource) -> tuple[dict[str, Given], list[Issue]]:
    from wxplan_cli.yamlsrc import YamlSourceError

    doc = source.doc
    if not isinstance(doc.data, Mapping):
        return {}, [Issue("file", "must be a mapping of field: value", doc.filename)]
    values: dict[str, Given] = {}
    issues: list[Issue] = []
    for key in doc.data:
        spec = FIELD_BY_NAME.get(str(key))
        where = doc.where(key)
        if key == "out_request_no":
            continue  # a create file's number; the update's is derived or given with --out-request-no
        if spec is None:
            issues.append(Issue(str(key), "unknown key", where, _did_you_mean(str(key))))
            continue
        try:
            raw = doc.typed(key, expect=spec.kind)
            values[spec.name] = Given(parse_time(raw) if spec.kind == "time" else raw, where)
        except YamlSourceError as exc:
            issues.append(Issue(spec.name, exc.message, where, exc.hint))
        except TimeError as exc:
            issues.append(Issue(spec.name, exc.message, where, exc.hint))
    return values, issues


def _did_you_mean(key: str) -> str:
    close = difflib.get_close_matches(key.strip().lower(), FIELD_NAMES, n=1, cutoff=0.6)
    return f"did you mean {close[0]}?" if close else _NOT_UPDATABLE_HINT


# -- the rules ---------------------------------------------------------------------------------------


def build_update(plan: Mapping[str, Any], requested: Mapping[str, Given], *, mchid: str,
                 out_request_no: str | None = None, issues: list[Issue] | None = None) -> Update:
    """The update of ``plan`` to ``requested``, or ValidationError listing every rule broken.

    ``issues`` are problems found earlier (unusable values); they are reported together with these.
    """
    plan_id = str(plan.get("plan_id", ""))
    found = list(issues or [])
    found += _state_issues(plan)
    if out_request_no is not None:
        found += check_field(FIELD_BY_NAME["out_request_no"], Given(out_request_no, "--out-request-no"))
    changes: list[Change] = []
    unchanged: list[str] = []
    for name in FIELD_NAMES:
        if name not in requested or name == "out_request_no":
            continue
        given = requested[name]
        problems = check_field(FIELD_BY_NAME[name], given)
        before, after = plan.get(name, _ABSENT_MEANS.get(name)), _wire(given.value)
        if not problems and _same(name, before, after):
            unchanged.append(name)
            continue
        found += problems or _rule_issues(name, before, after, given.source)
        changes.append(Change(name, before, after))
    if found:
        err = ValidationError(found, hint="nothing was sent")
        err.message = f"the update is refused ({len(found)} problem(s))"
        raise err
    ordered = tuple(sorted(changes, key=lambda c: UPDATABLE.index(c.field)))
    number = out_request_no or derive_update_request_no(plan_id, ordered, mchid)
    return Update(plan_id, ordered, number, out_request_no is None, tuple(unchanged))


def _state_issues(plan: Mapping[str, Any]) -> list[Issue]:
    state = str(plan.get("plan_state", ""))
    if state in TERMINAL_PLAN_STATES or state == "PLAN_TERMINATING":
        return [Issue("plan_state", f"the plan is {state}: a terminated, terminating or expired plan "
                      "cannot be updated", None, "create a new plan instead")]
    return []


def _rule_issues(name: str, before: object, after: str | int, source: str | None) -> list[Issue]:
    if name == "delivery_start_time":
        return [Issue(name, f"cannot be changed (it is {before}); the update request has no start time",
                      source, "to start at another time, create a new plan")]
    if name not in UPDATABLE:
        shown = "unset" if before is None else before
        return [Issue(name, f"cannot be changed after creation (it is {shown})", source,
                      _NOT_UPDATABLE_HINT)]
    if name in INCREASE_ONLY:
        return _count_issues(name, before, after, source)
    if name == "delivery_end_time" and before is not None:
        return _end_issues(before, after, source)
    return []


def _count_issues(name: str, before: object, after: str | int, source: str | None) -> list[Issue]:
    if before is None:
        if name in SET_AT_CREATION_ONLY:
            return [Issue(name, "was not set when the plan was created, so it cannot be added later",
                          source, "a plan created without this limit keeps having none")]
        return []
    if isinstance(before, int) and isinstance(after, int) and after <= before:
        return [Issue(name, f"can only be increased: must be greater than the current {before}, "
                      f"not {after}", source, "an update may raise a count, never lower it")]
    return []


def _end_issues(before: object, after: str | int, source: str | None) -> list[Issue]:
    current, wanted = _as_time(before), _as_time(after)
    if current is not None and wanted is not None and wanted <= current:
        return [Issue("delivery_end_time", f"can only move later than the current {before}, "
                      f"not {after}", source, "to end a plan early, terminate it")]
    return []


def _wire(value: object) -> str | int:
    if isinstance(value, datetime):
        return format_rfc3339(value)
    assert isinstance(value, (str, int)), value  # bool is an int
    return value


def _as_time(value: object) -> datetime | None:
    try:
        return parse_time(value)
    except TimeError:
        return None


def _same(name: str, before: object, after: object) -> bool:
    """Whether the current value ``before`` already equals ``after`` (times compared as instants)."""
    if before is None:
        return False
    if FIELD_BY_NAME[name].kind == "time":
        left, right = _as_time(before), _as_time(after)
        return left is not None and left == right
    if isinstance(after, bool) or isinstance(before, bool):
        return before is after
    if isinstance(after, int):
        return isinstance(before, int) and before == after
    return str(before) == str(after)


def derive_update_request_no(plan_id: str, changes: tuple[Change, ...], mchid: str) -> str:
    """``wxu-`` + 32 hex digits of SHA-256 over the merchant, plan id, new values and replaced values."""
    content = {c.field: c.after for c in changes}
    before = {c.field: c.before for c in changes}
    text = json.dumps([_DERIVATION_TAG, mchid, plan_id, content, before], sort_keys=True,
                      ensure_ascii=False, separators=(",", ":"), default=str)
    return "wxu-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
