"""Streaming readers for batch input: many plans from YAML, JSON, CSV or JSON Lines, one at a time.

    detect(path, fmt)    -> Input: the format and the shape ("one" plan, as create has always read,
                            or "many")
    read_plans(input)    -> PlanItem per plan, in file order, each with its ``file:line``

Formats (``auto`` decides by the extension, then by the first lines of the content):

* ``yaml`` (``.yaml``/``.yml``): a list of plans, several documents separated by ``---``, a mapping
  ``{defaults: {...}, plans: [...]}`` (``defaults:`` first), or one plan;
* ``json`` (``.json``): an array of plans, an object ``{"defaults": ..., "plans": [...]}``, or one plan;
* ``csv`` (``.csv``): a header row of field names, then one plan per row; an empty cell is "not given";
  counts are whole numbers, ``reuse_coupon_config`` is ``true``/``false``, everything else is text;
* ``jsonl`` (``.jsonl``/``.ndjson``): one JSON object per line; blank lines are skipped.

Memory stays bounded whatever the number of plans: CSV and JSON Lines are read line by line, and YAML and
JSON are parsed event by event with each plan composed on its own. A plan's values come back as a
:class:`~wxplan_cli.yamlsrc.Sourced` (lines and how each scalar was written), which
:func:`wxplan_cli.plan.build_plan` reads exactly as it reads a plan file.

Problems confined to one plan (a CSV row with extra cells, a JSON Lines line that is not an object, a YAML
item with a duplicate key) become that item's ``issues``. Problems that stop reading a file (not found,
not UTF-8, a YAML syntax error, an unknown CSV column) raise :class:`InputError` after the items read before
it. For a CSV file the line number is the spreadsheet row (the header is row 1).

The YAML half uses :mod:`wxplan_cli.yamlwalk`'s node walker and error wording, so a plan in a list reads
exactly like a plan file; PyYAML is imported only when a YAML or JSON input is read.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, BinaryIO, Literal

from wxplan_cli.errors import Issue
from wxplan_cli.plan_fields import FIELD_BY_NAME, FIELD_NAMES
from wxplan_cli.yamlsrc import PathKey, Sourced, YamlSourceError
from wxplan_cli.yamltraps import Scalar, tag_of

Format = Literal["yaml", "json", "csv", "jsonl"]
FORMATS: tuple[str, ...] = ("auto", "yaml", "json", "csv", "jsonl")
STDIN_NAME = "<stdin>"
TOP_KEYS = ("defaults", "plans")
MAX_LINE = 1024 * 1024  # one JSON Lines line / one CSV field
_EXTENSIONS: dict[str, Format] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
                                  ".yaml": "yaml", ".yml": "yaml"}
_SNIFF_BYTES = 64 * 1024
_INT = re.compile(r"[+-]?[0-9]{1,18}")


class InputError(Exception):
    """A file cannot be read (further); ``issue`` says where and why."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.render())
        self.issue = issue


@dataclass(frozen=True)
class PlanItem:
    """One plan as read: its values with lines, or why it could not be read."""

    location: str  # "plans.csv:3": the file and the line (CSV: row) where the plan starts
    doc: Sourced | None  # the plan's own values; None when ``issues`` says why it could not be read
    issues: tuple[Issue, ...] = ()
    defaults: Sourced | None = None  # the file's ``defaults:`` section, when it has one


@dataclass
class Input:
    """One ``--from``: where it is, its format, and whether it holds one plan or many."""

    path: str  # as given; "-" is stdin
    fmt: Format
    shape: Literal["one", "many"]
    data: bytes | None = None  # stdin already read (YAML / JSON), or None
    head: bytes = b""  # stdin CSV / JSON Lines: the bytes read to detect the format

    @property
    def name(self) -> str:
        """The input in messages: the path as given, or ``<stdin>``."""
        return STDIN_NAME if self.path == "-" else self.path


# -- detection -----------------------------------------------------------------------------------------


