"""`partyfeed demo`: the whole system offline on every bundled copy, feeds served on loopback."""

from __future__ import annotations

import signal
import urllib.request

import feedparser

from crawler.sites import all_sites

from .conftest import Install, SiteCopyFiles


def test_demo_crawls_every_bundled_copy_and_serves_valid_feeds(install: Install) -> None:
    demo, lines = install.start("demo", "--port", "0")
    try:
        url = lines.wait_for("feeds served at").split("feeds served at ", 1)[1].split(",", 1)[0]
        with urllib.request.urlopen(url.replace(".rss", ".atom"), timeout=30) as response:
            body = response.read()
    finally:
        demo.send_signal(signal.SIGINT)
        status = demo.wait(timeout=60)
    assert status == 0
    assert url.endswith("/all.rss")
    for name in all_sites():
        count = len(SiteCopyFiles(name).articles())
        assert any(line.startswith(f"{name}: ok") and f"{count} new" in line for line in lines.seen), name
    total = sum(len(SiteCopyFiles(name).articles()) for name in all_sites())
    feed = feedparser.parse(body)
    assert not feed.bozo and len(feed.entries) == min(50, total)
    self_links = [link.href for link in feed.feed.links if link.rel == "self"]
    assert self_links == [url.replace(".rss", ".atom")]


def test_demo_of_one_site(install: Install) -> None:
    result = install.run("demo", "--site", "qdnd", "--no-serve")
    assert result.returncode == 0, result.stderr
    assert "qdnd: ok" in result.stdout and "dangcongsan:" not in result.stdout
    assert (install.feeds_dir / "qdnd.atom").is_file()
