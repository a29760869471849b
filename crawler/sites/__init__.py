"""The site registry: every module in this package that defines ``SITE`` is a site.

Adding a site is adding a module; nothing else in the project lists sites.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from urllib.parse import urlsplit

from .base import Layout, Listing, Site

__all__ = ["Layout", "Listing", "Site", "all_sites", "get_site", "site_for_url"]


@cache
def all_sites() -> dict[str, Site]:
    found: dict[str, Site] = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name == "base":
            continue
        site = getattr(importlib.import_module(f"{__name__}.{module.name}"), "SITE", None)
        if isinstance(site, Site):
            found[site.name] = site
    return dict(sorted(found.items()))


def get_site(name: str) -> Site:
    try:
        return all_sites()[name]
    except KeyError:
        known = ", ".join(all_sites()) or "none"
        raise KeyError(f"unknown site {name!r} (known: {known})") from None


def site_for_url(url: str) -> Site | None:
    host = (urlsplit(url).hostname or "").lower()
    return next((s for s in all_sites().values() if host in s.hosts), None)
