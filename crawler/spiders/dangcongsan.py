"""``scrapy crawl dangcongsan``."""

from ..sites import get_site
from .base import SiteSpider


class DangcongsanSpider(SiteSpider):
    name = "dangcongsan"
    site = get_site("dangcongsan")
