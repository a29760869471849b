"""Build the local copy of nhandan.vn and the expected extractions from real crawl data.

    python3 tests/sites/nhandan/build_fixtures.py

Deterministic, stdlib only.  Deletes and rewrites site/ and expected/.  What is real
and what is reconstructed is in README.md.  The expected JSON is computed here from the
source texts, never by the extractor.
"""

from __future__ import annotations

import csv
import html
import json
import re
import shutil
import unicodedata
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE, SITE, EXPECTED = HERE / "source", HERE / "site", HERE / "expected"
HOME = "https://nhandan.vn"
VN = timezone(timedelta(hours=7))
PUBLISHER = "Báo Nhân Dân điện tử"
PLACEHOLDER = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"

CATEGORIES = {"chinhtri": "Chính trị", "xahoi": "Xã hội", "giaoduc": "Giáo dục"}

#: RSS item id → (category, tuyengiao row whose first paragraphs stand in for the body)
FROM_RSS = {
    983672: ("chinhtri", 1),
    983667: ("xahoi", 9),
    983661: ("chinhtri", 5),
    983654: ("giaoduc", 10),
    983646: ("xahoi", 4),
    983682: ("xahoi", 6),
}
#: zotero/translators "Nhan Dan.js" test case: title, author, date, section, tags and the
#: start of the abstract are real; the rest of the abstract is reconstructed (README)
ZOTERO = {
    "url": f"{HOME}/xung-dang-la-thanh-bao-kiem-sac-ben-trong-dau-tranh-phong-chong-toi-pham-post980623.html",
    "title": "Xứng đáng là “thanh bảo kiếm sắc bén” trong đấu tranh phòng, chống tội phạm",
    "summary": "Sáng 8/8, tại Nhà hát Hồ Gươm, Hà Nội, Chủ tịch Quốc hội Trần Thanh Mẫn đến dự Lễ kỷ niệm "
               "70 năm Ngày truyền thống lực lượng Cảnh sát hình sự Công an nhân dân.",
    "published": "2026-08-08T10:30:00+07:00", "category_slug": "chinhtri", "section": "Truyền thống vẻ vang",
    "authors": ["VĂN CHÚC"], "tags": ["Bảo vệ Tổ quốc", "Chủ tịch Quốc hội"], "row": 11,
}


def clean(text: str) -> str:
    text = unicodedata.normalize("NFC", html.unescape(text))
    text = re.sub(r"[\u200b\u200c\u200d\u2060\ufeff]", "", text).replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip()


def markdown_paragraphs(body: str, count: int) -> list[str]:
    """The first ``count`` text paragraphs of an html2text body (images and emphasis out)."""
    found = []
    for block in re.split(r"\n\s*\n", body):
        if not block.strip() or block.lstrip().startswith("!["):
            continue
        text = re.sub(r"\\([().\-*_\[\]])", r"\1", block.replace("**", "").replace("_", ""))
        found.append(clean(text))
        if len(found) == count:
            break
    return found


def rss_parts(summary: str) -> tuple[str, str, list[tuple[str, str]]]:
    """Image, sapo and the complete related links of a real RSS description."""
    image = re.search(r'<img src="([^"]+)"', summary).group(1)
    sapo = clean(re.sub(r"<[^>]+>", "", re.search(r"<p[^>]*>(.*?)</p>", summary, re.S).group(1)))
    related = re.findall(r'<li><a href="([^"]+)">(.*?)</a></li>', summary)
    return image, sapo, [(url, clean(title)) for url, title in related]


def vn_date(value: datetime) -> str:
    weekday = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"][value.weekday()]
    return f"{weekday}, ngày {value:%d/%m/%Y} - {value:%H:%M}"


