"""The create-plan payload model: values from flags, a plan file and profile defaults; every rule
checked at once; the one serialisation that is signed and sent.

    load_plan_source(path)                        YAML or JSON file, "-" = stdin  ->  PlanSource
    build_plan(source, flags, defaults, mchid=)   -> Plan, or ValidationError with every issue
    Plan.payload() / Plan.body()                  the request dict / the exact bytes to sign and send

Precedence per field: flag > file > profile default; ``reuse_coupon_config`` defaults to false and is
always sent; ``out_request_no``, when not given, is derived from the plan's content and the merchant
(:func:`derive_out_request_no`), so re-running the same command cannot create a second plan.

Types. IDs and text stay strings: a plain decimal number in a file (``brand_id: 40016``) is taken as
its digits, anything YAML would have changed (``00123``, ``yes``, ``12:30``, ``1e5``, ``0x1F``) is refused
with a hint to quote it. Counts are integers: in a file a real number (not ``"100"``, ``1.0`` or
``true``); flags may also pass digit strings. ``reuse_coupon_config`` is ``true``/``false`` only (not
``yes``/``on``). Times follow :mod:`wxplan_cli.timeparse` and are sent as RFC 3339 in +08:00. A null
anywhere is an issue ("remove the line or give a value"); None in ``flags``/``defaults`` means "not given".

Each :class:`~wxplan_cli.errors.Issue` names the field and the *source* of the value it is about:

* ``plan.yaml:7`` - the file as given on the command line and the line of the key (``<stdin>:7``);
  ``plan.yaml:7:3`` (with the column) for YAML/JSON syntax errors; just ``plan.yaml`` when a required
  field is missing from the file or the line is unknown;
* ``--total-count`` - the flag (``--no-reuse-coupon-config`` for a false reuse flag);
* ``profile`` - the config profile's plan defaults (``defaults_source`` renames it);
* no source - a missing field when no file was given; :func:`validate_payload_dict` gives every issue
  its ``source`` argument.

Field names, labels and enums live in :mod:`wxplan_cli.plan_fields` (importable without PyYAML) and
are re-exported here. PyYAML itself is only imported when a file is loaded.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, TypeGuard

from wxplan_cli.errors import Issue, ValidationError
from wxplan_cli.plan_fields import (
    AUDIT_STATES,
    AUDIT_STATES_EN,
    FIELD_BY_NAME,
    FIELD_NAMES,
    FIELDS,
    PLACEHOLDER,
    PLAN_RESPONSE_LABELS,
    PLAN_STATES,
    PLAN_STATES_EN,
    REUSED_FIELDS,
    TERMINAL_PLAN_STATES,
    TRANSITIONAL_PLAN_STATES,
    USAGE_MODES,
    FieldSpec,
)
from wxplan_cli.plan_rules import Given, check_plan, display_width
from wxplan_cli.plan_skeleton import skeleton
from wxplan_cli.timeparse import TimeError, format_rfc3339, parse_time
from wxplan_cli.wire import encode_json
from wxplan_cli.yamlsrc import (
    MAX_BYTES,
    Sourced,
    YamlSourceError,
    check_size,
    decode_text,
    load_file,
    load_with_lines,
)

__all__ = [
    "AUDIT_STATES", "AUDIT_STATES_EN", "FIELDS", "FIELD_BY_NAME", "FIELD_NAMES", "PLAN_RESPONSE_LABELS",
    "PLAN_STATES", "PLAN_STATES_EN", "REUSED_FIELDS", "TERMINAL_PLAN_STATES", "TRANSITIONAL_PLAN_STATES",
    "USAGE_MODES", "FieldSpec", "Plan", "PlanSource", "build_plan", "derive_out_request_no", "display_width",
    "encode_body", "load_plan_bytes", "load_plan_source", "skeleton", "validate_payload_dict",
]

STDIN_NAME = "<stdin>"
_DERIVATION_TAG = "wxplan/create-plan/v1"  # changing the derivation must change this tag
WireValue = str | int | bool


@dataclass(frozen=True)
class PlanSource:
    """A loaded plan file: its data with lines. Unknown keys and bad values are reported by build_plan."""

    doc: Sourced

    @property
    def name(self) -> str:
        """The file as given (``plans/a.yaml``), or ``<stdin>``."""
        return self.doc.filename


@dataclass(frozen=True)
class Plan:
    """A valid create-plan request. Immutable: ``payload()`` returns a fresh dict each call."""

    items: tuple[tuple[str, WireValue], ...]  # in FIELDS order; never None
    out_request_no_derived: bool = False
    sources: tuple[tuple[str, str], ...] = field(default=())  # field -> source, "default", "derived"

    @property
    def out_request_no(self) -> str:
        """The request number sent (given or derived)."""
        return str(dict(self.items)["out_request_no"])

    def payload(self) -> dict[str, WireValue]:
        """The request body as a dict, fields in FIELDS order."""
        return dict(self.items)

    def body(self) -> bytes:
        """The exact bytes to sign and send (compact UTF-8 JSON, Chinese unescaped)."""
        return encode_body(self.payload())

    def source_of(self, name: str) -> str | None:
        """Where ``name``'s value came from (see the module docstring), or None when not sent."""
        return dict(self.sources).get(name)


