"""``partyfeed``: crawl by hand, build feeds, run the daemon, debug an extractor, try a demo.

Exit status: 0 success, 1 a site failed or the database or feeds folder could not be
written (one line per failure on stderr, so cron mail says what broke), 2 bad usage or
configuration, 75 another crawl holds a site.  Never a traceback for any of those.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import NoReturn

from sqlalchemy.exc import SQLAlchemyError

from crawler.config import (
    MAX_PAGES,
    Config,
    ConfigError,
    check_database,
    load_config,
    parse_address,
    parse_duration,
    parse_mirror,
)
from crawler.sites import all_sites, get_site, site_for_url
from feeds.render import FORMATS

from .daemon import EXIT_LOCKED

#: the bundled local copies of the sites, for ``partyfeed demo``
SITE_COPIES = Path(__file__).resolve().parent.parent / "tests" / "sites"


def _out(message: str) -> None:
    print(message, flush=True)


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _config(args: argparse.Namespace, *, write: bool = True) -> Config:
    config = load_config(args.config)
    config = config.with_paths(db_url=args.db,
                               feeds_dir=Path(args.feeds_dir) if args.feeds_dir else None)
    check_database(config.db_url, write=write)
    return config


def _sites(names: Sequence[str], config: Config) -> list[str]:
    if not names:
        return [name for name in all_sites() if config.site(name).enabled]
    for name in names:
        get_site(name)
    return list(dict.fromkeys(names))


def _mirror(mirror: str | None, sites: list[str]) -> str | None:
    """One site's copy is a base URL; several need ``{site}`` where each one's name goes."""
    if mirror and len(sites) > 1 and "{site}" not in mirror:
        raise ConfigError(f"--mirror for several sites needs {{site}} where each site's name goes, "
                          f"e.g. {mirror.rstrip('/')}/{{site}}/ (sites: {', '.join(sites)})")
    return mirror


def _print_feeds(config: Config, sites: list[str]) -> None:
    _out(f"feeds in {config.feeds_dir.resolve()} (per category too, and feeds.opml):")
    for key in [*sites, "all"]:
        for suffix in FORMATS:
            path = config.feeds_dir / f"{key}.{suffix}"
            if path.exists():
                _out(f"  {path.resolve().as_uri()}")
    _out("subscribe: `partyfeed serve` and point a reader at http://127.0.0.1:8080/all.atom "
         "(see README, 'Subscribing').")


def cmd_crawl(args: argparse.Namespace) -> int:
    from .jobs import crawl
    from .locks import LockTimeout

    config = _config(args)
    sites = _sites(args.sites, config)
    mirror = _mirror(args.mirror, sites)
    try:
        results = crawl(config, sites, mirror=mirror, refresh=args.refresh,
                        max_pages=args.max_pages, log_level="INFO" if args.verbose else "ERROR",
                        wait=args.wait, on_wait=_err,
                        progress=sys.stderr.isatty() and not args.verbose)
    except LockTimeout as exc:
        _err(str(exc))
        return EXIT_LOCKED
    for result in results:
        _out(result.summary())
    feeds_written = args.no_feeds or _write_feeds(config, sites)
    failed = [r for r in results if r.outcome != "ok"]
    for result in failed:
        _err(f"{result.site}: {result.reason}")
    if any((r.reason or "").startswith("unreachable") for r in failed) and not args.mirror:
        _out("no network here? `partyfeed demo` runs the whole system on the bundled copy of a site")
    return 1 if failed or not feeds_written else 0


def _write_feeds(config: Config, sites: list[str] | None) -> bool:
    """Rebuild feeds and list them; a feeds folder that cannot be written is one line."""
    from .jobs import feeds

    try:
        changed = feeds(config, sites)
    except OSError as exc:
        _err(f"partyfeed: cannot write the feeds in {config.feeds_dir}: "
             f"{exc.strerror or exc} ({exc.filename or config.feeds_dir})")
        return False
    if sites is None:
        _out(f"{len(changed)} feed files changed")
    _print_feeds(config, sites if sites is not None else list(all_sites()))
    return True


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def cmd_backfill(args: argparse.Namespace) -> int:
    from .locks import LockTimeout

    config = _config(args)
    get_site(args.site)
    if args.distributed:
        from .worker import seed

        queued = seed(config, args.site, since=args.since, until=args.until, mirror=args.mirror)
        if not queued:
            _err(f"{args.site}: no start request could be queued (see the log above)")
            return 1
        _out(f"{args.site}: {queued} start requests queued in {config.redis_url}; "
             "`partyfeed worker` processes crawl them")
        return 0
    from .backfill import backfill

    try:
        result = backfill(config, args.site, since=args.since, until=args.until, mirror=args.mirror,
                          log_level="INFO" if args.verbose else "ERROR",
                          progress=sys.stderr.isatty() and not args.verbose)
    except LockTimeout:
        _err(f"{args.site}: another backfill of this site is running")
        return EXIT_LOCKED
    _out(result.summary())
    if result.outcome != "ok":
        _err(f"{result.site}: {result.reason} — run the same command again to resume")
        return 1
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from .worker import work

    config = _config(args)
    sites = _sites(args.sites, config)
    idle = parse_duration(args.idle).total_seconds()
    results = work(config, sites, mirror=args.mirror, idle=idle,
                   dead_after=parse_duration(args.dead_after).total_seconds(),
                   log_level="DEBUG" if args.verbose else "INFO")
    for result in results:
        _out(result.summary())
    return 0 if all(r.outcome == "ok" for r in results) else 1


def cmd_feeds(args: argparse.Namespace) -> int:
    return 0 if _write_feeds(_config(args), None) else 1


def cmd_run(args: argparse.Namespace) -> int:
    from .daemon import Daemon

    config = _config(args)
    sites = _sites(args.sites, config)
    _mirror(args.mirror, sites)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    interval = args.interval
    if args.serve:
        config = replace(config, serve=parse_address(args.serve))
    Daemon(config, sites, interval=interval, mirror=args.mirror).run_forever()
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    from crawler.extraction.decoding import decode_page
    from crawler.extraction.layered import ExtractionError, extract
    from crawler.extraction.verdict import not_an_article

    site = None if args.generic else get_site(args.site) if args.site else site_for_url(args.url)
    try:
        html = Path(args.file).read_bytes()
    except OSError as exc:
        _err(f"cannot read {args.file}: {exc.strerror}")
        return 2
    page = decode_page(html)  # as a crawl decodes, without the HTTP header a file has lost
    if page.mislabelled:
        _err(f"{args.file}: UTF-8, but its {page.source} names a single-byte charset: decoded as UTF-8")
    try:
        # a site's own extract: some sites drop furniture before the shared layers read the page
        article = site.extract(args.url, page.text) if site else extract(args.url, page.text)
    except ExtractionError as exc:
        _err(f"{args.file}: {exc}")
        return 1
    _out(json.dumps(article.to_json(), ensure_ascii=False, indent=2))
    reason = not_an_article(article)
    if reason:
        _err(f"{args.file}: not an article, a crawl would reject it: {reason}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from crawler.config import sqlite_path
    from crawler.storage import Storage

    from .status import format_status, site_statuses

    config = _config(args, write=False)
    try:
        storage = Storage(config.db_url)
    except SQLAlchemyError:
        path = sqlite_path(config.db_url)
        if path is None or not path.is_file():
            raise
        storage = Storage.read_only(path)  # a read-only file or mount: still report
    try:
        statuses = site_statuses(config, storage)
        rejected = storage.rejections(limit=args.rejected) if args.rejected else []
    finally:
        storage.close()
    if args.rejected:
        for rejection in rejected:
            _out(f"{rejection.at:%Y-%m-%d %H:%M} {rejection.site} {rejection.url}\n  {rejection.reason}")
        return 0
    if args.json:
        _out(json.dumps([s.to_json() for s in statuses], ensure_ascii=False, indent=2))
    else:
        _out(format_status(statuses))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from feeds.serve import make_server

    from .jobs import crawl, feeds
    from .sitecopy import serving, site_copies

    copies = site_copies(SITE_COPIES)
    if args.site:
        get_site(args.site)
        copies = {args.site: copies[args.site]} if args.site in copies else {}
    if not copies:
        _err(f"no bundled copy of {args.site or 'any site'} under {SITE_COPIES} "
             "(demo runs from a source checkout)")
        return 2
    os.environ.setdefault("PARTYFEED_DATA_DIR", "demo-data")
    config = _config(args)
    sites = [name for name in all_sites() if name in copies]
    # a busy port is reported before the crawl, not after it
    server = None if args.no_serve else make_server(config, host=args.host, port=args.port)
    with serving(copies) as mirror:
        _out(f"serving the saved copies of {', '.join(sites)} at {mirror.replace('{site}', '<site>')}")
        results = crawl(config, sites, mirror=mirror)
    for result in results:
        _out(result.summary())
    ok = all(r.outcome == "ok" for r in results)
    if server is None:
        feeds(config, sites)
        _print_feeds(config, sites)
        return 0 if ok else 1
    config.feeds_dir.mkdir(parents=True, exist_ok=True)
    server.start()
    url = server.url
    # the feeds name the address they are served from, so readers and validators agree
    feeds(replace(config, base_url=f"{url}/"), sites)
    stem = args.site or "all"
    _out(f"feeds served at {url}/{stem}.rss, {url}/{stem}.atom, {url}/feeds.opml "
         "— Ctrl-C to stop")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0 if ok else 1


def cmd_serve(args: argparse.Namespace) -> int:
    from feeds.serve import serve_forever

    from .status import health_check, metrics_exporter

    config = _config(args, write=False)  # serving only reads
    # one line per request (uvicorn's access log) and per dropped client, on stderr
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    def ready(server) -> None:
        _out(f"serving {config.feeds_dir.resolve()} at {server.url}/ "
             f"(e.g. {server.url}/all.atom, {server.url}/feeds.opml) — Ctrl-C to stop")

    serve_forever(config, host=args.host, port=args.port, health=health_check(config),
                  metrics=metrics_exporter(config), ready=ready)
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from crawler.storage import Storage

    from .history import format_history, history_json

    from crawler.archive.fetches import Fetches

    storage = Storage(_config(args).db_url)
    try:
        row = storage.find(args.article)
        versions = storage.versions(row) if row else []
        fetched = Fetches(storage.engine).state(row.key) if row else None
    finally:
        storage.close()
    if row is None:
        _err(f"no stored article with key or URL {args.article}")
        return 1
    removed = fetched.removed_at if fetched else None
    if args.json:
        data = history_json(row, versions)
        data["removed"] = ({"at": removed.isoformat(), "reason": fetched.removed_reason}
                           if fetched and removed else None)
        _out(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _out(format_history(row, versions, colour=sys.stdout.isatty() and "NO_COLOR" not in os.environ))
        if fetched and removed:
            _out(f"removed {removed:%Y-%m-%d %H:%M} UTC: {fetched.removed_reason} "
                 "(the last version above is the archive's copy)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from crawler.storage import Storage
    from crawler.storage.export import export, export_file

    from .since import parse_since

    since = parse_since(args.since) if args.since else None
    if args.site:
        get_site(args.site)
    storage = Storage(_config(args).db_url)
    try:
        options = {"site": args.site, "since": since, "all_versions": args.versions}
        if args.output:
            count = export_file(storage.engine, Path(args.output), args.format, **options)
        else:
            count = export(storage.engine, sys.stdout.buffer, args.format, **options)
            sys.stdout.buffer.flush()
    except BrokenPipeError:  # `partyfeed export | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        storage.close()
    _err(f"{count} {'versions' if args.versions else 'articles'} exported")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from crawler.storage.engine import make_engine
    from crawler.storage.schema import head, revision_of, upgrade

    url = _config(args).db_url
    if args.action == "upgrade":
        before, after = upgrade(url, args.revision)
        _out(f"schema {before or 'empty'} → {after}" if before != after else f"schema at {after} already")
        return 0
    engine = make_engine(url)
    try:
        current = revision_of(engine)
    finally:
        engine.dispose()
    _out(f"schema {current or 'none (empty, or made by partyfeed 0.1.0)'}; this partyfeed's newest: {head()}")
    return 0

class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``partyfeed crawl: --max-pages: …``), not
    the usage block followed by the error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def _checked(parse: Callable[[str], object]) -> Callable[[str], object]:
    """An argparse ``type`` from one of the configuration's parsers, keeping its message."""

    def check(value: str) -> object:
        try:
            return parse(value)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    check.__name__ = parse.__name__
    return check


