"""``httpx.Auth`` for WeChat Pay APIv3: signs the exact bytes sent, validates every 2xx response.

Verification is on by default. Turning it off takes the explicitly named ``UNVERIFIED_RESPONSES``.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Protocol

import httpx

from wxplan_cli.signing import RequestSigner


class Validator(Protocol):
    """Anything that raises ``SignatureError`` for an inauthentic 2xx response."""

    def validate(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise when the response cannot be trusted."""


class _NoValidation:
    """Accepts every response. Only for the certificate download bootstrap, which verifies later."""

    def validate(self, headers: Mapping[str, str], body: bytes) -> None:
        """Do nothing, on purpose."""


UNVERIFIED_RESPONSES: Validator = _NoValidation()

#: request extension holding the message that was signed (no secret: method, URL, time, nonce, body)
SIGNED_MESSAGE = "wxplan.signed_message"


class WechatPayAuth(httpx.Auth):
    """Signs each request (method, raw path+query, raw body) and validates each 2xx response."""

    requires_request_body = True
    requires_response_body = True

    def __init__(self, signer: RequestSigner, validator: Validator) -> None:
        self.signer = signer
        self.validator = validator

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Sign what goes on the wire; check what comes back."""
        path_qs = request.url.raw_path.decode("ascii")
        header, message = self.signer.sign_request(request.method, path_qs, request.content)
        request.headers["Authorization"] = header
        request.extensions[SIGNED_MESSAGE] = message
        response = yield request
        if 200 <= response.status_code < 300:
            self.validator.validate(response.headers, response.content)
