"""The delivery-plan callback URL (设置投放计划回调地址, spec §2.5): the rules it must meet.

WeChat Pay POSTs ``DELIVERY_PLAN.CHANGE`` notifications there when a plan's ``plan_state`` or
``audit_state`` changes. Checked before sending: ``https://`` with a host, at most 256 characters (the
brand-mode limit; partner mode documents none), no spaces or control characters, no ``#fragment``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from wxplan_cli.errors import Issue

MAX_LENGTH = 256


def notify_url_issues(url: str) -> list[Issue]:
    """Every rule ``url`` breaks (empty when it may be sent)."""
    issues: list[Issue] = []
    if len(url) > MAX_LENGTH:
        issues.append(Issue("notify_url", f"is {len(url)} characters long; at most {MAX_LENGTH}",
                            hint="use a shorter path"))
    if any(c.isspace() or not c.isprintable() for c in url):
        issues.append(Issue("notify_url", "contains spaces or control characters",
                            hint="percent-encode them (%20)"))
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return [*issues, Issue("notify_url", f"is not a URL: {exc}")]
    if parts.scheme.lower() != "https":
        issues.append(Issue("notify_url", f"must use https://, not {parts.scheme or 'no scheme'}",
                            hint="WeChat Pay only calls back over HTTPS"))
    if not parts.hostname:
        issues.append(Issue("notify_url", "has no host", hint="e.g. https://example.com/wxpay/plan-notify"))
    if parts.fragment:
        issues.append(Issue("notify_url", "must not have a #fragment", hint="remove the part after #"))
    return issues
