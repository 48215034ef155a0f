"""Profiles: where each setting comes from, resolved in one place.

Precedence: flag > environment (``WXPLAN_<KEY>``) > the profile in the YAML file > default. Every
value remembers its source (``flag``, ``env WXPLAN_MCHID``, ``config.yaml:12``, ``default``,
``built-in sandbox``) so errors and ``config show`` can say where it came from.

File: ``--config`` > ``WXPLAN_CONFIG`` > ``config.yaml`` in the user config dir. Profile: ``--profile`` >
``WXPLAN_PROFILE`` > the file's ``default_profile`` > its only profile. The name ``sandbox`` always
exists: the built-in sandbox, run in-process, with keys and plans in the user state dir.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wxplan_cli import paths
from wxplan_cli.errors import ConfigError
from wxplan_cli.fileperm import group_or_world_readable

if TYPE_CHECKING:
    from wxplan_cli.yamlsrc import Sourced

BUILTIN_SANDBOX = "sandbox"
SANDBOX_BASE_URL = "https://sandbox.wxplan.invalid"
TOP_KEYS = ("default_profile", "profiles")


@dataclass(frozen=True)
class KeySpec:
    """One profile key: its type, default, and whether it is a path relative to the config file."""

    kind: str  # "str" | "path" | "paths" | "float" | "int" | "bool"
    help: str
    default: Any = None
    secret: bool = False


PROFILE_KEYS: dict[str, KeySpec] = {
    "mchid": KeySpec("str", "service provider merchant id (服务商商户号)"),
    "serial_no": KeySpec("str", "merchant API certificate serial (商户API证书序列号)"),
    "merchant_cert": KeySpec("path", "merchant API certificate PEM (apiclient_cert.pem)"),
    "private_key": KeySpec("path", "merchant API private key PEM (apiclient_key.pem)", secret=True),
    "wechatpay_public_key": KeySpec("path", "WeChat Pay public key PEM (微信支付公钥)"),
    "wechatpay_public_key_id": KeySpec("str", "WeChat Pay public key id, PUB_KEY_ID_..."),
    "platform_certs": KeySpec("paths", "WeChat Pay platform certificate PEMs (平台证书)"),
    "apiv3_key_file": KeySpec("path", "file holding the APIv3 key (certificate download)", secret=True),
    "base_url": KeySpec("str", "API host", "https://api.mch.weixin.qq.com"),
    "timeout": KeySpec("float", "seconds to wait for a reply", 10.0),
    "connect_timeout": KeySpec("float", "seconds to wait for a connection", 5.0),
    "retries": KeySpec("int", "extra attempts on 429, 5xx and connect errors", 3),
    "rate": KeySpec("float", "batch create: requests per second, shared by all workers "
                             "(default: no limit; --rate overrides)"),
    "brand_id": KeySpec("str", "default brand_id for plans (品牌ID)"),
    "sandbox": KeySpec("bool", "use the built-in sandbox in-process", False),
    "strict": KeySpec("bool", "refuse private key files readable by group or others (--strict)", False),
}


@dataclass(frozen=True)
class Setting:
    """A resolved value and where it came from."""

    value: Any
    source: str


@dataclass
class Profile:
    """The effective settings of one profile."""

    name: str
    config_file: Path | None
    settings: dict[str, Setting] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def get(self, key: str) -> Any:
        """The value of ``key`` (``None`` when unset and without default)."""
        s = self.settings.get(key)
        return s.value if s else None

    def source(self, key: str) -> str:
        """Where ``key`` came from."""
        s = self.settings.get(key)
        return s.source if s else "unset"

    @property
    def is_sandbox(self) -> bool:
        """True when this profile talks to the in-process sandbox."""
        return bool(self.get("sandbox"))

    def require(self, key: str) -> Any:
        """The value of ``key``, or a ``ConfigError`` saying how to set it."""
        value = self.get(key)
        if value in (None, "", []):
            where = f" in {self.config_file}" if self.config_file else ""
            raise ConfigError(f"profile {self.name!r} has no {key}{where}",
                              hint=f"add `{key}: ...` to the profile or set WXPLAN_{key.upper()}")
        return value


def load_profile(config_flag: str | None = None, profile_flag: str | None = None,
                 env: Mapping[str, str] | None = None) -> Profile:
    """Resolve the effective profile from flags, environment, file and defaults."""
    env = os.environ if env is None else env
    raw = load_config_file(config_flag, env)
    name, name_source = choose_profile_name(profile_flag, env, raw)
    profiles = (raw.data.get("profiles") or {}) if raw else {}
    if name not in profiles and name != BUILTIN_SANDBOX:
        raise _unknown_profile(name, name_source, raw)
    profile = Profile(name, Path(raw.filename) if raw else None)
    if raw and group_or_world_readable(raw.filename):
        profile.warnings.append(f"config file {raw.filename} is readable by group or others; "
                                f"run: chmod 600 {raw.filename}")
    for key, spec in PROFILE_KEYS.items():
        if spec.default is not None:
            profile.settings[key] = Setting(spec.default, "default")
    if name == BUILTIN_SANDBOX and name not in profiles:
        profile.settings["sandbox"] = Setting(True, "built-in sandbox")
    elif raw:
        _apply_file(profile, raw, name)
    _apply_env(profile, env)
    if profile.is_sandbox:
        _apply_sandbox(profile)
    return profile


def config_path(config_flag: str | None, env: Mapping[str, str]) -> tuple[Path, bool]:
    """The config file to read, and whether it was named explicitly (then it must exist)."""
    if config_flag:
        return Path(config_flag).expanduser(), True
    if env.get("WXPLAN_CONFIG"):
        return Path(env["WXPLAN_CONFIG"]).expanduser(), True
    return paths.default_config_file(), False


def load_config_file(config_flag: str | None, env: Mapping[str, str]) -> Sourced | None:
    """The parsed and shape-checked config file, or ``None`` when the default one does not exist."""
    from wxplan_cli.yamlsrc import YamlSourceError, load_file

    path, explicit = config_path(config_flag, env)
    if not path.exists() and not explicit:
        return None
    try:
        raw = load_file(path, syntax="yaml")
    except YamlSourceError as exc:
        hint = exc.hint or "see sample-configs/config.yaml"
        if not path.exists():
            hint = "check the path, or create one with `wxplan config init`"
        raise ConfigError(str(exc), hint=hint) from None
    _check_shape(raw)
    return raw


def _did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"did you mean {close[0]!r}?" if close else None


def _check_shape(raw: Sourced) -> None:
    for key in raw.data:
        if key not in TOP_KEYS:
            raise ConfigError(f"{raw.where(str(key))}: unknown top-level key {key!r}",
                              hint=_did_you_mean(str(key), TOP_KEYS) or "expected default_profile, profiles")
    profiles = raw.data.get("profiles") or {}
    if not isinstance(profiles, dict):
        raise ConfigError(f"{raw.where('profiles')}: `profiles` must be a mapping of name -> settings")
    for name, body in profiles.items():
        if not isinstance(body, dict):
            raise ConfigError(f"{raw.where('profiles', str(name))}: profile {name!r} must be a mapping")
        for key in body:
            if key not in PROFILE_KEYS:
                raise ConfigError(
                    f"{raw.where('profiles', str(name), str(key))}: unknown key {key!r} in profile {name!r}",
                    hint=_did_you_mean(str(key), tuple(PROFILE_KEYS)))


def choose_profile_name(flag: str | None, env: Mapping[str, str],
                        raw: Sourced | None) -> tuple[str, str]:
    """The profile name to use and where that choice came from."""
    if flag:
        return flag, "--profile"
    if env.get("WXPLAN_PROFILE"):
        return env["WXPLAN_PROFILE"], "WXPLAN_PROFILE"
    if raw and raw.data.get("default_profile"):
        return str(raw.data["default_profile"]), raw.where("default_profile")
    profiles = list(raw.data.get("profiles", {})) if raw else []
    if len(profiles) == 1:
        return str(profiles[0]), raw.filename if raw else "config"
    where = f"{raw.filename} has profiles {', '.join(map(str, profiles))} and no default_profile" if raw \
        else "no config file found"
    raise ConfigError(f"no profile chosen: {where}",
                      hint="pass --profile NAME (try --profile sandbox), set WXPLAN_PROFILE, "
                           "or run `wxplan config init`")


def _unknown_profile(name: str, source: str, raw: Sourced | None) -> ConfigError:
    names = [*map(str, raw.data.get("profiles", {})), BUILTIN_SANDBOX] if raw else [BUILTIN_SANDBOX]
    where = f"in {raw.filename}" if raw else "(no config file found)"
    hint = _did_you_mean(name, names) or f"known profiles: {', '.join(names)}"
    return ConfigError(f"profile {name!r} (from {source}) not found {where}", hint=hint)


_EXPECT = {"str": "string", "path": "string", "int": "integer", "bool": "boolean"}


def _apply_file(profile: Profile, raw: Sourced, name: str) -> None:
    from wxplan_cli.yamlsrc import YamlSourceError

    base = Path(raw.filename).parent
    for key, value in raw.data["profiles"][name].items():
        if value is None:
            continue
        where = raw.where("profiles", name, key)
        expect = _EXPECT.get(PROFILE_KEYS[key].kind)
        try:
            typed = raw.typed("profiles", name, key, expect=expect) if expect else value  # type: ignore[arg-type]
        except YamlSourceError as exc:
            raise ConfigError(str(exc), hint=exc.hint or PROFILE_KEYS[key].help) from None
        profile.settings[key] = Setting(_coerce(key, typed, where, base), where)


def _apply_env(profile: Profile, env: Mapping[str, str]) -> None:
    for key in PROFILE_KEYS:
        var = f"WXPLAN_{key.upper()}"
        if env.get(var):
            profile.settings[key] = Setting(_coerce(key, env[var], f"env {var}", Path.cwd()), f"env {var}")


def _coerce(key: str, value: Any, where: str, base: Path) -> Any:
    spec = PROFILE_KEYS[key]
    try:
        if key == "apiv3_key_file":
            _refuse_inline_apiv3_key(value, base)
        return _COERCE[spec.kind](value, base)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {key}: {exc}", hint=spec.help) from None


def _as_str(value: Any, base: Path) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"expected text, got {type(value).__name__}")
    return str(value).strip()


#: a key's base64 DER pasted without its PEM lines (every RSA 2048 key, certificate and public key starts so)
_BASE64_DER = re.compile(r"MII[A-Za-z0-9+/\s]{40,}={0,2}")


def _as_path(value: Any, base: Path) -> Path:
    text = _as_str(value, base)
    if "-----BEGIN" in text or _BASE64_DER.fullmatch(text):
        raise ValueError("key material is not allowed inline; give the path of the .pem file")
    path = Path(text).expanduser()
    return path if path.is_absolute() else (base / path)


def _refuse_inline_apiv3_key(value: Any, base: Path) -> None:
    """32 printable ASCII characters with no path separator or extension, naming no file, are the APIv3
    key itself: refuse it (without echoing it) rather than show it as a path in ``config show`` and
    errors."""
    text = str(value).strip()
    if (len(text) == 32 and text.isascii() and text.isprintable() and not any(c in text for c in "/\\.~")
            and not (base / text).exists()):
        raise ValueError("this looks like the APIv3 key itself, not a path: put the key alone in a file "
                         "(chmod 600) and give the file's path")


def _as_paths(value: Any, base: Path) -> list[Path]:
    items = value if isinstance(value, list) else [value]
    return [_as_path(v, base) for v in items]


def _as_number(kind: type, value: Any) -> Any:
    word = "a whole number" if kind is int else "a number"
    if isinstance(value, bool):
        raise ValueError(f"must be {word}, not {str(value).lower()}")
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be {word}, not {value!r}") from None
    if number < 0 or (kind is float and number == 0):
        raise ValueError(f"must be {'positive' if kind is float else 'zero or more'}, not {value}")
    return number


def _as_bool(value: Any, base: Path) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("1", "true"):
        return True
    if str(value).lower() in ("0", "false"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


_COERCE: dict[str, Any] = {
    "str": _as_str,
    "path": _as_path,
    "paths": _as_paths,
    "float": lambda v, _b: _as_number(float, v),
    "int": lambda v, _b: _as_number(int, v),
    "bool": _as_bool,
}


def _apply_sandbox(profile: Profile) -> None:
    """Fill credentials from the built-in sandbox's identity (generated on first use)."""
    from wxplan_cli.sandbox.identity import ensure_identity

    identity = ensure_identity(paths.sandbox_dir())
    explicit = _explicit(profile)
    for key, value in identity.client_profile().items():
        if key in PROFILE_KEYS and key not in explicit:
            profile.settings[key] = Setting(_sandbox_value(key, value), "built-in sandbox")
    if "base_url" not in explicit:
        profile.settings["base_url"] = Setting(SANDBOX_BASE_URL, "built-in sandbox")


def _sandbox_value(key: str, value: str | list[str]) -> Any:
    kind = PROFILE_KEYS[key].kind
    if kind == "paths":
        return [Path(v) for v in value] if isinstance(value, list) else [Path(value)]
    return Path(str(value)) if kind == "path" else value


def _explicit(profile: Profile) -> set[str]:
    return {k for k, s in profile.settings.items() if s.source not in ("default", "built-in sandbox")}
