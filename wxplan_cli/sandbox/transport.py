"""``SandboxTransport``: an httpx transport that answers from an in-process ``Sandbox``.

Used by the built-in ``sandbox`` profile and by tests: no socket, but the same bytes a server would see
(the raw target from ``request.url.raw_path``, the body bytes as sent). Faults map onto what httpx
raises over a real network: ``drop`` raises ``httpx.RemoteProtocolError`` (after the sandbox applied the
request, so the outcome is unknown to the client); a ``delay`` longer than the request's read timeout
sleeps that timeout and raises ``httpx.ReadTimeout``; shorter delays just sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from wxplan_cli.sandbox.app import Sandbox, decode_target


class SandboxTransport(httpx.BaseTransport):
    """Send httpx requests to ``sandbox`` in-process."""

    def __init__(self, sandbox: Sandbox, sleep: Callable[[float], None] = time.sleep) -> None:
        self.sandbox = sandbox
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` the way the sandbox server would."""
        body = request.read()
        target = decode_target(request.url.raw_path)
        reply = self.sandbox.handle(request.method, target, dict(request.headers.items()), body)
        if reply.delay:
            timeout = request.extensions.get("timeout", {}).get("read")
            if timeout is not None and reply.delay > timeout:
                self._sleep(timeout)
                raise httpx.ReadTimeout("the sandbox did not answer in time (injected slow reply)",
                                        request=request)
            self._sleep(reply.delay)
        if reply.drop:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.",
                                            request=request)
        return httpx.Response(reply.status, headers=reply.headers, content=reply.body, request=request)
