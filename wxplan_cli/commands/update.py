"""``wxplan update PLAN_ID``: change a plan (更新投放计划) after showing what changes."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from wxplan_cli.commands.common import (
    ConfigOpt,
    DebugOpt,
    OutputFormat,
    OutputOpt,
    QuietOpt,
    Run,
    make_run,
)
from wxplan_cli.commands.completion import ProfileOpt
from wxplan_cli.commands.interact import BrandOpt, TimeoutOpt, WaitOpt, YesOpt
from wxplan_cli.plan_fields import FIELD_BY_NAME

if TYPE_CHECKING:
    from wxplan_cli.client import PartnerClient
    from wxplan_cli.errors import Issue
    from wxplan_cli.plan_rules import Given
    from wxplan_cli.update import Update

HELP = """Update a delivery plan (更新投放计划): rename, retag, raise counts, extend the end.

Reads the plan first, shows a before/after table on stderr and refuses locally what the API forbids,
naming the rule: lower counts, user_limit/daily_limit the plan was created without, an end that is not
later, any change of the start time, a terminated or expired plan. Asks on a terminal unless --yes
(without a terminal, --yes is required). --from FILE takes the fields from YAML/JSON (an edited create
file works: fields equal to the plan's are ignored); flags win. The out_request_no is derived from the
change, so re-running the same command never applies it twice.
"""

_PANEL = "Fields to change 修改内容"


_RULES = {"total_count": "new total, greater than the current one",
          "user_limit": "greater than the current one; only if set at creation",
          "daily_limit": "greater than the current one; only if set at creation",
          "delivery_end_time": "new end, later than the current one (RFC 3339 or 2025-01-31 [10:00])"}


def _field(name: str) -> Any:
    spec = FIELD_BY_NAME[name]
    return typer.Option(spec.flags[0], help=f"{spec.label} · {_RULES.get(name, spec.help)}",
                        show_default=False, rich_help_panel=_PANEL)


def update(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="投放计划ID · the plan to change")],
    from_file: Annotated[str | None, typer.Option(
        "--from", "-f", help="fields from a YAML or JSON file; `-` reads stdin", show_default=False)] = None,
    plan_name: Annotated[str | None, _field("plan_name")] = None,
    total_count: Annotated[int | None, _field("total_count")] = None,
    user_limit: Annotated[int | None, _field("user_limit")] = None,
    daily_limit: Annotated[int | None, _field("daily_limit")] = None,
    end: Annotated[str | None, _field("delivery_end_time")] = None,
    recommend_word: Annotated[str | None, _field("recommend_word")] = None,
    out_request_no: Annotated[str | None, typer.Option(
        "--out-request-no", help="修改请求单号 · request number (default: derived from the change)",
        show_default=False)] = None,
    brand_id: BrandOpt = None,
    yes: YesOpt = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="read the plan, check and show the change and the request; send nothing")] = False,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = 300.0,
    output: OutputOpt = OutputFormat.table,
    quiet: QuietOpt = False,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Update a delivery plan (更新投放计划)."""
    run = make_run(ctx, config=config, profile=profile, output=output, quiet=quiet, debug=debug)
    flags = {"plan_name": plan_name, "total_count": total_count, "user_limit": user_limit,
             "daily_limit": daily_limit, "delivery_end_time": end, "recommend_word": recommend_word}
    do_update(run, plan_id, from_file, flags, brand_id=brand_id, out_request_no=out_request_no,
              yes=yes, dry_run=dry_run, wait=timeout if wait else None)


def do_update(run: Run, plan_id: str, from_file: str | None, flags: dict[str, Any], *,
              brand_id: str | None, out_request_no: str | None, yes: bool, dry_run: bool,
              wait: float | None) -> None:
    """Read the plan, build and check the change, show it, confirm, send, render."""
    from wxplan_cli.commands.interact import brand_of, confirm
    from wxplan_cli.commands.plans import render_one, settle_and_render
    from wxplan_cli.plan_query import fetch_plan
    from wxplan_cli.update import build_update

    requested, issues = _requested(from_file, flags)
    prof = run.profile()
    brand = brand_of(prof, brand_id)
    with run.client(prof) as client:
        current = fetch_plan(client, brand, plan_id)
        change = build_update(current, requested, mchid=str(prof.require("mchid")),
                              out_request_no=out_request_no, issues=issues)
        if not change.changes:
            run.note(f"nothing to change: plan {plan_id} already has {', '.join(change.unchanged)} "
                     "as asked; nothing was sent")
        else:
            _show_change(run, change, asking=not (yes or dry_run))
            if dry_run:
                _print_request(run, str(prof.get("base_url")), change)
                return
            confirm("update", f"Send this update of plan {plan_id}?", yes=yes)
            current = _send(run, client, change)
        if wait is not None:
            settle_and_render(run, client, brand, plan_id, wait)
            return
    render_one(run, current)


def _requested(from_file: str | None, flags: dict[str, Any]) -> "tuple[dict[str, Given], list[Issue]]":
    from wxplan_cli.errors import UsageError
    from wxplan_cli.plan import load_plan_source
    from wxplan_cli.update import UPDATABLE, requested_values

    source = load_plan_source(from_file) if from_file is not None else None
    requested, issues = requested_values(source, flags)
    if not requested and not issues:
        raise UsageError("nothing to update", hint="give --from FILE or a field flag: " + ", ".join(
            FIELD_BY_NAME[n].flags[0] for n in UPDATABLE))
    return requested, issues


def _show_change(run: Run, change: "Update", *, asking: bool) -> None:
    from wxplan_cli.render import change_table

    if run.quiet and not asking:
        return
    rows = [(c.field, c.before, c.after) for c in change.changes]
    run.err.print(change_table(rows, title=f"更新投放计划 update plan {change.plan_id}"))
    if change.unchanged:
        run.err.print(f"unchanged (already so): {', '.join(change.unchanged)}", markup=False)


def _send(run: Run, client: "PartnerClient", change: "Update") -> dict[str, Any]:
    how = "derived from the change" if change.out_request_no_derived else "given"
    result: dict[str, Any] = client.update_plan(change.plan_id, change.body())
    run.note(f"out_request_no: {change.out_request_no} ({how})")
    in_review = result.get("audit_state") in ("AUDIT_INITIAL", "AUDIT_PROCESSING", "AUDIT_REJECTED")
    if not change.applied_in(result) and not in_review:
        run.warn("the reply does not show the change: the server may have replayed an earlier request "
                 f"with out_request_no {change.out_request_no}; check the plan, and pass a new "
                 "--out-request-no to send this change again")
    return result


def _print_request(run: Run, base_url: str, change: "Update") -> None:
    import json
    from urllib.parse import quote

    from wxplan_cli.client import PLANS
    from wxplan_cli.render import print_data

    url = f"{base_url.rstrip('/')}{PLANS}/{quote(change.plan_id, safe='')}"
    if run.output is OutputFormat.json:
        print_data(run.out, json.dumps({"method": "PATCH", "url": url, "body": change.payload()},
                                       ensure_ascii=False, indent=2))
    else:
        print_data(run.out, f"PATCH {url}\nContent-Type: application/json\n\n"
                            f"{change.body().decode('utf-8')}")
    run.note("dry run: nothing was sent")
