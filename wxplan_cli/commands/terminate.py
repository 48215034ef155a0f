"""``wxplan terminate PLAN_ID``: stop a plan for good (终止投放计划), after typing its id to confirm."""

from typing import Annotated

import typer

from wxplan_cli.commands.common import (
    ConfigOpt,
    DebugOpt,
    OutputFormat,
    OutputOpt,
    QuietOpt,
    make_run,
)
from wxplan_cli.commands.completion import ProfileOpt
from wxplan_cli.commands.interact import BrandOpt, TimeoutOpt, WaitOpt, YesOpt

HELP = """Terminate a delivery plan (终止投放计划). This cannot be undone.

Reads the plan first (an unknown id is "not found", exit 5). On a terminal, asks you to type the plan
id; without a terminal, --yes is required. A plan already terminated (or terminating) is left alone
(exit 0). Prints the plan afterwards (PLAN_TERMINATING, or with --wait PLAN_TERMINATED).
"""

_DONE = ("PLAN_TERMINATED", "PLAN_TERMINATING")


def terminate(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="投放计划ID · the plan to terminate")],
    brand_id: BrandOpt = None,
    yes: YesOpt = False,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = 300.0,
    output: OutputOpt = OutputFormat.table,
    quiet: QuietOpt = False,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Terminate a delivery plan (终止投放计划)."""
    from wxplan_cli.commands.interact import brand_of, confirm_by_typing
    from wxplan_cli.commands.plans import render_one, settle_and_render
    from wxplan_cli.plan_query import fetch_plan
    from wxplan_cli.wait import describe

    run = make_run(ctx, config=config, profile=profile, output=output, quiet=quiet, debug=debug)
    prof = run.profile()
    brand = brand_of(prof, brand_id)
    with run.client(prof) as client:
        plan = fetch_plan(client, brand, plan_id)
        if plan.get("plan_state") in _DONE:
            run.note(f"plan {plan_id} is already {describe(plan)}; nothing was sent")
        else:
            notice = (f"plan {plan_id} {plan.get('plan_name', '')!s} ({describe(plan)}) of brand {brand} "
                      "will stop delivering for good.")
            confirm_by_typing("terminate", plan_id, f"Type the plan id ({plan_id}) to terminate it",
                              yes=yes, notice=notice)
            client.terminate_plan(plan_id)
            run.note(f"terminate requested for plan {plan_id}")
            plan = fetch_plan(client, brand, plan_id) if not wait else plan
        if wait:
            settle_and_render(run, client, brand, plan_id, timeout, audit=False)
            return
    render_one(run, plan)
