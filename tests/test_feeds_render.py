"""Feed rendering: valid, deterministic, sanitised RSS 2.0 and Atom 1.0.

Sanitisation is checked on the raw XML with lxml, not through feedparser — feedparser
sanitises HTML itself and would hide a script that the feed file actually carries.
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from crawler.items import Article, Image
from feeds.atomic import write_atomic
from feeds.render import EMPTY_FEED_TIME, FeedSpec, entry_id, render_atom, render_rss

UTC = timezone.utc
A = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC = "{http://purl.org/dc/elements/1.1/}"

BASE = "https://feeds.example.org/partyfeed/"
SPEC = FeedSpec(
    key="dangcongsan",
    title="Báo điện tử Đảng Cộng sản Việt Nam (dangcongsan.vn)",
    link="https://dangcongsan.vn/",
    description="Toàn văn tin bài của Báo điện tử Đảng Cộng sản Việt Nam",
    base_url=BASE,
)
RENDERERS = {"rss": render_rss, "atom": render_atom}


def soc_trang() -> Article:
    return Article(
        url="https://dangcongsan.vn/xay-dung-dang/thanh-uy-soc-trang-thuc-hien-tot-quy-che-dan-chu-co-so-577383.html",
        site="dangcongsan",
        title="Thành ủy Sóc Trăng thực hiện tốt Quy chế dân chủ cơ sở",
        published=datetime(2021, 3, 1, 11, 50, tzinfo=UTC),
        updated=datetime(2021, 3, 1, 14, 5, tzinfo=UTC),
        summary="(ĐCSVN) - Thành ủy Sóc Trăng đã lãnh đạo thực hiện tốt Quy chế dân chủ ở cơ sở, "
                "phát huy quyền làm chủ của nhân dân & củng cố khối đại đoàn kết.",
        authors=["Thanh Hà", "Minh Anh"],
        category="Xây dựng Đảng",
        category_slug="xay-dung-dang",
        tags=["Sóc Trăng", "dân chủ cơ sở"],
        images=[Image(url="https://dangcongsan.vn/Uploaded/2021_03_01/hoi-nghi.jpg",
                      caption="Quang cảnh hội nghị")],
        body_html='<p>Sáng 1/3, Thành ủy Sóc Trăng tổ chức hội nghị sơ kết.</p>'
                  '<figure><img src="https://dangcongsan.vn/Uploaded/2021_03_01/hoi-nghi.jpg" alt="Hội nghị">'
                  '<figcaption>Quang cảnh hội nghị</figcaption></figure>'
                  '<p>Đồng chí Bí thư Thành ủy phát biểu chỉ đạo.</p>',
        body_text="Sáng 1/3, Thành ủy Sóc Trăng tổ chức hội nghị sơ kết.\n"
                  "Đồng chí Bí thư Thành ủy phát biểu chỉ đạo.",
        article_id="577383",
    )


def hoi_nghi() -> Article:
    return Article(
        url="https://dangcongsan.vn/thoi-su/hoi-nghi-trung-uong-lan-thu-hai-578001.html",
        site="dangcongsan",
        title="Khai mạc Hội nghị Trung ương lần thứ hai",
        published=datetime(2021, 3, 2, 1, 30, tzinfo=UTC),
        summary="Sáng nay, Hội nghị Trung ương lần thứ hai khóa XIII khai mạc tại Hà Nội.",
        category="Thời sự",
        category_slug="thoi-su",
        images=[Image(url="/Uploaded/2021_03_02/khai mac.png")],
        body_html="<p>Tổng Bí thư phát biểu khai mạc Hội nghị.</p>",
        body_text="Tổng Bí thư phát biểu khai mạc Hội nghị.",
        article_id="578001",
    )


def tu_tuong() -> Article:
    """No authors, no image, no summary: the feed must still be complete."""
    return Article(
        url="https://dangcongsan.vn/tu-tuong-van-hoa/bao-ve-nen-tang-tu-tuong-577990.html",
        site="dangcongsan",
        title="Bảo vệ nền tảng tư tưởng của Đảng",
        published=datetime(2021, 3, 1, 20, 0, tzinfo=UTC),
        category="Tư tưởng - Văn hóa",
        body_html="<p>Bảo vệ nền tảng tư tưởng của Đảng là nhiệm vụ thường xuyên.</p>",
        body_text="Bảo vệ nền tảng tư tưởng của Đảng là nhiệm vụ thường xuyên.",
        article_id="577990",
    )


def articles() -> list[Article]:
    return [soc_trang(), hoi_nghi(), tu_tuong()]


def parse(data: bytes) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def xml(data: bytes) -> etree._Element:
    return etree.fromstring(data)


# --- feedparser round trip -------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_feed_round_trips_through_feedparser(fmt: str) -> None:
    parsed = parse(RENDERERS[fmt](SPEC, articles()))
    assert parsed.version == {"rss": "rss20", "atom": "atom10"}[fmt]
    assert parsed.feed.title == SPEC.title
    assert parsed.feed.link == SPEC.link
    assert parsed.feed.updated_parsed[:6] == (2021, 3, 2, 1, 30, 0)

    by_id = {e.id: e for e in parsed.entries}
    assert set(by_id) == {entry_id(a) for a in articles()}
    e = by_id["tag:partyfeed,2026:dangcongsan:577383"]
    assert e.title == "Thành ủy Sóc Trăng thực hiện tốt Quy chế dân chủ cơ sở"
    assert e.link == soc_trang().url
    assert e.published_parsed[:6] == (2021, 3, 1, 11, 50, 0)
    assert [a.name for a in e.authors] == ["Thanh Hà", "Minh Anh"]
    assert e.summary.startswith("(ĐCSVN) - Thành ủy Sóc Trăng")
    assert "&" in e.summary
    assert e.content[0].type == "text/html"
    assert "<p>Đồng chí Bí thư Thành ủy phát biểu chỉ đạo.</p>" in e.content[0].value
    assert [t.term for t in e.tags][1:] == ["Sóc Trăng", "dân chủ cơ sở"]
    assert e.enclosures[0].href == "https://dangcongsan.vn/Uploaded/2021_03_01/hoi-nghi.jpg"
    assert e.enclosures[0].type == "image/jpeg"

    if fmt == "atom":
        assert e.updated_parsed[:6] == (2021, 3, 1, 14, 5, 0)
        assert (e.tags[0].term, e.tags[0].label) == ("xay-dung-dang", "Xây dựng Đảng")
    else:
        assert e.tags[0].term == "Xây dựng Đảng"
        assert e.enclosures[0].length == "0"

    # a relative image URL is resolved against the article, spaces encoded; type from extension
    h = by_id["tag:partyfeed,2026:dangcongsan:578001"]
    assert h.enclosures[0].href == "https://dangcongsan.vn/Uploaded/2021_03_02/khai%20mac.png"
    assert h.enclosures[0].type == "image/png"
    if fmt == "atom":  # updated falls back to published
        assert h.updated_parsed[:6] == (2021, 3, 2, 1, 30, 0)


def test_dates_are_utc_whatever_the_input_offset() -> None:
    ict = timezone(timedelta(hours=7))
    article = replace(soc_trang(), published=datetime(2021, 3, 1, 18, 50, tzinfo=ict), updated=None)
    for fmt, render in RENDERERS.items():
        data = render(SPEC, [article])
        e = parse(data).entries[0]
        assert e.published_parsed[:6] == (2021, 3, 1, 11, 50, 0), fmt
        text = data.decode()
        assert ("Mon, 01 Mar 2021 11:50:00 +0000" in text) if fmt == "rss" else \
            ("2021-03-01T11:50:00+00:00" in text)


def test_vietnamese_stays_utf8_characters() -> None:
    for render in RENDERERS.values():
        data = render(SPEC, articles())
        assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
        assert "Thành ủy Sóc Trăng thực hiện tốt Quy chế dân chủ cơ sở".encode() in data
        assert b"&#" not in data


# --- structure ---------------------------------------------------------------------------

def test_atom_structure() -> None:
    root = xml(render_atom(SPEC, articles()))
    assert root.tag == f"{A}feed"
    for name in ("id", "title", "updated"):
        assert root.findtext(f"{A}{name}")
    assert root.findtext(f"{A}author/{A}name")  # covers entries without authors
    feed_links = {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}
    assert feed_links == {"self": BASE + "dangcongsan.atom", "alternate": SPEC.link}
    assert root.findtext(f"{A}generator") == "partyfeed"

    entries = root.findall(f"{A}entry")
    assert len(entries) == 3
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert entry.findtext(f"{A}{name}"), name
        links = entry.findall(f"{A}link")
        alternates = [link for link in links if link.get("rel") == "alternate"]
        assert len(alternates) == 1
        assert alternates[0].get("type") == "text/html"
        assert all(link.get("rel") in ("alternate", "enclosure") for link in links)
        assert entry.find(f"{A}content").get("type") == "html"

    first = next(e for e in entries if e.findtext(f"{A}id").endswith(":577383"))
    enclosure = first.find(f"{A}link[@rel='enclosure']")
    assert enclosure is not None
    assert enclosure.get("href") == "https://dangcongsan.vn/Uploaded/2021_03_01/hoi-nghi.jpg"
    assert enclosure.get("type") == "image/jpeg"
    category = first.find(f"{A}category")
    assert (category.get("term"), category.get("label")) == ("xay-dung-dang", "Xây dựng Đảng")
    assert first.findtext(f"{A}published") == "2021-03-01T11:50:00+00:00"
    assert first.findtext(f"{A}updated") == "2021-03-01T14:05:00+00:00"
    no_image = next(e for e in entries if e.findtext(f"{A}id").endswith(":577990"))
    assert no_image.find(f"{A}link[@rel='enclosure']") is None


def test_rss_structure() -> None:
    root = xml(render_rss(SPEC, articles()))
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext("title") == SPEC.title
    # feedgen makes the last-added link the channel link; it must be the site, not the feed
    assert channel.findtext("link") == SPEC.link
    assert channel.findtext("description") == SPEC.description
    self_link = channel.find(f"{A}link")
    assert (self_link.get("rel"), self_link.get("href")) == ("self", BASE + "dangcongsan.rss")
    assert channel.findtext("lastBuildDate") == "Tue, 02 Mar 2021 01:30:00 +0000"
    assert channel.findtext("generator") == "partyfeed"

    items = channel.findall("item")
    assert len(items) == 3
    for item in items:
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "false"
        assert guid.text.startswith("tag:partyfeed,2026:dangcongsan:")
        assert item.findtext("title") and item.findtext("link") and item.findtext("pubDate")
        assert item.findtext("description")
        assert item.findtext(CONTENT)
        assert item.find("author") is None  # RSS <author> must be an e-mail address
    first = next(i for i in items if i.findtext("guid").endswith(":577383"))
    enclosure = first.find("enclosure")
    assert enclosure.attrib == {"url": "https://dangcongsan.vn/Uploaded/2021_03_01/hoi-nghi.jpg",
                                "length": "0", "type": "image/jpeg"}
    assert [c.text for c in first.findall(f"{DC}creator")] == ["Thanh Hà", "Minh Anh"]
    assert first.findtext("pubDate") == "Mon, 01 Mar 2021 11:50:00 +0000"
    assert first.findtext("category") == "Xây dựng Đảng"


def test_no_base_url_means_no_self_link() -> None:
    spec = replace(SPEC, base_url=None)
    atom = xml(render_atom(spec, articles()))
    assert [link.get("rel") for link in atom.findall(f"{A}link")] == ["alternate"]
    rss = xml(render_rss(spec, articles()))
    assert rss.find(f"channel/{A}link") is None
    assert rss.findtext("channel/link") == SPEC.link
    parse(render_atom(spec, articles()))
    parse(render_rss(spec, articles()))


# --- determinism and order ------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_bytes_are_a_pure_function_of_the_input(fmt: str) -> None:
    render = RENDERERS[fmt]
    first = render(SPEC, articles())
    time.sleep(1.1)  # a clock leaking into the output would show up now
    assert render(SPEC, articles()) == first
    assert render(SPEC, list(reversed(articles()))) == first
    assert b"2026" not in first.replace(b"tag:partyfeed,2026:", b"")
    assert b"python-feedgen" not in first


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_newest_first_ties_by_id(fmt: str) -> None:
    same_time = replace(tu_tuong(), article_id="577000", url="https://dangcongsan.vn/a-577000.html",
                        published=hoi_nghi().published)
    entries = parse(RENDERERS[fmt](SPEC, [soc_trang(), same_time, tu_tuong(), hoi_nghi()])).entries
    assert [e.id.rsplit(":", 1)[1] for e in entries] == ["577000", "578001", "577990", "577383"]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_duplicate_ids_are_rendered_once(fmt: str) -> None:
    older = replace(soc_trang(), title="Bản cũ", published=datetime(2021, 2, 1, tzinfo=UTC), updated=None)
    entries = parse(RENDERERS[fmt](SPEC, [older, soc_trang()])).entries
    assert [e.title for e in entries] == [soc_trang().title]


# --- ids ----------------------------------------------------------------------------------------

def test_entry_id_comes_from_site_and_article_id() -> None:
    base = soc_trang()
    assert entry_id(base) == "tag:partyfeed,2026:dangcongsan:577383"
    changed = replace(base, title="Thành ủy Sóc Trăng: sơ kết Quy chế dân chủ cơ sở (cập nhật)",
                      url="http://DANGCONGSAN.vn/xay-dung-dang/slug-moi-hoan-toan-577383.html?utm=rss#top")
    assert entry_id(changed) == entry_id(base)
    other_site = replace(base, site="nhandan")
    assert entry_id(other_site) != entry_id(base)
    ids = [entry_id(a) for a in articles()]
    assert len(set(ids)) == len(ids)


def test_entry_id_without_article_id_uses_canonical_url() -> None:
    base = replace(soc_trang(), article_id=None)
    expected = ("tag:partyfeed,2026:dangcongsan:url:dangcongsan.vn/xay-dung-dang/"
                "thanh-uy-soc-trang-thuc-hien-tot-quy-che-dan-chu-co-so-577383.html")
    assert entry_id(base) == expected
    for url in ("http://dangcongsan.vn/xay-dung-dang/thanh-uy-soc-trang-thuc-hien-tot-quy-che-dan-chu-co-so-577383.html",
                "https://DangCongSan.VN/xay-dung-dang/thanh-uy-soc-trang-thuc-hien-tot-quy-che-dan-chu-co-so-577383.html?x=1#c",
                "https://www.dangcongsan.vn/xay-dung-dang/thanh-uy-soc-trang-thuc-hien-tot-quy-che-dan-chu-co-so-577383.html"):
        assert entry_id(replace(base, url=url, title="Tiêu đề khác")) == expected
    # non-ASCII paths end up percent-encoded the same way whatever the input form
    raw = replace(base, url="https://dangcongsan.vn/tin/Đảng.html")
    encoded = replace(base, url="https://dangcongsan.vn/tin/%C4%90%E1%BA%A3ng.html")
    assert entry_id(raw) == entry_id(encoded)
    assert entry_id(raw).isascii()


# --- hostile input ------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_xml_illegal_characters_are_removed(fmt: str) -> None:
    dirty = replace(
        soc_trang(),
        title="Thành ủy Sóc Trăng\x0b thực hiện tốt\x00 Quy chế dân chủ cơ sở",
        summary="Tóm tắt\x0c có ký tự\x1f lạ",
        authors=["Thanh\x00 Hà"],
        category="Xây dựng\x0b Đảng",
        body_html="<p>Nội dung\x00 bài\x0b viết</p>",
    )
    data = RENDERERS[fmt](SPEC, [dirty])
    for char in (b"\x00", b"\x0b", b"\x0c", b"\x1f"):
        assert char not in data
    e = parse(data).entries[0]
    assert e.title == "Thành ủy Sóc Trăng thực hiện tốt Quy chế dân chủ cơ sở"
    assert e.author == "Thanh Hà"
    assert "Nội dung bài viết" in e.content[0].value


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_content_is_sanitised(fmt: str) -> None:
    hostile = replace(
        soc_trang(),
        body_html='<p onclick="steal()" style="color:red">Sáng 1/3, '
                  '<a href="javascript:alert(1)">Thành ủy</a> và '
                  '<a href="/xay-dung-dang/bai-lien-quan-577000.html" onmouseover="x()">bài liên quan</a>.</p>'
                  '<script>alert("xss")</script><style>p{}</style>'
                  '<iframe src="https://evil.example/"></iframe>'
                  '<img src="data:image/png;base64,AAAA" onerror="steal()">'
                  '<figure><img src="/Uploaded/anh.jpg" alt="Ảnh"><figcaption>Chú thích</figcaption></figure>',
    )
    root = xml(RENDERERS[fmt](SPEC, [hostile]))
    content = (root.findtext(f"{A}entry/{A}content") if fmt == "atom"
               else root.findtext(f"channel/item/{CONTENT}"))
    lowered = content.lower()
    for bad in ("<script", "alert", "onclick", "onmouseover", "onerror", "javascript:", "style",
                "<iframe", "evil.example", "data:"):
        assert bad not in lowered, bad
    assert '<a href="https://dangcongsan.vn/xay-dung-dang/bai-lien-quan-577000.html">bài liên quan</a>' in content
    assert "<img>" not in content  # the data: image lost its src, so the tag went too
    assert '<img src="https://dangcongsan.vn/Uploaded/anh.jpg" alt="Ảnh">' in content
    assert "<figcaption>Chú thích</figcaption>" in content
    parse(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def test_missing_fields_still_give_valid_entries() -> None:
    bare = Article(url="https://dangcongsan.vn/tin-tuc/tin-ngan.html", site="dangcongsan",
                   body_text="Chỉ có văn bản.\nĐoạn thứ hai.")
    for fmt, render in RENDERERS.items():
        data = render(SPEC, [bare])
        e = parse(data).entries[0]
        assert e.id == "tag:partyfeed,2026:dangcongsan:url:dangcongsan.vn/tin-tuc/tin-ngan.html"
        assert e.title  # never empty: Atom requires it
        assert "<p>Chỉ có văn bản.</p><p>Đoạn thứ hai.</p>" in e.content[0].value, fmt


# --- empty feed ---------------------------------------------------------------------------------

def test_empty_feed_is_valid() -> None:
    spec = FeedSpec(key="all", title="partyfeed — tin tức Đảng và Nhà nước",
                    link="https://dangcongsan.vn/", description="Toàn văn tin bài", base_url=BASE)
    atom = render_atom(spec, [])
    rss = render_rss(spec, [])
    assert parse(atom).entries == [] and parse(rss).entries == []
    root = xml(atom)
    assert root.findtext(f"{A}updated") == EMPTY_FEED_TIME.isoformat()
    assert root.findtext(f"{A}id") == "tag:partyfeed,2026:feed:all"
    assert root.findtext(f"{A}author/{A}name")
    assert xml(rss).findtext("channel/description") == "Toàn văn tin bài"
    assert render_atom(spec, []) == atom and render_rss(spec, []) == rss


# --- write_atomic -------------------------------------------------------------------------------

def test_write_atomic(tmp_path: Path) -> None:
    path = tmp_path / "dangcongsan.atom"
    data = render_atom(SPEC, articles())
    assert write_atomic(path, data) is True
    assert path.read_bytes() == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # a web server must be able to read it

    past = time.time() - 3600
    os.utime(path, (past, past))
    before = path.stat()
    assert write_atomic(path, render_atom(SPEC, articles())) is False
    after = path.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)

    newer = render_atom(SPEC, [*articles(), replace(soc_trang(), article_id="600000",
                                                     published=datetime(2021, 3, 5, tzinfo=UTC))])
    assert write_atomic(path, newer) is True
    assert path.read_bytes() == newer
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangcongsan.atom"]


def test_write_atomic_keeps_existing_mode_and_cleans_up_on_failure(tmp_path: Path) -> None:
    path = tmp_path / "all.rss"
    path.write_bytes(b"old")
    path.chmod(0o640)
    assert write_atomic(path, b"new") is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o640

    with pytest.raises(TypeError):
        write_atomic(path, "not bytes")  # type: ignore[arg-type]
    assert path.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.rss"]


def test_atom_updated_values_are_distinct() -> None:
    """Sites stamp to the minute; the validator warns on two equal atom:updated."""
    same_minute = [replace(hoi_nghi(), article_id=str(578001 + i),
                           url=f"https://dangcongsan.vn/thoi-su/tin-{578001 + i}.html") for i in range(3)]
    root = xml(render_atom(SPEC, [*same_minute, soc_trang()]))
    updated = [e.findtext(f"{A}updated") for e in root.findall(f"{A}entry")]
    assert len(set(updated)) == len(updated)
    # the oldest keeps its real time, later ones move forward by seconds, never back
    assert sorted(updated[:3]) == ["2021-03-02T01:30:00+00:00", "2021-03-02T01:30:01+00:00",
                                   "2021-03-02T01:30:02+00:00"]
    assert root.findtext(f"{A}updated") == max(updated)
    # published and the RSS pubDate stay exact
    assert {e.findtext(f"{A}published") for e in root.findall(f"{A}entry")[:3]} == \
        {"2021-03-02T01:30:00+00:00"}
    rss = xml(render_rss(SPEC, same_minute))
    assert {i.findtext("pubDate") for i in rss.iter("item")} == {"Tue, 02 Mar 2021 01:30:00 +0000"}


def test_text_fields_are_plain_text() -> None:
    article = replace(soc_trang(), title="Thành ủy <b>Sóc Trăng</b>",
                      summary="Giá <i>xăng</i> < 20.000 đồng & ổn định")
    atom = parse(render_atom(SPEC, [article])).entries[0]
    assert atom.title == "Thành ủy Sóc Trăng"
    assert atom.summary == "Giá xăng < 20.000 đồng & ổn định"
    # RSS description is HTML, so the plain text is escaped once more and reads the same
    rss = xml(render_rss(SPEC, [article]))
    assert rss.findtext("channel/item/description") == "Giá xăng &lt; 20.000 đồng &amp; ổn định"
