"""Configuration: defaults that work with no file, a TOML file, then environment.

Precedence (later wins): built-in defaults < ``partyfeed.toml`` < ``PARTYFEED_*``
environment variables < command-line flags.  Every command reads the same object,
so ``PARTYFEED_DB`` and ``PARTYFEED_FEEDS_DIR`` keep two installs apart whichever
command runs.  A broken file raises :class:`ConfigError` with a message meant for
a person, never a traceback.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .sites import all_sites

CONFIG_ENV = "PARTYFEED_CONFIG"
DEFAULT_CONFIG_FILE = "partyfeed.toml"


class ConfigError(ValueError):
    """The configuration cannot be used; the message says where and why."""


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


#: the longest interval or time limit taken: beyond it a value is a typo, and the
#: scheduler's date arithmetic overflows long before ``float`` does
MAX_DURATION = timedelta(days=366)
#: the most entries a feed may hold (a reader polls it whole)
MAX_FEED_LIMIT = 1000
#: worker processes a crawl may extract in (more would only wait for the downloads)
MAX_EXTRACT_PROCESSES = 64
#: the most listing pages a crawl follows per category
MAX_PAGES = 1000


def parse_duration(value: str | int | float) -> timedelta:
    """``"30m"``, ``"10s"``, ``"2h"``, ``"1d"`` or a number of seconds, up to :data:`MAX_DURATION`."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ConfigError(f"not a duration: {value!r} (use e.g. 10s, 15m, 2h, 1d)")
        seconds = float(match.group(1)) * _UNIT_SECONDS[(match.group(2) or "s").lower()]
    if math.isnan(seconds) or seconds <= 0:  # TOML has nan and inf
        raise ConfigError(f"a duration must be positive: {value!r}")
    if seconds > MAX_DURATION.total_seconds():
        raise ConfigError(f"a duration must be at most {MAX_DURATION.days} days: {value!r}")
    return timedelta(seconds=seconds)