def articles() -> list[dict]:
    items = {int(re.search(r"post(\d+)", i["link"]).group(1)): i
             for i in json.loads((SOURCE / "nhandan_rss_items.json").read_text(encoding="utf-8"))}
    with (SOURCE / "105_tapchituyengiao-11-2020.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    found = []
    for post_id, (category, row) in FROM_RSS.items():
        item = items[post_id]
        image, sapo, related = rss_parts(item["summary"])
        # times of day interpolated by id across 22/8/2026 (README)
        published = datetime(2026, 8, 22, 8, 0, tzinfo=VN) + timedelta(minutes=12 * (post_id - 983636))
        found.append({
            "url": item["link"], "article_id": str(post_id), "title": clean(item["title"]), "summary": sapo,
            "published": published.isoformat(), "category_slug": category, "section": None,
            "authors": [], "tags": [], "image": image, "related": related,
            "paragraphs": markdown_paragraphs(rows[row]["body"], 3), "rss_summary": item["summary"],
        })
    z = ZOTERO
    found.append({
        "url": z["url"], "article_id": "980623", "title": z["title"], "summary": z["summary"],
        "published": z["published"], "category_slug": z["category_slug"], "section": z["section"],
        "authors": z["authors"], "tags": z["tags"], "image": None, "related": [],
        "paragraphs": markdown_paragraphs(rows[z["row"]]["body"], 3), "rss_summary": None,
    })
    return sorted(found, key=lambda a: a["published"], reverse=True)


HEADER = """<header class="header"><a class="logo" href="/"><img src="/assets/logo.svg" alt="Báo Nhân Dân"></a>
<nav class="menu"><ul>{menu}</ul></nav></header>"""
FOOTER = """<footer class="footer"><p>BÁO NHÂN DÂN - CƠ QUAN TRUNG ƯƠNG CỦA ĐẢNG CỘNG SẢN VIỆT NAM</p>
<p>Tổng Biên tập: ... Tòa soạn: 71 Hàng Trống, Hoàn Kiếm, Hà Nội</p></footer>
<script>window.lazyImages = document.querySelectorAll('img.cms-photo[data-src]');</script>"""
AD = ('<div class="sda_middle"><div id="sdaWeb_SdaArticleMiddle" class="sda-slot">Quảng cáo</div>'
      '<script>sdaWeb.render("SdaArticleMiddle");</script></div>')


def menu() -> str:
    return "".join(f'<li><a href="/{slug}">{name}</a></li>' for slug, name in CATEGORIES.items())


def body_html(a: dict) -> str:
    parts = []
    if a["image"]:
        parts.append(f'<table class="picture" align="center"><tbody><tr><td class="pic">'
                     f'<img class="cms-photo" src="{PLACEHOLDER}" data-src="{a["image"]}" alt=""></td></tr>'
                     f'</tbody></table>')
    for i, paragraph in enumerate(a["paragraphs"]):
        parts.append(f'<p style="text-align: justify;">{html.escape(paragraph)}</p>')
        if i == 0:
            parts.append(AD)
        if i == 1 and a["related"]:
            links = "".join(f'<li><a href="{u}">{html.escape(t)}</a></li>' for u, t in a["related"])
            parts.append(f'<div style="clear: both;"><ul>{links}</ul></div>')
    return ('<div class="article__body zce-content-body cms-body" itemprop="articleBody">\n'
            + "\n".join(parts) + "\n</div>")


def article_page(a: dict, popular: list[dict]) -> str:
    name = CATEGORIES[a["category_slug"]]
    section = f"{name},{a['section']}" if a["section"] else name
    crumbs = f'<a class="text" href="{HOME}/{a["category_slug"]}/">{name}</a>'
    if a["section"]:
        crumbs += f' <span class="sep">/</span> <a class="text" href="{HOME}/chu-de/truyen-thong-ve-vang-700001.html">{a["section"]}</a>'
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": a["title"],
          "datePublished": a["published"], "description": a["summary"],
          "author": {"@type": "Person", "name": a["authors"][0] if a["authors"] else PUBLISHER}}
    author = (f'<div class="article__author-source"><p class="name">{a["authors"][0]}</p></div>'
              if a["authors"] else "")
    tags = ("<div class=\"article__tag\"><span>Từ khóa</span>" + "".join(
        f'<a href="{HOME}/tag/{t.lower().replace(" ", "-")}">{html.escape(t)}</a>' for t in a["tags"]) + "</div>"
            if a["tags"] else "")
    when = datetime.fromisoformat(a["published"])
    hot = "".join(f'<li><a href="{p["url"]}">{html.escape(p["title"])}</a></li>' for p in popular)
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<title>{html.escape(a["title"])} | {PUBLISHER}</title>
<meta name="description" content="{html.escape(a["summary"])}">
<meta name="author" content="{PUBLISHER}">
<meta property="og:title" content="{html.escape(a["title"])}">
<meta property="og:description" content="{html.escape(a["summary"])}">
<meta property="og:image" content="{a["image"] or HOME + "/assets/share-default.png"}">
<meta property="og:url" content="{a["url"]}">
<meta property="article:published_time" content="{a["published"]}">
<meta property="article:section" content="{section}">
<link rel="canonical" href="{a["url"]}">
<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>
</head><body>
{HEADER.format(menu=menu())}
<div class="main-content article">
<div class="breadcrumbs">{crumbs}</div>
<h1 class="article__title cms-title">{html.escape(a["title"])}</h1>
<div class="article__meta"><time class="time" datetime="{when.strftime("%Y-%m-%dT%H:%M:%S%z")}">{vn_date(when)}</time>
<div class="article__social"><a href="#" class="share">Chia sẻ</a></div></div>
<div class="article__sapo cms-desc"><p>{html.escape(a["summary"])}</p></div>
{body_html(a)}
{author}
{tags}
</div>
<aside class="sidebar"><h3>Đọc nhiều</h3><ul>{hot}</ul></aside>
{FOOTER}
</body></html>
"""


def listing_page(title: str, items: list[dict], extra: str = "") -> str:
    stories = "".join(
        f'<article class="story"><h3 class="story__heading"><a class="cms-link" '
        f'href="/{a["url"].split("/", 3)[3]}" title="{html.escape(a["title"])}">{html.escape(a["title"])}</a></h3>'
        f'<div class="story__summary">{html.escape(a["summary"])}</div></article>' for a in items)
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>{html.escape(title)} | {PUBLISHER}</title></head>
<body>{HEADER.format(menu=menu())}
<div class="main-content"><h2 class="cate-title">{html.escape(title)}</h2>
<div class="timeline content-list">{stories}</div>
{extra}</div>{FOOTER}</body></html>
"""


