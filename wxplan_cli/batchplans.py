"""The first pass of a batch: every plan read, layered, validated and recorded in the ledger.

Per field, a batch plan takes the first of: the plan's own value, a command-line field flag, its file's
``defaults:`` section, the profile's plan defaults (``brand_id``). (A single plan file keeps create's
rule, where flags override the file.) Each plan goes through the one plan model,
:func:`wxplan_cli.plan.build_plan`, so it is checked exactly as ``wxplan create --from plan.yaml`` checks a
file, with issues pointing at ``file:line`` (the plan's own line for a missing field, the ``defaults:``
line or the flag for a value that came from there).

Nothing but counters is kept in memory: each valid plan's exact body goes into the ledger (``plans``),
each input plan's position and problems into ``inputs``. An ``out_request_no`` seen twice in the input
with different content, or already in the ledger for different content, makes the later plan invalid
(a number whose earlier request was never sent, or was refused outright, is free to reuse).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import BinaryIO

from wxplan_cli.errors import Issue, ValidationError
from wxplan_cli.ledger import Ledger, PlanRow, content_hash
from wxplan_cli.plan import FIELD_BY_NAME, Plan, PlanSource, build_plan
from wxplan_cli.planstream import Input, InputError, PlanItem, read_plans
from wxplan_cli.yamlsrc import PathKey, Sourced
from wxplan_cli.yamltraps import Scalar

_LAYERED = "<batch defaults>"  # the source build_plan gives values from flags and the profile
COMMIT_EVERY = 1000


@dataclass(frozen=True)
class Layering:
    """What every plan of a batch shares: the merchant, the field flags and the profile's defaults."""

    mchid: str
    flags: Mapping[str, object] = field(default_factory=dict)
    profile_defaults: Mapping[str, object] = field(default_factory=dict)

    def build(self, item: PlanItem) -> Plan:
        """The plan of ``item``, or ValidationError with every issue placed at its file:line or flag."""
        if item.doc is None:
            raise ValidationError(list(item.issues))
        doc, issues = item.doc, []
        if item.defaults is not None:
            doc = overlay(item.defaults, doc, drop=set(self.flags))
            if "out_request_no" in item.defaults.data:
                issues.append(Issue("out_request_no", "cannot be a default: each plan needs its own",
                                    item.defaults.where("out_request_no"),
                                    "remove it from defaults:; leave it out to derive one per plan"))
        fallback = {**self.profile_defaults, **self.flags}
        try:
            plan = build_plan(PlanSource(doc), {}, fallback, mchid=self.mchid, defaults_source=_LAYERED)
        except ValidationError as exc:
            issues += exc.issues
        if issues:
            raise ValidationError([self._placed(issue, item.location, doc.filename) for issue in issues])
        return plan

    def _placed(self, issue: Issue, location: str, filename: str) -> Issue:
        if issue.source == _LAYERED:
            spec = FIELD_BY_NAME.get(issue.field)
            if spec is not None and issue.field in self.flags:
                flag = spec.flags[-1] if self.flags[issue.field] is False else spec.flags[0]
                return replace(issue, source=flag)
            return replace(issue, source="profile")
        if issue.source in (None, filename):
            return replace(issue, source=location)
        return issue


def overlay(defaults: Sourced, own: Sourced, *, drop: set[str]) -> Sourced:
    """``own`` over ``defaults`` (keys in ``drop``, given by flags, are not taken from ``defaults``)."""
    taken = [key for key in defaults.data if key not in own.data and key not in drop]
    data = {**{key: defaults.data[key] for key in taken}, **own.data}
    lines: dict[PathKey, int] = {(key,): line for key in taken
                                 if (line := defaults.lines.get((key,))) is not None}
    lines.update(own.lines)
    scalars: dict[PathKey, Scalar] = {(key,): scalar for key in taken
                                      if (scalar := defaults.scalars.get((key,))) is not None}
    scalars.update(own.scalars)
    return Sourced(data, own.filename, own.syntax, lines, scalars)


@dataclass
class FirstPass:
    """What the first pass found."""

    total: int = 0
    invalid: int = 0
    fatal: list[Issue] = field(default_factory=list)  # problems that stopped reading a file


def validate_into(ledger: Ledger, inputs: Sequence[Input], layering: Layering, run: int,
                  stdin: BinaryIO | None = None) -> FirstPass:
    """Read, build and record every plan of ``inputs`` into ``ledger`` for run ``run``, committing
    every :data:`COMMIT_EVERY` plans (so at most that many are held in memory)."""
    result = FirstPass()
    items = _items(inputs, result, stdin)
    while chunk := list(islice(items, COMMIT_EVERY)):
        with ledger.transaction() as db:
            for item in chunk:
                result.total += 1
                if not _record(ledger, db, result.total, item, layering, run):
                    result.invalid += 1
    return result


def _items(inputs: Sequence[Input], result: FirstPass, stdin: BinaryIO | None) -> Iterator[PlanItem]:
    for inp in inputs:
        count = 0
        try:
            for item in read_plans(inp, stdin):
                count += 1
                yield item
        except InputError as exc:
            result.fatal.append(exc.issue)
            continue
        if count == 0:  # an empty file, a header without rows: most likely the wrong file
            result.fatal.append(Issue("file", "holds no plans", inp.name, "is this the right file?"))


def _record(ledger: Ledger, db: sqlite3.Connection, seq: int, item: PlanItem, layering: Layering,
            run: int) -> bool:
    """Record one input plan; False when it is invalid."""
    try:
        plan = layering.build(item)
    except ValidationError as exc:
        ledger.add_input(db, seq, item.location, None, _issue_dicts(exc.issues))
        return False
    orn, body = plan.out_request_no, plan.body()
    digest = content_hash(body)
    known = ledger.find(orn)
    if known is None or (known.content_hash != digest and known.seen_run != run and known.number_is_free):
        ledger.add_plan(db, orn, digest, body, item.location, run)
    elif known.content_hash != digest:
        ledger.add_input(db, seq, item.location, orn, _issue_dicts([_conflict(orn, known, item, run)]))
        return False
    elif known.seen_run == run:
        ledger.add_input(db, seq, item.location, orn, duplicate_of=known.source)
        return True
    else:
        ledger.see_plan(db, orn, item.location, run)
    ledger.add_input(db, seq, item.location, orn)
    return True


def _conflict(orn: str, known: PlanRow, item: PlanItem, run: int) -> Issue:
    if known.seen_run == run:
        return Issue("out_request_no", f"{orn} is also used at {known.source} for a different plan",
                     item.location, "give each plan its own out_request_no, or leave it out to derive one")
    done = f"{known.outcome}, plan_id {known.plan_id}" if known.plan_id else known.outcome
    return Issue("out_request_no", f"{orn} was already used for a different plan (ledger: {done}, "
                 f"from {known.source})", item.location,
                 "an out_request_no belongs to one plan for good: give this plan a new one")


def _issue_dicts(issues: Sequence[Issue]) -> list[dict[str, str]]:
    return [{k: v for k, v in vars(issue).items() if v is not None} for issue in issues]
