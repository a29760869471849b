"""``scrapy crawl qdnd``."""

from ..sites import get_site
from .base import SiteSpider


class QdndSpider(SiteSpider):
    name = "qdnd"
    site = get_site("qdnd")
    # The RSS works only inside a session (a cookie set by a redirect); feed requests keep
    # theirs in their own cookie jar, and no other site's crawler keeps cookies at all.
    custom_settings = {"COOKIES_ENABLED": True}
