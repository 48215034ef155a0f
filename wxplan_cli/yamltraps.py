"""Typed reading of YAML scalars: catch the YAML 1.1 traps before they silently change a value.

PyYAML implements YAML 1.1, which resolves unquoted (plain) scalars aggressively: ``yes``/``on``
become booleans, ``0123`` the octal number 83, ``12:30`` the base-60 number 750, ``~`` null,
``2025-01-01`` a date. The caller says what a field is meant to hold (:data:`Expect`); a scalar
that YAML resolved into anything else is refused with a :class:`TrapError` whose hint says how to
write it (quote it, drop the leading zeros, write ``true``), never silently converted.

Only the way a value was *written* matters: a quoted scalar is always text, a plain decimal
integer such as ``40016`` is accepted for a text field (its digits are kept as written).
This module does not import PyYAML: :class:`Scalar` records what the loader saw.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Expect = Literal["string", "integer", "boolean", "time", "any"]

#: what each expectation is called in messages
EXPECT_WORDS: dict[str, str] = {
    "string": "text", "integer": "a whole number", "boolean": "true or false",
    "time": "a date-time", "any": "a value",
}

_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)")
_OCTAL = re.compile(r"[-+]?0[0-7_]+")
_DIGITS = re.compile(r"[0-9]+")
# plain text PyYAML keeps as a string but YAML 1.1's spec (y, n) or YAML 1.2 (1e5, 0o17) reads otherwise
_AMBIGUOUS = re.compile(r"[yYnN]|[-+]?(?:[0-9][0-9_]*)?\.?[0-9]+[eE][-+]?[0-9]+|0o[0-7]+")
_TIME_HINT = 'write a date-time such as "2025-01-01 10:00" or "2025-01-01T10:00:00+08:00"'
NULL_HINT = "remove the line or give a value"


@dataclass(frozen=True)
class Scalar:
    """One scalar as written in the source: its resolved value and how it was spelled."""

    value: object
    text: str  # the characters as written (without quotes)
    tag: str  # what the loader resolved: "str", "int", "float", "bool", "null" or "timestamp"
    quoted: bool  # written quoted (or as a block scalar): always text
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based


class TrapError(ValueError):
    """A scalar is not what the field expects; ``hint`` says how to write it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def read_scalar(scalar: Scalar, expect: Expect) -> object:
    """The value of ``scalar`` as ``expect`` wants it, or :class:`TrapError`.

    ``string`` gives a str, ``integer`` an int, ``boolean`` a bool; ``time`` gives the text as
    written (for a time parser: YAML's own timestamp reading is not used); ``any`` gives YAML's
    value unchecked (null included). Null is refused for every other expectation.
    """
    if expect == "any":
        return scalar.value
    if scalar.tag == "null":
        shown = scalar.text or "an empty value"
        raise TrapError(f"has no value ({shown} means null)", NULL_HINT)
    return _READERS[expect](scalar)


def describe(scalar: Scalar) -> str:
    """How the loader read a plain scalar, in words: ``the octal number 83``."""
    value, text = scalar.value, scalar.text
    if scalar.tag == "bool":
        return f"the boolean {json.dumps(value)}"
    if scalar.tag == "int":
        if _OCTAL.fullmatch(text):
            return f"the octal number {value}"
        if ":" in text:
            return f"the base-60 number {value}"
        return f"the number {value}"
    if scalar.tag == "float":
        return f"the number {value!r}"
    if scalar.tag == "timestamp":
        return "a date-time" if ":" in text else "a date"
    return "text" if scalar.tag == "str" else f"a {scalar.tag}"


def _quote_hint(text: str) -> str:
    return f"put it in quotes: {json.dumps(text, ensure_ascii=False)}"


def _read_string(scalar: Scalar) -> str:
    if scalar.tag == "str" and isinstance(scalar.value, str):
        if not scalar.quoted and _AMBIGUOUS.fullmatch(scalar.text):
            raise TrapError(f"{scalar.text} is read by other YAML tools as a number or boolean",
                            _quote_hint(scalar.text))
        return scalar.value
    if scalar.tag == "int" and scalar.text == str(scalar.value):
        return scalar.text  # a plain decimal number: its digits are the text that was meant
    raise TrapError(f"{scalar.text} is read as {describe(scalar)}, not as text",
                    _quote_hint(scalar.text))


def _read_integer(scalar: Scalar) -> int:
    value, text = scalar.value, scalar.text
    if scalar.tag == "int" and isinstance(value, int) and not isinstance(value, bool):
        if _DECIMAL.fullmatch(text):
            return value
        raise TrapError(f"YAML reads {text} as {describe(scalar)}", _integer_hint(text))
    if scalar.tag == "str" and scalar.quoted and _DIGITS.fullmatch(text.strip()):
        raise TrapError(f"must be a number, not the text {json.dumps(text)}",
                        f"remove the quotes: {text.strip()}")
    hint = "write a whole number such as 10000"
    number = _as_float(text) if scalar.tag == "str" else value
    if isinstance(number, float) and math.isfinite(number) and number.is_integer():
        hint = f"write {int(number)}"
    shown = json.dumps(text, ensure_ascii=False) if scalar.quoted else text
    raise TrapError(f"must be a whole number, not {shown}", hint)


def _as_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _integer_hint(text: str) -> str:
    if _OCTAL.fullmatch(text):
        return f"write it without leading zeros: {int(text.replace('_', ''), 10)}"
    return "write the number as plain decimal digits"


def _read_boolean(scalar: Scalar) -> bool:
    value, text = scalar.value, scalar.text
    if scalar.tag == "bool" and isinstance(value, bool):
        if text.lower() in ("true", "false"):
            return value
        raise TrapError(f"YAML 1.1 reads {text} as {json.dumps(value)}, other tools read it as text",
                        f"write {json.dumps(value)}")
    if scalar.quoted and text.lower() in ("true", "false"):
        raise TrapError(f"must be true or false, not the text {json.dumps(text)}",
                        f"remove the quotes: {text.lower()}")
    raise TrapError(f"must be true or false, not {text or 'an empty value'}", "write true or false")


def _read_time(scalar: Scalar) -> str:
    if scalar.tag == "timestamp":
        return scalar.text  # parsed by the caller's time rules, not by YAML's
    if scalar.tag == "str" and isinstance(scalar.value, str):
        return scalar.value
    raise TrapError(f"{scalar.text} is read as {describe(scalar)}, not as a date-time", _TIME_HINT)


_READERS: dict[str, Callable[[Scalar], object]] = {
    "string": _read_string, "integer": _read_integer, "boolean": _read_boolean, "time": _read_time,
}


def tag_of(value: object) -> str:
    """The :attr:`Scalar.tag` of a JSON value."""
    if value is None:
        return "null"
    return {bool: "bool", int: "int", float: "float", str: "str"}.get(type(value), "str")


def join_surrogates(text: str) -> str:
    """``"\\ud83d\\ude00"`` escapes arrive from YAML as two surrogates; JSON means one character."""
    try:
        return text.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeError:
        return text
