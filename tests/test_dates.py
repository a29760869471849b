"""Every Vietnamese date form the sites print becomes an aware datetime in the right instant."""

from datetime import datetime, timedelta, timezone

import pytest

from crawler.extraction.dates import parse_date, to_utc

VN = timezone(timedelta(hours=7))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thứ hai, 01/03/2021 18:50", datetime(2021, 3, 1, 18, 50, tzinfo=VN)),
        ("Chủ nhật, 25/02/2024 07:05", datetime(2024, 2, 25, 7, 5, tzinfo=VN)),
        ("14/01/2025 - 06:01", datetime(2025, 1, 14, 6, 1, tzinfo=VN)),
        ("08/10/2023, 06:49 (GMT+7)", datetime(2023, 10, 8, 6, 49, tzinfo=VN)),
        ("ngày 22-11-2020", datetime(2020, 11, 22, tzinfo=VN)),
        ("2024-02-22T18:50:00+0700", datetime(2024, 2, 22, 18, 50, tzinfo=VN)),
        ("2024-02-22T11:50:00Z", datetime(2024, 2, 22, 18, 50, tzinfo=VN)),
        ("18:50 01/03/2021", datetime(2021, 3, 1, 18, 50, tzinfo=VN)),
    ],
)
def test_vietnamese_date_forms_parse_to_the_same_instant(text: str, expected: datetime) -> None:
    parsed = parse_date(text)
    assert parsed is not None and parsed.tzinfo is not None
    assert parsed == expected


def test_local_time_is_stored_as_utc() -> None:
    parsed = parse_date("Thứ hai, 01/03/2021 18:50")
    assert parsed is not None
    assert to_utc(parsed) == datetime(2021, 3, 1, 11, 50, tzinfo=timezone.utc)
    assert to_utc(parsed).utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["", None, "Thứ hai", "32/13/2021 25:99", "không có ngày"])
def test_text_without_a_valid_date_gives_none(text: str | None) -> None:
    assert parse_date(text) is None


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        to_utc(datetime(2021, 3, 1, 18, 50))