def encode_body(payload: Mapping[str, object]) -> bytes:
    """The one serialisation of a request body (:func:`wxplan_cli.wire.encode_json`)."""
    return encode_json(payload)


# -- loading -------------------------------------------------------------------------------------------


def load_plan_source(path: str, stdin_text: str | None = None) -> PlanSource:
    """Load a YAML or JSON plan file (``*.json`` is strict JSON); ``-`` reads ``stdin_text``, or the
    process's stdin (as bytes) when it is None. Unreadable or malformed input raises ValidationError
    naming the file (``<stdin>`` for stdin)."""
    if path == "-":
        if stdin_text is None:
            return load_plan_bytes(sys.stdin.buffer.read(MAX_BYTES + 1), STDIN_NAME)
        return load_plan_bytes(_text_bytes(stdin_text), STDIN_NAME)
    try:
        return PlanSource(load_file(path))
    except YamlSourceError as exc:
        raise ValidationError([_file_issue(exc)]) from None


def _text_bytes(text: str) -> bytes:
    """UTF-8 of ``text``; surrogates (undecodable input) become bytes that decode_text reports."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def load_plan_bytes(data: bytes, name: str) -> PlanSource:
    """Load a plan from raw bytes (``name`` is used in messages); errors as for load_plan_source."""
    try:
        return PlanSource(load_with_lines(decode_text(check_size(data, name), name), name))
    except YamlSourceError as exc:
        raise ValidationError([_file_issue(exc)]) from None


def _file_issue(exc: YamlSourceError) -> Issue:
    return Issue(exc.key or "file", exc.message, exc.where, exc.hint)


# -- layers: flags, file, defaults -----------------------------------------------------------------------


class _Bad(ValueError):
    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass
class _Layer:
    """One origin's values: usable ones, unusable ones (as issues), and issues about unknown keys."""

    values: dict[str, Given] = field(default_factory=dict)
    bad: dict[str, Issue] = field(default_factory=dict)
    other: list[Issue] = field(default_factory=list)

    def add(self, spec: FieldSpec, source: str | None, convert: Callable[..., object],
            *args: object) -> None:
        """Record ``convert(*args)`` as the field's value, or its failure as the field's issue."""
        try:
            self.values[spec.name] = Given(convert(*args), source)
        except _Bad as exc:
            self.bad[spec.name] = Issue(spec.name, exc.message, source, exc.hint)


def _file_layer(source: PlanSource) -> _Layer:
    layer, doc = _Layer(), source.doc
    for key in doc.data:
        spec = FIELD_BY_NAME.get(key)
        if spec is None:
            layer.other.append(_unknown_key(key, doc.where(key)))
        else:
            layer.add(spec, doc.where(key), _from_file, doc, spec)
    return layer


def _from_file(doc: Sourced, spec: FieldSpec) -> object:
    scalar = doc.scalars.get((spec.name,))
    if scalar is not None and PLACEHOLDER in scalar.text:
        raise _Bad(f"still holds the placeholder {PLACEHOLDER}", "replace it with the real value")
    try:
        raw = doc.typed(spec.name, expect=spec.kind)
    except YamlSourceError as exc:
        raise _Bad(exc.message, exc.hint) from None
    return _time(raw) if spec.kind == "time" else raw


