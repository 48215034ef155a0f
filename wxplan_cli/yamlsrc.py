"""Safe, line-tracking loading of YAML and JSON files: plan files, and the config file (config.py).

:func:`load_file` and :func:`load_with_lines` return a :class:`Sourced`: the plain data (dict, list,
str, int, float, bool, None, date) plus the line of every mapping key and list item, and for every
scalar how it was written (a :class:`~wxplan_cli.yamltraps.Scalar`), so that :meth:`Sourced.typed`
can refuse the YAML 1.1 traps (``0123``, ``yes``, ``12:30``, ``~``) for the type a field expects.

Every problem is a :class:`YamlSourceError` carrying the file, line, column and a plain-language hint.
It is not a ``WxplanError``: callers convert it (plan.py to ``ValidationError``, exit 4; config.py to
``ConfigError``, exit 3).

Rules: UTF-8 only (a BOM is dropped, CRLF is fine), at most :data:`MAX_BYTES`, one document, no
duplicate keys, keys are taken as the text written (``yes:`` is the key "yes"), merge keys (``<<``)
and non-standard tags are refused. A plain scalar YAML cannot build (``2025-02-30``) is kept as its
text, with its tag, for :meth:`Sourced.typed` to report against the field. JSON (a ``.json`` file, or
text that parses as JSON) keeps JSON's meaning of every value; YAML only supplies the line numbers.

The PyYAML half lives in :mod:`wxplan_cli.yamlwalk`, imported on the first load, so importing this
module stays cheap (``wxplan --help``).
"""

from __future__ import annotations

import codecs
import difflib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from wxplan_cli.yamltraps import EXPECT_WORDS, Expect, Scalar, TrapError, read_scalar, tag_of

__all__ = ["MAX_BYTES", "PathKey", "Scalar", "Sourced", "Syntax", "YamlSourceError", "check_size",
           "decode_text", "load_file", "load_with_lines", "read_bytes"]

MAX_BYTES = 10 * 1024 * 1024
MAX_VALUES = 200_000  # values built, aliases expanded: stops "billion laughs" documents
MAX_DEPTH = 64

PathKey = tuple[str | int, ...]
Syntax = Literal["auto", "yaml", "json"]


