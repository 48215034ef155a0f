"""The bad-input corpus: every malformed plan or config file in tests/bad_inputs/ gets its documented
exit code and one message naming the file (and line, where there is one), with no traceback.

Plan files run through `wxplan create --from FILE --dry-run`; config files through
`wxplan create --config FILE`. A few cases are made at run time: a directory, a missing file, a
50 MB file, and configs that point at real key files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_fixtures import Served, args_for

from wxplan_cli import keygen

HERE = Path(__file__).parent / "bad_inputs"
SAMPLE = Path(__file__).parent.parent / "sample-configs" / "plan.yaml"

# (file, exit code, message fragment, line or None when the message names no line)
PLAN_CASES = [
    ("syntax_error.yaml", 4, "YAML syntax error", 2),
    ("tabs.yaml", 4, "does not allow tabs", 3),
    ("duplicate_keys.yaml", 4, "duplicate key 'total_count'", 8),
    ("count_as_string.yaml", 4, 'not the text "10000"', 5),
    ("count_as_float.yaml", 4, "whole number", 5),
    ("count_huge.yaml", 4, "at most 2147483647", 5),
    ("count_negative.yaml", 4, "at least 1", 8),
    ("count_bool.yaml", 4, "whole number, not true", 5),
    ("id_octal_looking.yaml", 4, 'quotes: "040016"', 1),
    ("id_sexagesimal.yaml", 4, "base-60", 1),
    ("id_float.yaml", 4, 'quotes: "1e5"', 1),
    ("bool_yes.yaml", 4, "write true", 8),
    ("emoji_name.yaml", 4, "4-byte character", 4),
    ("control_char.yaml", 4, "control character", 4),
    ("bom_unknown_key.yaml", 4, "did you mean stock_id", 8),
    ("crlf_negative.yaml", 4, "at least 1, not -3", 5),
    ("gbk_encoded.yaml", 4, "not valid UTF-8", 2),
    ("empty.yaml", 4, "file is empty", None),
    ("binary_junk.yaml", 4, "binary file", 3),
    ("deep_nesting.yaml", 4, "nested too deeply", None),
    ("null_value.yaml", 4, "no value", 4),
    ("unknown_key.yaml", 4, "did you mean recommend_word", 8),
    ("scalar_top_level.yaml", 4, "must be a mapping", 1),
    ("bad_time.yaml", 4, "not a real date", 6),
    ("short_duration.yaml", 4, "at least 5 days", 7),
    ("end_before_start.yaml", 4, "must be after delivery_start_time", 7),
    ("out_request_no_space.yaml", 4, "only letters, digits", 8),
    ("out_request_no_short.yaml", 4, "it has 3 characters", 8),
    ("usage_mode_unknown.yaml", 4, "must be one of SINGLE, PROGRESSIVE_BUNDLE", 8),
    ("bundle_without_bundle_id.yaml", 4, "stock_bundle_id: is required", None),
    ("missing_required.yaml", 4, "plan_name: is required", None),
    ("name_too_long.yaml", 4, "at most 36 bytes and width 24", 4),
    ("word_too_wide.yaml", 4, "width 18", 8),
    ("merge_key.yaml", 4, "merge keys", 3),
    ("python_tag.yaml", 4, "is not supported", 4),
    ("billion_laughs.yaml", 4, "too many values", 1),
    ("trailing_comma.json", 4, "JSON syntax error", 9),
    ("duplicate_keys.json", 4, "duplicate key 'brand_id'", 5),
    ("nan.json", 4, "not NaN", 6),
    ("count_as_string.json", 4, 'not the text "5"', 6),
]

CONFIG_CASES = [
    ("syntax_error.yaml", 3, "YAML syntax error", 5),
    ("tabs.yaml", 3, "does not allow tabs", 3),
    ("duplicate_key.yaml", 3, "duplicate key 'mchid'", 4),
    ("unknown_key.yaml", 3, "did you mean 'private_key'", 4),
    ("unknown_top_key.yaml", 3, "did you mean 'profiles'", 2),
    ("profiles_is_a_list.yaml", 3, "must be a mapping", 1),
    ("profile_not_mapping.yaml", 3, "must be a mapping", 2),
    ("timeout_not_a_number.yaml", 3, "must be a number, not 'soon'", 4),
    ("mchid_yes.yaml", 3, 'quotes: "yes"', 3),
    ("mchid_leading_zero.yaml", 3, "octal", 3),
    ("inline_key.yaml", 3, "not allowed inline", 4),
    ("empty.yaml", 3, "file is empty", None),
    ("scalar_top_level.yaml", 3, "must be a mapping", 1),
    ("key_points_to_cert.yaml", 3, "holds a certificate", None),
    ("missing_key_file.yaml", 3, "does not exist", None),
    ("remote_http.yaml", 3, "plain http:// is only for a sandbox", None),
    ("pubkey_without_id.yaml", 3, "go together", None),
    ("bad_pubkey_id.yaml", 3, "PUB_KEY_ID_<digits>", None),
    ("no_serial.yaml", 3, "needs serial_no or merchant_cert", None),
    ("no_verification_key.yaml", 3, "no WeChat Pay verification key", None),
]


def check(res, code: int, fragment: str, path: Path, line: int | None) -> None:
    assert res.exit_code == code, res.stderr
    assert fragment in res.stderr, res.stderr
    where = str(path) if line is None else f"{path}:{line}"
    assert where in res.stderr or (line is None and path.name in res.stderr), res.stderr
    assert res.stdout == ""
    # one message (a validation error lists its issues under it)
    assert len([ln for ln in res.stderr.splitlines() if ln.startswith("error:")]) == 1


def test_the_corpus_is_complete() -> None:
    assert len(PLAN_CASES) + len(CONFIG_CASES) >= 40
    assert {c[0] for c in PLAN_CASES} == {p.name for p in (HERE / "plans").iterdir()}
    assert {c[0] for c in CONFIG_CASES} == {p.name for p in (HERE / "configs").iterdir()}


@pytest.mark.parametrize(("name", "code", "fragment", "line"), PLAN_CASES, ids=[c[0] for c in PLAN_CASES])
def test_bad_plan_file(cli, served: Served, name: str, code: int, fragment: str, line: int | None) -> None:
    path = HERE / "plans" / name
    check(cli(*args_for(served, "create", "--from", str(path), "--dry-run")), code, fragment, path, line)


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory, merchant) -> Path:
    """The config corpus beside real (test) key files the configs refer to."""
    target = tmp_path_factory.mktemp("configs")
    for item in (HERE / "configs").iterdir():
        shutil.copy(item, target / item.name)
    shutil.copy(merchant.key_path, target / "test_key.pem")
    shutil.copy(merchant.cert_path, target / "test_cert.pem")
    (target / "test_pub.pem").write_bytes(keygen.public_pem(keygen.new_rsa_key().public_key()))
    return target


@pytest.mark.parametrize(("name", "code", "fragment", "line"), CONFIG_CASES,
                         ids=[c[0] for c in CONFIG_CASES])
def test_bad_config_file(cli, config_dir: Path, name: str, code: int, fragment: str,
                         line: int | None) -> None:
    path = config_dir / name
    res = cli("create", "--config", str(path), "--profile", "prod", "--from", str(SAMPLE), "--dry-run")
    check(res, code, fragment, path, line)


def test_directory_missing_and_huge_plan_files(cli, served: Served, tmp_path: Path) -> None:
    res = cli(*args_for(served, "create", "--from", str(tmp_path), "--dry-run"))
    check(res, 4, "directory", tmp_path, None)
    missing = tmp_path / "plann.yaml"
    (tmp_path / "plan.yaml").write_text("x: 1\n")
    res = cli(*args_for(served, "create", "--from", str(missing), "--dry-run"))
    check(res, 4, "not found", missing, None)
    assert "plan.yaml" in res.stderr  # did you mean the file next to it
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as f:
        f.write(b"# padding\n" * (5 * 1024 * 1024))  # 50 MB
    res = cli(*args_for(served, "create", "--from", str(huge), "--dry-run"))
    check(res, 4, "MB", huge, None)


def test_config_that_is_a_directory_or_missing(cli, tmp_path: Path) -> None:
    res = cli("create", "--config", str(tmp_path), "--from", str(SAMPLE))
    assert res.exit_code == 3 and str(tmp_path) in res.stderr and res.stderr.startswith("error:")
    res = cli("create", "--config", str(tmp_path / "none.yaml"), "--from", str(SAMPLE))
    assert res.exit_code == 3 and "none.yaml" in res.stderr
