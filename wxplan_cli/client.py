"""``PartnerClient``: one typed method per endpoint of the partner delivery-plan API.

The body of a write is serialised once (compact UTF-8 JSON, no nulls); those bytes are signed by
``WechatPayAuth`` and sent unchanged on every attempt. Status handling (spec §8.3):

- 2xx: already verified by the auth flow; decoded (an empty 204 body is never decoded);
- 429 / 5xx / connect errors: retried with jittered exponential backoff, honouring ``Retry-After``;
- a write whose request left but whose answer never came (read timeout, dropped connection) is
  *not* retried: it raises ``UnknownOutcomeError`` (exit 7), since it may have been applied;
- other non-2xx: ``ApiError`` with the status, ``code``, ``message``, ``detail`` and ``Request-ID``.
"""

from __future__ import annotations

import json
import platform
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from wxplan_cli import __version__
from wxplan_cli.errors import ApiError, ApiErrorInfo, TransportError, UnknownOutcomeError, WxplanError
from wxplan_cli.redact import redact_headers, redact_text
from wxplan_cli.wire import encode_json

BASE_URL = "https://api.mch.weixin.qq.com"
PLANS = "/v3/marketing/partner/delivery-plan/delivery-plans"
RETRY_STATUSES = frozenset({202, 429, 500, 502, 503, 504})  # 202: 请使用原参数重复请求

Logger = Callable[[str], None]


def user_agent() -> str:
    """``wxplan/<ver> (<os>) Python/<ver>``, as the spec recommends."""
    return (f"wxplan/{__version__} ({platform.system()}/{platform.release()}) "
            f"Python/{platform.python_version()}")