def parse_mirror(value: str) -> str:
    """The base URL of a local copy of a site: ``http(s)://host[:port][/path]``."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises on a port that is not one)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname \
            or parts.query or parts.fragment:
        raise ConfigError(f"not the base URL of a copy (http or https, e.g. "
                          f"http://127.0.0.1:8000): {value!r}")
    return value


_SQLITE_HEADER = b"SQLite format 3\x00"


def sqlite_path(db_url: str) -> Path | None:
    """The file of an SQLite URL (``sqlite:////srv/p.db``); None for other databases or memory."""
    if not db_url.startswith("sqlite:///"):
        return None
    name = db_url.removeprefix("sqlite:///").split("?", 1)[0]
    return Path(name) if name and name != ":memory:" else None


def check_database(db_url: str, *, write: bool = True) -> None:
    """Refuse, in one line and before anything opens it, an SQLite path that cannot be the
    database: a folder, a path under a file, a file that is something else — or, for a
    command that writes, a file or folder that cannot be written."""
    path = sqlite_path(db_url)
    if path is None:
        return
    if path.is_dir():
        raise ConfigError(f"database {path} is a folder, not a file")
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise ConfigError(f"database {path}: {parent} is a file, not a folder")
    if path.is_file():
        try:
            with path.open("rb") as handle:
                header = handle.read(len(_SQLITE_HEADER))
        except OSError as exc:
            raise ConfigError(f"database {path}: {exc.strerror}") from None
        if header and header != _SQLITE_HEADER:
            raise ConfigError(f"database {path} is not an SQLite database")
    if write and parent is not None and not _writable(path if path.exists() else parent):
        raise ConfigError(f"database {path} is read-only (`partyfeed status` can still read it)")


def _writable(path: Path) -> bool:
    """Writable by this process: permissions (not enough for root) and a read-write mount."""
    return os.access(path, os.W_OK) and not os.statvfs(path).f_flag & os.ST_RDONLY


@dataclass(frozen=True)
class SiteConfig:
    name: str
    enabled: bool = True
    interval: timedelta = timedelta(minutes=30)
    #: a crontab line (``*/30 6-23 * * *``, Vietnam time) instead of the interval
    cron: str | None = None
    #: category slugs to crawl; empty means the site module's defaults
    categories: tuple[str, ...] = ()
    #: listing pages followed per category
    max_pages: int = 3
    #: a crawl running longer than this is stopped and recorded as failed
    time_limit: timedelta = timedelta(minutes=20)
    #: share of a run's articles rejected or read by the generic layer that marks the site degraded
    degraded_share: float = 0.2
    #: requests per second a backfill may send the site at most (None: the crawl's politeness)
    backfill_rate: float | None = None


@dataclass(frozen=True)
class Config:
    db_url: str
    feeds_dir: Path
    data_dir: Path
    feed_limit: int = 50
    #: public URL the feeds folder is served under, for rel=self links
    base_url: str | None = None
    #: ``host:port`` where ``partyfeed run`` also serves the feeds (None: it does not)
    serve: tuple[str, int] | None = None
    sites: dict[str, SiteConfig] = field(default_factory=dict)
    source: Path | None = None
    #: Redis that ``partyfeed worker`` processes share their queue through (None: no workers)
    redis_url: str | None = None
    #: processes extracting article pages in a big crawl (None: one per core but one,
    #: at most 4; 0: none, all on the reactor's thread) — see :mod:`crawler.pool`
    extract_processes: int | None = None

    def site(self, name: str) -> SiteConfig:
        return self.sites.get(name) or SiteConfig(name=name)

    def with_paths(self, *, db_url: str | None = None, feeds_dir: Path | None = None) -> Config:
        return replace(
            self, db_url=db_url or self.db_url, feeds_dir=feeds_dir or self.feeds_dir
        )


def parse_address(value: str | int) -> tuple[str, int]:
    """``8080``, ``:8080``, ``127.0.0.1:8080`` or ``[::1]:8080``; loopback unless a host is given."""
    text = str(value).strip()
    host, _, port = text.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"not an address to listen on: {value!r} (use e.g. 127.0.0.1:8080)")
    return host, int(port)


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def _site_config(name: str, raw: Any, where: str) -> SiteConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: [sites.{name}] must be a table")
    known = {"enabled", "interval", "cron", "categories", "max_pages", "time_limit",
             "degraded_share", "backfill_rate"}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"{where}: [sites.{name}] has unknown keys: {', '.join(sorted(unknown))}")
    kwargs: dict[str, Any] = {"name": name}
    if "enabled" in raw:
        if not isinstance(raw["enabled"], bool):
            raise ConfigError(f"{where}: sites.{name}.enabled must be true or false")
        kwargs["enabled"] = raw["enabled"]
    for key in ("interval", "time_limit"):
        if key in raw:
            try:
                kwargs[key] = parse_duration(raw[key])
            except ConfigError as exc:
                raise ConfigError(f"{where}: sites.{name}.{key}: {exc}") from None
    if "cron" in raw:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(str(raw["cron"]))
        except ValueError as exc:
            raise ConfigError(f"{where}: sites.{name}.cron: {exc}") from None
        kwargs["cron"] = str(raw["cron"])
    if "categories" in raw:
        cats = raw["categories"]
        if not isinstance(cats, list) or not all(isinstance(c, str) for c in cats):
            raise ConfigError(f"{where}: sites.{name}.categories must be a list of strings")
        kwargs["categories"] = tuple(cats)
    if "max_pages" in raw:
        pages = raw["max_pages"]
        if not isinstance(pages, int) or isinstance(pages, bool) or not 1 <= pages <= MAX_PAGES:
            raise ConfigError(f"{where}: sites.{name}.max_pages must be a whole number from 1 "
                              f"to {MAX_PAGES}")
        kwargs["max_pages"] = pages
    if "degraded_share" in raw:
        share = raw["degraded_share"]
        if not isinstance(share, (int, float)) or isinstance(share, bool) or not 0 <= share <= 1:
            raise ConfigError(f"{where}: sites.{name}.degraded_share must be a number from 0 to 1")
        kwargs["degraded_share"] = float(share)
    if "backfill_rate" in raw:
        rate = raw["backfill_rate"]
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not rate > 0:
            raise ConfigError(f"{where}: sites.{name}.backfill_rate must be a positive number "
                              "of requests per second")
        kwargs["backfill_rate"] = float(rate)
    return SiteConfig(**kwargs)


