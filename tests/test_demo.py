"""`partyfeed demo`: the whole system offline on the bundled copy, feeds served on loopback."""

from __future__ import annotations

import signal
import urllib.request

import feedparser

from .conftest import Install, expected_articles


def test_demo_crawls_the_bundled_copy_and_serves_valid_feeds(install: Install) -> None:
    demo, lines = install.start("demo", "--port", "0")
    try:
        url = lines.wait_for("feeds served at").split("feeds served at ", 1)[1].split(",", 1)[0]
        with urllib.request.urlopen(url.replace(".rss", ".atom"), timeout=30) as response:
            body = response.read()
    finally:
        demo.send_signal(signal.SIGINT)
        status = demo.wait(timeout=60)
    assert status == 0
    assert any(f"{len(expected_articles())} new" in line for line in lines.seen)
    feed = feedparser.parse(body)
    assert not feed.bozo and len(feed.entries) == min(50, len(expected_articles()))
    self_links = [link.href for link in feed.feed.links if link.rel == "self"]
    assert self_links == [url.replace(".rss", ".atom")]