class YamlSourceError(Exception):
    """A file could not be read or holds something it should not; says where and how to fix it."""

    def __init__(self, message: str, filename: str, line: int | None = None, column: int | None = None,
                 *, hint: str | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.filename = filename
        self.line = line
        self.column = column
        self.hint = hint
        self.key = key  # dotted path of the offending key ("profiles.prod.mchid"), when there is one

    @property
    def where(self) -> str:
        """``file``, ``file:line`` or ``file:line:column``."""
        if self.line is None:
            return self.filename
        if self.column is None:
            return f"{self.filename}:{self.line}"
        return f"{self.filename}:{self.line}:{self.column}"

    def __str__(self) -> str:
        key = f"{self.key}: " if self.key else ""
        return f"{self.where}: {key}{self.message}"


@dataclass(frozen=True)
class Sourced:
    """Loaded data plus where each value sits in the file (1-based lines)."""

    data: Any
    filename: str
    syntax: Literal["yaml", "json"] = "yaml"
    lines: dict[PathKey, int] = field(default_factory=dict)  # key or list-item path -> line
    scalars: dict[PathKey, Scalar] = field(default_factory=dict)

    def line_of(self, *path: str | int) -> int | None:
        """Line of the key (or list item) at ``path``; ``()`` is the top level."""
        return self.lines.get(tuple(path))

    def where(self, *path: str | int) -> str:
        """``file:line`` for ``path``, or just ``file`` when the line is unknown."""
        line = self.line_of(*path)
        return f"{self.filename}:{line}" if line else self.filename

    def get(self, *path: str | int) -> Any:
        """The value at ``path`` (``KeyError`` / ``IndexError`` when absent)."""
        value = self.data
        for part in path:
            value = value[part]
        return value

    def typed(self, *path: str | int, expect: Expect) -> Any:
        """The value at ``path`` read as ``expect`` (see :func:`~wxplan_cli.yamltraps.read_scalar`).

        Raises :class:`YamlSourceError` (with this file and line) for null, a list or mapping, or a
        YAML 1.1 trap; ``KeyError`` when ``path`` is absent.
        """
        value, key = self.get(*path), dotted(path)
        scalar = self.scalars.get(tuple(path))
        if scalar is None:
            kind = "a list" if isinstance(value, list) else "a mapping"
            raise YamlSourceError(f"must be {EXPECT_WORDS[expect]}, not {kind}", self.filename,
                                  self.line_of(*path), key=key)
        try:
            return read_scalar(scalar, expect)
        except TrapError as exc:
            raise YamlSourceError(exc.message, self.filename, self.line_of(*path) or scalar.line,
                                  hint=exc.hint, key=key) from None


def dotted(path: tuple[str | int, ...]) -> str:
    """``("profiles", "prod", "mchid")`` -> ``profiles.prod.mchid``."""
    return ".".join(str(p) for p in path)


# -- reading and decoding ----------------------------------------------------------------------------


def read_bytes(path: str | os.PathLike[str], *, display_name: str | None = None,
               limit: int = MAX_BYTES) -> bytes:
    """The file's bytes, refusing directories, unreadable files and files over ``limit`` bytes."""
    name = display_name or os.fspath(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise YamlSourceError("file not found", name, hint=_missing_hint(Path(path))) from None
    except IsADirectoryError:
        raise YamlSourceError("is a directory, not a file", name,
                              hint="give the path of a YAML or JSON file") from None
    except PermissionError:
        raise YamlSourceError("permission denied", name,
                              hint="check that you may read the file (ls -l)") from None
    except OSError as exc:
        raise YamlSourceError(f"cannot read the file: {exc.strerror or exc}", name) from None
    return check_size(data, name, limit)


def check_size(data: bytes, name: str, limit: int = MAX_BYTES) -> bytes:
    """``data``, unless it is over ``limit`` bytes."""
    if len(data) <= limit:
        return data
    size = f"{limit // 2**20} MB" if limit >= 2**20 else f"{limit} bytes"
    raise YamlSourceError(f"file is larger than {size}", name,
                          hint="is this the right file? plan and config files are small text files")


def _missing_hint(path: Path) -> str:
    try:
        siblings = os.listdir(path.parent if str(path.parent) else ".")
    except OSError:
        siblings = []
    close = difflib.get_close_matches(path.name, siblings, n=1)
    if close:
        return f"did you mean {path.parent / close[0]}?"
    return f"check the path (relative paths start from {os.getcwd()})"


def decode_text(data: bytes, filename: str) -> str:
    """UTF-8 text of ``data`` (a BOM is dropped); binary or non-UTF-8 data is an error."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise YamlSourceError("is UTF-16 text", filename, 1, hint="save the file as UTF-8")
    nul = data.find(b"\0")
    if nul >= 0:
        raise YamlSourceError(f"contains a NUL byte at byte offset {nul}: this looks like a binary file",
                              filename, _line_at(data, nul), hint="give a YAML or JSON text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlSourceError(
            f"is not valid UTF-8 (byte 0x{data[exc.start]:02x} at byte offset {exc.start})",
            filename, _line_at(data, exc.start),
            hint="save the file as UTF-8; a GBK file converts with: iconv -f GBK -t UTF-8") from None


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


# -- loading -----------------------------------------------------------------------------------------


def load_file(path: str | os.PathLike[str], *, display_name: str | None = None,
              syntax: Syntax | None = None, require_mapping: bool = True) -> Sourced:
    """Read, decode and load a file; ``syntax`` defaults to ``json`` for ``*.json``, else ``auto``."""
    name = display_name or os.fspath(path)
    text = decode_text(read_bytes(path, display_name=name), name)
    if syntax is None:
        syntax = "json" if os.fspath(path).lower().endswith(".json") else "auto"
    return load_with_lines(text, name, syntax=syntax, require_mapping=require_mapping)


def load_with_lines(text: str, filename: str, *, syntax: Syntax = "auto",
                    require_mapping: bool = True) -> Sourced:
    """Load one YAML or JSON document from ``text``; ``filename`` is used in messages only.

    ``auto`` reads text that parses as a JSON object or array as JSON, anything else as YAML.
    """
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise YamlSourceError("file is empty", filename, hint="it has nothing but blank lines")
    json_data = _json_or_none(text) if syntax == "auto" else None
    if syntax == "json" or json_data is not None:
        doc = _load_json(text, filename, json_data)
    else:
        from wxplan_cli.yamlwalk import load_yaml  # imports PyYAML: only now

        doc = load_yaml(text, filename)
    if require_mapping and not isinstance(doc.data, dict):
        kind = "a list" if isinstance(doc.data, list) else "a single value"
        raise YamlSourceError(f"the top level must be a mapping of key: value lines, not {kind}",
                              filename, doc.line_of() or 1, hint="write one key: value per line")
    return doc


def _json_or_none(text: str) -> Any:
    if text.lstrip()[:1] not in ("{", "["):
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _load_json(text: str, filename: str, data: Any) -> Sourced:
    if data is None:
        data = _parse_json(text, filename)
    from wxplan_cli.yamlwalk import json_positions  # imports PyYAML: only now

    doc = json_positions(text, filename)
    if doc is not None and doc.data == data:
        return doc
    # YAML could not follow this JSON (rare: NaN, raw U+2028 in a string...): keep JSON's data, no lines
    _parse_json(text, filename, object_pairs_hook=_no_duplicates(filename))
    scalars: dict[PathKey, Scalar] = {}
    _collect_json_scalars(data, (), scalars, filename)
    return Sourced(data, filename, "json", {(): 1}, scalars)


def _parse_json(text: str, filename: str, **kwargs: Any) -> Any:
    try:
        return json.loads(text, **kwargs)
    except json.JSONDecodeError as exc:
        raise YamlSourceError(f"JSON syntax error: {exc.msg}", filename, exc.lineno, exc.colno,
                              hint=_json_hint(exc.msg)) from None
    except RecursionError:
        raise YamlSourceError("values are nested too deeply", filename) from None


def _json_hint(msg: str) -> str:
    if "double quotes" in msg or "Expecting value" in msg:
        return "JSON needs double quotes around keys and text, and no comma after the last item"
    if "Extra data" in msg:
        return "a JSON file holds one object"
    if "control character" in msg:
        return r"write tabs and line breaks inside text as \t and \n"
    return "check the JSON syntax near this spot"


def _no_duplicates(filename: str) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise YamlSourceError(f"duplicate key {key!r}", filename, hint="keep one of them", key=key)
            result[key] = value
        return result

    return hook


def _collect_json_scalars(value: Any, path: PathKey, out: dict[PathKey, Scalar], filename: str) -> None:
    if len(path) > MAX_DEPTH:
        raise YamlSourceError("values are nested too deeply", filename)
    if isinstance(value, dict):
        for key, item in value.items():
            _collect_json_scalars(item, path + (key,), out, filename)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _collect_json_scalars(item, path + (index,), out, filename)
    else:
        text = value if isinstance(value, str) else json.dumps(value)
        out[path] = Scalar(value, text, tag_of(value), isinstance(value, str))