def rss(items: list[dict]) -> str:
    def description(a: dict) -> str:
        image, _, _ = rss_parts(a["rss_summary"])
        related = "".join(f'<li><a href="{u}">{html.escape(t)}</a></li>' for u, t in a["related"])
        text = f'<a href="{a["url"]}"><img src="{image}" /></a><p>{html.escape(a["summary"])}</p>'
        return text + (f'<div style="clear: both;"><ul>{related}</ul></div>' if related else "")

    entries = "".join(
        f"<item><title>{html.escape(a['title'])}</title><link>{a['url']}</link>"
        f"<description><![CDATA[{description(a)}]]></description>"
        f"<pubDate>{format_datetime(datetime.fromisoformat(a['published']))}</pubDate>"
        f"<guid isPermaLink=\"true\">{a['url']}</guid></item>\n" for a in items)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Báo Nhân Dân - Trang chủ</title><link>https://nhandan.vn/</link>
<description>Báo Nhân Dân điện tử</description>
{entries}</channel></rss>
"""


def write(path: str, text: str) -> None:
    target = SITE / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def expected(a: dict, chrome: list[str]) -> dict:
    text = " ".join([a["title"], a["summary"], *a["paragraphs"]])
    return {
        "url": a["url"], "site": "nhandan", "article_id": a["article_id"], "title": a["title"],
        "published": a["published"], "updated": None, "summary": a["summary"], "source": None,
        "authors": a["authors"], "category": CATEGORIES[a["category_slug"]],
        "category_slug": a["category_slug"], "tags": a["tags"],
        "images": [{"url": a["image"], "caption": None}] if a["image"] else [],
        "body_text": "\n\n".join(a["paragraphs"]),
        "chrome": [c for c in chrome if c not in text],
    }


def main() -> None:
    shutil.rmtree(SITE, ignore_errors=True)
    shutil.rmtree(EXPECTED, ignore_errors=True)
    EXPECTED.mkdir()
    found = articles()
    for i, a in enumerate(found):
        popular = [found[(i + k) % len(found)] for k in (1, 2, 3)]
        write(a["url"].split("/", 3)[3], article_page(a, popular))
        chrome = ["Quảng cáo", "sdaWeb", "Chia sẻ", "Đọc nhiều", "Từ khóa", PUBLISHER, "lazyImages",
                  "CƠ QUAN TRUNG ƯƠNG CỦA ĐẢNG", *(t for _, t in a["related"]), *(p["title"] for p in popular)]
        (EXPECTED / f"{a['article_id']}.json").write_text(
            json.dumps(expected(a, chrome), ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    in_feed = [a for a in found if a["rss_summary"]]
    # the home page: the four newest; beside them a topic page, a product page and another site's story
    extra = ('<div class="box-links"><a href="/chu-de/giai-vo-dich-bong-da-dong-nam-a-asean-cup-2026-705029.html">'
             'ASEAN Cup 2026</a> <a href="/ocop/ca-phe-pha-phin-dehavi-valley-prod545.html">OCOP</a> '
             '<a href="https://www.qdnd.vn/chinh-tri/tin-tuc/thuong-tuong-trinh-van-quyet-chu-tri-hoi-nghi-bao-cao-'
             'phuong-an-sap-nhap-bao-hiem-xa-hoi-bo-quoc-phong-va-cuc-chinh-sach-884012">Báo Quân đội nhân dân</a></div>')
    home = [a for a in found if a["category_slug"] != "giaoduc"][:4]
    write("index.html", listing_page("Trang chủ", home, extra))
    listings = {"/": [a["url"] for a in home]}
    for slug in ("chinhtri", "xahoi"):
        items = [a for a in found if a["category_slug"] == slug]
        write(f"{slug}/index.html", listing_page(CATEGORIES[slug], items))
        listings[f"/{slug}"] = [a["url"] for a in items]
    write("rss/home.rss", rss(in_feed))
    listings["/rss/home.rss"] = [a["url"] for a in in_feed]
    listings["all_articles"] = [a["url"] for a in found]
    (EXPECTED / "listings.json").write_text(json.dumps(listings, ensure_ascii=False, indent=2) + "\n",
                                            encoding="utf-8")


if __name__ == "__main__":
    main()
