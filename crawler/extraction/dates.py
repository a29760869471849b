"""Vietnamese date forms to timezone-aware datetimes.

The sites print local time (Asia/Ho_Chi_Minh, UTC+07:00, no DST) in several forms:
``Thứ hai, 01/03/2021 18:50``, ``14/01/2025 - 06:01``, ``08/10/2023, 06:49 (GMT+7)``,
``ngày 22-11-2020``, and ISO 8601 in metadata (``2024-02-22T18:50:00+0700``).  A date
without an explicit offset is Vietnam time; the result always carries an offset.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

_DMY = re.compile(
    r"(?<!\d)(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?!\d)"
    r"(?:[^\d]{0,12}?(\d{1,2})\s*[:hg]\s*(\d{2})(?:\s*:\s*(\d{2}))?)?"
)
_TIME_FIRST = re.compile(
    r"(?<!\d)(\d{1,2})\s*:\s*(\d{2})(?:\s*:\s*(\d{2}))?[^\d]{1,12}?(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?!\d)"
)
_GMT = re.compile(r"(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)
_ISO = re.compile(r"^\s*\d{4}-\d{2}-\d{2}")


def _offset(text: str) -> timezone | ZoneInfo:
    match = _GMT.search(text)
    if not match:
        return VIETNAM
    sign = -1 if match.group(1) == "-" else 1
    delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0))
    return timezone(sign * delta)


def _build(day: str, month: str, year: str, hour: str | None, minute: str | None,
           second: str | None, tz: timezone | ZoneInfo) -> datetime | None:
    try:
        return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                        int(second or 0), tzinfo=tz)
    except ValueError:
        return None


def parse_date(text: str | None) -> datetime | None:
    """The first date in ``text`` as an aware datetime, or None when there is none."""
    if not text:
        return None
    text = text.strip()
    if _ISO.match(text):
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            value = None
        if value is not None:
            return value if value.tzinfo else value.replace(tzinfo=VIETNAM)
    tz = _offset(text)
    match = _DMY.search(text)
    time_first = _TIME_FIRST.search(text)
    if time_first and (not match or match.group(4) is None):
        hour, minute, second, day, month, year = time_first.groups()
        return _build(day, month, year, hour, minute, second, tz=tz)
    if not match:
        return None
    day, month, year, hour, minute, second = match.groups()
    return _build(day, month, year, hour, minute, second, tz=tz)


def to_vietnam(value: datetime) -> datetime:
    """Fixed +07:00 offset, the form ``partyfeed extract`` prints."""
    return value.astimezone(timezone(timedelta(hours=7)))


def to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime: every datetime in partyfeed carries its offset")
    return value.astimezone(timezone.utc)
