"""``wxplan config init|show|profiles``: write a config file, show the effective settings, list profiles."""

from pathlib import Path
from typing import Annotated, Any

import typer

from wxplan_cli.commands.common import ConfigOpt, OutputFormat, OutputOpt, QuietOpt, Run, make_run
from wxplan_cli.commands.completion import ProfileOpt

app = typer.Typer(help="Profiles and settings: write a config file, see what is in effect and why.",
                  no_args_is_help=True)

_PANEL = "Profile settings 档案"


def _setting(flag: str, help: str) -> Any:
    return typer.Option(flag, help=help, show_default=False, rich_help_panel=_PANEL)


Text = str | None
File = Path | None


@app.command("init")
def init(
    ctx: typer.Context,
    name: Annotated[Text, typer.Option("--profile", "-p", help="name of the profile to write "
                                       "(default: default)", show_default=False)] = None,
    mchid: Annotated[Text, _setting("--mchid", "服务商商户号 service provider merchant id")] = None,
    private_key: Annotated[File, _setting("--private-key", "商户API私钥 apiclient_key.pem (a path)")] = None,
    merchant_cert: Annotated[File, _setting("--merchant-cert", "商户API证书 apiclient_cert.pem")] = None,
    serial_no: Annotated[Text, _setting("--serial-no", "certificate serial, if no --merchant-cert")] = None,
    public_key: Annotated[File, _setting("--wechatpay-public-key", "微信支付公钥 pub_key.pem")] = None,
    public_key_id: Annotated[Text, _setting("--wechatpay-public-key-id", "its id, PUB_KEY_ID_...")] = None,
    platform_cert: Annotated[list[Path] | None, _setting("--platform-cert", "平台证书 (repeatable)")] = None,
    apiv3_key_file: Annotated[File, _setting("--apiv3-key-file", "file holding the APIv3 key")] = None,
    brand_id: Annotated[Text, _setting("--brand-id", "default 品牌ID for plans")] = None,
    base_url: Annotated[Text, _setting("--base-url", "API host (default: WeChat Pay's)")] = None,
    sandbox: Annotated[bool, typer.Option("--sandbox", help="a profile for the built-in sandbox "
                                          "(no keys needed)")] = False,
    force: Annotated[bool, typer.Option("--force", help="replace an existing config file")] = False,
    config: Annotated[Text, typer.Option("--config", help="file to write (default: WXPLAN_CONFIG, "
                                         "then the user config dir)", show_default=False)] = None,
    quiet: QuietOpt = False,
) -> None:
    """Write a config file (mode 0600) with one profile: asks on a terminal, or takes the flags.

    Never replaces an existing file without --force. The file is loaded back before it is put in place.
    """
    from wxplan_cli.config_tools import check_target, config_target, new_profile, write_config

    run = make_run(ctx, config=config, quiet=quiet)
    path, _source = config_target(run.opts.config)
    check_target(path, force=force)
    values: dict[str, Any] = {
        "mchid": mchid, "private_key": private_key, "merchant_cert": merchant_cert, "serial_no": serial_no,
        "wechatpay_public_key": public_key, "wechatpay_public_key_id": public_key_id,
        "platform_certs": platform_cert or None, "apiv3_key_file": apiv3_key_file, "brand_id": brand_id,
        "base_url": base_url}
    profile_name = name or run.opts.profile or "default"
    if not sandbox:
        _ask_missing(values)
    settings = new_profile(values, sandbox=sandbox)
    _check_files(run, settings)
    write_config(path, profile_name, settings, force=force)
    if not quiet:
        run.out.file.write(f"{path}\n")
    run.note(f"wrote {path} (mode 0600) with profile {profile_name!r} as the default; "
             "check it with: wxplan doctor")


