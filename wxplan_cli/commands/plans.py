"""``wxplan list`` and ``wxplan show``: read plans through the list endpoint (the API has no get-one)."""

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from wxplan_cli.commands.common import (
    ConfigOpt,
    DebugOpt,
    OutputFormat,
    OutputOpt,
    ProfileOpt,
    QuietOpt,
    Run,
    make_run,
)

if TYPE_CHECKING:
    from wxplan_cli.client import PartnerClient
    from wxplan_cli.config import Profile

LIST_HELP = "List a brand's delivery plans (分页查询投放计划列表), following every page."
SHOW_HELP = "Show one delivery plan by its id."

BrandOpt = Annotated[str | None, typer.Option(
    "--brand-id", help="品牌ID · brand whose plans to read (default: the profile's brand_id)",
    show_default=False)]


def list_plans(
    ctx: typer.Context,
    brand_id: BrandOpt = None,
    state: Annotated[str | None, typer.Option("--state", help="plan_state filter, e.g. PLAN_DELIVERING",
                                              show_default=False)] = None,
    audit_state: Annotated[str | None, typer.Option("--audit-state", help="audit_state filter, e.g. "
                                                    "AUDIT_PASSED", show_default=False)] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="stop after this many plans",
                                              show_default=False)] = None,
    output: OutputOpt = OutputFormat.table,
    quiet: QuietOpt = False,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    debug: DebugOpt = False,
) -> None:
    """List a brand's delivery plans."""
    run = make_run(ctx, config=config, profile=profile, output=output, quiet=quiet, debug=debug)
    prof = run.profile()
    brand = _brand(prof, brand_id)
    with run.client(prof) as client:
        plans = list(iter_plans(client, brand, state=state, audit_state=audit_state, limit=limit))
    if not quiet:
        _render_list(run, plans, brand)


def iter_plans(client: "PartnerClient", brand_id: str, *, state: str | None = None,
               audit_state: str | None = None, limit: int | None = None) -> "Iterator[dict[str, Any]]":
    """Every plan of ``brand_id``, page after page (50 a page), up to ``limit``."""
    from wxplan_cli.client import MAX_PAGE_SIZE

    offset, seen = 0, 0
    while True:
        page = client.list_plans(brand_id, offset=offset, page_size=MAX_PAGE_SIZE,
                                 plan_state=state, audit_state=audit_state)
        for plan in page.plan_list:
            yield plan
            seen += 1
            if limit is not None and seen >= limit:
                return
        offset += len(page.plan_list)
        if not page.plan_list or offset >= page.total_count:
            return


def show_plan(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="投放计划ID · the plan id")],
    brand_id: BrandOpt = None,
    output: OutputOpt = OutputFormat.table,
    quiet: QuietOpt = False,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Show one delivery plan."""
    from wxplan_cli.errors import NotFoundError
    from wxplan_cli.render import render_plan

    run = make_run(ctx, config=config, profile=profile, output=output, quiet=quiet, debug=debug)
    prof = run.profile()
    brand = _brand(prof, brand_id)
    with run.client(prof) as client:
        page = client.list_plans(brand, plan_id=plan_id, page_size=1)
    match = [p for p in page.plan_list if str(p.get("plan_id")) == plan_id]
    if not match:
        raise NotFoundError(f"plan {plan_id} not found for brand {brand}",
                            hint="check the plan id and --brand-id (wxplan list shows the brand's plans)")
    if not quiet:
        render_plan(run.out, match[0], run.output, title="投放计划 delivery plan")


def _brand(profile: "Profile", flag: str | None) -> str:
    if flag:
        return flag
    from wxplan_cli.errors import UsageError

    value = profile.get("brand_id")
    if not value:
        raise UsageError("no brand given", hint="pass --brand-id, or set brand_id in the profile")
    return str(value)


def _render_list(run: Run, plans: list[dict[str, Any]], brand: str) -> None:
    from rich.table import Table

    from wxplan_cli.render import print_data, state_text, to_json, to_yaml

    if run.output is OutputFormat.json:
        print_data(run.out, to_json(plans))
    elif run.output is OutputFormat.yaml:
        print_data(run.out, to_yaml(plans) if plans else "[]")
    elif run.output is OutputFormat.id:
        if plans:
            print_data(run.out, "\n".join(str(p.get("plan_id", "")) for p in plans))
    else:
        table = Table(title=f"品牌 brand {brand}: {len(plans)} plan(s)")
        for col in ("plan_id", "投放计划名称 plan_name", "状态 plan_state", "批次ID stock_id",
                    "开始 start", "结束 end"):
            table.add_column(col)
        for p in plans:
            table.add_row(str(p.get("plan_id", "")), str(p.get("plan_name", "")),
                          state_text(str(p.get("plan_state", ""))), str(p.get("stock_id", "")),
                          str(p.get("delivery_start_time", "")), str(p.get("delivery_end_time", "")))
        run.out.print(table)
