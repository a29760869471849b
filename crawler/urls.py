"""Canonical article URLs and the dedupe key.

The same article reaches us as ``http://``, ``https://www.``, with ``utm_*`` tails
or ``#comments``; one canonical form keeps it one row.  The key prefers the site's
own article id, which survives a category move or a slug edit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    from .sites.base import Site

_TRACKING_PREFIXES = ("utm_",)
_TRACKING = {"fbclid", "gclid", "zarsrc", "zaloid", "zalo_source", "ref", "refer", "source",
             "mc_cid", "mc_eid", "_ga", "igshid"}


def canonical_url(url: str) -> str:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in _TRACKING and not k.lower().startswith(_TRACKING_PREFIXES)]
    scheme = "https" if parts.scheme in ("http", "https", "") else parts.scheme
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))


def article_key(site: Site | None, url: str) -> str:
    """``dangcongsan:577383`` where the site numbers its articles, else the canonical URL."""
    article_id = site.article_id(url) if site else None
    if site and article_id:
        return f"{site.name}:{article_id}"
    return canonical_url(url)
