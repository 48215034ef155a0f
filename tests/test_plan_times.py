"""Plan times (wxplan_cli.timeparse): the accepted forms, Beijing time, and what is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from wxplan_cli.timeparse import SHANGHAI, TimeError, format_rfc3339, parse_time


@pytest.mark.parametrize(("text", "rfc3339"), [
    ("2025-01-01", "2025-01-01T00:00:00+08:00"),
    ("2025-01-01 10:00", "2025-01-01T10:00:00+08:00"),
    ("2025-01-01 10:00:30", "2025-01-01T10:00:30+08:00"),
    ("2025-01-01T10:00", "2025-01-01T10:00:00+08:00"),
    ("2025-01-01t10:00:00z", "2025-01-01T18:00:00+08:00"),
    ("2025-01-01T00:00:00+08:00", "2025-01-01T00:00:00+08:00"),
    ("2025-01-01T00:00:00Z", "2025-01-01T08:00:00+08:00"),
    ("2025-01-01T00:00:00-05:30", "2025-01-01T13:30:00+08:00"),
    ("2025-01-01T00:00:00.123456+08:00", "2025-01-01T00:00:00.123456+08:00"),
    ("2025-01-01T00:00:00.5+08:00", "2025-01-01T00:00:00.5+08:00"),
    ("  2025-01-01 10:00  ", "2025-01-01T10:00:00+08:00"),
])
def test_accepted_forms(text: str, rfc3339: str) -> None:
    parsed = parse_time(text)
    assert parsed.utcoffset() == dt.timedelta(hours=8)
    assert format_rfc3339(parsed) == rfc3339


def test_python_values() -> None:
    assert format_rfc3339(parse_time(dt.date(2025, 1, 1))) == "2025-01-01T00:00:00+08:00"
    assert format_rfc3339(parse_time(dt.datetime(2025, 1, 1, 9))) == "2025-01-01T09:00:00+08:00"
    utc = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    assert parse_time(utc) == utc and parse_time(utc).tzinfo == SHANGHAI


@pytest.mark.parametrize("text", [
    "2025-1-1", "2025-01-01T10", "2025-01-01 10:00:60", "2025-02-29", "2025-01-01T24:00:00",
    "2025-01-01T00:00:00+24:00", "2025-01-01T00:00:00+0800", "2025-01-01+08:00", "01/01/2025",
    "2025-01-01T00:00:00.1234567+08:00", "0001-01-01T00:00:00+09:00", "", "tomorrow",
])
def test_refused(text: str) -> None:
    with pytest.raises(TimeError) as info:
        parse_time(text)
    assert text.strip() in info.value.message and "RFC 3339" in info.value.hint


def test_non_text_is_refused() -> None:
    with pytest.raises(TimeError, match="not int"):
        parse_time(20250101)


def test_year_is_zero_padded() -> None:
    assert format_rfc3339(parse_time("0999-06-01")) == "0999-06-01T00:00:00+08:00"
