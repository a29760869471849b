"""Live progress of a crawl by hand: a rich status line on a terminal, nothing extra otherwise.

It listens to Scrapy's signals, so it counts what the crawl really does (pages
fetched, articles stored, errors) without the spider knowing about it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from scrapy import signals
from scrapy.crawler import Crawler


class CrawlProgress:
    def __init__(self, progress: Progress, crawlers: dict[str, Crawler]) -> None:
        self.progress = progress
        self.counts = {name: {"pages": 0, "articles": 0, "errors": 0} for name in crawlers}
        self.tasks = {name: progress.add_task(name, total=None) for name in crawlers}
        for name, crawler in crawlers.items():
            crawler.signals.connect(self._bump(name, "pages"), signal=signals.response_received,
                                    weak=False)
            crawler.signals.connect(self._bump(name, "articles"), signal=signals.item_scraped,
                                    weak=False)
            for signal in (signals.spider_error, signals.item_error):
                crawler.signals.connect(self._bump(name, "errors"), signal=signal, weak=False)
            self._show(name)

    def _bump(self, name: str, key: str):  # noqa: ANN202 (a signal handler)
        def handler(*_args: object, **_kwargs: object) -> None:
            self.counts[name][key] += 1
            self._show(name)
        return handler

    def _show(self, name: str) -> None:
        c = self.counts[name]
        self.progress.update(self.tasks[name], description=(
            f"{name}: {c['pages']} pages, {c['articles']} articles, {c['errors']} errors"))


@contextmanager
def crawl_progress(crawlers: dict[str, Crawler], enabled: bool) -> Iterator[None]:
    """Show live counts while the block runs, when ``enabled`` (a terminal is attached)."""
    if not enabled:
        yield
        return
    console = Console(stderr=True)
    columns: Iterable = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        CrawlProgress(progress, crawlers)
        yield
