"""The feed server: a real server on 127.0.0.1, a real database from crawling the copy,
real HTTP requests.  Caching (ETag, 304, gzip, HEAD), safety (404, no way out of the
feeds folder), query options (filters incl. Vietnamese, format, limit), and every
served feed valid in its format."""

from __future__ import annotations

import email.utils
import gzip
import http.client
import json
import re
import socket
import time
import unicodedata
from pathlib import Path
from urllib.parse import quote, urlsplit

import feedparser
import pytest
from lxml import etree

from crawler.config import Config
from feeds.cache import Representation, ResponseCache
from feeds.filters import fold
from feeds.serve import start_feed_server

from .conftest import Install

A = "{http://www.w3.org/2005/Atom}"
RNG = etree.RelaxNG(etree.parse(str(Path(__file__).with_name("atom-rfc4287.rng"))))
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
FEEDS = ("all", "dangcongsan", "dangcongsan-thoi-su")


@pytest.fixture(scope="module")
def served(crawled, tmp_path_factory):
    install = crawled[0].copy_to(tmp_path_factory.mktemp("serve") / "install")
    config = Config(db_url=install.db_url, feeds_dir=install.feeds_dir, data_dir=install.data_dir)
    state = {"ok": True}
    server = start_feed_server(config, host="127.0.0.1", port=0,
                               health=lambda: (state["ok"], {"sites": ["dangcongsan"]}))
    yield install, server, state
    server.stop()