def _ask_missing(values: dict[str, Any]) -> None:
    """On a terminal, ask for what the flags did not give (optional ones may be left empty)."""
    from wxplan_cli.commands.interact import stdin_is_terminal

    if not stdin_is_terminal():
        return
    questions = [
        ("mchid", "服务商商户号 mchid", True), ("private_key", "商户API私钥 private key file", True),
        ("merchant_cert", "商户API证书 merchant certificate file (Enter to give the serial instead)", False),
        ("wechatpay_public_key", "微信支付公钥 WeChat Pay public key file (Enter to skip)", False),
        ("brand_id", "default 品牌ID brand_id (Enter to skip)", False)]
    for key, text, required in questions:
        if values.get(key) is None:
            values[key] = _prompt(text, required) or None
    if values.get("merchant_cert") is None and values.get("serial_no") is None:
        values["serial_no"] = _prompt("merchant certificate serial_no", True)
    if values.get("wechatpay_public_key") is not None and values.get("wechatpay_public_key_id") is None:
        values["wechatpay_public_key_id"] = _prompt("WeChat Pay public key id (PUB_KEY_ID_...)", True)


def _prompt(text: str, required: bool) -> str:
    answer = typer.prompt(text, default=None if required else "", show_default=False, err=True)
    return str(answer).strip()


def _check_files(run: Run, settings: dict[str, Any]) -> None:
    """A key file that exists must load (exit 3 before writing); a missing one is only a warning."""
    from wxplan_cli.credentials import load_private_key

    for key in ("private_key", "merchant_cert", "wechatpay_public_key", "apiv3_key_file"):
        if key in settings and not Path(settings[key]).exists():
            run.warn(f"{key} {settings[key]} does not exist (yet)")
    if "private_key" in settings and Path(settings["private_key"]).exists():
        load_private_key(settings["private_key"])


@app.command("show")
def show(
    ctx: typer.Context,
    output: OutputOpt = OutputFormat.table,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Every effective setting of the profile and where it came from (flag, env, file:line, default).

    Paths are shown; key material never is (the APIv3 key from WXPLAN_APIV3_KEY is masked).
    """
    from wxplan_cli.config_tools import effective_settings
    from wxplan_cli.render import print_data, rows_table, to_json, to_yaml

    run = make_run(ctx, config=config, profile=profile, output=output)
    found = effective_settings(run.opts.config, run.opts.profile)
    if output in (OutputFormat.json, OutputFormat.yaml):
        data = found.to_dict()
        print_data(run.out, to_json(data) if output is OutputFormat.json else to_yaml(data))
        return
    if output is OutputFormat.id:
        print_data(run.out, str(found.profile.value))
        return
    rows = [("config file", found.config_file.value, found.config_file.source),
            ("profile", found.profile.value, found.profile.source)]
    rows += [(k, _cell(s.value), s.source) for k, s in found.settings.items()]
    run.out.print(rows_table(("setting", "value", "source 来源"), rows, title="wxplan config"))


def _cell(value: Any) -> Any:
    return "\n".join(map(str, value)) if isinstance(value, list) else value


@app.command("profiles")
def profiles(
    ctx: typer.Context,
    output: OutputOpt = OutputFormat.table,
    config: ConfigOpt = None,
) -> None:
    """The profiles of the config file, and the built-in `sandbox`; * marks the default."""
    from wxplan_cli.config_tools import list_profiles
    from wxplan_cli.render import print_data, rows_table, to_json, to_yaml

    run = make_run(ctx, config=config, output=output)
    found = list_profiles(run.opts.config)
    data = [vars(p) for p in found]
    if output is OutputFormat.json:
        print_data(run.out, to_json(data))
    elif output is OutputFormat.yaml:
        print_data(run.out, to_yaml(data))
    elif output is OutputFormat.id:
        print_data(run.out, "\n".join(p.name for p in found))
    else:
        rows = [(("* " if p.default else "  ") + p.name,
                 "sandbox" if p.sandbox else p.base_url or "(default)", p.mchid, p.where) for p in found]
        run.out.print(rows_table(("profile", "talks to", "mchid", "defined at"), rows))
