"""Map a method and a raw path to an endpoint of the partner delivery-plan family (spec §2).

Unknown paths are 404 ``NOT_FOUND``; a known path with another method is 405 ``METHOD_NOT_ALLOWED``.
Path parameters are percent-decoded per segment. Query strings are parsed strictly: a parameter an
endpoint does not take, or one given twice, is a 400 ``PARAM_ERROR``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

from wxplan_cli.sandbox.problems import ApiProblem, param_error

_PLAN = ("v3", "marketing", "partner", "delivery-plan")
# (segments, {method: endpoint}); "*" captures one segment, named by the endpoint's parameter.
_TABLE: tuple[tuple[tuple[str, ...], dict[str, str], str | None], ...] = (
    (("v3", "certificates"), {"GET": "certificates"}, None),
    ((*_PLAN, "delivery-plans"), {"POST": "create"}, None),
    ((*_PLAN, "delivery-plans", "*", "delivery-plans"), {"GET": "list"}, "brand_id"),
    ((*_PLAN, "delivery-plans", "*", "terminate"), {"POST": "terminate"}, "plan_id"),
    ((*_PLAN, "delivery-plans", "*"), {"PATCH": "update"}, "plan_id"),
    ((*_PLAN, "*", "notify-url"), {"POST": "notify_url"}, "sp_mchid"),
)
QUERY_PARAMS = {"list": ("offset", "page_size", "plan_state", "audit_state", "plan_id")}


@dataclass(frozen=True)
class Route:
    """The endpoint a request is for, with its path parameters."""

    endpoint: str
    params: dict[str, str] = field(default_factory=dict)


def match(method: str, path: str) -> Route:
    """The route for ``method`` and ``path`` (no query), or a 404 / 405 problem."""
    segments = tuple(path.split("/"))
    if len(segments) < 2 or segments[0] != "":
        raise _not_found(path)
    segments = segments[1:]
    for pattern, methods, param in _TABLE:
        captured = _capture(pattern, segments)
        if captured is None:
            continue
        endpoint = methods.get(method)  # methods are case-sensitive (RFC 9110)
        if endpoint is None:
            raise ApiProblem(405, "METHOD_NOT_ALLOWED", f"{method[:16]} is not allowed here; use "
                             f"{', '.join(methods)}", field=None)
        return Route(endpoint, {param: captured} if param and captured else {})
    raise _not_found(path)


def parse_query(endpoint: str, query: str) -> dict[str, str]:
    """The query parameters of ``endpoint``, each at most once."""
    allowed = QUERY_PARAMS.get(endpoint, ())
    out: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name not in allowed:
            raise param_error(name[:40], "unknown query parameter", location="query")
        if name in out:
            raise param_error(name, "query parameter given more than once", location="query")
        out[name] = value
    return out


def _capture(pattern: tuple[str, ...], segments: tuple[str, ...]) -> str | None:
    """The wildcard segment (``""`` when the pattern has none) if ``segments`` fit ``pattern``."""
    if len(pattern) != len(segments):
        return None
    captured = ""
    for want, got in zip(pattern, segments, strict=True):
        if want == "*":
            if not got:
                return None
            captured = unquote(got)
        elif want != got:
            return None
    return captured


def _not_found(path: str) -> ApiProblem:
    return ApiProblem(404, "NOT_FOUND", "no such endpoint", url=path[:200])
