"""Real feed readers subscribe to ``partyfeed serve``: newsboat (Debian's package) for RSS
and Atom, read back from its own SQLite cache; for JSON Feed, which newsboat 2.21 does not
read, ``jsonfeed-util`` — a parser that shares no code with ours.  What a subscriber must
get: every entry, each with title, link, date, author and content; and a poll with
nothing new answered ``304 Not Modified`` (checked in the server's own access log)."""

from __future__ import annotations

import http.client
import re
import shutil
import sqlite3
import subprocess
import unicodedata
from pathlib import Path

import jsonfeed
import pytest
from lxml import html as lxml_html

from crawler.config import Config
from crawler.items import Article
from crawler.sites import all_sites
from feeds.render import entry_id

from .conftest import ServerProcess, ServerProcesses

NEWSBOAT = shutil.which("newsboat") or "newsboat"


def _words(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _expected(server: ServerProcess) -> list[Article]:
    install = server.install
    config = Config(db_url=install.db_url, feeds_dir=install.feeds_dir, data_dir=install.data_dir)
    return install.storage().recent(limit=config.feed_limit)


def _byline(article: Article) -> str:
    """Who a reader shows as the author: the bylines, else the agency, else the site."""
    return ", ".join(article.authors) or article.source or all_sites()[article.site].title


class Newsboat:
    """One newsboat profile (urls file, config, cache) in a folder of its own."""

    def __init__(self, folder: Path, url: str) -> None:
        folder.mkdir(parents=True)
        self.folder = folder
        self.urls = folder / "urls"
        self.urls.write_text(url + "\n")
        self.config = folder / "config"
        self.config.write_text("download-timeout 30\nreload-threads 1\n")
        self.cache = folder / "cache.db"

    def reload(self) -> None:
        result = subprocess.run(
            [NEWSBOAT, "-u", str(self.urls), "-c", str(self.cache), "-C", str(self.config),
             "-x", "reload"],
            env={"HOME": str(self.folder), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert result.returncode == 0, result.stdout + result.stderr

    def items(self) -> dict[str, sqlite3.Row]:
        with sqlite3.connect(self.cache) as db:
            db.row_factory = sqlite3.Row
            return {row["guid"]: row for row in db.execute(
                "SELECT guid, title, url, author, pubDate, content FROM rss_item")}

    def validators(self) -> tuple[int, str]:
        with sqlite3.connect(self.cache) as db:
            return db.execute("SELECT lastmodified, etag FROM rss_feed").fetchone()


def _access(server: ServerProcess, path: str) -> list[int]:
    """Statuses the server logged for ``GET path``, in order."""
    pattern = re.compile(rf'"GET {re.escape(path)} HTTP/1\.1" (\d{{3}})')
    return [int(m.group(1)) for line in server.lines.seen if (m := pattern.search(line))]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_newsboat_gets_every_entry_complete_and_a_304_when_nothing_is_new(
        serve_process: ServerProcesses, tmp_path: Path, fmt: str) -> None:
    server = serve_process.start()
    path = f"/all.{fmt}"
    reader = Newsboat(tmp_path / "newsboat", server.url + path)
    reader.reload()
    server.lines.wait_for(f'"GET {path} HTTP/1.1" 200')

    items = reader.items()
    articles = _expected(server)
    assert sorted(items) == sorted(entry_id(a) for a in articles)
    for article in articles:
        item = items[entry_id(article)]
        assert item["title"] == _words(article.title)
        assert item["url"] == article.url
        assert item["pubDate"] == int(article.published.timestamp())
        if fmt == "rss" and len(article.authors) > 1:
            # one dc:creator per author (feedparser reads them all); newsboat shows the last
            assert item["author"] == article.authors[-1]
        else:
            assert item["author"] == _byline(article)
        text = _words(lxml_html.fromstring(item["content"]).text_content())
        assert _words(article.body_text)[:80] in text, (article.url, text[:200])

    # newsboat 2.21 keeps a feed's validators only once the feed is in its cache, so its
    # first conditional request is the poll after the one that subscribed
    reader.reload()
    server.lines.wait_for(f'"GET {path} HTTP/1.1"', count=2)
    _, etag = reader.validators()
    assert re.fullmatch(r'"[0-9a-f]{40}(-gz)?"', etag)
    reader.reload()
    server.lines.wait_for(f'"GET {path} HTTP/1.1"', count=3)
    assert _access(server, path)[-1] == 304
    assert len(reader.items()) == len(articles)


def test_json_feed_read_by_an_independent_parser(serve_process: ServerProcesses) -> None:
    server = serve_process.start()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("GET", "/all.json")
    response = conn.getresponse()
    body = response.read()
    assert response.status == 200
    feed = jsonfeed.Feed.parse_string(body.decode("utf-8"))
    assert feed.version == "https://jsonfeed.org/version/1.1"
    assert feed.feed_url == f"{server.url}/all.json"
    articles = {entry_id(a): a for a in _expected(server)}
    assert sorted(item.id for item in feed.items) == sorted(articles)
    for item in feed.items:
        article = articles[item.id]
        assert item.title == _words(article.title)
        assert item.url == article.url
        assert item.date_published and item.date_published.startswith(
            article.published.strftime("%Y-%m-%dT%H:%M:%S"))
        assert ", ".join(author.name for author in item.authors) == _byline(article)
        text = _words(lxml_html.fromstring(item.content_html).text_content())
        assert _words(article.body_text)[:80] in text

    conn.request("GET", "/all.json", headers={"If-None-Match": response.getheader("ETag")})
    again = conn.getresponse()
    assert (again.status, again.read()) == (304, b"")
    conn.close()
    server.lines.wait_for('"GET /all.json HTTP/1.1" 304')
