"""The YAML / JSON half of :mod:`wxplan_cli.planstream`: plans streamed one at a time from PyYAML events.

PyYAML's composer is driven by hand: the top of each document is read as events, and each plan (a list
item, a document, an item of ``plans:``) is composed on its own and turned into plain data with lines by
:mod:`wxplan_cli.yamlwalk`'s walker, the same one that reads a single plan file. Between plans the
loader's caches are emptied, so memory does not grow with the number of plans.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import yaml

from wxplan_cli.errors import Issue
from wxplan_cli.planstream import TOP_KEYS, InputError, PlanItem, source_issue
from wxplan_cli.yamlsrc import Sourced, YamlSourceError
from wxplan_cli.yamlwalk import _Walker, _yaml_error

_PLAN_HINT = "each plan is a mapping of field: value"


def yaml_items(text: IO[str] | Any, name: str, *, json_mode: bool) -> Iterator[PlanItem]:
    """Every plan of a YAML or JSON stream (lists, documents, ``defaults:``/``plans:``, single plans)."""
    reader: _Reader | None = None
    try:
        reader = _Reader(yaml.SafeLoader(text), name, json_mode)  # reads the first chunk already
        yield from reader.stream()
    except yaml.YAMLError as exc:
        issue = source_issue(_yaml_error(exc, "", name), "file")
        if isinstance(exc, yaml.reader.ReaderError):  # it counts characters, not lines: name no line
            issue = Issue(issue.field, issue.message, name, issue.hint)
        raise InputError(issue) from None
    except RecursionError:
        raise InputError(Issue("file", "values are nested too deeply", name)) from None
    finally:
        if reader is not None:
            reader.loader.dispose()


class _Reader:
    def __init__(self, loader: yaml.SafeLoader, name: str, json_mode: bool) -> None:
        self.loader: Any = loader  # driven below its public API, where PyYAML's stubs are partial
        self.name, self.json_mode = name, json_mode
        self.defaults: Sourced | None = None

    def stream(self) -> Iterator[PlanItem]:
        """Every document: a list, a mapping (batch form or one plan), or a single value."""
        loader = self.loader
        loader.get_event()  # StreamStartEvent
        while not loader.check_event(yaml.StreamEndEvent):
            loader.get_event()  # DocumentStartEvent
            self.defaults = None
            if loader.check_event(yaml.SequenceStartEvent):
                yield from self.sequence()
            elif loader.check_event(yaml.MappingStartEvent):
                yield from self.mapping_document()
            else:
                node = loader.compose_node(None, None)
                if not (node.tag.endswith(":null") and node.value in ("", "~", "null")):
                    yield self.item(node)  # a document that is a single value: its item says so
            loader.get_event()  # DocumentEndEvent
            loader.anchors = {}

    def sequence(self) -> Iterator[PlanItem]:
        """One item per list element, composed one at a time."""
        self.loader.get_event()  # SequenceStartEvent
        while not self.loader.check_event(yaml.SequenceEndEvent):
            yield self.item(self.loader.compose_node(None, None))
        self.loader.get_event()

    def mapping_document(self) -> Iterator[PlanItem]:
        """The batch form when the first key is ``defaults`` or ``plans``, else one plan."""
        start = self.loader.get_event()  # MappingStartEvent
        first = self.loader.peek_event()
        if isinstance(first, yaml.ScalarEvent) and first.value in TOP_KEYS:
            yield from self.sections()
        else:
            yield self.item(self.rest_of_mapping(start))

    def sections(self) -> Iterator[PlanItem]:
        """``defaults:`` (optional, first) and ``plans:`` (a list) of a batch file."""
        seen: set[str] = set()
        while not self.loader.check_event(yaml.MappingEndEvent):
            key_node = self.loader.compose_node(None, None)
            key, where = str(key_node.value), f"{self.name}:{key_node.start_mark.line + 1}"
            if key not in TOP_KEYS or key in seen:
                problem = "appears twice" if key in seen else "unknown top-level key in a batch file"
                raise InputError(Issue(key, problem, where, "a batch file holds defaults: (optional, first) "
                                                            "and plans: (a list of plans)"))
            seen.add(key)
            if key == "defaults":
                if "plans" in seen:
                    raise InputError(Issue(key, "must come before plans:", where, "move defaults: up"))
                self.defaults = self.section_defaults(self.loader.compose_node(None, None), where)
            elif self.loader.check_event(yaml.SequenceStartEvent):
                yield from self.sequence()
            else:
                raise InputError(Issue(key, "must be a list of plans", where,
                                       "write each plan as a list item: - brand_id: ..."))
        self.loader.get_event()  # MappingEndEvent

    def section_defaults(self, node: Any, where: str) -> Sourced:
        """The ``defaults:`` mapping, with its lines."""
        try:
            doc = self.walk(node)
        except YamlSourceError as exc:
            raise InputError(source_issue(exc, "defaults")) from None
        if not isinstance(doc.data, dict):
            raise InputError(Issue("defaults", "must be a mapping of field: value", where))
        return doc

    def rest_of_mapping(self, start: Any) -> Any:
        """Compose a mapping whose start event was already read (PyYAML's compose_mapping_node, resumed)."""
        loader = self.loader
        tag = start.tag
        if tag is None or tag == "!":
            tag = loader.resolve(yaml.MappingNode, None, start.implicit)
        node = yaml.MappingNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        if start.anchor is not None:
            loader.anchors[start.anchor] = node
        while not loader.check_event(yaml.MappingEndEvent):
            key = loader.compose_node(node, None)
            node.value.append((key, loader.compose_node(node, key)))
        node.end_mark = loader.get_event().end_mark
        return node

    def item(self, node: Any) -> PlanItem:
        """One plan from its node (or why it is not one); the loader's caches are emptied after it."""
        location = f"{self.name}:{node.start_mark.line + 1}"
        try:
            if node.id != "mapping":
                kind = "a list" if node.id == "sequence" else "a single value"
                return PlanItem(location, None, (Issue("plan", f"must be a mapping, not {kind}", location,
                                                       _PLAN_HINT),))
            try:
                doc = self.walk(node)
            except YamlSourceError as exc:
                return PlanItem(location, None, (source_issue(exc),))
            except ValueError:
                return PlanItem(location, None, (Issue("plan", "is not valid JSON", location),))
            return PlanItem(location, doc, defaults=self.defaults)
        finally:
            self.loader.constructed_objects = {}
            self.loader.recursive_objects = {}

    def walk(self, node: Any) -> Sourced:
        """Plain data with lines, exactly as a plan file is read."""
        return _Walker(self.loader, self.name, json_mode=self.json_mode).document(node)
