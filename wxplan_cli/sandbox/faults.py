"""Fault injection: make the sandbox misbehave on purpose, per request or at random.

Per request, send the header ``Wechatpay-Negative-Test`` (in the spirit of WeChat Pay's old v2 sandbox)
with one or more comma-separated faults; an unknown fault is a 400 ``PARAM_ERROR``:

==================  ==============================================================================
``429``             refuse with 429 ``RATELIMIT_EXCEEDED`` before doing anything (not applied)
``500``             refuse with 500 ``SYSTEM_ERROR`` before doing anything (not applied)
``503``             refuse with 503 ``SERVICE_UNAVAILABLE`` before doing anything (not applied)
``slow[=SECONDS]``  reply after a delay (default ``SandboxOptions.slow_seconds``; at most 600)
``drop``            apply the request (create/update/terminate are committed), then close the
                    connection without replying: the client cannot know the outcome
``bad-signature``   apply the request, then sign the reply wrongly (a valid signature of other bytes)
``signtest``        apply the request, then send a ``WECHATPAY/SIGNTEST/...`` probe signature
``stale-timestamp`` apply the request, then sign the reply with a timestamp 10 minutes old
==================  ==============================================================================

Globally, ``SandboxOptions.rate_*`` give each fault a probability per request (independent draws from a
``random.Random(seed)``; 429, 500 and 503 are tried in that order and the first hit wins). Refusals and
header faults are checked after the request's signature: an unauthenticated request gets its 401.
Signature faults only touch 2xx replies, the only ones a client verifies.
"""

from __future__ import annotations

import base64
import random
import secrets
import threading
from dataclasses import dataclass, replace

from wxplan_cli.sandbox.options import SandboxOptions
from wxplan_cli.sandbox.problems import ApiProblem, param_error
from wxplan_cli.signing import SIGNTEST_PREFIX, ResponseSigner, response_message, sign

HEADER = "wechatpay-negative-test"
STALE_SECONDS = 600
MAX_SLOW = 600.0
REFUSALS = {
    429: ("RATELIMIT_EXCEEDED", "injected fault: too many requests, the request was not accepted"),
    500: ("SYSTEM_ERROR", "injected fault: system error, the request was not applied"),
    503: ("SERVICE_UNAVAILABLE", "injected fault: service unavailable, the request was not applied"),
}


@dataclass(frozen=True)
class Faults:
    """The faults chosen for one request."""

    refuse: int | None = None
    slow: float = 0.0
    drop: bool = False
    bad_signature: bool = False
    signtest: bool = False
    stale: bool = False

    def refusal(self) -> ApiProblem | None:
        """The 429/500/503 problem to answer with instead of handling the request."""
        if self.refuse is None:
            return None
        code, issue = REFUSALS[self.refuse]
        return ApiProblem(self.refuse, code, issue)

    def merge(self, other: Faults) -> Faults:
        """Both sets of faults (``self`` wins for the refusal status and the delay)."""
        return Faults(self.refuse or other.refuse, self.slow or other.slow, self.drop or other.drop,
                      self.bad_signature or other.bad_signature, self.signtest or other.signtest,
                      self.stale or other.stale)


def from_header(value: str | None, slow_seconds: float) -> Faults:
    """Parse ``Wechatpay-Negative-Test``; a 400 ``PARAM_ERROR`` for an unknown fault."""
    faults = Faults()
    for raw in (value or "").split(","):
        name, _, arg = raw.strip().lower().partition("=")
        if not name:
            continue
        if name in ("429", "500", "503"):
            faults = replace(faults, refuse=faults.refuse or int(name))
        elif name == "slow":
            faults = replace(faults, slow=_seconds(arg, slow_seconds))
        elif name in ("drop", "bad-signature", "signtest", "stale-timestamp"):
            flag = {"drop": "drop", "bad-signature": "bad_signature", "signtest": "signtest",
                    "stale-timestamp": "stale"}[name]
            faults = replace(faults, **{flag: True})
        else:
            raise param_error("Wechatpay-Negative-Test", f"unknown fault {raw.strip()[:40]!r}: use 429, 500, "
                              "503, slow[=SECONDS], drop, bad-signature, signtest or stale-timestamp",
                              location="header")
    return faults


class FaultDice:
    """Random faults at the configured rates, reproducible with a seed; thread-safe."""

    def __init__(self, options: SandboxOptions) -> None:
        self._options = options
        self._random = random.Random(options.seed)
        self._lock = threading.Lock()

    def roll(self) -> Faults:
        """The faults for one request."""
        o = self._options
        if not o.faulty:
            return Faults()
        with self._lock:
            hit = self._random.random
            refuse = next((status for status, rate in ((429, o.rate_429), (500, o.rate_500),
                                                       (503, o.rate_503)) if hit() < rate), None)
            return Faults(refuse, o.slow_seconds if hit() < o.rate_slow else 0.0, hit() < o.rate_drop,
                          hit() < o.rate_bad_signature, hit() < o.rate_signtest, hit() < o.rate_stale)


def signature_headers(signer: ResponseSigner, body: bytes, now: float, faults: Faults) -> dict[str, str]:
    """The ``Wechatpay-*`` headers for a 2xx reply, spoiled as ``faults`` ask."""
    stamp = float(int(now) - STALE_SECONDS) if faults.stale else now
    headers = replace(signer, clock=lambda: stamp).headers(body)
    if faults.bad_signature:
        other = response_message(headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], body + b" ")
        headers["Wechatpay-Signature"] = sign(signer.private_key, other)
    if faults.signtest:
        headers["Wechatpay-Signature"] = SIGNTEST_PREFIX + base64.b64encode(secrets.token_bytes(256)).decode()
    return headers


def _seconds(arg: str, default: float) -> float:
    if not arg:
        return default
    try:
        seconds = float(arg)
    except ValueError:
        seconds = -1.0
    if not 0.0 <= seconds <= MAX_SLOW:
        raise param_error("Wechatpay-Negative-Test", f"slow needs 0-{MAX_SLOW:g} seconds, not {arg[:20]!r}",
                          location="header")
    return seconds

