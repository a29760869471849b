"""Canonical article URLs and the dedupe key.

The same article reaches us as ``http://``, ``https://www.``, with ``utm_*`` tails
or ``#comments``; one canonical form keeps it one row.  The key prefers the site's
own article id, which survives a category move or a slug edit.  A site whose article
URLs carry no id (the 2026 dangcongsan.vn portal) links one article under several
queries (``…html?categoryId=1902448,1902446``); for its articles the query is not part
of the key, so a variant never becomes a second row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    from .sites.base import Site

_TRACKING_PREFIXES = ("utm_",)
_TRACKING = {"fbclid", "gclid", "zarsrc", "zaloid", "zalo_source", "ref", "refer", "source",
             "mc_cid", "mc_eid", "_ga", "igshid"}


def canonical_url(url: str, *, keep_query: bool = True) -> str:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if keep_query and k.lower() not in _TRACKING and not k.lower().startswith(_TRACKING_PREFIXES)]
    scheme = "https" if parts.scheme in ("http", "https", "") else parts.scheme
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))


def site_canonical_url(site: Site | None, url: str) -> str:
    """The canonical URL; for a site article with no id in its URL, on the site's home host
    (``www.`` or not) and without the query."""
    if site is None or not site.is_article(url) or site.article_id(url) is not None:
        return canonical_url(url)
    parts = urlsplit(canonical_url(url, keep_query=False))
    return urlunsplit(parts._replace(netloc=urlsplit(site.home).netloc))


def article_key(site: Site | None, url: str) -> str:
    """``dangcongsan:577383`` where the site numbers its articles, else the canonical URL."""
    article_id = site.article_id(url) if site else None
    if site and article_id:
        return f"{site.name}:{article_id}"
    return site_canonical_url(site, url)
