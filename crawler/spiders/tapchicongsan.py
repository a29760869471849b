"""``scrapy crawl tapchicongsan``."""

from ..sites import get_site
from .base import SiteSpider


class TapchicongsanSpider(SiteSpider):
    name = "tapchicongsan"
    site = get_site("tapchicongsan")
