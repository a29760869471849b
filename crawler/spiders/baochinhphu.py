"""``scrapy crawl baochinhphu``."""

from ..sites import get_site
from .base import SiteSpider


class BaochinhphuSpider(SiteSpider):
    name = "baochinhphu"
    site = get_site("baochinhphu")
