"""Helpers for the sandbox tests: request bodies, a fake clock and a minimal signed client.

``SignedClient`` is independent of the project's client: it signs with ``signing.RequestSigner`` over
the exact bytes it sends, through a real loopback server or the in-process transport.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from wxplan_cli import credentials, signing
from wxplan_cli.sandbox.app import Sandbox
from wxplan_cli.sandbox.identity import SandboxIdentity
from wxplan_cli.sandbox.options import SandboxOptions
from wxplan_cli.sandbox.store import open_store

PLANS = "/v3/marketing/partner/delivery-plan/delivery-plans"
BRAND = "40016"
LIST = f"{PLANS}/{BRAND}/delivery-plans"
START = "2026-01-01T00:00:00+08:00"
END = "2026-03-01T00:00:00+08:00"


def plan_body(**changes: Any) -> dict[str, Any]:
    """A valid create body; ``changes`` override members (``None`` removes one)."""
    body: dict[str, Any] = {
        "out_request_no": "req-000001", "brand_id": BRAND,
        "product_coupon_id": "701146876221757924829193824428", "stock_id": "701246876221757924829194755312",
        "reuse_coupon_config": False, "plan_name": "冬季饮料投放",
        "total_count": 20000, "user_limit": 2, "daily_limit": 1, "delivery_start_time": START,
        "delivery_end_time": END, "recommend_word": "天天有惊喜",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


class FakeClock:
    """A settable clock shared by a sandbox and its client signer."""

    def __init__(self, now: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def compact(value: Any) -> bytes:
    """The canonical wire form our own client uses."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class SignedClient:
    """Sends signed requests; ``send`` returns the httpx response."""

    http: httpx.Client
    signer: signing.RequestSigner
    keys: signing.VerificationKeys
    public_key_id: str

    def send(self, method: str, path: str, body: Any = None, *, headers: Mapping[str, str] | None = None,
             public_key_mode: bool = False) -> httpx.Response:
        data = body if isinstance(body, bytes) else (b"" if body is None else compact(body))
        sent = self.send_headers(method, path, data, public_key_mode=public_key_mode)
        sent.update(headers or {})
        return self.http.request(method, path, content=data, headers=sent)

    def send_headers(self, method: str, path: str, data: bytes = b"", *,
                     public_key_mode: bool = False) -> dict[str, str]:
        """The headers a request with exactly these bytes needs."""
        sent = {"Accept": "application/json", "Authorization": self.signer.authorization(method, path, data)}
        if data:
            sent["Content-Type"] = "application/json"
        if public_key_mode:
            sent["Wechatpay-Serial"] = self.public_key_id
        return sent

    def validator(self, clock: signing.Clock | None = None) -> signing.ResponseValidator:
        return signing.ResponseValidator(self.keys, clock=clock or self.signer.clock)

    def verified(self, response: httpx.Response) -> Any:
        """Validate a 2xx response's signature, then decode it (``None`` for an empty body)."""
        assert 200 <= response.status_code < 300, response.text
        self.validator().validate(response.headers, response.content)
        return response.json() if response.content else None


def make_sandbox(identity: SandboxIdentity, clock: signing.Clock, **options: Any) -> Sandbox:
    return Sandbox(identity, open_store(None), SandboxOptions(**options), clock=clock)


def make_client(profile: Mapping[str, Any], http: httpx.Client, clock: signing.Clock,
                key: Any = None) -> SignedClient:
    """A client of the sandbox described by ``profile`` (``key``: the loaded merchant key, if at hand)."""
    key = key or credentials.load_private_key(profile["private_key"])
    signer = signing.RequestSigner(profile["mchid"], profile["serial_no"], key, clock=clock)
    keys = credentials.verification_keys(profile["wechatpay_public_key"], profile["wechatpay_public_key_id"],
                                         profile["platform_certs"])
    return SignedClient(http, signer, keys, profile["wechatpay_public_key_id"])


def plan_ids_from_process(directory: str, state_file: str, numbers: list[str]) -> list[str]:
    """Run in a child process: create one plan per out_request_no against a file-backed sandbox."""
    from pathlib import Path

    from wxplan_cli.sandbox import open_sandbox

    box = open_sandbox(Path(directory), state_file=Path(state_file))
    profile = box.identity.client_profile()
    key = credentials.load_private_key(str(profile["private_key"]))
    signer = signing.RequestSigner(box.identity.mchid, str(profile["serial_no"]), key)
    out = []
    for number in numbers:
        body = compact(plan_body(out_request_no=number))
        headers = {"Authorization": signer.authorization("POST", PLANS, body),
                   "Content-Type": "application/json"}
        reply = box.handle("POST", PLANS, headers, body)
        assert reply.status == 200, reply.body
        out.append(json.loads(reply.body)["plan"]["plan_id"])
    box.close()
    return out


def identity_from_process(directory: str) -> tuple[str, str, str]:
    """Run in a child process: ensure the identity in ``directory``; what it ended up with."""
    from pathlib import Path

    from wxplan_cli.sandbox.identity import ensure_identity

    identity = ensure_identity(Path(directory))
    profile = identity.client_profile()
    return str(profile["serial_no"]), identity.public_key_id, identity.apiv3_key
