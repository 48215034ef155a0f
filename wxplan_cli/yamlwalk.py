"""YAML node graphs to plain data with line numbers: the PyYAML-specific half of :mod:`wxplan_cli.yamlsrc`.

PyYAML composes the text into nodes (safe loader, no Python objects); :class:`_Walker` builds plain data
from them, recording the line of every key and list item and how every scalar was written. Aliases are
expanded (with a budget, against "billion laughs"), recursive ones refused; merge keys, non-standard tags
and non-scalar keys are refused. PyYAML's errors become :class:`YamlSourceError` with a plain-language hint.

Imported by yamlsrc on first load only, which keeps PyYAML out of ``wxplan --help``.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from wxplan_cli.yamlsrc import MAX_DEPTH, MAX_VALUES, PathKey, Sourced, YamlSourceError, dotted
from wxplan_cli.yamltraps import Scalar, join_surrogates, tag_of

_TAGS = {f"tag:yaml.org,2002:{name}": name for name in ("str", "int", "float", "bool", "null", "timestamp")}
_MAP_TAG, _SEQ_TAG = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
TAB_HINT = "YAML does not allow tabs for indentation; indent with spaces"


def load_yaml(text: str, filename: str) -> Sourced:
    """Load one YAML document; every problem is a YamlSourceError in plain language."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise YamlSourceError("file is empty", filename, hint="it holds only comments")
            return _Walker(loader, filename, json_mode=False).document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, text, filename) from None
    except RecursionError:
        raise YamlSourceError("values are nested too deeply", filename) from None


def json_positions(text: str, filename: str) -> Sourced | None:
    """YAML's view of a JSON text, for line numbers (values keep JSON's meaning); None when YAML cannot
    follow it. Duplicate keys still raise YamlSourceError."""
    try:
        # valid JSON has tabs only between tokens, where PyYAML insists on spaces
        loader = yaml.SafeLoader(text.replace("\t", " "))
        try:
            node = loader.get_single_node()
            return _Walker(loader, filename, json_mode=True).document(node) if node else None
        finally:
            loader.dispose()
    except (yaml.YAMLError, RecursionError, ValueError):
        return None


