"""What the plan-changing commands share: the brand, confirmations, and waiting with a spinner.

Prompts only ever appear when stdin is a terminal; without one a command that needs a confirmation
fails at once with a hint (``--yes``) instead of waiting for input. Prompts and the spinner go to
stderr, never to stdout (which holds only data).
"""

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from wxplan_cli.commands.common import Run

if TYPE_CHECKING:
    from wxplan_cli.client import PartnerClient
    from wxplan_cli.config import Profile

BrandOpt = Annotated[str | None, typer.Option(
    "--brand-id", help="品牌ID · the plan's brand (default: the profile's brand_id)", show_default=False)]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")]
WaitOpt = Annotated[bool, typer.Option(
    "--wait", help="poll until the plan leaves PLAN_CREATING/PLAN_TERMINATING and its audit settles "
                   "(exit 9 if AUDIT_REJECTED, 10 on timeout)")]
TimeoutOpt = Annotated[float, typer.Option(
    "--timeout", min=0.0, help="seconds --wait may take", show_default=True)]


def stdin_is_terminal() -> bool:
    """Whether a person can answer a prompt (tests replace this)."""
    return sys.stdin.isatty()


def brand_of(profile: "Profile", flag: str | None) -> str:
    """``--brand-id``, else the profile's ``brand_id``; a usage error naming both when neither is set."""
    if flag:
        return flag
    from wxplan_cli.errors import UsageError

    value = profile.get("brand_id")
    if not value:
        raise UsageError("no brand given", hint="pass --brand-id, or set brand_id in the profile")
    return str(value)


def _no_terminal(action: str) -> Exception:
    from wxplan_cli.errors import UsageError

    return UsageError(f"{action} needs confirmation and there is no terminal to ask on",
                      hint="pass --yes to go ahead without asking")


def _cancelled() -> Exception:
    from wxplan_cli.errors import UsageError

    return UsageError("cancelled: nothing was sent")


def confirm(action: str, question: str, *, yes: bool) -> None:
    """Ask ``question`` (y/N) on a terminal unless ``yes``; no terminal -> usage error (exit 2)."""
    if yes:
        return
    if not stdin_is_terminal():
        raise _no_terminal(action)
    if not typer.confirm(question, default=False, err=True):
        raise _cancelled()


def confirm_by_typing(action: str, expected: str, prompt: str, *, yes: bool, notice: str = "") -> None:
    """Make the person type ``expected`` (e.g. the plan id) unless ``yes``; no terminal -> exit 2.

    ``notice`` (what is about to happen) is shown on stderr just before the prompt.
    """
    if yes:
        return
    if not stdin_is_terminal():
        raise _no_terminal(action)
    if notice:
        typer.echo(notice, err=True)
    answer = typer.prompt(prompt, default="", show_default=False, err=True)
    if str(answer).strip() != expected:
        raise _cancelled()


def wait_settled(run: Run, client: "PartnerClient", brand: str, plan_id: str,
                 timeout: float) -> dict[str, Any]:
    """Wait for the plan to settle: a spinner when stderr is a terminal, else state changes as notes."""
    from wxplan_cli.wait import describe, wait_for_plan

    if run.err.is_terminal and not run.quiet:
        with run.err.status(f"waiting for plan {plan_id}") as status:
            return wait_for_plan(client, brand, plan_id, timeout=timeout, on_tick=lambda plan: status.update(
                f"waiting for plan {plan_id}: {describe(plan)}"))
    seen: list[str] = []

    def note_change(plan: dict[str, Any]) -> None:
        text = describe(plan)
        if not seen or seen[-1] != text:
            seen.append(text)
            run.note(f"plan {plan_id}: {text}")

    return wait_for_plan(client, brand, plan_id, timeout=timeout, on_tick=note_change)