def _whole(low: int, high: int) -> Callable[[str], int]:
    def whole(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}, "
                                             f"got {value!r}")
        return number

    return whole


def _seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not 0 <= number <= 366 * 86400:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {value!r}")
    return number


def cmd_search(args: argparse.Namespace) -> int:
    from crawler.archive.search_store import Search
    from crawler.archive.stories_store import Stories
    from crawler.storage import Storage

    from .since import VIETNAM, parse_since

    if args.rebuild:
        storage = Storage(_config(args).db_url)
        try:
            Search(storage.engine).rebuild()
            assigned = Stories(storage.engine).assign_missing()
        finally:
            storage.close()
        _out(f"search indexes rebuilt; {assigned} articles given a story")
        return 0
    if not args.query:
        raise ConfigError("search: give a QUERY (or --rebuild)")
    since = parse_since(args.since) if args.since else None
    if args.site:
        get_site(args.site)
    storage = Storage(_config(args).db_url)
    try:
        hits = Search(storage.engine).search(" ".join(args.query), site=args.site, since=since,
                                             limit=args.limit)
    finally:
        storage.close()
    if args.json:
        _out(json.dumps([hit.to_json() for hit in hits], ensure_ascii=False, indent=2))
        return 0
    for hit in hits:
        _out(f"{hit.published.astimezone(VIETNAM):%Y-%m-%d} {hit.site} {hit.title}\n  {hit.url}\n  {hit.snippet.text()}")
    if not hits:
        _err("no matches")
    return 0


