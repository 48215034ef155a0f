"""Serve a ``Sandbox`` over HTTP with the standard library (``ThreadingHTTPServer``), on loopback.

``serve_in_thread`` runs it in a background thread (tests, demos) and returns a ``RunningServer``;
``serve_forever`` blocks (``wxplan sandbox serve``). The front end only moves bytes:

- the raw request target from the request line, untouched, and the body read by ``Content-Length``;
  ``Transfer-Encoding`` (chunked) is refused with 411, a body over 1 MB with 413 (without reading it),
  a bad ``Content-Length`` with 400 - all as WeChat-style JSON, as are http.server's own errors;
- socket timeouts (15 s) so a stalled client never hangs a worker;
- HTTP/1.1 keep-alive (clients reuse their connections) with ``TCP_NODELAY``, so a reply is not held back
  by Nagle's algorithm waiting for the client's delayed ACK (40 ms per request); closing the server does
  not wait for idle keep-alive connections;
- ``drop`` closes the connection without a reply; ``delay`` sleeps before replying;
- one log line per request (method, path without the query, status, milliseconds, Request-ID);
  headers, signatures and bodies are never logged.
"""

from __future__ import annotations

import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from wxplan_cli.sandbox.app import Sandbox, SandboxResponse, decode_target, problem_response
from wxplan_cli.sandbox.jsonbody import MAX_BODY
from wxplan_cli.sandbox.problems import ApiProblem

LogSink = Callable[[str], None]
SOCKET_TIMEOUT = 15.0
_CODES = {400: "PARAM_ERROR", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 411: "PARAM_ERROR",
          413: "REQUEST_TOO_LARGE", 414: "PARAM_ERROR", 431: "PARAM_ERROR"}


def stderr_log(line: str) -> None:
    """Write one log line to the current ``sys.stderr``."""
    print(line, file=sys.stderr, flush=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # closing does not wait for idle keep-alive connections (up to 15 s each)

    def __init__(self, host: str, port: int, sandbox: Sandbox, log: LogSink) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sandbox = sandbox
        self.log = log
        super().__init__((host, port), _Handler)

    def server_bind(self) -> None:
        """Bind without ``HTTPServer``'s reverse DNS lookup (slow or hanging on some hosts)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line instead of a traceback (e.g. a client that reset the connection)."""
        kind = sys.exc_info()[0]
        self.log(f"connection error: {kind.__name__ if kind else 'unknown'}")


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "wxplan-sandbox"
    sys_version = ""
    timeout = SOCKET_TIMEOUT

    def setup(self) -> None:
        """No Nagle delay: a reply's head and body leave at once (else a keep-alive client waits for
        the delayed ACK, ~40 ms per request)."""
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # pragma: no cover - a connection already reset; the reply will fail anyway
            pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_GET  # noqa: N815

    def _serve(self) -> None:
        started = time.monotonic()
        body = self._read_body()
        if body is None:
            return
        words = self.requestline.split()
        target = decode_target((words[1] if len(words) == 3 else self.path).encode("latin-1"))
        reply = self.server.sandbox.handle(self.command, target, dict(self.headers.items()), body)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            self.close_connection = True
            self._log("dropped", started, reply)
            return
        self._write(reply)
        self._log(str(reply.status), started, reply)

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding"):
            self._refuse(411, "Transfer-Encoding is not supported: send the body with Content-Length")
            return None
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        if not (raw.strip().isascii() and raw.strip().isdigit()):
            self._refuse(400, "Content-Length is not a number")
            return None
        length = int(raw)
        if length > MAX_BODY:
            self._refuse(413, f"the body is {length} bytes, at most {MAX_BODY}")
            return None
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            return None
        return body

    def _refuse(self, status: int, issue: str) -> None:
        started = time.monotonic()
        reply = problem_response(ApiProblem(status, _CODES.get(status, "PARAM_ERROR"), issue))
        self.close_connection = True
        self._write(reply)
        self._log(str(status), started, reply)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (bad request line, URI too long, ...) as WeChat-style JSON.

        http.server answers an unknown method with 501 and HTTP/2 request lines with 505; these are the
        client's mistakes, so the sandbox says 405 and 400."""
        if code == HTTPStatus.NOT_IMPLEMENTED:
            code = HTTPStatus.METHOD_NOT_ALLOWED
            message = f"method {str(self.command)[:16]!r} is not supported"
        elif code >= 500:
            code, message = HTTPStatus.BAD_REQUEST, f"{message or 'unsupported request'} (use HTTP/1.1)"
        issue = message or HTTPStatus(code).phrase
        reply = problem_response(ApiProblem(code, _CODES.get(code, "PARAM_ERROR"), issue))
        self.close_connection = True
        self._write(reply)
        self._log(str(code), time.monotonic(), reply)

    def _write(self, reply: SandboxResponse) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.status not in (204, 304):
            self.send_header("Content-Length", str(len(reply.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and reply.status not in (204, 304):
            self.wfile.write(reply.body)

    def _log(self, outcome: str, started: float, reply: SandboxResponse) -> None:
        path = (self.path or "").partition("?")[0][:200]
        elapsed = (time.monotonic() - started) * 1000
        self.server.log(f"{self.command or '-'} {path} {outcome} {elapsed:.0f}ms "
                        f"Request-ID={reply.headers.get('Request-ID', '-')}")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silenced: ``_log`` writes one line per request."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        """http.server's own messages (timeouts), one line, through the server's log sink."""
        self.server.log(f"sandbox: {format % args}"[:300])


@dataclass
class RunningServer:
    """A sandbox server running in a background thread; ``stop()`` or use it as a context manager."""

    server: _Server
    thread: threading.Thread

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (brackets for IPv6)."""
        host, port = str(self.server.server_address[0]), int(self.server.server_address[1])
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def serve_in_thread(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0,
                    log: LogSink | None = None) -> RunningServer:
    """Start serving ``sandbox`` on ``host:port`` (0 = any free port) in a daemon thread."""
    server = _Server(host, port, sandbox, log or stderr_log)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="wxplan-sandbox", daemon=True)
    thread.start()
    return RunningServer(server, thread)


def serve_forever(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 8080,
                  on_ready: Callable[[str], None] | None = None, log: LogSink | None = None) -> None:
    """Serve ``sandbox`` until Ctrl-C; ``on_ready`` gets the URL once the socket is listening."""
    server = _Server(host, port, sandbox, log or stderr_log)
    running = RunningServer(server, threading.current_thread())
    try:
        if on_ready is not None:
            on_ready(running.url)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