@dataclass
class RetryPolicy:
    """How often and how patiently to retry 429, 5xx and connect errors."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: str | None) -> float:
        """Seconds before retry ``attempt`` (1-based): ``Retry-After`` if given, else jittered backoff."""
        if retry_after and retry_after.strip().isdigit():
            return min(float(retry_after), self.max_delay)
        cap = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return self.rng.uniform(cap / 2, cap)


@dataclass
class RawResponse:
    """A 2xx reply as received, for callers that verify it themselves or read its headers."""

    status: int
    headers: httpx.Headers
    body: bytes


@dataclass
class PlanPage:
    """One page of the list endpoint."""

    total_count: int
    plan_list: list[dict[str, Any]]


class PartnerClient:
    """Signed calls to the partner delivery-plan endpoints."""

    def __init__(self, *, auth: httpx.Auth, base_url: str = BASE_URL,
                 transport: httpx.BaseTransport | None = None,
                 timeout: httpx.Timeout | None = None, retry: RetryPolicy | None = None,
                 wechatpay_serial: str | None = None, log: Logger | None = None) -> None:
        headers = {"Accept": "application/json", "User-Agent": user_agent()}
        if wechatpay_serial:
            headers["Wechatpay-Serial"] = wechatpay_serial
        self._auth = auth
        hooks: dict[str, list[Callable[..., Any]]] = (
            {"request": [self._log_request], "response": [self._log_response]} if log else {})
        self._http = httpx.Client(base_url=base_url.rstrip("/"), auth=auth, transport=transport,
                                  timeout=timeout or httpx.Timeout(10.0, connect=5.0),
                                  headers=headers, follow_redirects=False, event_hooks=hooks)
        self.retry = retry or RetryPolicy()
        self.log = log

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def on_response(self, hook: Callable[[httpx.Response], None]) -> None:
        """Call ``hook`` with every response received, before it is verified or mapped (batch create
        records each reply's ``Request-ID`` this way)."""
        self._http.event_hooks["response"].append(hook)

    def __enter__(self) -> PartnerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- endpoints -------------------------------------------------------------------------

    def create_plan(self, body: bytes) -> dict[str, Any]:
        """A — create a plan from its serialised payload; returns the ``plan`` object."""
        return _plan_of(self._call("POST", PLANS, body=body))

    def list_plans(self, brand_id: str, *, offset: int = 0, page_size: int = 10,
                   plan_state: str | None = None, audit_state: str | None = None,
                   plan_id: str | None = None) -> PlanPage:
        """B — one page of the brand's plans."""
        query = {"page_size": page_size, "offset": offset, "plan_state": plan_state,
                 "audit_state": audit_state, "plan_id": plan_id}
        path = f"{PLANS}/{_seg(brand_id)}/delivery-plans"
        data = self._call("GET", path, query=query)
        plans = data.get("plan_list") or []
        total = data.get("total_count")
        return PlanPage(total if isinstance(total, int) else len(plans),
                        [p for p in plans if isinstance(p, dict)])

    def update_plan(self, plan_id: str, body: bytes) -> dict[str, Any]:
        """C — update a plan (``{"out_request_no", "modify_content"}``); returns the ``plan``."""
        return _plan_of(self._call("PATCH", f"{PLANS}/{_seg(plan_id)}", body=body))

    def terminate_plan(self, plan_id: str) -> None:
        """D — terminate a plan (204, empty signed body)."""
        self._call("POST", f"{PLANS}/{_seg(plan_id)}/terminate")

    def set_notify_url(self, sp_mchid: str, notify_url: str) -> str:
        """E — set the service provider's plan-change callback URL."""
        path = f"/v3/marketing/partner/delivery-plan/{_seg(sp_mchid)}/notify-url"
        data = self._call("POST", path, body=encode_json({"notify_url": notify_url}))
        return str(data.get("notify_url", notify_url))

    def preview_create(self, body: bytes) -> httpx.Request:
        """The signed create request, exactly as ``create_plan`` would send it, without sending."""
        request = self._http.build_request("POST", PLANS, content=body,
                                           headers={"Content-Type": "application/json"})
        return next(self._auth.sync_auth_flow(request))

    def certificates(self) -> dict[str, Any]:
        """``GET /v3/certificates``: the encrypted platform certificates."""
        return self._call("GET", "/v3/certificates")

    def get_raw(self, path: str, query: Mapping[str, Any] | None = None) -> RawResponse:
        """A signed GET (with retries and error mapping) whose 2xx reply is returned undecoded.

        The auth's validator still runs: the certificate bootstrap passes a client built with
        ``UNVERIFIED_RESPONSES`` and verifies the reply itself; ``doctor`` reads the ``Date`` header.
        """
        response = self._send_with_retries("GET", _target(path, query), b"", {})
        if not 200 <= response.status_code < 300:
            raise api_error(response)
        return RawResponse(response.status_code, response.headers, response.content)

    # -- plumbing --------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, query: Mapping[str, Any] | None = None,
              body: bytes | None = None) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        response = self._send_with_retries(method, _target(path, query), body or b"", headers)
        return _decode(response)

    def _send_with_retries(self, method: str, target: str, body: bytes,
                           headers: dict[str, str]) -> httpx.Response:
        """Send, retrying what is safe to retry (spec §8.3) with the same bytes every time."""
        for attempt in range(1, self.retry.attempts + 1):
            last = attempt == self.retry.attempts
            try:
                response = self._send_once(method, target, body, headers)
            except _Retry as retry:
                if last:
                    raise retry.error from None
                self._backoff(attempt, None, retry.why)
                continue
            if response.status_code in RETRY_STATUSES and not last:
                self._backoff(attempt, response.headers.get("Retry-After"),
                              f"HTTP {response.status_code}")
                continue
            if response.status_code == 202:
                raise UnknownOutcomeError(
                    f"WeChat Pay accepted the request but had not processed it after "
                    f"{self.retry.attempts} tries (HTTP 202)", hint=_unknown_hint(method))
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _send_once(self, method: str, target: str, body: bytes,
                   headers: dict[str, str]) -> httpx.Response:
        request = self._http.build_request(method, target, content=body or None, headers=headers)
        try:
            return self._http.send(request)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise _Retry(TransportError(f"cannot reach {self._http.base_url}: {_reason(exc)}",
                                        hint="check the network and base_url; nothing was sent"),
                         f"connect error ({_reason(exc)})") from None
        except httpx.TransportError as exc:
            what = "timed out waiting for the reply" if isinstance(exc, httpx.TimeoutException) \
                else f"the connection broke before the reply ({_reason(exc)})"
            if method == "GET":  # a read changes nothing: safe to ask again
                raise _Retry(TransportError(what, hint="retry later"), what) from None
            raise UnknownOutcomeError(f"{what}: the request may have been applied",
                                      hint=_unknown_hint(method)) from None

    def _backoff(self, attempt: int, retry_after: str | None, why: str) -> None:
        pause = self.retry.delay(attempt, retry_after)
        if self.log:
            self.log(f"retry {attempt}/{self.retry.attempts - 1} after {why}: waiting {pause:.2f}s")
        self.retry.sleep(pause)

    def _log_request(self, request: httpx.Request) -> None:
        """Event hook: the request as signed and sent (signature redacted)."""
        if not self.log:
            return
        lines = [f"> {request.method} {request.url}"]
        lines += [f"> {k}: {v}" for k, v in redact_headers(request.headers.multi_items())]
        if request.content:
            lines.append("> " + redact_text(request.content.decode("utf-8", "replace")))
        self.log("\n".join(lines))

    def _log_response(self, response: httpx.Response) -> None:
        """Event hook: the response as received (signature redacted)."""
        if not self.log:
            return
        response.read()
        lines = [f"< HTTP {response.status_code}"]
        lines += [f"< {k}: {v}" for k, v in redact_headers(response.headers.multi_items())]
        if response.content:
            lines.append("< " + redact_text(response.content[:4000].decode("utf-8", "replace")))
        self.log("\n".join(lines))


