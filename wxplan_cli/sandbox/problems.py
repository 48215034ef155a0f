"""WeChat-style error replies: ``{"code", "message", "detail"}`` raised as ``ApiProblem``.

Handlers raise ``ApiProblem``; ``Sandbox.handle`` turns it into a JSON error response. ``detail`` follows
the APIv3 basic rules (spec §8): ``field`` is a JSON pointer into the body (``/plan_name``) or the name of a
query/path parameter, ``location`` is ``body`` / ``query`` / ``path`` / ``header`` / ``authorization``,
``issue`` says what is wrong. ``detail.value`` echoes the offending value only for short, harmless values;
nothing secret (keys, signatures) is ever placed in a problem.
"""

from __future__ import annotations

from typing import Any

MESSAGES = {
    "PARAM_ERROR": "参数错误",
    "INVALID_REQUEST": "请求参数符合参数格式，但不符合业务规则",
    "SIGN_ERROR": "签名错误",
    "NO_AUTH": "商户无权限",
    "RESOURCE_NOT_EXISTS": "资源不存在",
    "NOT_FOUND": "请求的资源不存在",
    "METHOD_NOT_ALLOWED": "请求方式不正确",
    "RATELIMIT_EXCEEDED": "请求超过频率限制",
    "SYSTEM_ERROR": "系统异常，请稍后重试",
    "SERVICE_UNAVAILABLE": "服务不可用，请稍后重试",
    "REQUEST_TOO_LARGE": "请求体过大",
}


class ApiProblem(Exception):
    """A request the sandbox refuses: HTTP status, WeChat ``code``, ``message`` and ``detail``."""

    def __init__(self, status: int, code: str, issue: str, *, message: str | None = None,
                 **detail: Any) -> None:
        super().__init__(issue)
        self.status = status
        self.code = code
        self.message = message or MESSAGES.get(code, code)
        self.detail: dict[str, Any] = {"issue": issue, **{k: v for k, v in detail.items() if v is not None}}

    def body(self) -> dict[str, Any]:
        """The JSON error object."""
        return {"code": self.code, "message": self.message, "detail": self.detail}


def param_error(field: str, issue: str, *, location: str = "body", value: Any = None) -> ApiProblem:
    """400 ``PARAM_ERROR``: the value has the wrong format or type."""
    return ApiProblem(400, "PARAM_ERROR", issue, field=field, location=location, value=_short(value))


def invalid_request(field: str | None, issue: str, *, location: str = "body") -> ApiProblem:
    """400 ``INVALID_REQUEST``: well-formed, but against a business rule."""
    return ApiProblem(400, "INVALID_REQUEST", issue, field=field, location=location if field else None)


def not_found(field: str, issue: str) -> ApiProblem:
    """404 ``RESOURCE_NOT_EXISTS`` for an unknown plan id."""
    return ApiProblem(404, "RESOURCE_NOT_EXISTS", issue, field=field, location="path")


def _short(value: Any) -> Any:
    """Echo scalars up to 64 characters; never containers or long strings."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and len(value) <= 64:
        return value
    return None
