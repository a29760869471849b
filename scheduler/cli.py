"""``partyfeed``: crawl by hand, build feeds, run the daemon, debug an extractor, try a demo.

Exit status: 0 success, 1 a site failed (one line per failure on stderr, so cron
mail says what broke), 2 bad usage or configuration, 75 another crawl holds a site.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from crawler.config import (
    Config,
    ConfigError,
    load_config,
    parse_address,
    parse_duration,
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


def _config(args: argparse.Namespace) -> Config:
    config = load_config(args.config)
    return config.with_paths(db_url=args.db, feeds_dir=Path(args.feeds_dir) if args.feeds_dir else None)


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
    from .jobs import crawl, feeds
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
    if not args.no_feeds:
        feeds(config, sites)
        _print_feeds(config, sites)
    failed = [r for r in results if r.outcome != "ok"]
    for result in failed:
        _err(f"{result.site}: {result.reason}")
    if any((r.reason or "").startswith("unreachable") for r in failed) and not args.mirror:
        _out("no network here? `partyfeed demo` runs the whole system on the bundled copy of a site")
    return 1 if failed else 0


def cmd_feeds(args: argparse.Namespace) -> int:
    from .jobs import feeds

    config = _config(args)
    changed = feeds(config)
    _out(f"{len(changed)} feed files changed")
    _print_feeds(config, list(all_sites()))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from .daemon import Daemon

    config = _config(args)
    sites = _sites(args.sites, config)
    _mirror(args.mirror, sites)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    interval = parse_duration(args.interval) if args.interval else None
    if args.serve:
        config = replace(config, serve=parse_address(args.serve))
    Daemon(config, sites, interval=interval, mirror=args.mirror).run_forever()
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    from crawler.extraction.layered import ExtractionError, extract

    site = get_site(args.site) if args.site else site_for_url(args.url)
    try:
        html = Path(args.file).read_bytes()
    except OSError as exc:
        _err(f"cannot read {args.file}: {exc.strerror}")
        return 2
    try:
        # a site's own extract: some sites drop furniture before the shared layers read the page
        article = site.extract(args.url, html) if site else extract(args.url, html)
    except ExtractionError as exc:
        _err(f"{args.file}: {exc}")
        return 1
    _out(json.dumps(article.to_json(), ensure_ascii=False, indent=2))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from crawler.storage import Storage

    from .status import format_status, site_statuses

    config = _config(args)
    storage = Storage(config.db_url)
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
    from feeds.serve import start_feed_server

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
    with serving(copies) as mirror:
        _out(f"serving the saved copies of {', '.join(sites)} at {mirror.replace('{site}', '<site>')}")
        results = crawl(config, sites, mirror=mirror)
    for result in results:
        _out(result.summary())
    ok = all(r.outcome == "ok" for r in results)
    if args.no_serve:
        feeds(config, sites)
        _print_feeds(config, sites)
        return 0 if ok else 1
    config.feeds_dir.mkdir(parents=True, exist_ok=True)
    server = start_feed_server(config, host=args.host, port=args.port)
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
        server.shutdown()
        server.server_close()
    return 0 if ok else 1


def cmd_serve(args: argparse.Namespace) -> int:
    from feeds.serve import serve_forever

    from .status import health_check, metrics_exporter

    config = _config(args)

    def ready(server) -> None:
        _out(f"serving {config.feeds_dir.resolve()} at {server.url}/ "
             f"(e.g. {server.url}/all.atom, {server.url}/feeds.opml) — Ctrl-C to stop")

    serve_forever(config, host=args.host, port=args.port, health=health_check(config),
                  metrics=metrics_exporter(config), ready=ready)
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="partyfeed", description=__doc__.split("\n")[0])
    top.add_argument("--config", help="TOML configuration (default: $PARTYFEED_CONFIG or ./partyfeed.toml)")
    top.add_argument("--db", help="SQLAlchemy database URL (default: $PARTYFEED_DB or an SQLite file under the data folder)")
    top.add_argument("--feeds-dir", help="where feed files go (default: $PARTYFEED_FEEDS_DIR or data/feeds)")
    sub = top.add_subparsers(dest="command", required=True)

    site_names = ", ".join(all_sites())
    crawl = sub.add_parser("crawl", help="crawl sites once, then rebuild their feeds")
    crawl.add_argument("sites", nargs="*", metavar="SITE", help=f"sites to crawl (default: all enabled: {site_names})")
    crawl.add_argument("--mirror", metavar="URL", help="fetch the sites' pages from this base URL (a local copy) while keeping their real URLs; for several sites put {site} where each one's name goes (http://127.0.0.1:8000/{site}/)")
    crawl.add_argument("--refresh", action="store_true", help="fetch known articles again; changed ones are updated")
    crawl.add_argument("--max-pages", type=int, help="listing pages per category (default: the configuration's, 3)")
    crawl.add_argument("--no-feeds", action="store_true", help="do not rebuild feeds afterwards")
    crawl.add_argument("--wait", type=float, default=None, metavar="SECONDS", help="how long to wait for another crawl of the same site (default: as long as it takes)")
    crawl.add_argument("-v", "--verbose", action="store_true", help="Scrapy's log at INFO level")
    crawl.set_defaults(func=cmd_crawl)

    feeds = sub.add_parser("feeds", help="rebuild every feed from the database without crawling")
    feeds.set_defaults(func=cmd_feeds)

    run = sub.add_parser("run", help="the daemon: crawl each site on its schedule and rebuild feeds")
    run.add_argument("sites", nargs="*", metavar="SITE")
    run.add_argument("--interval", metavar="DURATION", help="override every schedule, e.g. 10s, 15m, 2h")
    run.add_argument("--mirror", metavar="URL", help="as for crawl ({site} for several sites)")
    run.add_argument("--serve", metavar="[HOST:]PORT", help="also serve the feeds, /healthz and /metrics (default: the configuration's [partyfeed] serve)")
    run.set_defaults(func=cmd_run)

    extract = sub.add_parser("extract", help="run an extractor on a saved HTML file and print the article as JSON")
    extract.add_argument("file", metavar="FILE")
    extract.add_argument("--url", required=True, help="the page's real URL")
    extract.add_argument("--site", help="site module to use (default: chosen from the URL's host)")
    extract.set_defaults(func=cmd_extract)

    status = sub.add_parser("status", help="per site: last run, next run, articles, health")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument("--rejected", type=int, nargs="?", const=20, default=0, metavar="N",
                        help="list the last N rejected pages (default 20), to look at with `extract`")
    status.set_defaults(func=cmd_status)

    serve = sub.add_parser("serve", help="serve the feeds over HTTP (ETag, 304, gzip, filters, OPML)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    serve.add_argument("--port", type=int, default=8080)
    serve.set_defaults(func=cmd_serve)

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