class _Walker:
    """Builds plain data from a composed YAML node graph, recording lines and scalar spellings."""

    def __init__(self, loader: yaml.SafeLoader, filename: str, *, json_mode: bool) -> None:
        self.loader, self.filename, self.json_mode = loader, filename, json_mode
        self.lines: dict[PathKey, int] = {}
        self.scalars: dict[PathKey, Scalar] = {}
        self.visits = 0
        self.active: set[int] = set()

    def document(self, node: Any) -> Sourced:
        self.lines[()] = node.start_mark.line + 1
        data = self.value(node, ())
        return Sourced(data, self.filename, "json" if self.json_mode else "yaml", self.lines, self.scalars)

    def error(self, node: Any, message: str, path: PathKey, hint: str | None = None) -> YamlSourceError:
        mark = node.start_mark
        column = None if path else mark.column + 1  # once a key is named, its line says enough
        return YamlSourceError(message, self.filename, mark.line + 1, column, hint=hint,
                               key=dotted(path) or None)

    def value(self, node: Any, path: PathKey) -> Any:
        self.visits += 1
        if self.visits > MAX_VALUES:
            raise self.error(node, f"too many values (over {MAX_VALUES}, aliases expanded)", ())
        if len(path) > MAX_DEPTH or id(node) in self.active:
            raise self.error(node, "values are nested too deeply (or an alias refers to itself)", path)
        self.active.add(id(node))
        try:
            if node.id == "scalar":
                return self.scalar(node, path)
            if node.id == "mapping":
                return self.mapping(node, path)
            return self.sequence(node, path)
        finally:
            self.active.discard(id(node))

    def scalar(self, node: Any, path: PathKey) -> Any:
        tag = _TAGS.get(node.tag)
        if tag is None:
            raise self.error(node, f"the tag {node.tag} is not supported", path,
                             hint="remove the tag; put text in quotes")
        quoted = node.style is not None  # quoted or a block scalar (| >): text either way
        if self.json_mode:
            value: Any = join_surrogates(node.value) if quoted else json.loads(node.value)
            tag = tag_of(value)
        else:
            value = self.construct(node)
        mark = node.start_mark
        self.scalars[path] = Scalar(value, node.value, tag, quoted, mark.line + 1, mark.column + 1)
        return value

    def construct(self, node: Any) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError):
            # 2025-02-30, or an int of 5000 digits: keep the text; typed() reports it for the field
            return node.value

    def mapping(self, node: Any, path: PathKey) -> dict[str, Any]:
        if node.tag != _MAP_TAG:
            raise self.error(node, f"the tag {node.tag} is not supported", path, hint="remove the tag")
        result: dict[str, Any] = {}
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            key, line = self.key(key_node, path), key_node.start_mark.line + 1
            if key in first:
                raise self.error(key_node, f"duplicate key {key!r}: first on line {first[key]}, "
                                           f"again on line {line}", path + (key,), hint="keep one of them")
            first[key] = line
            self.lines[path + (key,)] = line
            result[key] = self.value(value_node, path + (key,))
        return result

    def key(self, node: Any, path: PathKey) -> str:
        if node.tag == _MERGE_TAG:
            raise self.error(node, "merge keys (<<) are not supported", path,
                             hint="write the values out in full")
        if node.id != "scalar":
            raise self.error(node, "a key must be plain text, not a list or mapping", path)
        return str(node.value)

    def sequence(self, node: Any, path: PathKey) -> list[Any]:
        if node.tag != _SEQ_TAG:
            raise self.error(node, f"the tag {node.tag} is not supported", path, hint="remove the tag")
        items = []
        for index, item in enumerate(node.value):
            self.lines[path + (index,)] = item.start_mark.line + 1
            items.append(self.value(item, path + (index,)))
        return items


# -- YAML errors in plain language -------------------------------------------------------------------


def _yaml_error(exc: yaml.YAMLError, text: str, filename: str) -> YamlSourceError:
    if isinstance(exc, yaml.reader.ReaderError):
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        return YamlSourceError(f"contains the character U+{ord(char):04X}, which YAML does not allow",
                               filename, text.count("\n", 0, exc.position) + 1,
                               hint="remove it; plan and config files are plain text")
    if not isinstance(exc, yaml.MarkedYAMLError):
        return YamlSourceError(f"YAML error: {exc}", filename)
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    problem = exc.problem or exc.context or "invalid YAML"
    return YamlSourceError(f"YAML syntax error: {problem}", filename, line, column,
                           hint=_syntax_hint(exc, text))


_SYNTAX_HINTS = (
    ("another document", "a file holds one document: remove the extra '---' line"),
    ("mapping values are not allowed", 'a value containing ": " must be quoted; else check the indentation'),
    ("could not find expected ':'", "write key: value with a space after the colon; check the indentation"),
    ("expected <block end>", "check the indentation: the keys of one mapping must line up"),
    ("did not find expected key", "check the indentation: the keys of one mapping must line up"),
    ("undefined alias", "an alias (*name) needs an anchor (&name) earlier in the file"),
    ("quoted scalar", "a quoted value is not closed, or holds an unescaped quote"),
    ("cannot start any token", "put values that start with @, ` or % in quotes"),
)


def _syntax_hint(exc: Any, text: str) -> str | None:
    mark = exc.problem_mark or exc.context_mark
    lines = text.splitlines()
    if mark and mark.line < len(lines) and "\t" in lines[mark.line][: mark.column + 1]:
        return TAB_HINT
    said = f"{exc.context or ''} {exc.problem or ''}"
    if "'\\t'" in said:
        return TAB_HINT
    return next((hint for needle, hint in _SYNTAX_HINTS if needle in said), None)
