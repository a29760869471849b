"""``--since`` values: a date or time (Vietnam time unless it says otherwise), or a
duration back from now (``7d``, ``12h``)."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from crawler.config import ConfigError, parse_duration

#: the sites' calendar: "since 2026-11-01" means from midnight in Hà Nội
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def parse_since(value: str, now: datetime | None = None) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            return (now or datetime.now(timezone.utc)) - parse_duration(value)
        except ConfigError:
            raise ConfigError(f"--since: not a date, time or duration: {value!r} "
                              "(e.g. 2026-11-01, 2026-11-01T08:00+07:00, 7d, 12h)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM)
