"""`wxplan lint FILE...`: create's rules offline, file:line for each problem, JSON for CI."""

from __future__ import annotations

import json
from pathlib import Path

from wxplan_cli.errors import ExitCode, Issue
from wxplan_cli.lint import Finding, finding, lint_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = [ROOT / "sample-configs" / n for n in ("plan.yaml", "plan.json", "plan-reuse.yaml")]
BAD = ('brand_id: "40016"\nproduct_coupon_id: "1"\nstock_id: "2"\nplan_name: 冬季饮料投放冬季饮料投放冬\n'
       "total_count: -5\ndelivery_start_time: 2027-01-01\ndelivery_end_time: 2027-01-03\nrecomend_word: hi\n")


def test_clean_files_pass_without_credentials(cli) -> None:
    res = cli("lint", *map(str, SAMPLES))  # no config file, no profile, no network
    assert res.exit_code == 0, res.stdout + res.stderr
    assert res.stdout.splitlines() == [f"{p}: ok" for p in SAMPLES]
    assert cli("lint", "-q", str(SAMPLES[0])).stdout == ""


def test_problems_with_file_and_line_exit_4(cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    res = cli("lint", str(SAMPLES[0]), str(bad))
    assert res.exit_code == ExitCode.VALIDATION
    for fragment in (f"{SAMPLES[0]}: ok", f"{bad}:4: plan_name: is too long", f"{bad}:5: total_count",
                     f"{bad}:7: delivery_end_time", f"{bad}:8: recomend_word: unknown key",
                     "did you mean recommend_word"):
        assert fragment in res.stdout, res.stdout
    assert "4 problem(s) in 1 of 2 file(s)" in res.stderr


def test_json_for_ci_annotations(cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    broken = tmp_path / "broken.yaml"
    broken.write_text("brand_id: [\n")
    res = cli("lint", str(bad), str(broken), str(SAMPLES[1]), "-o", "json")
    assert res.exit_code == ExitCode.VALIDATION
    found = json.loads(res.stdout)
    assert {"file": str(bad), "line": 5, "column": None, "field": "total_count",
            "message": "must be at least 1, not -5", "hint": None} in found
    syntax = next(f for f in found if f["file"] == str(broken))
    assert syntax["line"] == 2 and syntax["column"] is not None
    assert json.loads(res.stderr)["exit_code"] == 4


def test_missing_fields_brand_default_and_stdin(cli, tmp_path: Path) -> None:
    no_brand = tmp_path / "nobrand.yaml"
    no_brand.write_text("\n".join(line for line in SAMPLES[0].read_text().splitlines()
                                  if not line.startswith("brand_id")))
    res = cli("lint", str(no_brand))
    assert res.exit_code == 4 and f"{no_brand}: brand_id: is required" in res.stdout
    assert cli("lint", str(no_brand), "--brand-id", "40016").exit_code == 0
    piped = cli("lint", "-", input="brand_id: 00123\n")
    assert piped.exit_code == 4 and "<stdin>:1: brand_id" in piped.stdout
    missing = cli("lint", str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 4 and "nope.yaml" in missing.stdout and "not found" in missing.stdout


def test_finding_splits_the_source() -> None:
    assert finding(Issue("x", "m", "a.yaml:7:3"), "a.yaml") == Finding("a.yaml", 7, 3, "x", "m")
    assert finding(Issue("x", "m", "--brand-id"), "a.yaml") == Finding("a.yaml", None, None, "x", "m")
    assert Finding("a.yaml", None, 4, "x", "m").render() == "a.yaml: x: m"
    assert lint_file(str(SAMPLES[2])) == []
