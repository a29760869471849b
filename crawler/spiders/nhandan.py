"""``scrapy crawl nhandan``."""

from ..sites import get_site
from .base import SiteSpider


class NhandanSpider(SiteSpider):
    name = "nhandan"
    site = get_site("nhandan")