def parser() -> argparse.ArgumentParser:
    top = _Parser(prog="partyfeed", description=__doc__.split("\n")[0])
    top.add_argument("--config", help="TOML configuration (default: $PARTYFEED_CONFIG or ./partyfeed.toml)")
    top.add_argument("--db", help="SQLAlchemy database URL (default: $PARTYFEED_DB or an SQLite file under the data folder)")
    top.add_argument("--feeds-dir", help="where feed files go (default: $PARTYFEED_FEEDS_DIR or data/feeds)")
    sub = top.add_subparsers(dest="command", required=True)

    site_names = ", ".join(all_sites())
    crawl = sub.add_parser("crawl", help="crawl sites once, then rebuild their feeds")
    crawl.add_argument("sites", nargs="*", metavar="SITE", help=f"sites to crawl (default: all enabled: {site_names})")
    crawl.add_argument("--mirror", metavar="URL", type=_checked(parse_mirror), help="fetch the sites' pages from this base URL (a local copy) while keeping their real URLs; for several sites put {site} where each one's name goes (http://127.0.0.1:8000/{site}/)")
    crawl.add_argument("--refresh", action="store_true", help="fetch known articles again; changed ones are updated")
    crawl.add_argument("--max-pages", type=_whole(1, MAX_PAGES), help="listing pages per category (default: the configuration's, 3)")
    crawl.add_argument("--no-feeds", action="store_true", help="do not rebuild feeds afterwards")
    crawl.add_argument("--wait", type=_seconds, default=None, metavar="SECONDS", help="how long to wait for another crawl of the same site (default: as long as it takes)")
    crawl.add_argument("-v", "--verbose", action="store_true", help="Scrapy's log at INFO level")
    crawl.set_defaults(func=cmd_crawl)

    feeds = sub.add_parser("feeds", help="rebuild every feed from the database without crawling")
    feeds.set_defaults(func=cmd_feeds)

    backfill = sub.add_parser("backfill", help="walk a site's whole archive, politely; resumes where it stopped")
    backfill.add_argument("site", metavar="SITE", choices=list(all_sites()))
    backfill.add_argument("--since", type=_day, metavar="DATE", help="only articles published on or after this day (Vietnam time)")
    backfill.add_argument("--until", type=_day, metavar="DATE", help="only articles published on or before this day")
    backfill.add_argument("--mirror", metavar="URL", help="as for crawl")
    backfill.add_argument("--distributed", action="store_true", help="queue the walk in Redis for `partyfeed worker` processes instead of crawling here")
    backfill.add_argument("-v", "--verbose", action="store_true", help="Scrapy's log instead of the progress line")
    backfill.set_defaults(func=cmd_backfill)

    worker = sub.add_parser("worker", help="crawl from the shared Redis queue until it stays empty (scale-out)")
    worker.add_argument("sites", nargs="*", metavar="SITE", help="sites to work on (default: all enabled)")
    worker.add_argument("--idle", default="60s", metavar="DURATION", help="exit once the queue has stayed empty this long (default 60s)")
    worker.add_argument("--dead-after", default="30s", metavar="DURATION", help="a worker silent this long is dead: its in-flight requests go back in the queue (default 30s)")
    worker.add_argument("--mirror", metavar="URL", help="as for crawl")
    worker.add_argument("-v", "--verbose", action="store_true")
    worker.set_defaults(func=cmd_worker)

    run = sub.add_parser("run", help="the daemon: crawl each site on its schedule and rebuild feeds")
    run.add_argument("sites", nargs="*", metavar="SITE")
    run.add_argument("--interval", metavar="DURATION", type=_checked(parse_duration), help="override every schedule, e.g. 10s, 15m, 2h")
    run.add_argument("--mirror", metavar="URL", type=_checked(parse_mirror), help="as for crawl ({site} for several sites)")
    run.add_argument("--serve", metavar="[HOST:]PORT", help="also serve the feeds, /healthz and /metrics (default: the configuration's [partyfeed] serve)")
    run.set_defaults(func=cmd_run)

    extract = sub.add_parser("extract", help="run an extractor on a saved HTML file and print the article as JSON")
    extract.add_argument("file", metavar="FILE")
    extract.add_argument("--url", required=True, help="the page's real URL")
    extract.add_argument("--site", help="site module to use (default: chosen from the URL's host)")
    extract.add_argument("--generic", action="store_true",
                         help="no site module: the metadata and generic layers only (what a redesign falls back to)")
    extract.set_defaults(func=cmd_extract)

    status = sub.add_parser("status", help="per site: last run, next run, articles, health")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument("--rejected", type=_whole(1, 10_000), nargs="?", const=20, default=0,
                        metavar="N",
                        help="list the last N rejected pages (default 20), to look at with `extract`")
    status.set_defaults(func=cmd_status)

    serve = sub.add_parser("serve", help="serve the feeds over HTTP (ETag, 304, gzip, filters, OPML)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    serve.add_argument("--port", type=int, default=8080)
    serve.set_defaults(func=cmd_serve)

    history = sub.add_parser("history", help="an article's versions, with a word-level diff of each change")
    history.add_argument("article", metavar="KEY|URL", help="the article's key (dangcongsan:577383) or URL")
    history.add_argument("--json", action="store_true", help="every version whole, with the diff as [tag, text] ops")
    history.set_defaults(func=cmd_history)

    export = sub.add_parser("export", help="stream the archive as JSON Lines or CSV")
    export.add_argument("--site", help="one site only")
    export.add_argument("--since", metavar="WHEN", help="published since a date/time (Vietnam time unless given) or a duration back (7d)")
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--versions", action="store_true", help="every version of every article, not just the latest")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE (whole or not at all) instead of stdout")
    export.set_defaults(func=cmd_export)

    search = sub.add_parser("search", help="search titles, leads and bodies; Vietnamese without diacritics finds text with them")
    search.add_argument("query", nargs="*", metavar="QUERY", help='words or "a phrase"; every one must match; diacritics typed narrow the match')
    search.add_argument("--site", help="one site only")
    search.add_argument("--since", metavar="WHEN", help="published since a date/time or a duration back (7d)")
    search.add_argument("--limit", type=int, default=20, help="at most this many results (default 20)")
    search.add_argument("--json", action="store_true", help="results as JSON, with snippets as text and HTML")
    search.add_argument("--rebuild", action="store_true", help="rebuild the search indexes (and assign missing stories) from the stored articles")
    search.set_defaults(func=cmd_search)

    db = sub.add_parser("db", help="the database schema: `db current`, `db upgrade` (also done on every open)")
    db.add_argument("action", choices=["current", "upgrade"])
    db.add_argument("revision", nargs="?", default="head", help="for upgrade: the target revision (default head)")
    db.set_defaults(func=cmd_db)

    demo = sub.add_parser("demo", help="try everything offline: serve the bundled copies of the sites, crawl them, write and serve feeds")
    demo.add_argument("--site", help="only this site's copy (default: every site's)")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8080)
    demo.add_argument("--no-serve", action="store_true", help="stop after writing the feeds")
    demo.set_defaults(func=cmd_demo)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (ConfigError, KeyError) as exc:
        _err(f"partyfeed: {exc.args[0] if exc.args else exc}")
        return 2
    except SQLAlchemyError as exc:  # the database went away or refused a write mid-command
        from crawler.pipelines import database_error

        _err(f"partyfeed: database: {database_error(exc)}")
        return 1