class _Retry(Exception):
    """A failure after which the same request may be sent again; ``error`` if it is the last try."""

    def __init__(self, error: WxplanError, why: str) -> None:
        super().__init__(why)
        self.error = error
        self.why = why


def _unknown_hint(method: str) -> str:
    if method == "POST":
        return ("check the plan's state (wxplan list / show) before retrying; re-running the same "
                "command resends the same out_request_no and body")
    return "check the plan's state (wxplan show) before running the command again"


def _target(path: str, query: Mapping[str, Any] | None) -> str:
    """``path?query`` as it will be signed and sent (unset parameters left out)."""
    pairs = [(k, v) for k, v in (query or {}).items() if v is not None]
    return f"{path}?{urlencode(pairs)}" if pairs else path


def _seg(value: str) -> str:
    """One path segment, percent-encoded so an id can never change the path."""
    return quote(str(value), safe="")


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _decode(response: httpx.Response) -> dict[str, Any]:
    if not 200 <= response.status_code < 300:
        raise api_error(response)
    if not response.content:
        return {}
    try:
        data = json.loads(response.content)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise UnknownOutcomeError(
            f"HTTP {response.status_code} reply is not a JSON object",
            hint=f"Request-ID {response.headers.get('Request-ID', '-')}; check the plan's state")
    return data


def _plan_of(data: dict[str, Any]) -> dict[str, Any]:
    plan = data.get("plan")
    if not isinstance(plan, dict):
        raise UnknownOutcomeError("the reply has no plan object",
                                  hint="the request may have been applied; check with wxplan list")
    return plan


_HINTS = {
    400: "fix the field named above and run the command again",
    401: "the signature was refused: check mchid, serial_no, the private key and the local clock",
    403: "the merchant lacks this permission: enable it in 商户平台 or ask the brand to authorise it",
    404: "check the id or brand_id",
    429: "rate limited: wait and run the same command again",
}


def api_error(response: httpx.Response) -> ApiError:
    """Map a non-2xx response to ``ApiError``, parsing its (unauthenticated) body leniently."""
    try:
        body = json.loads(response.content) if response.content else {}
    except (ValueError, RecursionError):  # unauthenticated: may be anything
        body = {}
    body = body if isinstance(body, dict) else {}
    detail = body.get("detail")
    info = ApiErrorInfo(
        status=response.status_code,
        code=str(body["code"]) if body.get("code") else None,
        message=str(body["message"]) if body.get("message") else (response.reason_phrase or None),
        detail=detail if isinstance(detail, dict) else {},
        request_id=response.headers.get("Request-ID"))
    hint = _HINTS.get(info.status) or ("WeChat Pay had a problem: run the same command again later"
                                       if info.status >= 500 else None)
    if info.status == 401:
        hint = f"the signature was refused: {_sign_error_cause(response, info)}"
    return ApiError(info, hint=hint)


def _sign_error_cause(response: httpx.Response, info: ApiErrorInfo) -> str:
    from wxplan_cli.auth import SIGNED_MESSAGE
    from wxplan_cli.diagnose import explain_sign_error

    try:
        signed = response.request.extensions.get(SIGNED_MESSAGE)
    except RuntimeError:  # a response built without its request
        signed = None
    return explain_sign_error(info.detail, signed if isinstance(signed, bytes) else None,
                              response.headers.get("Date"), time.time())