def _value_layer(data: Mapping[Any, object], source: Callable[[FieldSpec, object], str | None], *,
                 lenient: bool, unknown: Literal["raise", "skip", "issue"]) -> _Layer:
    layer = _Layer()
    for key, raw in data.items():
        spec = FIELD_BY_NAME.get(key) if isinstance(key, str) else None
        if spec is None:
            if unknown == "raise":
                raise ValueError(f"not a plan field: {key!r}")
            if unknown == "issue":  # validate_payload_dict: one source for every key
                layer.other.append(_unknown_key(str(key), source(FIELDS[0], raw)))
        elif raw is not None or unknown == "issue":  # flags and defaults: None = not given
            layer.add(spec, source(spec, raw), _coerce, spec, raw, lenient)
    return layer


def _flag_source(spec: FieldSpec, value: object) -> str:
    return spec.flags[-1] if value is False else spec.flags[0]


def _coerce(spec: FieldSpec, raw: object, lenient: bool) -> object:
    """A Python value (flag, profile default, dict) as the field's type (module docstring, "Types")."""
    if raw is None:
        raise _Bad("has no value (null)", "remove the key or give a value")
    if spec.kind == "time":
        return _time(raw)
    if spec.kind == "string":
        if isinstance(raw, str):
            return raw
        if _is_int(raw):
            return str(raw)  # an ID given as a number: its decimal digits
        raise _Bad(f"must be text, not {_shown(raw)}", "give it as text, in quotes")
    if spec.kind == "integer":
        return _integer(raw, lenient)
    if isinstance(raw, bool):
        return raw
    if lenient and isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    raise _Bad(f"must be true or false, not {_shown(raw)}", "write true or false")


def _integer(raw: object, lenient: bool) -> int:
    if _is_int(raw):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\s*[0-9]{1,18}\s*", raw):
        if lenient:
            return int(raw)
        raise _Bad(f"must be a number, not {_shown(raw)}", f"remove the quotes: {raw.strip()}")
    hint = "write a whole number such as 10000"
    if isinstance(raw, float) and raw.is_integer():
        hint = f"write {int(raw)}"
    raise _Bad(f"must be a whole number, not {_shown(raw)}", hint)


def _is_int(raw: object) -> TypeGuard[int]:
    return isinstance(raw, int) and not isinstance(raw, bool)


def _time(raw: object) -> datetime:
    try:
        return parse_time(raw)
    except TimeError as exc:
        raise _Bad(exc.message, exc.hint) from None


def _shown(raw: object) -> str:
    if isinstance(raw, bool) or raw is None:
        return json.dumps(raw)
    if isinstance(raw, (int, float)):
        return repr(raw)
    if isinstance(raw, str):
        return "the text " + json.dumps(raw[:40] + ("..." if len(raw) > 40 else ""), ensure_ascii=False)
    if isinstance(raw, (list, tuple)):
        return "a list"
    return "a mapping" if isinstance(raw, Mapping) else type(raw).__name__


def _unknown_key(key: str, source: str | None) -> Issue:
    return Issue(key if key.strip() else repr(key), "unknown key", source, _did_you_mean(key))


def _did_you_mean(key: str) -> str:
    aliases = {spec.label: spec.name for spec in FIELDS}
    aliases.update({flag.lstrip("-").replace("-", "_"): spec.name for spec in FIELDS for flag in spec.flags})
    norm = key.strip().lstrip("-").replace("-", "_").lower()
    guess = aliases.get(key.strip()) or aliases.get(norm)
    if guess is None:
        close = difflib.get_close_matches(norm, FIELD_NAMES, n=1, cutoff=0.6)
        guess = close[0] if close else None
    return f"did you mean {guess}?" if guess else f"plan fields are: {', '.join(FIELD_NAMES)}"


