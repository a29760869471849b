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
