"""Articles to RSS 2.0 and Atom 1.0 bytes: deterministic, sanitised, validator-clean.

feedgen builds both documents; this module decides everything feedgen would otherwise
decide badly for a feed that is rebuilt by cron and compared byte for byte:

* **No clock.**  feedgen stamps ``lastBuildDate``/``updated`` with *now* and adds its
  version as generator.  Both are overridden: the feed's time is the newest entry's
  updated time (:data:`EMPTY_FEED_TIME` for an empty feed), the generator is a
  constant.  Same articles in, same bytes out — so :func:`feeds.atomic.write_atomic`
  can skip identical files and readers are not told about news that is not there.
* **Order.**  feedgen *prepends* entries by default; entries are appended after
  sorting newest first by published time, ties by entry id.
* **Ids.**  :func:`entry_id` derives from ``(site, article_id)``, never from the title,
  slug or URL scheme, so an edited headline or an http→https move does not make every
  reader show the article again.
* **Atom links.**  feedgen 1.0 drops ``rel``/``type``/``length`` on *entry* links (it
  rebinds the loop variable), so an enclosure would come out as a second, bare
  alternate link — an Atom error.  The Atom document is post-processed with lxml to
  write the alternate and ``rel="enclosure"`` links itself.
* **Validator warnings.**  Atom entries sharing an ``updated`` value draw a warning,
  and sites stamp to the minute, so colliding Atom ``updated`` times are spread a
  second apart (:func:`_distinct_updated`); RSS ``pubDate`` and Atom ``published``
  stay exact.  Text fields are plain text: stray tags are stripped.
* **Hostile text.**  Every text field loses XML-illegal characters (``\\x00``,
  ``\\x0b``, C1 controls, lone surrogates, U+FFFE/U+FFFF) — one of those makes the whole
  file unparseable.  ``body_html`` is sanitised again with nh3 (no scripts, styles,
  event handlers; only absolute http(s) URLs, relative ones resolved against the
  article URL) even though the extractor already did, because the feed is what
  leaves the building.

``rel="self"``: emitted (Atom ``<link rel="self">``, RSS ``<atom:link rel="self">``)
only when :attr:`FeedSpec.base_url` is set.  The W3C validator warns about a missing
self link, but it equally warns about a relative one (``RelativeSelf``) or one that
does not match where the feed was fetched (``SelfDoesntMatchLocation``), and an
invented ``urn:`` would be a lie to every client that uses it to subscribe.  Without
a public base URL there is no correct value, so none is written and the validator's
single remaining remark is "Missing atom:link with rel=self"; configure the base URL
to be warning-free.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

import nh3
from feedgen.feed import FeedGenerator
from lxml import etree
from lxml import html as lxml_html

from crawler.extraction.text import XML_ILLEGAL
from crawler.items import Article
from crawler.limits import MAX_CHARS, cut_html, cut_text
from crawler.sites import all_sites

ATOM_NS = "http://www.w3.org/2005/Atom"
#: namespace authority and date of every id this project mints; never change them,
#: or every subscriber sees every article again
TAG_AUTHORITY = "partyfeed,2026"
#: the feed time when there are no entries: fixed (bytes stay a pure function of the
#: input) and after 1990, before which the W3C validator warns "implausible date"
EMPTY_FEED_TIME = datetime(2000, 1, 1, tzinfo=timezone.utc)
#: stand-in for a missing date when sorting: oldest of all
_NO_DATE = datetime.min.replace(tzinfo=timezone.utc)
GENERATOR = "partyfeed"
#: every format a feed is written in, by file suffix
FORMATS = ("rss", "atom", "json")
#: the Content-Type each format is served with
MEDIA_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
LANGUAGE = "vi"
#: plain-text lead length when an article has no summary of its own
SUMMARY_CHARS = 300

# --- text hygiene -------------------------------------------------------------------


def clean_text(value: str | None) -> str:
    """``value`` with XML-illegal characters removed, NFC-normalised; ``""`` for None."""
    if not value:
        return ""
    return unicodedata.normalize("NFC", XML_ILLEGAL.sub("", value))


def clean_line(value: str | None) -> str:
    """A single-line field (title, author, category): plain text, whitespace collapsed."""
    return " ".join(plain_text(value).split())


def plain_text(value: str | None) -> str:
    """Cleaned text with any HTML tags removed (their text kept).

    Titles, summaries and names are plain text by contract; a ``</b>`` left in one by
    an extractor would be shown literally, and the W3C validator warns ("should not
    contain HTML") on Atom text constructs that contain end tags.
    """
    text = clean_text(value)
    if "<" not in text:
        return text
    return clean_text(html.unescape(nh3.clean(text, tags=set(), strip_comments=True)))


def safe_url(value: str | None, base: str | None = None) -> str | None:
    """An absolute http(s) URI for ``value`` (resolved against ``base``), or None.

    Non-ASCII and spaces are percent-encoded (UTF-8) and IDN hosts punycoded, so the
    result is a valid URI for both the XML attribute and the validator; anything
    that is not http(s) — ``javascript:``, ``data:``, ``mailto:`` — is refused.
    """
    text = clean_text(value).strip()
    if not text:
        return None
    if base:
        text = urljoin(base, text)
    try:
        parts = urlsplit(text)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        return None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal: hostname strips the brackets
    netloc = host if port is None else f"{host}:{port}"
    if parts.username or parts.password:
        return None  # credentials in a feed link are a leak or a phishing trick
    safe = "/:@!$&'()*+,;=%~-._"
    return urlunsplit((scheme, netloc, quote(parts.path, safe=safe) or "/",
                       quote(parts.query, safe=safe + "?"), quote(parts.fragment, safe=safe + "?")))


# --- HTML sanitising ----------------------------------------------------------------

ALLOWED_TAGS = frozenset({
    "p", "br", "strong", "em", "b", "i", "u", "sub", "sup", "a", "img", "figure",
    "figcaption", "ul", "ol", "li", "blockquote", "h2", "h3", "h4",
    "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
    "del", "ins", "mark",  # the changes feeds' diffs, search snippets
})
ALLOWED_ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
#: removed together with their content (the others in ALLOWED_TAGS' complement keep
#: their text and lose only the tag)
DROP_WITH_CONTENT = frozenset({"script", "style", "noscript", "iframe", "object", "embed",
                               "template", "svg", "math", "form", "button", "select",
                               "textarea"})
_URL_ATTRS = {("a", "href"), ("img", "src")}
_EMPTY_IMG = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")


def sanitize_html(fragment: str | None, base_url: str | None = None, *,
                  referrer_policy: str | None = None,
                  captions: dict[str, str] | None = None) -> str:
    """``fragment`` reduced to the article markup a feed reader should render.

    Whitelisted tags and attributes only (no ``style``, ``class``, ``on*``), scripts
    and styles removed with their content, links and images resolved to absolute
    http(s) URLs (relative ones against ``base_url``, the article's own URL) or
    dropped — a relative URL in feed content resolves against the *feed's* location
    in most readers, which is wrong.
    """
    text = clean_text(fragment)
    if not text.strip():
        return ""
    text = _prepare_html(text, base_url, captions or {})

    def keep_url(tag: str, attr: str, value: str) -> str | None:
        if (tag, attr) in _URL_ATTRS:
            return safe_url(value, base_url)
        if attr in ("colspan", "rowspan"):
            return value if value.isdigit() and 0 < int(value) <= 100 else None
        return value

    cleaned = nh3.clean(
        text,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=keep_url,
        url_schemes={"http", "https"},
        strip_comments=True,
        link_rel=None,
        set_tag_attribute_values=({"img": {"referrerpolicy": referrer_policy}}
                                  if referrer_policy else None),
    )
    cleaned = _EMPTY_IMG.sub("", cleaned)  # an <img> whose src was refused shows nothing
    return clean_text(cleaned).strip()


#: attributes lazy-loading scripts keep the real image URL in, best first
LAZY_SRC_ATTRS = ("data-src", "data-original", "data-lazy-src", "data-srcset", "data-lazy")
#: a ``src`` that is only a stand-in until a script swaps in the lazy one
_PLACEHOLDER_SRC = re.compile(r"^\s*(data:|about:)|(blank|spacer|placeholder|no-image|lazy|loading)"
                              r"[^/]*\.(gif|png|svg|jpe?g)\b", re.IGNORECASE)
#: video players whose embeds become a plain link (iframes never reach a feed: readers
#: drop them, and the W3C validator flags every one as a security risk)
VIDEO_HOSTS = frozenset({"www.youtube.com", "youtube.com", "www.youtube-nocookie.com",
                         "youtu.be", "player.vimeo.com", "vimeo.com"})


def _prepare_html(text: str, base_url: str | None, captions: dict[str, str]) -> str:
    """Structural clean-up before :func:`sanitize_html` hands the markup to nh3.

    * a lazy image's real URL (``data-src`` …) is promoted to ``src`` when ``src`` is
      missing or a placeholder — otherwise the reader shows a grey box;
    * a stand-alone ``<img>`` (alone in its paragraph or link) becomes
      ``<figure><img><figcaption>`` with the caption the extractor recorded for it;
    * an ``<iframe>`` from a known video host becomes a link to the video; any other
      iframe is dropped by nh3 afterwards with its content.

    Only moves and copies; nh3 runs afterwards, so nothing here needs to be safe on its
    own.  Unparseable input is returned unchanged.
    """
    lowered = text.lower()
    if "<img" not in lowered and "<iframe" not in lowered:
        return text
    try:
        root = lxml_html.fragment_fromstring(text, create_parent="div")
    except (etree.ParserError, ValueError):
        return text
    for img in list(root.iter("img")):
        src = img.get("src") or ""
        if not src.strip() or _PLACEHOLDER_SRC.search(src):
            lazy = next((img.get(a) for a in LAZY_SRC_ATTRS if (img.get(a) or "").strip()), None)
            if lazy:
                img.set("src", lazy.strip().split()[0])
        if any(a.tag == "figure" for a in img.iterancestors()):
            continue
        target = img  # the image, or the link around it
        parent = img.getparent()

        def alone(node: etree._Element, inner: etree._Element) -> bool:
            return (len(node) == 1 and not (node.text or "").strip()
                    and not (inner.tail or "").strip())

        if parent is not None and parent.tag == "a" and parent is not root and alone(parent, img):
            target, parent = parent, parent.getparent()
        figure = lxml_html.Element("figure")
        if parent is not None and parent is not root and parent.tag == "p":
            if not alone(parent, target):
                continue  # an image inside running text stays inline
            figure.tail = parent.tail
            target.tail = None
            parent.addprevious(figure)
            figure.append(target)
            parent.getparent().remove(parent)
        else:
            figure.tail = target.tail
            target.tail = None
            target.addprevious(figure)
            figure.append(target)
        url = safe_url(img.get("src"), base_url)
        caption = captions.get(url or "") or ""
        if caption:
            figcaption = lxml_html.Element("figcaption")
            figcaption.text = caption
            figure.append(figcaption)
    for frame in list(root.iter("iframe")):
        url = safe_url(frame.get("src"), base_url)
        if url and (urlsplit(url).hostname or "") in VIDEO_HOSTS:
            para = lxml_html.Element("p")
            link = lxml_html.Element("a", href=url)
            link.text = "▶ Video"
            para.append(link)
            para.tail = frame.tail
            frame.getparent().replace(frame, para)
    out = [html.escape(root.text or "", quote=False)]
    out.extend(lxml_html.tostring(child, encoding="unicode") for child in root)
    return "".join(out)


def text_to_html(text: str) -> str:
    """Plain body text as paragraphs, for articles whose HTML body is empty."""
    paragraphs = [" ".join(p.split()) for p in clean_text(text).split("\n")]
    return "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs if p)


# --- ids, dates, order ----------------------------------------------------------------

_TAG_SAFE = ";/?:@&=+$,!~*'()"


def _tag_part(value: str) -> str:
    """``value`` percent-encoded to the characters RFC 4151 allows in a tag's specific part."""
    return quote(unicodedata.normalize("NFC", unquote(value)), safe=_TAG_SAFE)


def entry_id(article: Article) -> str:
    """The entry's permanent id: ``tag:partyfeed,2026:<site>:<article_id>``.

    Readers decide "new or already seen" by this id alone, so it must survive
    everything that changes about an article without it becoming another article: an
    edited title, a re-slugged URL, http→https, ``www.`` or not, tracking queries.
    The site's own numeric id does; ``(site, article_id)`` is unique per site and the
    site prefix keeps the combined feed unique.

    Without an ``article_id`` the id falls back to the canonical URL —
    ``tag:partyfeed,2026:<site>:url:<host><path>`` with the scheme, ``www.``, port,
    query and fragment dropped, the host lower-cased, percent-encoding normalised
    (NFC, UTF-8) and trailing slashes removed.  That survives scheme and host-case
    changes, though not a re-slug (there is nothing better to anchor to).
    """
    site = _tag_part(clean_line(article.site).lower())
    article_id = clean_line(article.article_id)
    if article_id:
        return f"tag:{TAG_AUTHORITY}:{site}:{_tag_part(article_id)}"
    parts = urlsplit(clean_text(article.url).strip())
    host = (parts.hostname or "").lower()
    host = host.removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    return f"tag:{TAG_AUTHORITY}:{site}:url:{_tag_part(host)}{_tag_part(path)}"


def _utc(value: datetime | None) -> datetime | None:
    """``value`` in UTC to the second (naive taken as UTC), so RSS and Atom agree exactly."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).replace(microsecond=0)


def _published(article: Article) -> datetime | None:
    return _utc(article.published)


def _updated(article: Article) -> datetime | None:
    """``updated or published`` — and never before published (bad source data)."""
    dates = [d for d in (_utc(article.updated), _utc(article.published)) if d]
    return max(dates) if dates else None


def sort_articles(articles: Iterable[Article]) -> list[Article]:
    """Newest first by published time (updated if there is none), ties by entry id;
    a repeated entry id keeps only its first (newest) occurrence, since duplicate ids
    are invalid in both formats."""
    by_id = sorted(articles, key=entry_id)
    ordered = sorted(by_id, key=lambda a: _published(a) or _utc(a.updated) or _NO_DATE,
                     reverse=True)
    seen: set[str] = set()
    unique = []
    for article in ordered:
        key = entry_id(article)
        if key not in seen:
            seen.add(key)
            unique.append(article)
    return unique


# --- the feeds ----------------------------------------------------------------------

@dataclass(frozen=True)
class FeedSpec:
    """What a feed is, independent of its entries.

    ``key`` is the file stem (``dangcongsan`` → ``dangcongsan.rss``/``.atom``) and
    names the feed's permanent id.  ``base_url`` is the public URL of the directory
    the feed files are served from; when it is None no self link is written (see the
    module docstring for why).
    """

    key: str
    title: str
    link: str
    description: str
    base_url: str | None = None
    #: minutes a reader may cache the feed (RSS ``<ttl>``); the crawl interval
    ttl: int | None = None
    #: ``referrerpolicy`` written on every ``<img>`` (``no-referrer``: the sites' image
    #: hosts refuse hotlinks that carry a foreign Referer); None writes none
    referrer_policy: str | None = None
    #: False: entries carry the summary only, no full text (``?fulltext=0``)
    fulltext: bool = True
    #: the exact self URL to write, overriding ``base_url`` + key (a served, filtered feed)
    self_href: str | None = None

    def feed_id(self) -> str:
        """Permanent Atom feed id; independent of where the file is hosted."""
        return f"tag:{TAG_AUTHORITY}:feed:{_tag_part(self.key)}"

    def self_url(self, suffix: str) -> str | None:
        """Where this feed's ``.<suffix>`` file is served, if a base URL is configured."""
        if self.self_href:
            return safe_url(self.self_href)
        if not self.base_url:
            return None
        return safe_url(f"{self.key}.{suffix}", self.base_url.rstrip("/") + "/")


@dataclass(frozen=True)
class _Entry:
    """One article's feed fields, cleaned once and shared by both formats."""

    id: str
    title: str
    link: str
    published: datetime | None
    updated: datetime
    dated: bool  # False: no date at all, ``updated`` is the EMPTY_FEED_TIME stand-in
    summary: str
    content: str
    authors: list[str]
    categories: list[tuple[str, str | None, str | None]]  # (term, label, scheme)
    image: tuple[str, str] | None  # (url, media type)


_IMAGE_TYPES = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jpe": "image/jpeg", ".png": "image/png",
    ".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif", ".svg": "image/svg+xml",
    ".bmp": "image/bmp", ".tif": "image/tiff", ".tiff": "image/tiff",
}


def image_type(url: str) -> str:
    """Media type from the path's extension; image/jpeg when unknown (most news photos).

    A fixed table rather than :mod:`mimetypes`, whose answers depend on the host's
    ``/etc/mime.types`` — output must not change from one machine to the next.
    """
    path = urlsplit(url).path.lower()
    dot = path.rfind(".")
    return _IMAGE_TYPES.get(path[dot:], "image/jpeg") if dot > path.rfind("/") else "image/jpeg"


def _lead(text: str) -> str:
    """The first ~SUMMARY_CHARS of ``text``, cut at a word boundary."""
    words = " ".join(clean_text(text).split())
    if len(words) <= SUMMARY_CHARS:
        return words
    return words[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"


def _within_limits(article: Article) -> Article:
    """The crawler cuts fields to :mod:`crawler.limits` before storing; a row stored before
    that (or by another tool) is cut here the same way, since one 20 MB body would make
    lxml refuse the whole feed ("Text node too long") on every build."""
    return replace(
        article,
        title=cut_text(article.title or "", MAX_CHARS["title"]),
        summary=cut_text(article.summary, MAX_CHARS["summary"]) if article.summary else None,
        body_html=cut_html(article.body_html or "", MAX_CHARS["body_html"]),
        body_text=cut_text(article.body_text or "", MAX_CHARS["body_text"]),
    )


def _entry(article: Article, fallback_link: str, referrer_policy: str | None = None) -> _Entry:
    article = _within_limits(article)
    link = safe_url(article.url) or fallback_link
    summary = " ".join(plain_text(article.summary).split()) or _lead(article.body_text)
    title = clean_line(article.title) or _lead(summary)[:120] or link
    captions = {}
    for picture in article.images:
        url = safe_url(picture.url, link)
        if url and picture.caption and url not in captions:
            captions[url] = clean_line(picture.caption)
    content = (sanitize_html(article.body_html, link, referrer_policy=referrer_policy,
                             captions=captions)
               or text_to_html(article.body_text))
    # readers show an entry's author and do not inherit the feed's: without a byline,
    # the credited agency (TTXVN), else the publishing site, is named on the entry
    authors = (_unique(clean_line(a) for a in article.authors)
               or [clean_line(article.source) or clean_line(_publisher(article.site))])

    categories: list[tuple[str, str | None, str | None]] = []
    category = clean_line(article.category)
    slug = clean_line(article.category_slug)
    if category or slug:
        scheme = urljoin(link, "/") if slug else None
        categories.append((slug or category, category or None, scheme))
    for tag in _unique(clean_line(t) for t in article.tags):
        if tag != category:
            categories.append((tag, None, None))

    image = None
    for candidate in article.images[:1]:
        url = safe_url(candidate.url, link)
        if url:
            image = (url, image_type(url))
    if image and content and f'src="{html.escape(image[0])}"' not in content:
        # the lead photo is not in the body: show it first, as the site's page does
        caption = captions.get(image[0], "")
        lead = (f'<figure><img src="{html.escape(image[0])}" alt="{html.escape(caption)}">'
                + (f"<figcaption>{html.escape(caption, quote=False)}</figcaption>" if caption else "")
                + "</figure>")
        content = sanitize_html(lead, link, referrer_policy=referrer_policy) + content
    return _Entry(
        id=entry_id(article), title=title, link=link, published=_published(article),
        updated=_updated(article) or EMPTY_FEED_TIME, dated=_updated(article) is not None,
        summary=summary, content=content,
        authors=authors, categories=categories, image=image,
    )


def _publisher(site: str) -> str:
    known = all_sites().get(site)
    return known.title if known else site


def _unique(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        if value and value not in out:
            out.append(value)
    return out


def _generator(spec: FeedSpec, entries: Sequence[_Entry], self_suffix: str,
               self_type: str) -> FeedGenerator:
    """A FeedGenerator with the channel/feed fields both formats share."""
    fg = FeedGenerator()
    fg.id(spec.feed_id())
    fg.title(clean_line(spec.title) or spec.key)
    home = safe_url(spec.link) or spec.link
    self_url = spec.self_url(self_suffix)
    if self_url:
        fg.link(href=self_url, rel="self", type=self_type)
    # last: feedgen makes the *last* feed link the RSS <channel><link>, whatever its rel
    fg.link(href=home, rel="alternate", type="text/html")
    fg.description(clean_line(spec.description) or clean_line(spec.title) or spec.key)
    # Atom needs an author on the feed or on every entry; articles often have none
    fg.author(name=clean_line(spec.title) or spec.key, uri=home)
    fg.language(LANGUAGE)
    fg.generator(GENERATOR)  # no version: it would change the bytes on every upgrade
    fg.updated(max((e.updated for e in entries), default=EMPTY_FEED_TIME))
    if spec.ttl:
        fg.ttl(spec.ttl)
    return fg


EntryCache = dict[tuple[Any, ...], _Entry]


def _article_key(article: Article) -> tuple[Any, ...]:
    return (article.site, article.article_id, article.url, article.title, article.published,
            article.updated, article.summary, tuple(article.authors), article.category,
            article.category_slug, tuple(article.tags),
            tuple((i.url, i.caption) for i in article.images), article.body_html,
            article.body_text)


def entries_for(spec: FeedSpec, articles: Iterable[Article],
                cache: EntryCache | None = None,
                also_in: Mapping[str, Sequence[str]] | None = None) -> list[_Entry]:
    """Cleaned entries, newest first.  Sanitising is the costly part of rendering, and
    one article sits in its site's, its category's and the combined feed in three
    formats: ``cache`` (any dict, kept by the caller) does it once per article.
    ``also_in`` (article URL → other outlets carrying its story) ends an entry's content
    with the line "Cũng đăng trên: nhandan.vn, qdnd.vn"."""
    out = []
    for article in sort_articles(articles):
        key = (spec.link, spec.referrer_policy, _article_key(article))
        entry = cache.get(key) if cache is not None else None
        if entry is None:
            entry = _entry(article, spec.link, spec.referrer_policy)
            if cache is not None:
                cache[key] = entry
        outlets = (also_in or {}).get(article.url)
        if outlets:
            line = html.escape(", ".join(outlets), quote=False)
            entry = replace(entry, content=f"{entry.content}<p>Cũng đăng trên: {line}</p>")
        out.append(entry)
    return out


def render_all(spec: FeedSpec, articles: Sequence[Article], formats: Iterable[str] = FORMATS,
               cache: EntryCache | None = None,
               also_in: Mapping[str, Sequence[str]] | None = None) -> dict[str, bytes]:
    """The feed in each of ``formats`` (``rss``, ``atom``, ``json``), sanitising once."""
    entries = entries_for(spec, articles, cache, also_in)
    return {fmt: _RENDER[fmt](spec, entries) for fmt in formats}


def render_rss(spec: FeedSpec, articles: Sequence[Article]) -> bytes:
    """The RSS 2.0 document for ``articles`` (all of them, newest first), UTF-8.

    Per item: title, link, ``guid isPermaLink="false"`` (:func:`entry_id`),
    ``pubDate`` (RFC 822, UTC), description = summary (plain text; the lead of the
    body when the article has none), ``content:encoded`` = the sanitised full body,
    authors as ``dc:creator`` (RSS ``<author>`` must be an e-mail address, which we
    do not have), categories, and the lead image as ``<enclosure>`` with
    ``length="0"`` (unknown, as the RSS board profile prescribes).
    """
    return _rss(spec, entries_for(spec, articles))


def _rss(spec: FeedSpec, entries: list[_Entry]) -> bytes:
    fg = _generator(spec, entries, "rss", "application/rss+xml")
    fg.load_extension("dc", atom=False, rss=True)
    for e in entries:
        fe = fg.add_entry(order="append")
        fe.id(e.id)  # also sets <guid isPermaLink="false">
        fe.title(e.title)
        fe.link(href=e.link, rel="alternate")
        # RSS description is HTML: escape the plain-text summary so a "<" or "&" in it
        # is shown, not interpreted
        fe.description(html.escape(e.summary or e.title, quote=False), isSummary=True)
        if e.content and spec.fulltext:
            fe.content(e.content, type="html")
        if e.dated:
            fe.pubDate(e.published or e.updated)
        fe.updated(e.updated)
        for term, label, scheme in e.categories:
            fe.category(term=term, label=label or term, scheme=scheme)
        if e.image:
            fe.enclosure(url=e.image[0], length=0, type=e.image[1])
        if e.authors:
            fe.dc.dc_creator(e.authors, replace=True)
    return _serialize(fg.rss_str(pretty=False))


def render_atom(spec: FeedSpec, articles: Sequence[Article]) -> bytes:
    """The Atom 1.0 (RFC 4287) document for ``articles``, newest first, UTF-8.

    Per entry: id, title, updated (``updated or published``; a second later per
    collision, see :func:`_distinct_updated`), published, author(s)
    (the feed-level author covers entries without one), summary (text), content
    (``type="html"``, sanitised), category term = category slug (or name) with the
    name as label, one ``rel="alternate"`` link to the article and the lead image as
    ``rel="enclosure"`` (written here, since feedgen 1.0 loses ``rel`` on entry links).
    """
    return _atom(spec, entries_for(spec, articles))


def _atom(spec: FeedSpec, entries: list[_Entry]) -> bytes:
    entries = _distinct_updated(entries)
    fg = _generator(spec, entries, "atom", "application/atom+xml")
    for e in entries:
        fe = fg.add_entry(order="append")
        fe.id(e.id)
        fe.title(e.title)
        fe.updated(e.updated)
        if e.published:
            fe.published(e.published)
        for name in e.authors:
            fe.author(name=name)
        if e.summary:
            fe.summary(e.summary, type="text")
        if e.content and spec.fulltext:
            fe.content(e.content, type="html")
        # only the alternate link goes through feedgen; its attributes are fixed below
        fe.link(href=e.link, rel="alternate")
        for term, label, scheme in e.categories:
            fe.category(term=term, label=label, scheme=scheme)

    root = etree.fromstring(fg.atom_str(pretty=False), _PARSER)
    by_id = {e.id: e for e in entries}
    for node in root.iterfind(f"{{{ATOM_NS}}}entry"):
        _fix_atom_links(node, by_id[node.findtext(f"{{{ATOM_NS}}}id")])
    return _serialize(etree.tostring(root, encoding="UTF-8", xml_declaration=True))


def _distinct_updated(entries: list[_Entry]) -> list[_Entry]:
    """``entries`` with no two sharing an ``updated`` time, by nudging later ones +1 s.

    The W3C validator warns "Two entries with the same value for atom:updated" (the
    signature of feeds that stamp every entry with the build time).  Sites publish to
    the minute, so in a 50-entry feed — above all the combined one — collisions are
    ordinary.  Walking oldest first, an entry whose time is taken moves forward by
    whole seconds until free: deterministic, never earlier than the real time (so
    never before ``published``), and the older entries, already seen by readers, keep
    their values when newer articles arrive.
    """
    taken: set[datetime] = set()
    nudged: dict[str, datetime] = {}
    for e in reversed(entries):
        when = e.updated
        while when in taken:
            when += timedelta(seconds=1)
        taken.add(when)
        nudged[e.id] = when
    return [e if nudged[e.id] == e.updated else replace(e, updated=nudged[e.id]) for e in entries]


def _fix_atom_links(node: etree._Element, entry: _Entry) -> None:
    """Rewrite the entry's links: exactly one alternate, plus the enclosure if any."""
    links = node.findall(f"{{{ATOM_NS}}}link")
    anchor = links[0]
    for extra in links[1:]:
        node.remove(extra)
    anchor.attrib.clear()
    anchor.set("rel", "alternate")
    anchor.set("type", "text/html")
    anchor.set("href", entry.link)
    if entry.image:
        url, media_type = entry.image
        enclosure = etree.Element(f"{{{ATOM_NS}}}link",
                                  {"rel": "enclosure", "type": media_type, "href": url})
        anchor.addnext(enclosure)


_PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)


def _serialize(document: bytes) -> bytes:
    """Pretty-printed UTF-8 with a declaration: readable diffs, stable bytes."""
    root = etree.fromstring(document, _PARSER)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


def render_json(spec: FeedSpec, articles: Sequence[Article]) -> bytes:
    """The JSON Feed 1.1 document for ``articles``, newest first, UTF-8.

    Per item: ``id`` (:func:`entry_id`, as in the XML formats), ``url``, ``title``,
    ``content_html`` (sanitised full text; ``content_text`` = the summary when the
    feed is summary-only), ``summary``, ``image`` (the lead photo) also as an
    attachment, ``date_published`` / ``date_modified`` (RFC 3339, UTC), ``authors``,
    ``tags`` (category name, then tags) and ``language``.  ``feed_url`` follows the
    same rule as the XML self link.  Keys in a fixed order, no clock: stable bytes.
    """
    return _json(spec, entries_for(spec, articles))


def _json(spec: FeedSpec, entries: list[_Entry]) -> bytes:
    home = safe_url(spec.link) or spec.link
    doc: dict[str, Any] = {"version": JSON_FEED_VERSION,
                           "title": clean_line(spec.title) or spec.key,
                           "home_page_url": home}
    feed_url = spec.self_url("json")
    if feed_url:
        doc["feed_url"] = feed_url
    doc["description"] = clean_line(spec.description) or clean_line(spec.title) or spec.key
    doc["language"] = LANGUAGE
    doc["authors"] = [{"name": clean_line(spec.title) or spec.key, "url": home}]
    items = []
    for e in entries:
        item: dict[str, Any] = {"id": e.id, "url": e.link, "title": e.title}
        if e.content and spec.fulltext:
            item["content_html"] = e.content
        else:
            item["content_text"] = e.summary or e.title
        if e.summary:
            item["summary"] = e.summary
        if e.image:
            item["image"] = e.image[0]
        if e.dated:
            item["date_published"] = (e.published or e.updated).isoformat()
            item["date_modified"] = e.updated.isoformat()
        if e.authors:
            item["authors"] = [{"name": name} for name in e.authors]
        tags = _unique(label or term for term, label, _ in e.categories)
        if tags:
            item["tags"] = tags
        item["language"] = LANGUAGE
        if e.image:
            item["attachments"] = [{"url": e.image[0], "mime_type": e.image[1]}]
        items.append(item)
    doc["items"] = items
    return (json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


_RENDER = {"rss": _rss, "atom": _atom, "json": _json}
RENDERERS = {"rss": render_rss, "atom": render_atom, "json": render_json}


def with_self_url(data: bytes, fmt: str, url: str) -> bytes:
    """A rendered feed with its self link (RSS ``atom:link``, Atom ``link rel="self"``,
    JSON ``feed_url``) set to ``url`` — added if the file has none.

    The server uses this to make a pre-built file name the URL it was fetched from
    (the W3C validator warns when they differ); the rest of the bytes stay as built.
    """
    href = safe_url(url)
    if href is None:
        return data
    if fmt == "json":
        doc = json.loads(data)
        out: dict[str, Any] = {}
        for key, value in doc.items():
            if key == "feed_url":
                continue
            out[key] = value
            if key == "home_page_url":
                out["feed_url"] = href
        if "feed_url" not in out:
            out["feed_url"] = href
        return (json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    root = etree.fromstring(data, _PARSER)
    parent = root if fmt == "atom" else root.find("channel")
    if parent is None:
        return data
    link = next((node for node in parent.findall(f"{{{ATOM_NS}}}link") if node.get("rel") == "self"),
                None)
    if link is None:
        link = etree.Element(f"{{{ATOM_NS}}}link")
        link.set("href", href)
        link.set("rel", "self")
        link.set("type", "application/atom+xml" if fmt == "atom" else "application/rss+xml")
        if fmt == "atom":
            first = parent.find(f"{{{ATOM_NS}}}link")
            if first is not None:
                first.addprevious(link)
            else:
                parent.append(link)
        else:
            # after <description>, where feedgen puts it when it writes one
            anchor = parent.find("description")
            if anchor is not None:
                anchor.addnext(link)
            else:
                parent.insert(0, link)
    else:
        link.set("href", href)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)
