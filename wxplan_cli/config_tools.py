"""``wxplan config``: what the effective settings are and where each came from; writing a new file.

    effective_settings(config, profile)   every setting of the resolved profile with its source
    list_profiles(config)                 the profiles a config file defines, plus the built-in sandbox
    new_profile(name, values)             the settings of a new profile, checked, paths made absolute
    write_config(path, name, settings)    the YAML file, mode 0600, atomically, never over an existing
                                          file unless ``force``; loaded back before it is put in place

Resolution itself lives in :mod:`wxplan_cli.config` (``load_profile``); this module only reports it,
using the same helpers so ``config show`` can never disagree with what commands use. Nothing here shows
key material: settings hold paths, and the APIv3 key given in ``WXPLAN_APIV3_KEY`` is masked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wxplan_cli import config as cfg
from wxplan_cli.config import BUILTIN_SANDBOX, PROFILE_KEYS, Profile, Setting, load_profile
from wxplan_cli.errors import ConfigError, UsageError
from wxplan_cli.redact import MASK, redact_text

APIV3_KEY_ENV = "WXPLAN_APIV3_KEY"
REQUIRED = ("mchid", "private_key")


@dataclass(frozen=True)
class Effective:
    """The resolved config file, profile name and settings, each with its source."""

    config_file: Setting
    profile: Setting
    settings: dict[str, Setting] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The ``-o json`` shape: ``{name: {"value", "source"}}`` for each part."""
        def one(s: Setting) -> dict[str, Any]:
            return {"value": s.value, "source": s.source}

        return {"config_file": one(self.config_file), "profile": one(self.profile),
                "settings": {k: one(s) for k, s in self.settings.items()}}


def config_target(config_flag: str | None, env: Mapping[str, str] | None = None) -> tuple[Path, str]:
    """The config file commands would read, and why: ``--config``, ``env WXPLAN_CONFIG`` or default."""
    env = os.environ if env is None else env
    path, _explicit = cfg.config_path(config_flag, env)
    source = "--config" if config_flag else ("env WXPLAN_CONFIG" if env.get("WXPLAN_CONFIG") else "default")
    return path, source


def effective_settings(config_flag: str | None, profile_flag: str | None,
                       env: Mapping[str, str] | None = None) -> Effective:
    """Every setting of the profile commands would use, masked for display, with its source."""
    env = os.environ if env is None else env
    profile = load_profile(config_flag, profile_flag, env)
    path, file_source = config_target(config_flag, env)
    raw = cfg.load_config_file(config_flag, env)
    shown_file = Setting(str(path) if raw else None,
                         file_source if raw else f"{file_source}: {path} does not exist")
    name, name_source = cfg.choose_profile_name(profile_flag, env, raw)
    settings = {key: Setting(shown_value(key, profile.get(key)), profile.source(key)) for key in PROFILE_KEYS}
    if env.get(APIV3_KEY_ENV):
        settings["apiv3_key"] = Setting(MASK, f"env {APIV3_KEY_ENV}")
    return Effective(shown_file, Setting(name, name_source), settings)


def shown_value(key: str, value: Any) -> Any:
    """A setting as it may be shown: paths as text, secrets that are not paths masked, all redacted."""
    if value is None:
        return None
    spec = PROFILE_KEYS.get(key)
    if isinstance(value, list):
        return [redact_text(str(v)) for v in value]
    if spec is not None and spec.secret and spec.kind not in ("path", "paths"):
        return MASK
    if isinstance(value, (bool, int, float)):
        return value
    return redact_text(str(value))


@dataclass(frozen=True)
class ProfileInfo:
    """One profile a user can pass to ``--profile``."""

    name: str
    default: bool
    sandbox: bool
    where: str
    mchid: str | None = None
    base_url: str | None = None