def detect(path: str, fmt: str = "auto", stdin: BinaryIO | None = None) -> Input:
    """Work out ``path``'s format and shape, reading as little as needed.

    An unreadable file is reported as shape "one", so create's single-plan loader reports it exactly as
    it always has. Stdin is read once: YAML and JSON whole (``data``), CSV and JSON Lines only as far as
    detection needs (``head``); :func:`read_plans` continues from there.
    """
    if path == "-":
        return _detect_stdin(stdin if stdin is not None else sys.stdin.buffer, fmt)
    chosen: Format | None = (fmt if fmt != "auto" else  # type: ignore[assignment] # checked by the CLI
                             _EXTENSIONS.get(os.path.splitext(path)[1].lower()))
    try:
        if chosen is None:
            with open(path, "rb") as fh:
                chosen = sniff(fh.read(_SNIFF_BYTES))
        if chosen in ("csv", "jsonl"):
            return Input(path, chosen, "many")
        with open(path, encoding="utf-8-sig", errors="replace") as text:
            return Input(path, chosen, _shape(text, json_mode=chosen == "json"))
    except OSError:
        return Input(path, chosen or "yaml", "one")


def _detect_stdin(stream: BinaryIO, fmt: str) -> Input:
    head = _read_head(stream)
    chosen: Format = fmt if fmt != "auto" else sniff(head)  # type: ignore[assignment]
    if chosen in ("csv", "jsonl"):
        return Input("-", chosen, "many", head=head)
    data = head + stream.read()
    text = io.StringIO(data.decode("utf-8", "replace").removeprefix("\ufeff"))
    return Input("-", chosen, _shape(text, json_mode=chosen == "json"), data=data)