class Client:
    def __init__(self, server) -> None:
        self.host, self.port = server.server_address[:2]

    def request(self, path: str, method: str = "GET", headers: dict | None = None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, headers=headers or {})
            response = conn.getresponse()
            body = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, body
        finally:
            conn.close()

    def raw(self, request_line: bytes) -> bytes:
        with socket.create_connection((self.host, self.port), timeout=30) as sock:
            sock.sendall(request_line + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


@pytest.fixture
def client(served) -> Client:
    return Client(served[1])


def _json_feed_ok(doc: dict, self_url: str) -> None:
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["title"] and doc["home_page_url"].startswith("https://")
    assert doc["feed_url"] == self_url
    assert isinstance(doc["items"], list)
    ids = [item["id"] for item in doc["items"]]
    assert len(ids) == len(set(ids))
    for item in doc["items"]:
        assert isinstance(item["id"], str) and item["id"].startswith("tag:partyfeed,2026:")
        assert item["url"].startswith("https://") and item["title"]
        assert item.get("content_html") or item.get("content_text")
        assert RFC3339.match(item["date_published"]), item["date_published"]
        assert RFC3339.match(item["date_modified"])
        for author in item.get("authors", []):
            assert author["name"]
        for attachment in item.get("attachments", []):
            assert attachment["url"].startswith("https://") and "/" in attachment["mime_type"]


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
@pytest.mark.parametrize("stem", FEEDS)
def test_every_feed_is_valid_in_every_format(client: Client, stem: str, fmt: str) -> None:
    status, headers, body = client.request(f"/{stem}.{fmt}")
    assert status == 200
    assert headers["content-type"] == {"rss": "application/rss+xml; charset=utf-8",
                                       "atom": "application/atom+xml; charset=utf-8",
                                       "json": "application/feed+json; charset=utf-8"}[fmt]
    self_url = f"http://127.0.0.1:{client.port}/{stem}.{fmt}"
    if fmt == "json":  # feedparser 6.0 (the released one) does not read JSON Feed
        doc = json.loads(body)
        _json_feed_ok(doc, self_url)
        assert doc["items"]
        return
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == {"rss": "rss20", "atom": "atom10"}[fmt]
    assert parsed.entries
    root = etree.fromstring(body)
    if fmt == "atom":
        assert RNG.validate(root), RNG.error_log
        links = root.findall(f"{A}link[@rel='self']")
        assert [link.get("href") for link in links] == [self_url]
        for entry in root.iter(f"{A}entry"):
            rels = [link.get("rel") for link in entry.findall(f"{A}link")]
            assert rels.count("alternate") == 1
    else:
        assert root.find(f"channel/{A}link[@rel='self']").get("href") == self_url
        assert root.findtext("channel/ttl") == "30"


def test_category_feeds_exist_only_for_categories_with_articles(served) -> None:
    install = served[0]
    storage = install.storage()
    slugs = storage.category_slugs("dangcongsan")
    assert "thoi-su" in slugs
    stems = {p.name.rsplit(".", 1)[0] for p in install.feeds_dir.glob("dangcongsan-*.atom")}
    assert stems - {"dangcongsan-changes"} == {f"dangcongsan-{s}" for s in slugs}
    for slug in slugs:
        feed = parse((install.feeds_dir / f"dangcongsan-{slug}.json").read_bytes())
        assert feed.entries
        want = {a.url for a in storage.recent("dangcongsan", 1000, category_slug=slug)}
        assert {e.link for e in feed.entries} <= want


def test_etag_and_last_modified_give_304(client: Client) -> None:
    status, headers, body = client.request("/dangcongsan.atom")
    etag, modified = headers["etag"], headers["last-modified"]
    assert re.fullmatch(r'"[0-9a-f]{40}"', etag)
    assert headers["cache-control"] == "public, max-age=1800"
    assert headers["vary"] == "Accept-Encoding"
    assert client.request("/dangcongsan.atom")[1]["etag"] == etag  # stable
    status, headers2, body2 = client.request("/dangcongsan.atom", headers={"If-None-Match": etag})
    assert (status, body2, headers2["etag"]) == (304, b"", etag)
    status, _, body2 = client.request("/dangcongsan.atom", headers={"If-None-Match": '"other"'})
    assert status == 200 and body2 == body
    assert client.request("/dangcongsan.atom", headers={"If-Modified-Since": modified})[0] == 304
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.request("/dangcongsan.atom", headers={"If-Modified-Since": old})[0] == 200
    # If-None-Match wins over If-Modified-Since
    both = {"If-None-Match": '"other"', "If-Modified-Since": modified}
    assert client.request("/dangcongsan.atom", headers=both)[0] == 200


def test_filtered_responses_have_validators_too(client: Client) -> None:
    status, headers, body = client.request("/all.json?filter=dang&limit=5")
    assert status == 200
    again = client.request("/all.json?filter=dang&limit=5", headers={"If-None-Match": headers["etag"]})
    assert again[0] == 304


def test_gzip(client: Client) -> None:
    _, plain_headers, plain = client.request("/all.rss")
    status, headers, body = client.request("/all.rss", headers={"Accept-Encoding": "gzip, deflate"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == plain
    assert int(headers["content-length"]) == len(body) < len(plain) / 2
    assert headers["etag"] != plain_headers["etag"]
    assert client.request("/all.rss", headers={"Accept-Encoding": "gzip",
                                               "If-None-Match": headers["etag"]})[0] == 304
    assert "content-encoding" not in client.request("/all.rss", headers={"Accept-Encoding": "gzip;q=0"})[1]


def test_head(client: Client) -> None:
    _, get_headers, body = client.request("/dangcongsan.json")
    status, headers, head_body = client.request("/dangcongsan.json", method="HEAD")
    assert status == 200 and head_body == b""
    assert headers["content-length"] == str(len(body))
    assert headers["etag"] == get_headers["etag"]
    assert client.request("/nope.atom", method="HEAD")[0] == 404


def test_unknown_feed_is_a_clear_404(client: Client) -> None:
    status, headers, body = client.request("/khong-co.rss")
    assert status == 404 and headers["content-type"].startswith("text/plain")
    assert b"no feed named khong-co.rss" in body
    assert client.request("/dangcongsan-khong-co-muc.atom")[0] == 404
    assert client.request("/dangcongsan.xml")[0] == 404


def test_nothing_outside_the_feeds_folder_is_served(served, client: Client) -> None:
    install = served[0]
    secret = install.data_dir / "secret.rss"
    secret.write_text("secret")
    (install.feeds_dir / "sub").mkdir(exist_ok=True)
    (install.feeds_dir / "sub" / "inner.rss").write_text("inner")
    for path in ("/../secret.rss", "/%2e%2e/secret.rss", "/%2E%2E%2Fsecret.rss", "/..%2fsecret.rss",
                 "/../partyfeed.db", "/%2e%2e/partyfeed.db", "/sub/inner.rss", "/sub%2finner.rss",
                 "//etc/passwd", "/%2fetc%2fpasswd", "/.%2e/.%2e/etc/passwd", "/secret.rss"):
        status, _, body = client.request(path)
        assert status == 404, path
        assert b"secret" not in body.replace(b"secret.rss", b"") and b"inner" != body
    for line in (b"GET /../secret.rss HTTP/1.1", b"GET /..\\secret.rss HTTP/1.1",
                 b"GET http://127.0.0.1/../secret.rss HTTP/1.1"):
        response = client.raw(line)
        assert response.startswith(b"HTTP/1.1 404"), (line, response[:40])


class _Parsed:
    def __init__(self, entries: list) -> None:
        self.entries = entries


def parse(body: bytes):
    """feedparser for RSS/Atom; JSON Feed (which feedparser 6.0 cannot read) by hand."""
    if body.lstrip().startswith(b"{"):
        doc = json.loads(body)
        assert doc["version"] == "https://jsonfeed.org/version/1.1"
        return _Parsed([feedparser.FeedParserDict(id=i["id"], link=i["url"]) for i in doc["items"]])
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def _ids(body: bytes) -> list[str]:
    return [e.id for e in parse(body).entries]


def _expected(install: Install, word: str, fields=("title", "description")) -> list[str]:
    from feeds.render import entry_id

    out = []
    for a in install.storage().recent(limit=1000):
        texts = {"title": a.title, "description": f"{a.summary or ''}\n{a.body_text}"}
        if any(word in fold(texts[f]).lower() for f in fields):
            out.append(entry_id(a))
    return out


def test_vietnamese_filters_with_and_without_diacritics(served, client: Client) -> None:
    install = served[0]
    want = _expected(install, "dang")
    assert 0 < len(want) < install.storage().count()  # the filter does select
    plain = _ids(client.request("/all.atom?filter=dang&limit=200")[2])
    assert sorted(plain) == sorted(want)
    encoded = _ids(client.request("/all.atom?filter=" + quote("Đảng") + "&limit=200")[2])
    upper = _ids(client.request("/all.atom?filter=" + quote("ĐẢNG") + "&limit=200")[2])
    assert encoded == upper and set(encoded) <= set(plain) and encoded
    # raw UTF-8 in the request line, not percent-encoded
    raw = client.raw("GET /all.atom?filter=Đảng&limit=200 HTTP/1.1".encode())
    assert raw.startswith(b"HTTP/1.1 200")
    assert _ids(raw.split(b"\r\n\r\n", 1)[1]) == encoded
    # decomposed (NFD) input is normalised
    nfd = quote(unicodedata.normalize("NFD", "Đảng"))
    assert _ids(client.request(f"/all.atom?filter={nfd}&limit=200")[2]) == encoded
    # case-sensitive: exact letters only
    sensitive = _ids(client.request("/all.atom?filter=DANG&filter_case_sensitive=1&limit=200")[2])
    assert sensitive == []


def test_unescaped_vietnamese_works_on_a_kept_alive_connection(client: Client) -> None:
    with socket.create_connection((client.host, client.port), timeout=30) as sock:
        reader = sock.makefile("rb")
        for _ in range(2):
            sock.sendall("GET /all.json?filter=Đảng&limit=3 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            status = reader.readline()
            length = 0
            while (line := reader.readline()) != b"\r\n":
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = reader.read(length)
            assert status.startswith(b"HTTP/1.1 200"), status
            assert len(json.loads(body)["items"]) == 3


def test_filter_fields_filterout_limit_format_fulltext(served, client: Client) -> None:
    install = served[0]
    titles = _ids(client.request("/dangcongsan.rss?filter_title=dang&limit=200")[2])
    assert sorted(titles) == sorted(_expected(install, "dang", ("title",)))
    everything = _ids(client.request("/dangcongsan.rss?limit=200")[2])
    out = _ids(client.request("/dangcongsan.rss?filterout_title=dang&limit=200")[2])
    assert sorted(out) == sorted(set(everything) - set(titles))
    assert len(_ids(client.request("/dangcongsan.rss?limit=3")[2])) == 3
    assert _ids(client.request("/dangcongsan.rss?limit=3")[2]) == everything[:3]

    status, headers, body = client.request("/dangcongsan.rss?format=json&limit=2")
    assert headers["content-type"].startswith("application/feed+json")
    doc = json.loads(body)
    _json_feed_ok(doc, f"http://127.0.0.1:{client.port}/dangcongsan.rss?format=json&limit=2")
    assert len(doc["items"]) == 2
    _, headers, body = client.request("/dangcongsan?format=atom&limit=1")
    assert headers["content-type"].startswith("application/atom+xml")
    assert RNG.validate(etree.fromstring(body))

    _, _, body = client.request("/dangcongsan.json?fulltext=0&limit=5")
    items = json.loads(body)["items"]
    assert items and all("content_html" not in i and i["content_text"] for i in items)
    atom = etree.fromstring(client.request("/dangcongsan.atom?fulltext=0&limit=5")[2])
    assert atom.find(f"{A}entry/{A}content") is None and RNG.validate(atom)

    authors = {n for a in install.storage().recent(limit=1000) for n in a.authors}
    if authors:
        name = sorted(authors)[0]
        by = _ids(client.request("/all.json?filter_author=" + quote(name) + "&limit=200")[2])
        assert by and len(by) < len(_ids(client.request("/all.json?limit=200")[2]))
    cat = _ids(client.request("/all.json?filter_category=thoi-su&limit=200")[2])
    assert sorted(cat) == sorted(_ids(client.request("/dangcongsan-thoi-su.json?limit=200")[2]))
    # a time window: everything in the copy is older than a minute
    assert _ids(client.request("/all.json?filter_time=60")[2]) == []


def test_bad_options_are_a_400_and_regexes_cannot_backtrack(client: Client) -> None:
    for query in ("filter=(", "limit=abc", "limit=0", "format=xml", "fulltext=maybe"):
        status, _, body = client.request(f"/all.rss?{query}")
        assert status == 400, query
    started = time.monotonic()
    evil = quote("(a+)+$") + "&filter_title=" + quote("(x+x+)+y")
    status, _, _ = client.request(f"/all.rss?filter={evil}&limit=200")
    assert status == 200 and time.monotonic() - started < 10


def test_self_link_follows_the_host_and_base_url(served) -> None:
    install, _, _ = served
    config = Config(db_url=install.db_url, feeds_dir=install.feeds_dir, data_dir=install.data_dir,
                    base_url="https://feeds.example.org/pf/")
    server = start_feed_server(config, port=0)
    try:
        client = Client(server)
        _, _, body = client.request("/pf/all.atom", headers={"Host": "feeds.example.org"})
        root = etree.fromstring(body)
        assert root.find(f"{A}link[@rel='self']").get("href") == "https://feeds.example.org/pf/all.atom"
        _, _, body = client.request("/all.atom?limit=2", headers={"Host": "reader.lan:8080"})
        root = etree.fromstring(body)
        assert root.find(f"{A}link[@rel='self']").get("href") == "http://reader.lan:8080/all.atom?limit=2"
        _, _, body = client.request("/all.json", headers={"Host": "reader.lan", "X-Forwarded-Proto": "https"})
        assert json.loads(body)["feed_url"] == "https://reader.lan/all.json"
    finally:
        server.stop()


def test_opml_lists_every_feed_with_this_hosts_urls(served, client: Client) -> None:
    install = served[0]
    status, headers, body = client.request("/feeds.opml")
    assert status == 200 and headers["content-type"].startswith("text/x-opml")
    root = etree.fromstring(body)
    assert root.get("version") == "2.0"
    urls = [o.get("xmlUrl") for o in root.iter("outline") if o.get("xmlUrl")]
    stems = {p.name.rsplit(".", 1)[0] for p in install.feeds_dir.glob("*.atom")}
    assert sorted(urlsplit(u).path[1:-5] for u in urls) == sorted(stems)
    for url in urls:
        assert url.startswith(f"http://127.0.0.1:{client.port}/") and url.endswith(".atom")
        assert client.request(urlsplit(url).path)[0] == 200
    rss = etree.fromstring(client.request("/feeds.opml?format=rss")[2])
    assert all(o.get("xmlUrl").endswith(".rss") for o in rss.iter("outline") if o.get("xmlUrl"))


def test_index_and_health(served, client: Client) -> None:
    _, _, state = served
    status, headers, body = client.request("/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    page = body.decode()
    for stem in FEEDS:
        assert f'href="{stem}.atom"' in page and f'href="{stem}.json"' in page
    assert 'href="feeds.opml"' in page
    status, headers, body = client.request("/healthz")
    assert status == 200 and json.loads(body)["ok"] is True
    state["ok"] = False
    try:
        status, _, body = client.request("/healthz")
        assert status == 503 and json.loads(body) == {"ok": False, "sites": ["dangcongsan"]}
    finally:
        state["ok"] = True


def test_rebuilt_file_is_served_fresh_and_unchanged_file_keeps_its_etag(served, client: Client) -> None:
    install = served[0]
    from feeds.build import build_feeds

    _, before, _ = client.request("/dangcongsan.rss")
    build_feeds(install.storage(), install.feeds_dir)
    _, after, _ = client.request("/dangcongsan.rss")
    assert (after["etag"], after["last-modified"]) == (before["etag"], before["last-modified"])
    path = install.feeds_dir / "dangcongsan.rss"
    original = path.read_bytes()
    try:
        path.write_bytes(original.replace(b"<title>", b"<title>X ", 1))
        status, changed, body = client.request("/dangcongsan.rss", headers={"If-None-Match": before["etag"]})
        assert status == 200 and changed["etag"] != before["etag"] and b"<title>X " in body
    finally:
        path.write_bytes(original)


def test_cli_serve_listens_on_loopback(crawled, tmp_path: Path) -> None:
    import subprocess

    install = crawled[0].copy_to(tmp_path / "cli")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(install.command("serve", "--port", str(port)), cwd=install.root,
                               env=install.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        line = process.stdout.readline()  # printed once the socket listens
        assert f"http://127.0.0.1:{port}/" in line, line + process.stderr.read()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/all.atom")
        response = conn.getresponse()
        assert response.status == 200 and parse(response.read()).entries
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        detail = json.loads(response.read())
        assert response.status in (200, 503) and "dangcongsan" in {s["site"] for s in detail["sites"]}
        conn.close()
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_if_modified_since_in_the_future_is_ignored(client: Client) -> None:
    _, headers, body = client.request("/dangcongsan.atom")
    future = email.utils.formatdate(time.time() + 86400, usegmt=True)
    status, _, again = client.request("/dangcongsan.atom", headers={"If-Modified-Since": future})
    assert (status, again) == (200, body)  # RFC 9110 §13.1.3: not a valid validator
    assert client.request("/dangcongsan.atom", headers={"If-Modified-Since": "yesterday"})[0] == 200
    assert client.request("/dangcongsan.atom",
                          headers={"If-Modified-Since": headers["last-modified"]})[0] == 304


def test_tracking_parameters_neither_change_the_feed_nor_fill_the_cache(served, client: Client) -> None:
    server = served[1]
    _, plain, body = client.request("/all.atom")
    entries = len(server.cache)
    for query in ("utm_source=zalo&utm_medium=social", "fbclid=IwAR0abc", "gclid=1", "_=1712345",
                  "utm_campaign=" + quote("Đảng"), "unknown=1&utm_content=x"):
        status, headers, again = client.request(f"/all.atom?{query}")
        assert status == 200 and headers["etag"] == plain["etag"] and again == body, query
    assert len(server.cache) == entries
    # a real option keeps its place in the self link; the tracking tail is dropped
    _, _, limited = client.request("/all.atom?utm_source=x&limit=2&fbclid=y")
    self_link = etree.fromstring(limited).find(f"{A}link[@rel='self']").get("href")
    assert self_link == f"http://127.0.0.1:{client.port}/all.atom?limit=2"


def test_cached_responses_are_bounded_by_bytes(served, client: Client) -> None:
    cache = served[1].cache
    bodies = []
    for word in ("dang", "hoi", "nghi", "viet", "nam", "tinh", "van", "hoa", "quoc", "phong"):
        for limit in (20, 40, 60):
            status, _, body = client.request(f"/all.json?filter={word}&limit={limit}")
            assert status == 200
            bodies.append(body)
    assert 0 < cache.bytes <= cache.max_bytes
    # the same bodies against a small bound: what is kept stays under it
    reps = [Representation.make(body, "application/feed+json", 0, 0) for body in bodies]
    small = ResponseCache(max_bytes=4 * max(rep.size for rep in reps))
    for number, rep in enumerate(reps):
        small.put(number, rep)
        assert small.bytes <= small.max_bytes
    assert 0 < len(small) < len(reps) and small.get(len(reps) - 1) is reps[-1]
    assert small.get(0) is None  # the least recently used went first
    huge = Representation.make(b"x" * small.max_bytes, "text/plain", 0, 0)
    small.put("huge", huge)  # served, never kept: it would evict everything
    assert small.get("huge") is None and small.bytes <= small.max_bytes


@pytest.mark.parametrize("args, says", [
    (("--port", "{busy}"), "Address already in use"),
    (("--port", "70000"), "a port is a number from 0 to 65535"),
    (("--host", "no-such-host.invalid", "--port", "0"), "not a host name or address of this machine"),
    (("--host", "192.0.2.1", "--port", "0"), "not an address of this machine"),
])
def test_serve_on_a_busy_or_invalid_address_is_one_line_and_exit_2(install: Install, args, says) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = install.run("serve", *(a.replace("{busy}", port) for a in args), timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and says in result.stderr, result.stderr
    assert result.stderr.startswith("partyfeed: cannot serve on ") and "Traceback" not in result.stderr


def test_run_serve_on_a_busy_port_fails_before_the_first_crawl(install: Install, site_copy: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = install.run("run", "dangcongsan", "--mirror", site_copy, "--serve",
                             f"127.0.0.1:{port}", timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Address already in use" in result.stderr and "Traceback" not in result.stderr
    assert "crawl dangcongsan" not in result.stderr + result.stdout
    assert not install.storage().runs("dangcongsan")


def test_demo_on_a_busy_port_fails_before_crawling(install: Install) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = install.run("demo", "--port", str(busy.getsockname()[1]), timeout=60)
    assert result.returncode == 2 and "Address already in use" in result.stderr, result.stderr
    assert "serving the saved copy" not in result.stdout and "Traceback" not in result.stderr
