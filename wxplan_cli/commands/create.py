"""``wxplan create``: build a plan from flags and/or a file, validate it, send it, render the result."""

from typing import Annotated, Any

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
from wxplan_cli.plan_fields import FIELD_BY_NAME

HELP = """Create a delivery plan (创建投放计划).

Values come from --from FILE (YAML or JSON, `-` for stdin) and from the field flags, which win.
Everything is validated before anything is sent. Without --out-request-no, one is derived from the
plan's content, so running the same command again never creates a second plan.
"""


def _h(name: str) -> str:
    f = FIELD_BY_NAME[name]
    return f"{f.label} · {f.help}"


def _opt(name: str, *decls: str) -> Any:
    return typer.Option(*(decls or FIELD_BY_NAME[name].flags), help=_h(name), show_default=False,
                        rich_help_panel="Plan fields 计划字段")


def create(
    ctx: typer.Context,
    from_file: Annotated[str | None, typer.Option(
        "--from", "-f", help="plan file, YAML or JSON; `-` reads stdin", show_default=False)] = None,
    out_request_no: Annotated[str | None, _opt("out_request_no")] = None,
    brand_id: Annotated[str | None, _opt("brand_id")] = None,
    product_coupon_id: Annotated[str | None, _opt("product_coupon_id")] = None,
    stock_id: Annotated[str | None, _opt("stock_id")] = None,
    plan_name: Annotated[str | None, _opt("plan_name")] = None,
    total_count: Annotated[int | None, _opt("total_count")] = None,
    user_limit: Annotated[int | None, _opt("user_limit")] = None,
    daily_limit: Annotated[int | None, _opt("daily_limit")] = None,
    start: Annotated[str | None, _opt("delivery_start_time")] = None,
    end: Annotated[str | None, _opt("delivery_end_time")] = None,
    recommend_word: Annotated[str | None, _opt("recommend_word")] = None,
    reuse_coupon_config: Annotated[bool | None, _opt(
        "reuse_coupon_config", FIELD_BY_NAME["reuse_coupon_config"].flag)] = None,
    usage_mode: Annotated[str | None, _opt("usage_mode")] = None,
    stock_bundle_id: Annotated[str | None, _opt("stock_bundle_id")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="validate and print the exact signed request (signature redacted); "
                          "send nothing")] = False,
    skeleton: Annotated[bool, typer.Option(
        "--skeleton", help="print a commented plan template (pre-filled with any field flags) "
                           "and exit")] = False,
    output: OutputOpt = OutputFormat.table,
    quiet: QuietOpt = False,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Create a delivery plan (创建投放计划)."""
    run = make_run(ctx, config=config, profile=profile, output=output, quiet=quiet, debug=debug)
    flags = {"out_request_no": out_request_no, "brand_id": brand_id,
             "product_coupon_id": product_coupon_id, "stock_id": stock_id, "plan_name": plan_name,
             "total_count": total_count, "user_limit": user_limit, "daily_limit": daily_limit,
             "delivery_start_time": start, "delivery_end_time": end,
             "recommend_word": recommend_word, "reuse_coupon_config": reuse_coupon_config,
             "usage_mode": usage_mode, "stock_bundle_id": stock_bundle_id}
    flags = {k: v for k, v in flags.items() if v is not None}
    if skeleton:
        from wxplan_cli.plan import skeleton as make_skeleton

        run.out.file.write(make_skeleton(flags))
        return
    do_create(run, from_file, flags, dry_run=dry_run)


def do_create(run: Run, from_file: str | None, flags: dict[str, Any], *, dry_run: bool) -> None:
    """Resolve the profile, build and validate the plan, then preview or send it."""
    from wxplan_cli.plan import build_plan, load_plan_source

    profile = run.profile()
    source = None
    if from_file is not None:
        source = load_plan_source(from_file)
    defaults = {"brand_id": profile.get("brand_id")} if profile.get("brand_id") else {}
    plan = build_plan(source, flags, defaults, mchid=str(profile.require("mchid")))
    with run.client(profile) as client:
        if dry_run:
            from wxplan_cli.commands.preview import print_preview

            print_preview(run, client.preview_create(plan.body()))
            return
        result = client.create_plan(plan.body())
    _render(run, result, plan.out_request_no, plan.out_request_no_derived)


def _render(run: Run, result: dict[str, Any], out_request_no: str, derived: bool) -> None:
    from wxplan_cli.render import render_plan

    how = "derived from the plan's content" if derived else "given"
    if run.quiet:
        return
    if run.output is OutputFormat.table:
        render_plan(run.out, result, run.output, title="投放计划 delivery plan",
                    extra=[("创建请求单号", "out_request_no", f"{out_request_no} ({how})")])
        run.note("Re-running the same command returns this plan; it does not create another.")
        return
    render_plan(run.out, result, run.output)
    run.note(f"out_request_no: {out_request_no} ({how})")