def _read_head(stream: BinaryIO) -> bytes:
    """At least two lines (or everything, or 64 KiB) from a pipe that may deliver them in pieces."""
    chunks: list[bytes] = []
    size = 0
    read1 = getattr(stream, "read1", stream.read)
    while size < _SNIFF_BYTES:
        chunk = read1(_SNIFF_BYTES - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if b"".join(chunks).count(b"\n") >= 2:
            break
    return b"".join(chunks)


def sniff(head: bytes) -> Format:
    """The format of content whose file name does not say: JSON Lines, JSON, CSV or YAML."""
    text = head.decode("utf-8", "replace").removeprefix("\ufeff")
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if not lines:
        return "yaml"
    first = lines[0]
    if first.startswith("{"):
        try:
            whole_line = isinstance(json.loads(first), dict)
        except ValueError:
            whole_line = False
        return "jsonl" if whole_line and len(lines) > 1 and lines[1].startswith("{") else "json"
    if first.startswith("["):
        return "json"
    if "," in first and ":" not in first:
        return "csv"
    return "yaml"


def _shape(text: IO[str], *, json_mode: bool) -> Literal["one", "many"]:
    """"many" for a list, a ``defaults:``/``plans:`` mapping or several documents; else "one"."""
    import yaml

    try:
        loader: Any = yaml.SafeLoader(_NoTabs(text) if json_mode else text)  # PyYAML's stubs are partial
    except (yaml.YAMLError, UnicodeError):
        return "one"
    try:
        loader.get_event()
        if not loader.check_event(yaml.DocumentStartEvent):
            return "one"
        loader.get_event()
        if loader.check_event(yaml.SequenceStartEvent):
            return "many"
        if not loader.check_event(yaml.MappingStartEvent):
            return "one"
        loader.get_event()
        if loader.check_event(yaml.ScalarEvent) and loader.peek_event().value in TOP_KEYS:
            return "many"
        _skip_collection(loader)
        loader.get_event()  # DocumentEndEvent
        return "many" if loader.check_event(yaml.DocumentStartEvent) else "one"
    except (yaml.YAMLError, UnicodeError):
        return "one"  # the single-plan loader reports it, as it always has
    finally:
        loader.dispose()


def _skip_collection(loader: Any) -> None:
    import yaml

    depth = 1
    while depth:
        event = loader.get_event()
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


class _NoTabs:
    """JSON may put tabs between tokens, where PyYAML wants spaces (tabs inside strings are escaped)."""

    def __init__(self, text: IO[str]) -> None:
        self._text = text

    def read(self, size: int = -1) -> str:
        return self._text.read(size).replace("\t", " ")


# -- reading -------------------------------------------------------------------------------------------


def read_plans(inp: Input, stdin: BinaryIO | None = None) -> Iterator[PlanItem]:
    """Every plan of ``inp``, in order (see the module docstring for what raises)."""
    stream = _open_binary(inp, stdin)
    try:
        if inp.fmt == "csv":
            yield from _csv_items(stream, inp.name)
        elif inp.fmt == "jsonl":
            yield from _jsonl_items(stream, inp.name)
        elif inp.fmt == "json":
            from wxplan_cli.planstream_yaml import yaml_items

            text = _strict_json(stream.read().decode("utf-8-sig"), inp.name)
            yield from yaml_items(_NoTabs(io.StringIO(text)), inp.name, json_mode=True)
        else:
            from wxplan_cli.planstream_yaml import yaml_items

            text_stream = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
            yield from yaml_items(text_stream, inp.name, json_mode=False)
    except UnicodeDecodeError as exc:
        raise InputError(Issue("file", f"is not valid UTF-8 (byte 0x{exc.object[exc.start]:02x})",
                               inp.name, "save the file as UTF-8; a GBK file converts with: "
                               "iconv -f GBK -t UTF-8")) from None
    finally:
        stream.close()


def _strict_json(text: str, name: str) -> str:
    """``text``, once Python's JSON parser accepts it (YAML, which gives the lines, is more lenient).
    Objects are parsed to nothing, so only the text is held, not the plans."""
    try:
        json.loads(text, object_pairs_hook=_nothing)
    except json.JSONDecodeError as exc:
        raise InputError(Issue("file", f"JSON syntax error: {exc.msg}", f"{name}:{exc.lineno}:{exc.colno}",
                               "JSON needs double quotes, and no comma after the last item")) from None
    except RecursionError:
        raise InputError(Issue("file", "values are nested too deeply", name)) from None
    return text


def _nothing(pairs: list[tuple[str, Any]]) -> None:
    return None


def _open_binary(inp: Input, stdin: BinaryIO | None) -> BinaryIO:
    if inp.path != "-":
        try:
            return open(inp.path, "rb")  # noqa: SIM115 - closed by read_plans
        except OSError as exc:
            raise InputError(_open_issue(inp.path, exc)) from None
    if inp.data is not None:
        return io.BytesIO(inp.data)
    rest = stdin if stdin is not None else sys.stdin.buffer
    return io.BufferedReader(_Chained(inp.head, rest))


class _Chained(io.RawIOBase):
    """``head`` (already read from stdin) followed by the rest of stdin."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        read1 = getattr(self._rest, "read1", self._rest.read)
        data = read1(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _open_issue(path: str, exc: OSError) -> Issue:
    if isinstance(exc, FileNotFoundError):
        folder, name = os.path.split(path)
        try:
            close = difflib.get_close_matches(name, os.listdir(folder or "."), n=1)
        except OSError:
            close = []
        hint = f"did you mean {os.path.join(folder, close[0])}?" if close else "check the path"
        return Issue("file", "file not found", path, hint)
    if isinstance(exc, IsADirectoryError):
        return Issue("file", "is a directory, not a file", path)
    return Issue("file", f"cannot read the file: {exc.strerror or exc}", path)


# -- CSV -----------------------------------------------------------------------------------------------


def _csv_items(stream: BinaryIO, name: str) -> Iterator[PlanItem]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        header = _csv_header(reader, name)
        previous = reader.line_num
        for row in reader:
            line, previous = previous + 1, reader.line_num
            if any(cell.strip() for cell in row):
                yield _csv_item(header, row, name, line)
    except csv.Error as exc:
        raise InputError(Issue("file", f"CSV error: {exc}", f"{name}:{reader.line_num}",
                               "check the quotes on this line")) from None


def _csv_header(reader: Any, name: str) -> list[str]:
    for row in reader:
        if any(cell.strip() for cell in row):
            break
    else:
        raise InputError(Issue("file", "file is empty", name, "the first row names the columns: "
                               + ",".join(FIELD_NAMES)))
    header = [cell.strip() for cell in row]
    where = f"{name}:{reader.line_num}"
    for index, column in enumerate(header):
        if column and column not in FIELD_BY_NAME:
            close = difflib.get_close_matches(column.lower(), FIELD_NAMES, n=1, cutoff=0.6)
            hint = (f"did you mean {close[0]}?" if close
                    else f"columns are field names: {', '.join(FIELD_NAMES)}")
            raise InputError(Issue(column, f"unknown column (column {index + 1} of the header)", where, hint))
        if column and header.index(column) != index:
            raise InputError(Issue(column, "column appears twice in the header", where, "keep one of them"))
    return header


def _csv_item(header: list[str], row: list[str], name: str, line: int) -> PlanItem:
    location = f"{name}:{line}"
    extra = [cell for cell in row[len(header):] if cell.strip()]
    if extra:
        return PlanItem(location, None, (Issue("row", f"has {len(row)} cells, the header has "
                                               f"{len(header)} columns", location,
                                               "quote cells that contain commas"),))
    data: dict[str, Any] = {}
    scalars: dict[PathKey, Scalar] = {}
    for column, cell in zip(header, row[:len(header)], strict=False):  # short rows: the rest is empty
        if not column:
            if cell.strip():
                return PlanItem(location, None, (Issue("row", "has a value in a column without a name",
                                                       location, "name the column in the header"),))
            continue
        if cell == "":
            continue
        scalar = _csv_scalar(column, cell, line)
        data[column], scalars[(column,)] = scalar.value, scalar
    lines: dict[PathKey, int] = {(key,): line for key in data}
    lines[()] = line
    return PlanItem(location, Sourced(data, name, "yaml", lines, scalars))


def _csv_scalar(column: str, cell: str, line: int) -> Scalar:
    """A CSV cell as the scalar a plan file would have held: text, or a number / boolean for those fields."""
    kind = FIELD_BY_NAME[column].kind
    bare = cell.strip()
    if kind == "integer" and _INT.fullmatch(bare):
        return Scalar(int(bare), str(int(bare)), "int", False, line)
    if kind == "boolean" and bare.lower() in ("true", "false"):
        return Scalar(bare.lower() == "true", bare.lower(), "bool", False, line)
    if kind in ("integer", "boolean"):
        return Scalar(bare, bare, "str", False, line)  # read_scalar explains what to write instead
    return Scalar(cell, cell, "str", True, line)  # CSV cells are text: ids keep their leading zeros


# -- JSON Lines ----------------------------------------------------------------------------------------


class _Duplicate(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Duplicate(key)
        result[key] = value
    return result


def _jsonl_items(stream: BinaryIO, name: str) -> Iterator[PlanItem]:
    for number, raw in enumerate(stream, 1):
        if number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        if raw.strip():
            yield _jsonl_item(raw, name, number)


def _jsonl_item(raw: bytes, name: str, line: int) -> PlanItem:
    location = f"{name}:{line}"

    def bad(message: str, hint: str | None = None) -> PlanItem:
        return PlanItem(location, None, (Issue("line", message, location, hint),))

    if len(raw) > MAX_LINE:
        return bad(f"is longer than {MAX_LINE // 1024} KiB", "one plan per line")
    try:
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError as exc:
        return bad(f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x})", "save the file as UTF-8")
    except _Duplicate as exc:
        return bad(f"duplicate key {exc.args[0]!r}", "keep one of them")
    except json.JSONDecodeError as exc:
        return bad(f"JSON syntax error: {exc.msg} (column {exc.colno})",
                   "each line holds one complete JSON object")
    except (ValueError, RecursionError):
        return bad("is not valid JSON")
    if not isinstance(data, dict):
        return bad("must be a JSON object (one plan per line)", 'write {"brand_id": "...", ...}')
    return PlanItem(location, json_doc(data, name, line))


def json_doc(data: dict[str, Any], name: str, line: int) -> Sourced:
    """A parsed JSON object as a ``Sourced`` whose every key sits on ``line`` (JSON keeps its types)."""
    scalars: dict[PathKey, Scalar] = {}
    for key, value in data.items():
        if not isinstance(value, (dict, list)):
            text = value if isinstance(value, str) else json.dumps(value)
            scalars[(key,)] = Scalar(value, text, tag_of(value), isinstance(value, str), line)
    lines: dict[PathKey, int] = {(key,): line for key in data}
    lines[()] = line
    return Sourced(data, name, "json", lines, scalars)


def source_issue(exc: YamlSourceError, default_field: str = "plan") -> Issue:
    """A YamlSourceError as an Issue (its key as the field, its file:line as the source)."""
    return Issue(exc.key or default_field, exc.message, exc.where, exc.hint)