def load_config(path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> Config:
    """Read the configuration; ``path`` None means ``$PARTYFEED_CONFIG`` or ``./partyfeed.toml`` if present."""
    env = dict(os.environ) if env is None else env
    explicit = path or env.get(CONFIG_ENV)
    file = Path(explicit) if explicit else Path(DEFAULT_CONFIG_FILE)
    raw: dict[str, Any] = {}
    if explicit and not file.is_file():
        raise ConfigError(f"configuration file not found: {file}")
    if file.is_file():
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    where = str(file)

    main = raw.get("partyfeed", {})
    if not isinstance(main, dict):
        raise ConfigError(f"{where}: [partyfeed] must be a table")
    unknown = set(main) - {"data_dir", "db", "feeds_dir", "feed_limit", "base_url", "serve",
                           "redis", "extract_processes"}
    if unknown:
        raise ConfigError(f"{where}: [partyfeed] has unknown keys: {', '.join(sorted(unknown))}")

    data_dir = Path(env.get("PARTYFEED_DATA_DIR") or main.get("data_dir") or "data")
    db_url = env.get("PARTYFEED_DB") or main.get("db") or _sqlite_url(data_dir / "partyfeed.db")
    feeds_dir = Path(env.get("PARTYFEED_FEEDS_DIR") or main.get("feeds_dir") or data_dir / "feeds")
    limit = main.get("feed_limit", 50)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_FEED_LIMIT:
        raise ConfigError(f"{where}: partyfeed.feed_limit must be a whole number from 1 to "
                          f"{MAX_FEED_LIMIT}")
    base_url = env.get("PARTYFEED_BASE_URL") or main.get("base_url") or None
    serve = main.get("serve")
    try:
        address = parse_address(serve) if serve not in (None, False, "") else None
    except ConfigError as exc:
        raise ConfigError(f"{where}: partyfeed.serve: {exc}") from None

    redis_url = env.get("PARTYFEED_REDIS") or main.get("redis") or None
    if redis_url is not None and not str(redis_url).startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"{where}: partyfeed.redis must be a redis:// URL, got {redis_url!r}")

    processes = main.get("extract_processes")
    if processes is not None and (not isinstance(processes, int) or isinstance(processes, bool)
                                  or not 0 <= processes <= MAX_EXTRACT_PROCESSES):
        raise ConfigError(f"{where}: partyfeed.extract_processes must be a whole number from 0 "
                          f"to {MAX_EXTRACT_PROCESSES}")

    sites_raw = raw.get("sites", {})
    if not isinstance(sites_raw, dict):
        raise ConfigError(f"{where}: [sites] must be a table of [sites.<name>] tables")
    unknown_sites = sorted(set(sites_raw) - set(all_sites()))
    if unknown_sites:
        raise ConfigError(f"{where}: no site called {', '.join(unknown_sites)} "
                          f"(sites: {', '.join(all_sites())})")
    sites = {name: _site_config(name, value, where) for name, value in sites_raw.items()}
    return Config(
        db_url=db_url,
        feeds_dir=feeds_dir,
        data_dir=data_dir,
        feed_limit=limit,
        base_url=base_url,
        serve=address,
        sites=sites,
        source=file if file.is_file() else None,
        redis_url=redis_url,
        extract_processes=processes,
    )
