"""Feeds tell the crawler which URLs are new: read whatever a news site's feed really looks like, or say why not."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from crawler.discovery import FeedEntry, NotAFeed, parse_feed_date, read_feed

VN = timezone(timedelta(hours=7))
BASE = "https://nhandan.vn/rss/home.rss"


def test_rss_items_in_order_with_their_dates() -> None:
    body = """<?xml version="1.0"?><rss version="2.0"><channel>
      <item><title>A</title><link> https://nhandan.vn/a-post2.html </link><pubDate>Sat, 22 Aug 2026 17:12:00 +0700</pubDate></item>
      <item><title>B</title><link>/b-post1.html</link></item>
    </channel></rss>""".encode()
    assert read_feed(body, BASE) == [
        FeedEntry("https://nhandan.vn/a-post2.html", datetime(2026, 8, 22, 17, 12, tzinfo=VN)),
        FeedEntry("https://nhandan.vn/b-post1.html", None),  # relative links resolved, undated kept
    ]


def test_atom_entries_and_rdf_items() -> None:
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><link rel="enclosure" href="/x.jpg"/>
      <link href="https://qdnd.vn/a/b/c-123456"/><updated>2025-01-16T15:40:00+07:00</updated></entry></feed>"""
    assert read_feed(atom, BASE) == [FeedEntry("https://qdnd.vn/a/b/c-123456",
                                               datetime(2025, 1, 16, 15, 40, tzinfo=VN))]
    rdf = b"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
      xmlns:dc="http://purl.org/dc/elements/1.1/"><item><link>https://x.vn/a-1.htm</link>
      <dc:date>2026-09-05T13:30:00+07:00</dc:date></item></rdf:RDF>"""
    assert read_feed(rdf, BASE)[0].published == datetime(2026, 9, 5, 13, 30, tzinfo=VN)


def test_a_broken_feed_is_read_as_far_as_it_goes() -> None:
    body = b"""<rss><channel><item><link>https://nhandan.vn/a-post1.html</link><title>R&D &nbsp; \x01</title></item>
      <item><link>https://nhandan.vn/b-post2.html</link><description><p>unclosed</description></item>"""
    assert [e.url for e in read_feed(body, BASE)] == ["https://nhandan.vn/a-post1.html",
                                                      "https://nhandan.vn/b-post2.html"]


@pytest.mark.parametrize("body", [
    b"", b"   ", b"\x89PNG\r\n\x1a\n\x00\x00", b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>",
    "<html><body>Trang không tồn tại</body></html>".encode(),
])
def test_what_is_not_a_feed_says_so(body: bytes) -> None:
    with pytest.raises(NotAFeed):
        read_feed(body, BASE)


def test_an_empty_feed_is_a_feed_with_nothing_new() -> None:
    assert read_feed(b"<rss version='2.0'><channel><title>x</title></channel></rss>", BASE) == []


@pytest.mark.parametrize("text, when", [
    ("Sat, 22 Aug 2026 17:12:00 +0700", datetime(2026, 8, 22, 17, 12, tzinfo=VN)),
    ("Sat, 22 Aug 2026 10:12:00 GMT", datetime(2026, 8, 22, 17, 12, tzinfo=VN)),
    ("2026-08-22T17:12:00+07:00", datetime(2026, 8, 22, 17, 12, tzinfo=VN)),
    ("9/5/2026 1:30:00 PM", datetime(2026, 9, 5, 13, 30, tzinfo=VN)),   # baochinhphu's M/D/YYYY
    ("22/08/2026 17:12", datetime(2026, 8, 22, 17, 12, tzinfo=VN)),
    ("", None), ("not a date", None), ("13/13/2026 1:00:00 PM", None),
])
def test_feed_dates_in_every_form_seen(text: str, when: datetime | None) -> None:
    got = parse_feed_date(text)
    assert got == when
    assert got is None or got.utcoffset() is not None

