"""Parse request bodies strictly, the way a careful server would, and fingerprint them.

- UTF-8 only (a BOM, invalid bytes or lone surrogates are refused), exactly one JSON object, no duplicate
  keys, no ``NaN`` / ``Infinity``, no 4-byte (non-BMP) characters anywhere (spec §1).
- ``fingerprint`` hashes the *parsed* content in a canonical form, so two SDKs that serialise the same
  object differently (key order, ``", "`` separators, ``\\uXXXX`` escapes) produce the same fingerprint.
  That is what ``out_request_no`` idempotency compares.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from wxplan_cli.sandbox.problems import param_error

MAX_BODY = 1024 * 1024


def pointer(*parts: str) -> str:
    """A JSON pointer (RFC 6901) from path segments: ``pointer("modify_content", "plan_name")``."""
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def parse_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a 400 ``PARAM_ERROR`` naming what is wrong."""
    if not body.strip():
        raise param_error("", "the request body is empty; a JSON object is required")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise param_error("", "the request body is not valid UTF-8") from None
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except _DuplicateKey as exc:
        raise param_error(pointer(exc.key), "duplicate key in JSON object") from None
    except (ValueError, RecursionError) as exc:
        raise param_error("", f"the request body is not valid JSON ({_reason(exc)})") from None
    if not isinstance(value, dict):
        raise param_error("", "the request body must be a JSON object")
    check_characters(value, "")
    return value


def check_characters(value: Any, where: str) -> None:
    """Refuse 4-byte characters and lone surrogates in every key and string value (iteratively:
    a deeply nested body must not exhaust the stack)."""
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            _check_string(item, at)
        elif isinstance(item, dict):
            for key, child in item.items():
                child_at = at + pointer(key) if _plain(key) else at
                _check_string(key, child_at)
                stack.append((child, child_at))
        elif isinstance(item, list):
            stack.extend((child, f"{at}/{index}") for index, child in enumerate(item))


def fingerprint(kind: str, target: str, content: dict[str, Any]) -> str:
    """SHA-256 of the canonical form of ``content`` for request ``kind`` on ``target``."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{kind}\n{target}\n{canonical}".encode()).hexdigest()


def dump(value: Any) -> bytes:
    """Compact UTF-8 JSON, the sandbox's response encoding."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key if _plain(key) else "?"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _check_string(text: str, where: str) -> None:
    for char in text:
        code = ord(char)
        if code > 0xFFFF:
            raise param_error(where, "4-byte UTF-8 characters (emoji etc.) are not allowed")
        if 0xD800 <= code <= 0xDFFF:
            raise param_error(where, "lone UTF-16 surrogate escapes are not allowed")


def _plain(key: str) -> bool:
    """Whether ``key`` is safe to put in a pointer we echo back (no surrogates, not huge)."""
    return len(key) <= 64 and all(ord(c) <= 0xFFFF and not 0xD800 <= ord(c) <= 0xDFFF for c in key)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)[:80]
