"""The one serialisation of a request body (a leaf: no imports from the package).

Compact UTF-8 JSON, non-ASCII unescaped, ``null`` members dropped (the API refuses ``null``). These
bytes are what gets signed and sent, on every attempt.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def encode_json(payload: Mapping[str, Any]) -> bytes:
    """``payload`` as the bytes to sign and send."""
    clean = {k: v for k, v in payload.items() if v is not None}
    return json.dumps(clean, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
