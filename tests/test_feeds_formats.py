"""JSON Feed, images, OPML, filters and the RFC 4287 schema, on rendered bytes (no server)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree

from crawler.items import Image
from feeds.build import build_feeds, feed_target
from feeds.filters import QueryError, fold, parse_query
from feeds.opml import OpmlFeed, OpmlGroup, rebase_opml, render_opml
from feeds.render import (
    FeedSpec,
    entry_id,
    render_all,
    render_atom,
    render_json,
    render_rss,
    sanitize_html,
    with_self_url,
)

from .test_feeds_render import BASE, SPEC, articles, hoi_nghi, soc_trang

A = "{http://www.w3.org/2005/Atom}"
RNG = etree.RelaxNG(etree.parse(str(Path(__file__).with_name("atom-rfc4287.rng"))))
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
NO_REFERRER = replace(SPEC, referrer_policy="no-referrer")


def test_json_feed_1_1() -> None:
    doc = json.loads(render_json(SPEC, articles()))
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["feed_url"] == BASE + "dangcongsan.json"
    assert doc["home_page_url"] == "https://dangcongsan.vn/" and doc["language"] == "vi"
    by_id = {item["id"]: item for item in doc["items"]}
    assert set(by_id) == {entry_id(a) for a in articles()}
    assert [i["id"] for i in doc["items"]][0].endswith(":578001")  # newest first
    item = by_id["tag:partyfeed,2026:dangcongsan:577383"]
    assert item["url"] == soc_trang().url
    assert item["date_published"] == "2021-03-01T11:50:00+00:00"
    assert item["date_modified"] == "2021-03-01T14:05:00+00:00"
    assert RFC3339.match(item["date_published"])
    assert "<p>Đồng chí Bí thư Thành ủy phát biểu chỉ đạo.</p>" in item["content_html"]
    assert [a["name"] for a in item["authors"]] == ["Thanh Hà", "Minh Anh"]
    assert item["tags"] == ["Xây dựng Đảng", "Sóc Trăng", "dân chủ cơ sở"]
    assert item["image"] == "https://dangcongsan.vn/Uploaded/2021_03_01/hoi-nghi.jpg"
    assert item["attachments"] == [{"url": item["image"], "mime_type": "image/jpeg"}]
    assert render_json(SPEC, list(reversed(articles()))) == render_json(SPEC, articles())
    assert json.loads(render_json(replace(SPEC, base_url=None), []))["items"] == []
    assert "feed_url" not in json.loads(render_json(replace(SPEC, base_url=None), []))


def test_render_all_matches_the_single_renderers() -> None:
    cache: dict = {}
    out = render_all(SPEC, articles(), cache=cache)
    assert out == {"rss": render_rss(SPEC, articles()), "atom": render_atom(SPEC, articles()),
                   "json": render_json(SPEC, articles())}
    assert len(cache) == 3
    assert render_all(SPEC, articles(), cache=cache) == out  # from the cache, same bytes


@pytest.mark.parametrize("spec", [SPEC, replace(SPEC, base_url=None), NO_REFERRER,
                                  replace(SPEC, fulltext=False)])
def test_atom_is_valid_against_the_rfc_4287_schema(spec: FeedSpec) -> None:
    for items in (articles(), []):
        root = etree.fromstring(render_atom(spec, items))
        assert RNG.validate(root), RNG.error_log


def test_images_lazy_src_referrer_policy_figures_and_videos() -> None:
    article = replace(
        hoi_nghi(),
        images=[Image(url="/Uploaded/lead.jpg", caption="Ảnh đầu bài"),
                Image(url="/Uploaded/2.jpg", caption="Chú thích hai")],
        body_html='<p>Mở đầu.</p>'
                  '<p><img src="/Content/blank.gif" data-src="/Uploaded/2.jpg"></p>'
                  '<p>Chữ <img src="/icon.png" alt="biểu tượng"> giữa dòng.</p>'
                  '<iframe src="https://www.youtube.com/embed/abc123"></iframe>'
                  '<iframe src="https://tracker.example/x"></iframe>',
    )
    for fmt, data in render_all(NO_REFERRER, [article]).items():
        if fmt == "json":
            content = json.loads(data)["items"][0]["content_html"]
        else:  # raw, not through feedparser, which rewrites markup
            root = etree.fromstring(data)
            content = (root.findtext(f"{A}entry/{A}content") if fmt == "atom" else
                       root.findtext("channel/item/{http://purl.org/rss/1.0/modules/content/}encoded"))
            raw = data.decode()
            assert "<iframe" not in raw and "&lt;iframe" not in raw and "tracker.example" not in raw
        # the lead photo (not in the body) comes first, as a figure with its caption
        assert content.startswith('<figure><img src="https://dangcongsan.vn/Uploaded/lead.jpg"')
        assert "<figcaption>Ảnh đầu bài</figcaption>" in content
        # the lazy image got its real URL and became a figure with the recorded caption
        assert ('<figure><img src="https://dangcongsan.vn/Uploaded/2.jpg" referrerpolicy="no-referrer">'
                "<figcaption>Chú thích hai</figcaption></figure>") in content
        assert "blank.gif" not in content
        # an inline image stays inline
        assert '<p>Chữ <img src="https://dangcongsan.vn/icon.png" alt="biểu tượng" referrerpolicy="no-referrer"> giữa dòng.</p>' in content
        assert content.count("<img") == content.count('referrerpolicy="no-referrer"') == 3
        assert '<a href="https://www.youtube.com/embed/abc123">▶ Video</a>' in content


def test_atom_enclosure_link_has_its_rel() -> None:
    root = etree.fromstring(render_atom(SPEC, [hoi_nghi()]))
    links = root.findall(f"{A}entry/{A}link")
    assert [(link.get("rel"), link.get("type")) for link in links] == [
        ("alternate", "text/html"), ("enclosure", "image/png")]


def test_hostile_markup_never_survives() -> None:
    html = sanitize_html('<img src="x.jpg" onerror="a()" style="x" data-src="javascript:alert(1)">'
                         '<a href="javascript:alert(1)">a</a><svg><script>b()</script></svg>\x00\x0b',
                         "https://dangcongsan.vn/a.html", referrer_policy="no-referrer")
    for bad in ("onerror", "style", "javascript", "<svg", "<script", "\x00", "\x0b"):
        assert bad not in html
    assert 'src="https://dangcongsan.vn/x.jpg"' in html


def test_self_url_rewrite_keeps_the_rest() -> None:
    spec = replace(SPEC, base_url=None)
    for fmt, data in render_all(spec, articles()).items():
        url = f"http://127.0.0.1:8080/dangcongsan.{fmt}?limit=5"
        rewritten = with_self_url(data, fmt, url)
        assert rewritten == render_all(replace(spec, self_href=url), articles(), (fmt,))[fmt]
        assert with_self_url(rewritten, fmt, url) == rewritten
    atom = render_atom(SPEC, articles())
    moved = with_self_url(atom, "atom", "http://h/x.atom")
    assert moved == render_atom(replace(SPEC, self_href="http://h/x.atom"), articles())


def test_rss_ttl() -> None:
    root = etree.fromstring(render_rss(replace(SPEC, ttl=15), articles()))
    assert root.findtext("channel/ttl") == "15"
    assert etree.fromstring(render_rss(SPEC, articles())).find("channel/ttl") is None


# --- filters -----------------------------------------------------------------------------

def test_fold() -> None:
    assert fold("Đảng Cộng sản Việt Nam") == "Dang Cong san Viet Nam"
    assert fold("đường") == "duong"


@pytest.mark.parametrize(("query", "hits"), [
    ("filter=dang", {"577383", "578001", "577990"}),  # Đảng in the lead, body, title
    ("filter=%C4%90%E1%BA%A3ng", {"577383", "577990"}),
    ("filter=Đảng", {"577383", "577990"}),
    ("filter=%C4%91%E1%BA%A3ng", {"577383", "577990"}),  # lower case
    ("filter=dang&filter_case_sensitive=1", {"578001"}),  # the bare word only
    ("filter=Đảng&filter_case_sensitive=1", {"577383", "577990"}),
    ("filter_title=soc+trang", {"577383"}),
    ("filter_title=s%C3%B3c|khai+m%E1%BA%A1c", {"577383", "578001"}),
    ("filterout_title=soc", {"578001", "577990"}),
    ("filter_author=minh+anh", {"577383"}),
    ("filter_category=thoi-su", {"578001"}),
    ("filter_category=ti%C3%AAu+chi", set()),
    ("filter_description=hoi+nghi&filterout=trung+uong", {"577383"}),
])
def test_filter_matching(query: str, hits: set[str]) -> None:
    base = [replace(soc_trang(), summary=soc_trang().summary + " Đảng bộ."), hoi_nghi(), replace(
        hoi_nghi(), article_id="577990", title="Bảo vệ nền tảng tư tưởng của Đảng",
        summary="", body_text="", category="Tư tưởng", category_slug="tu-tuong-van-hoa")]
    base[1] = replace(base[1], body_text="Đăng tin: Tổng bí thư dang phát biểu.")
    matches = parse_query(query).matcher()
    assert {a.article_id for a in base if matches(a)} == hits


def test_query_options() -> None:
    q = parse_query("limit=100000&format=JSON&fulltext=0&utm_source=x")
    assert (q.limit, q.format, q.fulltext, q.plain) == (200, "json", False, False)
    assert parse_query("format=atom").plain
    assert parse_query("filter=a&filter=b").include == (("filter", "b"),)
    for bad in ("filter=(", "limit=-1", "filter_time=soon", "format=xml", "filter=" + "a" * 400):
        with pytest.raises(QueryError):
            parse_query(bad)


def test_feed_target() -> None:
    assert feed_target("all") == (None, None)
    assert feed_target("dangcongsan") == ("dangcongsan", None)
    assert feed_target("dangcongsan-thoi-su") == ("dangcongsan", "thoi-su")
    assert feed_target("khong-co") is None
    assert feed_target("dangcongsan-") is None


# --- OPML and the build ------------------------------------------------------------------

def test_opml() -> None:
    groups = [OpmlGroup("Báo Đảng", (OpmlFeed("dangcongsan", "Báo Đảng", "https://dangcongsan.vn/"),
                                     OpmlFeed("dangcongsan-thoi-su", "Thời sự", "https://dangcongsan.vn/thoi-su"))),
              OpmlGroup("all", (OpmlFeed("all", "Tất cả", "https://dangcongsan.vn/"),))]
    data = render_opml(groups, "https://feeds.example.org/pf")
    root = etree.fromstring(data)
    urls = [o.get("xmlUrl") for o in root.iter("outline") if o.get("xmlUrl")]
    assert urls == ["https://feeds.example.org/pf/dangcongsan.atom",
                    "https://feeds.example.org/pf/dangcongsan-thoi-su.atom",
                    "https://feeds.example.org/pf/all.atom"]
    assert render_opml(groups, "https://feeds.example.org/pf") == data
    moved = etree.fromstring(rebase_opml(data, "http://127.0.0.1:8080/", "json"))
    assert [o.get("xmlUrl") for o in moved.iter("outline") if o.get("xmlUrl")][0] == \
        "http://127.0.0.1:8080/dangcongsan.json"


def test_build_writes_categories_json_and_opml(crawled, tmp_path: Path) -> None:
    install = crawled[0].copy_to(tmp_path / "build")
    storage = install.storage()
    out = tmp_path / "feeds"
    changed = build_feeds(storage, out, base_url="https://feeds.example.org/")
    names = {p.name for p in out.iterdir()}
    assert {p.name for p in changed} == names
    slugs = storage.category_slugs("dangcongsan")
    for stem in ["all", "dangcongsan", *(f"dangcongsan-{s}" for s in slugs)]:
        for fmt in ("rss", "atom", "json"):
            assert f"{stem}.{fmt}" in names
    assert "feeds.opml" in names
    opml = etree.fromstring((out / "feeds.opml").read_bytes())
    assert len([o for o in opml.iter("outline") if o.get("xmlUrl")]) == len(slugs) + 4  # + site, all, and their changes
    assert build_feeds(storage, out, base_url="https://feeds.example.org/") == []
    # without a public URL there is no correct OPML to write
    build_feeds(storage, out)
    assert not (out / "feeds.opml").exists()
