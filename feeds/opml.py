"""``feeds.opml``: every feed in one file, so a reader subscribes to all at once.

OPML 2.0.  One folder outline per site holding the site's feed and one per category,
then the combined feed.  Each feed is listed once, in one format (Atom by default —
importing three formats of the same feed would subscribe three times); the server's
``/feeds.opml?format=rss|json`` lists the other formats.

``xmlUrl`` must be absolute.  The builder writes ``feeds.opml`` only when ``base_url``
is set (``base_url`` + file name); ``partyfeed serve`` renders ``/feeds.opml`` per
request with the URLs of the host it was reached at.  No dates: the bytes are a pure
function of the feed list and the base.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml import etree

from .render import safe_url

OPML_NAME = "feeds.opml"
_PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)


@dataclass(frozen=True)
class OpmlFeed:
    key: str
    title: str
    html_url: str


@dataclass(frozen=True)
class OpmlGroup:
    title: str
    feeds: Sequence[OpmlFeed] = field(default_factory=tuple)


def render_opml(groups: Sequence[OpmlGroup], base: str, fmt: str = "atom",
                title: str = "partyfeed") -> bytes:
    """``groups`` as OPML 2.0; ``base`` is the absolute URL of the feeds folder
    (``https://…/`` or ``file:///…/``)."""
    base = base.rstrip("/") + "/"
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = etree.SubElement(root, "body")
    for group in groups:
        parent = body
        if len(group.feeds) > 1:
            parent = etree.SubElement(body, "outline", text=group.title, title=group.title)
        for feed in group.feeds:
            attrs = {"type": "rss", "text": feed.title, "title": feed.title,
                     "xmlUrl": _join(base, f"{feed.key}.{fmt}")}
            html_url = safe_url(feed.html_url)
            if html_url:
                attrs["htmlUrl"] = html_url
            attrs["language"] = "vi"
            etree.SubElement(parent, "outline", attrs)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


def _join(base: str, name: str) -> str:
    if base.startswith("file:"):
        return base + name
    return safe_url(name, base) or base + name


def rebase_opml(data: bytes, base: str, fmt: str | None = None) -> bytes:
    """``data`` with every ``xmlUrl`` moved under ``base`` (same file name), and its
    suffix switched to ``fmt`` when given."""
    root = etree.fromstring(data, _PARSER)
    base = base.rstrip("/") + "/"
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl")
        if not url:
            continue
        name = urlsplit(url).path.rsplit("/", 1)[-1]
        if fmt:
            name = name.rsplit(".", 1)[0] + "." + fmt
        outline.set("xmlUrl", _join(base, name))
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)
