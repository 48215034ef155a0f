"""``--dry-run`` output: the exact request that would be sent, signature redacted."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from wxplan_cli.commands.common import OutputFormat, Run
from wxplan_cli.redact import redact_headers

if TYPE_CHECKING:
    import httpx


def print_preview(run: Run, request: httpx.Request) -> None:
    """Print method, URL, headers (redacted) and body; JSON with ``-o json``."""
    headers = redact_headers(request.headers.multi_items())
    body = request.content.decode("utf-8")
    if run.output is OutputFormat.json:
        shape = {"method": request.method, "url": str(request.url), "headers": dict(headers),
                 "body": json.loads(body) if body else None}
        run.out.file.write(json.dumps(shape, ensure_ascii=False, indent=2) + "\n")
        return
    lines = [f"{request.method} {request.url}"] + [f"{k}: {v}" for k, v in headers] + ["", body]
    run.out.file.write("\n".join(lines) + "\n")
    run.note("dry run: nothing was sent")