def _merge(layers: list[_Layer]) -> tuple[dict[str, Given], dict[str, str | None], list[Issue]]:
    """Per field, the first layer that has it wins (layers in precedence order), usable or not."""
    values: dict[str, Given] = {}
    present: dict[str, str | None] = {}
    issues = [issue for layer in layers for issue in layer.other]
    for name in FIELD_NAMES:
        for layer in layers:
            if name in layer.values:
                values[name] = layer.values[name]
                present[name] = values[name].source
                break
            if name in layer.bad:
                issues.append(layer.bad[name])
                present[name] = layer.bad[name].source
                break
    return values, present, issues


def _ordered(issues: list[Issue]) -> list[Issue]:
    position = {name: index for index, name in enumerate(FIELD_NAMES)}
    return sorted(issues, key=lambda issue: position.get(issue.field, -1))


# -- building --------------------------------------------------------------------------------------------


def build_plan(source: PlanSource | None, flags: Mapping[str, object],
               defaults: Mapping[str, object] | None = None, *, mchid: str,
               defaults_source: str = "profile") -> Plan:
    """The plan from ``flags`` > ``source`` > ``defaults``, or ValidationError listing every issue.

    ``flags`` maps field names to what the CLI parsed (None = flag not given; a digit string for a
    count and "true"/"false" for reuse are accepted too); a key that is not a field is a ValueError.
    ``defaults`` (the profile's plan defaults) may hold other keys, which are ignored.
    """
    layers = [
        _value_layer(flags, _flag_source, lenient=True, unknown="raise"),
        _file_layer(source) if source is not None else _Layer(),
        _value_layer(defaults or {}, lambda spec, raw: defaults_source, lenient=True, unknown="skip"),
    ]
    values, present, issues = _merge(layers)
    issues += check_plan(values, present, file_name=source.name if source else None)
    if issues:
        raise ValidationError(_ordered(issues), hint="nothing was sent")
    return _make_plan(values, mchid)


def validate_payload_dict(data: object, *, source: str | None = None) -> list[Issue]:
    """Every issue of a create-plan dict (e.g. a parsed request body), for ``wxplan lint``; never raises.

    Values must have their JSON types (counts are numbers, not strings); ``out_request_no`` is
    optional (it would be derived); every issue gets ``source``.
    """
    if not isinstance(data, Mapping):
        return [Issue("file", "must be a mapping of field: value", source)]
    layer = _value_layer(data, lambda spec, raw: source, lenient=False, unknown="issue")
    values, present, issues = _merge([layer])
    return _ordered(issues + check_plan(values, present, file_name=source))


def _make_plan(values: Mapping[str, Given], mchid: str) -> Plan:
    wire: dict[str, WireValue] = {}
    sources: dict[str, str] = {}
    for spec in FIELDS:
        if spec.name in values:
            wire[spec.name] = _wire(values[spec.name].value)
            sources[spec.name] = values[spec.name].source or ""
        elif spec.name == "reuse_coupon_config":
            wire[spec.name], sources[spec.name] = False, "default"
    derived = "out_request_no" not in wire
    if derived:  # out_request_no is FIELDS[0]: putting it first keeps FIELDS order
        wire = {"out_request_no": derive_out_request_no(wire, mchid), **wire}
        sources["out_request_no"] = "derived"
    return Plan(tuple(wire.items()), derived, tuple((name, sources[name]) for name in wire))


def _wire(value: object) -> WireValue:
    if isinstance(value, datetime):
        return format_rfc3339(value)
    assert isinstance(value, (str, int)), value  # bool is an int
    return value


def derive_out_request_no(payload_without_orn: Mapping[str, object], mchid: str) -> str:
    """A deterministic ``out_request_no`` for this plan content and merchant: ``wxp-`` + 32 hex digits
    (128 bits of SHA-256). Key order, YAML spelling and how a time was written do not matter; any other
    change of content gives another number. ``out_request_no`` itself, if present, is ignored."""
    content = {key: _canonical(key, value) for key, value in payload_without_orn.items()
               if key != "out_request_no" and value is not None}
    content.setdefault("reuse_coupon_config", False)
    text = json.dumps([_DERIVATION_TAG, mchid, content], sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"), default=str)
    return "wxp-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _canonical(key: str, value: object) -> object:
    spec = FIELD_BY_NAME.get(key)
    if spec is not None and spec.kind == "time" and isinstance(value, (str, date)):
        try:
            return format_rfc3339(parse_time(value))
        except TimeError:
            return value
    return value
