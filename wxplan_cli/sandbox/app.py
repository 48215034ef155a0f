"""``Sandbox``: one request in, one response out - routing, authentication, faults and signing.

``Sandbox.handle(method, target, headers, body)`` takes the raw request target (path + ``?`` + query,
exactly as received) and the raw body bytes, and returns a ``SandboxResponse``. It never raises and is
thread-safe; the HTTP server (``server``) and the in-process httpx transport (``transport``) are thin
fronts over it. Order of checks:

1. body size (413 over 1 MB), route (404 unknown path, 405 wrong method);
2. ``Authorization`` (401 ``SIGN_ERROR``, see ``auth``);
3. reply signing mode from the request's ``Wechatpay-Serial``: the identity's ``PUB_KEY_ID_...`` selects
   public-key mode (signed with ``wechatpay_key``), anything else or no header platform-certificate mode
   (signed with ``platform_key`` under ``platform_serial``); an unknown ``PUB_KEY_ID_...`` is a 400;
4. faults (``faults``): injected 429/500/503 answer before anything is applied;
5. the endpoint (``handlers``); 4xx problems become WeChat-style JSON errors.

Every response carries a ``Request-ID``. Every 2xx and every error after authentication is signed;
unauthenticated errors are not (as WeChat Pay does). An unexpected exception becomes a 500
``SYSTEM_ERROR`` without any traceback in the reply.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace

from wxplan_cli.sandbox import faults as faultlib
from wxplan_cli.sandbox.auth import authenticate
from wxplan_cli.sandbox.handlers import Call, Endpoints, Reply
from wxplan_cli.sandbox.identity import SandboxIdentity
from wxplan_cli.sandbox.jsonbody import MAX_BODY, dump
from wxplan_cli.sandbox.options import SandboxOptions
from wxplan_cli.sandbox.problems import ApiProblem
from wxplan_cli.sandbox.routes import match, parse_query
from wxplan_cli.sandbox.store import Store
from wxplan_cli.signing import Clock, ResponseSigner

__all__ = ["Sandbox", "SandboxOptions", "SandboxResponse", "decode_target", "problem_response"]

log = logging.getLogger(__name__)


@dataclass
class SandboxResponse:
    """What to send back. ``drop``: the request was applied, now close the connection without a reply."""

    status: int
    headers: dict[str, str]
    body: bytes
    delay: float = 0.0
    drop: bool = False


class Sandbox:
    """The WeChat Pay APIv3 delivery-plan emulator."""

    def __init__(self, identity: SandboxIdentity, store: Store, options: SandboxOptions | None = None,
                 clock: Clock = time.time) -> None:
        self.identity = identity
        self.store = store
        self.options = options or SandboxOptions()
        self.clock = clock
        self._dice = faultlib.FaultDice(self.options)
        self._endpoints = Endpoints(identity, store, self.options.delays)

    def set_fault_rates(self, options: SandboxOptions) -> None:
        """Use ``options``' fault rates from now on; plans, keys and delays are kept."""
        self.options = options
        self._dice = faultlib.FaultDice(options)

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> SandboxResponse:
        """Answer one request; never raises."""
        request_id = secrets.token_hex(16).upper()
        try:
            lowered = {str(k).lower(): str(v) for k, v in headers.items()}
            return self._handle(method, target, lowered, body, request_id)
        except ApiProblem as problem:
            return _error(problem, request_id, None)
        except Exception:  # noqa: BLE001 - the one place that turns any bug into a 500
            path = target.partition("?")[0][:200]
            log.exception("sandbox error on %s %s (Request-ID %s)", method[:16], path, request_id)
            return _error(ApiProblem(500, "SYSTEM_ERROR", "unexpected sandbox error"), request_id, None)

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def _handle(self, method: str, target: str, headers: dict[str, str], body: bytes,
                request_id: str) -> SandboxResponse:
        if len(body) > MAX_BODY:
            raise ApiProblem(413, "REQUEST_TOO_LARGE", f"the body is {len(body)} bytes, at most {MAX_BODY}")
        path, _, query = target.partition("?")
        route = match(method, path)
        now = self.clock()
        mchid = authenticate(self.identity, method, target, headers, body, now, self.options.time_window)
        signer = self._signer(headers)
        chosen = faultlib.from_header(headers.get(faultlib.HEADER), self.options.slow_seconds)
        chosen = chosen.merge(self._dice.roll())
        refusal = chosen.refusal()
        if refusal is not None:
            response = _error(refusal, request_id, None)
        else:
            call = Call(mchid, now, route.params, {}, body, headers)
            response = self._respond(route.endpoint, query, call, request_id, signer, chosen)
        response.delay, response.drop = chosen.slow, chosen.drop
        return response

    def _respond(self, endpoint: str, query: str, call: Call, request_id: str, signer: ResponseSigner,
                 chosen: faultlib.Faults) -> SandboxResponse:
        try:
            call = replace(call, query=parse_query(endpoint, query))
            reply = self._endpoints.dispatch(endpoint, call)
        except ApiProblem as problem:
            return _error(problem, request_id, signer)
        return _success(reply, request_id, signer, chosen, self.clock())

    def _signer(self, headers: Mapping[str, str]) -> ResponseSigner:
        serial = headers.get("wechatpay-serial", "").strip()
        if serial.startswith("PUB_KEY_ID_"):
            if serial != self.identity.public_key_id:
                raise ApiProblem(400, "PARAM_ERROR", "Wechatpay-Serial names an unknown WeChat Pay "
                                 "public key id", field="Wechatpay-Serial", location="header")
            return ResponseSigner(serial, self.identity.wechatpay_key, clock=self.clock)
        return ResponseSigner(self.identity.platform_serial, self.identity.platform_key, clock=self.clock)


def decode_target(raw: bytes) -> str:
    """A raw request target as text: UTF-8 when it is valid UTF-8 (so re-encoding gives back the exact
    bytes for the signature check), else Latin-1 (the signature will simply not match)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def problem_response(problem: ApiProblem) -> SandboxResponse:
    """An unsigned WeChat-style error response with a fresh ``Request-ID`` (for the HTTP front)."""
    return _error(problem, secrets.token_hex(16).upper(), None)


def _success(reply: Reply, request_id: str, signer: ResponseSigner, chosen: faultlib.Faults,
             now: float) -> SandboxResponse:
    body = b"" if reply.payload is None else dump(reply.payload)
    headers = {"Request-ID": request_id, **faultlib.signature_headers(signer, body, now, chosen)}
    if body:
        headers["Content-Type"] = "application/json"
    return SandboxResponse(reply.status, headers, body)


def _error(problem: ApiProblem, request_id: str, signer: ResponseSigner | None) -> SandboxResponse:
    body = dump(problem.body())
    headers = {"Request-ID": request_id, "Content-Type": "application/json"}
    if signer is not None:
        headers.update(signer.headers(body))
    return SandboxResponse(problem.status, headers, body)