def list_profiles(config_flag: str | None, env: Mapping[str, str] | None = None) -> list[ProfileInfo]:
    """The profiles of the config file (in file order), then the built-in ``sandbox`` if not redefined."""
    env = os.environ if env is None else env
    raw = cfg.load_config_file(config_flag, env)
    profiles: dict[str, Any] = (raw.data.get("profiles") or {}) if raw else {}
    default = str(raw.data.get("default_profile")) if raw and raw.data.get("default_profile") else None
    if default is None and len(profiles) == 1:
        default = str(next(iter(profiles)))
    out = [ProfileInfo(str(name), str(name) == default, bool(body.get("sandbox")),
                       raw.where("profiles", str(name)) if raw else "",
                       _text(body.get("mchid")), _text(body.get("base_url")))
           for name, body in profiles.items()]
    if BUILTIN_SANDBOX not in profiles:
        out.append(ProfileInfo(BUILTIN_SANDBOX, default == BUILTIN_SANDBOX, True, "built-in sandbox"))
    return out


def _text(value: object) -> str | None:
    return None if value is None else str(value)


# -- config init ------------------------------------------------------------------------------------


def new_profile(values: Mapping[str, Any], *, sandbox: bool = False) -> dict[str, Any]:
    """The settings of a new profile in PROFILE_KEYS order: empty values dropped, paths absolute.

    ``UsageError`` names what is missing (``mchid``, ``private_key``, and ``merchant_cert`` or
    ``serial_no``) unless it is a sandbox profile.
    """
    unknown = sorted(set(values) - set(PROFILE_KEYS))
    if unknown:
        raise ValueError(f"not profile keys: {', '.join(unknown)}")
    given = {k: v for k, v in values.items() if v not in (None, "", [], ())}
    if sandbox:
        given["sandbox"] = True
    else:
        missing = [k for k in REQUIRED if k not in given]
        if "merchant_cert" not in given and "serial_no" not in given:
            missing.append("merchant_cert or serial_no")
        if missing:
            raise UsageError(f"a profile needs {', '.join(missing)}",
                             hint="pass --mchid, --private-key and --merchant-cert (or --serial-no), or run "
                                  "`wxplan config init` on a terminal to be asked")
    return {key: _absolute(key, given[key]) for key in PROFILE_KEYS if key in given}


def _absolute(key: str, value: Any) -> Any:
    kind = PROFILE_KEYS[key].kind
    if kind == "path":
        return str(Path(str(value)).expanduser().absolute())
    if kind == "paths":
        items = value if isinstance(value, (list, tuple)) else [value]
        return [str(Path(str(v)).expanduser().absolute()) for v in items]
    return value


def config_text(name: str, settings: Mapping[str, Any]) -> str:
    """The YAML of a config file holding one profile, the default."""
    import yaml

    header = ("# wxplan configuration, written by `wxplan config init`.\n"
              "# Key material never goes here: private_key etc. are paths to .pem files (chmod 600 them).\n"
              "# See `wxplan config show` for the effective settings and `wxplan doctor` to check them.\n")
    body = yaml.safe_dump({"default_profile": name, "profiles": {name: dict(settings)}},
                          allow_unicode=True, sort_keys=False, default_flow_style=False)
    return header + str(body)


def write_config(path: Path, name: str, settings: Mapping[str, Any], *, force: bool = False) -> Profile:
    """Write the file (0600, atomically), after loading it back from a temporary file; returns the profile.

    Refuses an existing ``path`` unless ``force`` (checked again at the last moment, so a file that
    appeared meanwhile is not replaced either).
    """
    check_target(path, force=force)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(config_text(name, settings))
            fh.flush()
            os.fsync(fh.fileno())
        profile = load_profile(str(tmp), name, env={})
        _install(tmp, path, force=force)
    finally:
        tmp.unlink(missing_ok=True)
    return profile


def _install(tmp: Path, path: Path, *, force: bool) -> None:
    if force:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails if path exists: never replaces a file without --force
    except FileExistsError:
        raise _exists(path) from None
    except OSError:  # no hard links on this file system: the check before writing has to do
        if path.exists():
            raise _exists(path) from None
        os.replace(tmp, path)


def check_target(path: Path, *, force: bool) -> None:
    """``ConfigError`` (exit 3) when ``path`` exists and ``force`` is not given."""
    if path.exists() and not force:
        raise _exists(path)


def _exists(path: Path) -> ConfigError:
    return ConfigError(f"{path} already exists", hint="pass --force to replace it, or --config OTHER.yaml "
                                                      "to write another file")
