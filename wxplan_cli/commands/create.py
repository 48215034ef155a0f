"""``wxplan create``: build a plan from flags and/or a file, validate it, send it, render the result.

With many plans (a list, several documents, CSV, JSON Lines, several ``--from``) it runs a batch:
:func:`wxplan_cli.batch.run_batch` does the work, this module only gathers the options.
"""

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from wxplan_cli.commands.common import (
    ConfigOpt,
    DebugOpt,
    OutputFormat,
    ProfileOpt,
    QuietOpt,
    Run,
    make_run,
)
from wxplan_cli.commands.completion import complete_usage_mode
from wxplan_cli.commands.interact import TimeoutOpt, WaitOpt
from wxplan_cli.plan_fields import FIELD_BY_NAME

HELP = """Create a delivery plan (创建投放计划), or many at once.

Values come from --from FILE (YAML or JSON, `-` for stdin) and from the field flags, which win.
Everything is validated before anything is sent. Without --out-request-no, one is derived from the
plan's content, so running the same command again never creates a second plan.

Batch: when the input holds many plans (a YAML list or several documents, {defaults:, plans:},
a JSON array, CSV, JSON Lines, or several --from), every plan is validated first, then they are sent
concurrently (--concurrency, --rate), recorded in a ledger; re-running the same command resumes:
created plans are skipped, failed and unknown ones are sent again with the same out_request_no.
In a batch a plan's own values win over the field flags, which win over the file's defaults:.
"""


class CreateOutput(str, Enum):
    """``-o`` for create: one plan's formats, plus ``jsonl`` events for a batch."""

    table = "table"
    json = "json"
    yaml = "yaml"
    id = "id"
    jsonl = "jsonl"


class InputFormat(str, Enum):
    """``--format`` of the --from inputs."""

    auto = "auto"
    yaml = "yaml"
    json = "json"
    csv = "csv"
    jsonl = "jsonl"


@dataclass
class BatchOptions:
    """The options that only a batch uses (any of them makes even a one-plan file a batch)."""

    concurrency: int | None = None
    rate: float | None = None
    ledger: Path | None = None
    report: Path | None = None
    skip_invalid: bool = False
    jsonl: bool = False

    def given(self) -> bool:
        """Whether any batch option was given."""
        return (self.jsonl or self.skip_invalid
                or any(v is not None for v in (self.concurrency, self.rate, self.ledger, self.report)))


_BATCH = "Batch (many plans)"


def _h(name: str) -> str:
    f = FIELD_BY_NAME[name]
    return f"{f.label} · {f.help}"


def _opt(name: str, *decls: str, **extra: Any) -> Any:
    return typer.Option(*(decls or FIELD_BY_NAME[name].flags), help=_h(name), show_default=False,
                        rich_help_panel="Plan fields 计划字段", **extra)


