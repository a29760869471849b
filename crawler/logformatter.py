"""Log lines for dropped articles that a person can read: the URL and the reason.

Scrapy's default logs the whole item, body HTML included, at WARNING; a rejected
page is an expected event, counted and stored, so it gets one INFO line.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter, LogFormatterResult


class ArticleLogFormatter(LogFormatter):
    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any = None,
                *args: Any, **kwargs: Any) -> LogFormatterResult:
        return {
            "level": logging.INFO,
            "msg": "rejected %(url)s: %(reason)s",
            "args": {"url": getattr(item, "url", "?"), "reason": exception},
        }


#: failures of the network, not of our code: a line in the log, never a traceback
EXPECTED_NETWORK_ERRORS: tuple[str, ...] = (
    "CannotResolveHostError", "DNSLookupError", "DownloadTimeoutError", "TimeoutError",
    "DownloadConnectionRefusedError", "ConnectionRefusedError", "ConnectError",
    "DownloadFailedError", "ResponseDataLossError", "ConnectionLost", "ConnectionDone",
    "TCPTimedOutError", "ResponseNeverReceived",
)


class ExpectedErrorFilter(logging.Filter):
    """Drops the traceback of a log record caused by a network failure and makes it a warning.

    Scrapy's robots.txt middleware logs an unreachable host at ERROR with a full
    traceback; for a crawl that is an expected event, already counted and reported.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            if record.exc_info[0].__name__ in EXPECTED_NETWORK_ERRORS:
                record.exc_info = None
                record.exc_text = None
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


#: Scrapy components that log network failures with their traceback
_NOISY_LOGGERS = ("scrapy.downloadermiddlewares.robotstxt", "scrapy.core.scraper",
                  "scrapy.core.engine", "scrapy.downloadermiddlewares.retry")


def quiet_expected_errors() -> None:
    for name in _NOISY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ExpectedErrorFilter) for f in logger.filters):
            logger.addFilter(ExpectedErrorFilter())
