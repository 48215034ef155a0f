"""``wxplan list`` and ``wxplan show``: read plans through the list endpoint (the API has no get-one)."""

from enum import Enum
from typing import Annotated, Any

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
from wxplan_cli.commands.completion import AuditStateOpt, PlanStateOpt, ProfileOpt
from wxplan_cli.commands.interact import BrandOpt, TimeoutOpt, WaitOpt, brand_of
from wxplan_cli.plan_query import iter_plans  # noqa: F401 - re-exported (used before plan_query existed)

LIST_HELP = """List a brand's delivery plans (分页查询投放计划列表), following every page.

--state and --audit-state filter on the server (any case; the prefix may be left out: delivering,
passed). -o csv gives one row per plan with a header, for spreadsheets.
"""
SHOW_HELP = """Show one delivery plan by its id (the list endpoint with plan_id).

With --wait, poll until the plan leaves PLAN_CREATING/PLAN_TERMINATING and its audit is decided;
exit 9 if the audit rejected it, 10 if --timeout passes first.
"""


class ListFormat(str, Enum):
    """``-o`` formats for many plans."""

    table = "table"
    json = "json"
    yaml = "yaml"
    csv = "csv"
    id = "id"


ListOutputOpt = Annotated[ListFormat, typer.Option(
    "--output", "-o", help="table for people; json, yaml, csv or id for scripts", case_sensitive=False)]


def list_plans(
    ctx: typer.Context,
    brand_id: BrandOpt = None,
    state: PlanStateOpt = None,
    audit_state: AuditStateOpt = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="stop after this many plans",
                                              show_default=False)] = None,
    output: ListOutputOpt = ListFormat.table,
    quiet: QuietOpt = False,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    debug: DebugOpt = False,
) -> None:
    """List a brand's delivery plans."""
    from wxplan_cli.plan_fields import AUDIT_STATES, PLAN_STATES
    from wxplan_cli.plan_query import enum_value

    fmt = OutputFormat.json if output is ListFormat.json else OutputFormat.table
    run = make_run(ctx, config=config, profile=profile, output=fmt, quiet=quiet, debug=debug)
    state = enum_value(state, PLAN_STATES, "--state") if state else None
    audit_state = enum_value(audit_state, AUDIT_STATES, "--audit-state") if audit_state else None
    prof = run.profile()
    brand = brand_of(prof, brand_id)
    with run.client(prof) as client:
        plans = list(iter_plans(client, brand, state=state, audit_state=audit_state, limit=limit))
    if not quiet:
        _render_list(run, output, plans, brand)


def show_plan(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="投放计划ID · the plan id")],
    brand_id: BrandOpt = None,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = 300.0,
    output: OutputOpt = OutputFormat.table,
    quiet: QuietOpt = False,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Show one delivery plan."""
    from wxplan_cli.plan_query import fetch_plan

    run = make_run(ctx, config=config, profile=profile, output=output, quiet=quiet, debug=debug)
    prof = run.profile()
    brand = brand_of(prof, brand_id)
    with run.client(prof) as client:
        if wait:
            settle_and_render(run, client, brand, plan_id, timeout)
            return
        plan = fetch_plan(client, brand, plan_id)
    render_one(run, plan)


def render_one(run: Run, plan: dict[str, Any]) -> None:
    """One plan on stdout in the chosen format (nothing with -q)."""
    from wxplan_cli.render import render_plan

    if not run.quiet:
        render_plan(run.out, plan, run.output, title="投放计划 delivery plan")


def settle_and_render(run: Run, client: Any, brand: str, plan_id: str, timeout: float, *,
                      audit: bool = True) -> None:
    """``--wait``: wait, render the settled plan (or the last one seen on timeout); with ``audit``,
    exit 9 if the audit rejected it."""
    from wxplan_cli.commands.interact import wait_settled
    from wxplan_cli.errors import WaitTimeoutError
    from wxplan_cli.wait import check_audit

    try:
        plan = wait_settled(run, client, brand, plan_id, timeout)
    except WaitTimeoutError as err:
        render_one(run, err.plan)
        raise
    render_one(run, plan)
    if audit:
        check_audit(plan)


def _render_list(run: Run, fmt: ListFormat, plans: list[dict[str, Any]], brand: str) -> None:
    from wxplan_cli.render import plan_list_table, plans_csv, print_data, to_json, to_yaml

    if fmt is ListFormat.json:
        print_data(run.out, to_json(plans))
    elif fmt is ListFormat.yaml:
        print_data(run.out, to_yaml(plans) if plans else "[]")
    elif fmt is ListFormat.csv:
        print_data(run.out, plans_csv(plans))
    elif fmt is ListFormat.id:
        if plans:
            print_data(run.out, "\n".join(str(p.get("plan_id", "")) for p in plans))
    else:
        run.out.print(plan_list_table(plans, f"品牌 brand {brand}: {len(plans)} plan(s)"))