def create(
    ctx: typer.Context,
    from_file: Annotated[list[str] | None, typer.Option(
        "--from", "-f", help="plan file: YAML or JSON (one plan or many), CSV or JSON Lines; `-` reads "
                             "stdin; repeat for several files", show_default=False)] = None,
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
    usage_mode: Annotated[str | None, _opt("usage_mode", *FIELD_BY_NAME["usage_mode"].flags,
                                           autocompletion=complete_usage_mode)] = None,
    stock_bundle_id: Annotated[str | None, _opt("stock_bundle_id")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="validate and print the exact signed request (signature redacted); "
                          "send nothing")] = False,
    skeleton: Annotated[bool, typer.Option(
        "--skeleton", help="print a commented plan template (pre-filled with any field flags) "
                           "and exit")] = False,
    input_format: Annotated[InputFormat, typer.Option(
        "--format", help="format of the --from inputs (auto: by extension, then by content)",
        case_sensitive=False, rich_help_panel=_BATCH)] = InputFormat.auto,
    concurrency: Annotated[int | None, typer.Option(
        "--concurrency", "-j", min=1, max=64, help="requests in flight at once [default: 4]",
        show_default=False, rich_help_panel=_BATCH)] = None,
    rate: Annotated[float | None, typer.Option(
        "--rate", min=0.0, help="at most this many requests per second, all workers together; 0 = no "
                                "limit [default: the profile's rate, else no limit]",
        show_default=False, rich_help_panel=_BATCH)] = None,
    ledger: Annotated[Path | None, typer.Option(
        "--ledger", help="ledger file (SQLite) recording every plan's outcome [default: one per input and "
                         "profile in the state dir]", show_default=False, rich_help_panel=_BATCH)] = None,
    report: Annotated[Path | None, typer.Option(
        "--report", help="write one row per input plan to FILE (.csv or .json)", show_default=False,
        rich_help_panel=_BATCH)] = None,
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="send the valid plans even if some are not valid (they are reported)",
        rich_help_panel=_BATCH)] = False,
    output: Annotated[CreateOutput, typer.Option(
        "--output", "-o", help="table for people; json, yaml or id for scripts; jsonl: one event per "
                               "plan of a batch", case_sensitive=False)] = CreateOutput.table,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = 120.0,
    quiet: QuietOpt = False,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Create a delivery plan (创建投放计划)."""
    single_output = OutputFormat.json if output is CreateOutput.jsonl else OutputFormat(output.value)
    run = make_run(ctx, config=config, profile=profile, output=single_output, quiet=quiet, debug=debug)
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
    options = BatchOptions(concurrency, rate, ledger, report, skip_invalid, output is CreateOutput.jsonl)
    dispatch(run, from_file or [], input_format.value, flags, options, dry_run=dry_run,
             output=output.value, wait=timeout if wait else None)


def dispatch(run: Run, from_files: list[str], fmt: str, flags: dict[str, Any], options: BatchOptions, *,
             dry_run: bool, output: str, wait: float | None = None) -> None:
    """One plan (today's create, unchanged), or a batch when the input holds many plans or a batch
    option was given. ``wait``: the ``--wait`` timeout, one plan only."""
    from wxplan_cli.errors import UsageError

    if not from_files:
        if options.given() or fmt != "auto":
            raise UsageError("batch options need --from FILE", hint="see wxplan create --help")
        return do_create(run, None, flags, dry_run=dry_run, wait=wait)
    if from_files.count("-") > 1:
        raise UsageError("stdin (`--from -`) can be read once")
    from wxplan_cli.planstream import detect

    inputs = [detect(path, fmt) for path in from_files]
    if len(inputs) == 1 and inputs[0].shape == "one" and not options.given():
        return do_create(run, from_files[0], flags, dry_run=dry_run, data=inputs[0].data, wait=wait)
    if wait is not None:
        raise UsageError("--wait follows one plan; a batch creates many",
                         hint="after the batch, use wxplan show PLAN_ID --wait, or wxplan list")
    do_batch(run, inputs, flags, options, fmt=fmt, dry_run=dry_run, output=output)


def do_create(run: Run, from_file: str | None, flags: dict[str, Any], *, dry_run: bool,
              data: bytes | None = None, wait: float | None = None) -> None:
    """Resolve the profile, build and validate the plan, then preview or send it (``data``: stdin,
    already read; ``wait``: follow the new plan until it settles, at most that many seconds)."""
    from wxplan_cli.plan import build_plan, load_plan_bytes, load_plan_source

    profile = run.profile()
    source = None
    if from_file == "-" and data is not None:
        source = load_plan_bytes(data, "<stdin>")
    elif from_file is not None:
        source = load_plan_source(from_file)
    defaults = {"brand_id": profile.get("brand_id")} if profile.get("brand_id") else {}
    plan = build_plan(source, flags, defaults, mchid=str(profile.require("mchid")))
    with run.client(profile) as client:
        if dry_run:
            from wxplan_cli.commands.preview import print_preview

            print_preview(run, client.preview_create(plan.body()))
            return
        result = send_create(client, plan.body(), plan.payload())
        if wait is not None:
            from wxplan_cli.commands.plans import settle_and_render

            _note_request_no(run, plan.out_request_no, plan.out_request_no_derived)
            settle_and_render(run, client, str(plan.payload()["brand_id"]), str(result["plan_id"]), wait)
            return
    _render(run, result, plan.out_request_no, plan.out_request_no_derived)


def send_create(client: Any, body: bytes, payload: dict[str, Any]) -> dict[str, Any]:
    """Create; when the reply's signature fails, look the plan up before anyone re-sends anything."""
    from wxplan_cli.errors import SignatureError, WxplanError
    from wxplan_cli.reconcile import find_created, is_distinctive

    try:
        return client.create_plan(body)  # type: ignore[no-any-return]
    except SignatureError as err:
        try:
            found = find_created(client, payload)
        except WxplanError as lookup:
            err.hint = (f"{err.hint or ''} Looking the plan up failed too ({lookup.message}): "
                        "check with wxplan list before creating it again.").strip()
            raise err from None
        plans = ", ".join(f"{p.get('plan_id')} ({p.get('plan_state')})" for p in found)
        if found and is_distinctive(payload):
            err.hint = (f"the create did take effect: the brand now has the plan {plans}. "
                        "Do not create it again; wxplan show shows it.")
        elif found:
            err.hint = (f"plans on the same coupon and batch exist: {plans}; one may be this create "
                        "(its name and times come from the coupon, so they cannot tell). Check them "
                        "with wxplan show before creating it again.")
        else:
            err.hint = ("no plan matching it exists (checked with the list endpoint): re-running the "
                        "same command resends the same out_request_no and body.")
        raise err from None


def do_batch(run: Run, inputs: list[Any], flags: dict[str, Any], options: BatchOptions, *, fmt: str,
             dry_run: bool, output: str) -> None:
    """Run a batch (:func:`wxplan_cli.batch.run_batch`) and show how it went."""
    from wxplan_cli.batch import BatchRequest, run_batch
    from wxplan_cli.batchplans import Layering
    from wxplan_cli.batchreport import check_report_path
    from wxplan_cli.batchview import BatchView
    from wxplan_cli.errors import UsageError

    if "out_request_no" in flags:
        raise UsageError("--out-request-no names one plan; in a batch each plan needs its own",
                         hint="put out_request_no in the file, or leave it out to derive one per plan")
    if options.report is not None:
        check_report_path(options.report)
    profile = run.profile()
    mchid = str(profile.require("mchid"))
    brand = profile.get("brand_id")
    ledger = options.ledger or _default_ledger(profile, mchid, inputs)
    rate = options.rate if options.rate is not None else profile.get("rate")
    request = BatchRequest(
        inputs, Layering(mchid, flags, {"brand_id": brand} if brand else {}), profile, ledger,
        resume_command(run, inputs, fmt, flags, options, ledger, output), options.concurrency or 4,
        rate or None, options.skip_invalid, dry_run, options.report, run.warn,
        run.log if run.opts.debug else None)
    view = BatchView(run.out, run.err, output=output, progress=True, quiet=run.quiet)
    summary = run_batch(request, view)
    view.finish(summary)
    error = summary.error()
    if error is not None:
        raise error


def _default_ledger(profile: Any, mchid: str, inputs: list[Any]) -> Path:
    import os

    from wxplan_cli import paths
    from wxplan_cli.ledger import default_path

    names = ["-" if i.path == "-" else os.path.abspath(i.path) for i in inputs]
    key = [profile.name, str(profile.config_file or ""), mchid, str(profile.get("base_url")), *names]
    return default_path(paths.state_dir(), key)


def resume_command(run: Run, inputs: list[Any], fmt: str, flags: dict[str, Any], options: BatchOptions,
                   ledger: Path, output: str) -> str:
    """The command that re-runs this batch (and so resumes it), as a shell line."""
    import shlex

    parts = ["wxplan", "create"]
    for inp in inputs:
        parts += ["--from", inp.path]
    parts += ["--format", fmt] if fmt != "auto" else []
    for name, value in flags.items():
        spec = FIELD_BY_NAME[name]
        if isinstance(value, bool):
            parts.append(spec.flags[0] if value else spec.flags[-1])
        else:
            parts += [spec.flags[0], str(value)]
    parts += ["--config", run.opts.config] if run.opts.config else []
    parts += ["--profile", run.opts.profile] if run.opts.profile else []
    parts += ["--ledger", str(ledger)]
    parts += ["--concurrency", str(options.concurrency)] if options.concurrency else []
    parts += ["--rate", f"{options.rate:g}"] if options.rate is not None else []
    parts += ["--skip-invalid"] if options.skip_invalid else []
    parts += ["--report", str(options.report)] if options.report else []
    parts += ["-o", output] if output != "table" else []
    line = shlex.join(parts)
    return line + "   (with the same input on stdin)" if any(i.path == "-" for i in inputs) else line


def _render(run: Run, result: dict[str, Any], out_request_no: str, derived: bool) -> None:
    from wxplan_cli.render import render_plan

    how = _how(derived)
    if run.quiet:
        return
    if run.output is OutputFormat.table:
        render_plan(run.out, result, run.output, title="投放计划 delivery plan",
                    extra=[("创建请求单号", "out_request_no", f"{out_request_no} ({how})")])
        run.note(f"Re-running the same command resends out_request_no {out_request_no} "
                 "(see README: Idempotency).")
        return
    render_plan(run.out, result, run.output)
    _note_request_no(run, out_request_no, derived)


def _how(derived: bool) -> str:
    return "derived from the plan's content" if derived else "given"


def _note_request_no(run: Run, out_request_no: str, derived: bool) -> None:
    run.note(f"out_request_no: {out_request_no} ({_how(derived)})")
