"""Build the local copy of qdnd.vn and the expected extractions from real crawl data.

    python3 tests/sites/qdnd/build_fixtures.py

Deterministic, stdlib only.  Deletes and rewrites site/ and expected/.  What is real
and what is reconstructed is in README.md.  The expected JSON is computed here from the
source HTML and text by this script's own small rules, never by the extractor.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import unicodedata
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
SOURCE, SITE, EXPECTED = HERE / "source", HERE / "site", HERE / "expected"
HOME = "https://www.qdnd.vn"
VN = timezone(timedelta(hours=7))

CATEGORIES = {
    "chinh-tri": "Chính trị", "quoc-phong-an-ninh": "Quốc phòng - An ninh", "kinh-te": "Kinh tế",
    "xa-hoi": "Xã hội", "quoc-te": "Quốc tế", "van-hoa": "Văn hóa", "the-thao": "Thể thao",
    "phap-luat": "Pháp luật", "cuoi-tuan": "Cuối tuần",
}
SUBCATEGORIES = {"tin-tuc": "Tin tức", "xay-dung-quan-doi": "Xây dựng quân đội",
                 "nghe-thuat-quan-su-vn": "Nghệ thuật quân sự Việt Nam", "van-hoa-van-nghe": "Văn hóa - Văn nghệ"}

#: articles.json index → (path under the site, invented id, publish time); ids rise with time
FROM_ARTICLES = [
    (20, "quoc-phong-an-ninh/tin-tuc", 884005, "2025-01-15T11:20"),
    (54, "chinh-tri/tin-tuc", 884012, "2025-01-15T17:45"),
    (26, "van-hoa/van-hoa-van-nghe", 884031, "2025-01-15T22:10"),
    (10, "quoc-phong-an-ninh/xay-dung-quan-doi", 884077, "2025-01-16T07:30"),
    (0, "quoc-phong-an-ninh/tin-tuc", 884098, "2025-01-16T10:25"),
    (6, "quoc-phong-an-ninh/xay-dung-quan-doi", 884103, "2025-01-16T11:05"),
    (2, "chinh-tri/tin-tuc", 884120, "2025-01-16T15:40"),
]
#: the one article with its real URL, date and byline (lantuan2205/crawler_news)
REAL_URL_ARTICLE = "crawl_result.json"

PROMO = re.compile(r"^\*\s*Mời\s+bạn đọc")
ROLE = re.compile(r"^(?:Tin, ảnh|Bài, ảnh|Bài và ảnh|Tin|Bài|Ảnh)\s*:\s*")


def clean(text: str) -> str:
    text = unicodedata.normalize("NFC", html.unescape(text))
    text = re.sub(r"[\u200b\u200c\u200d\u2060\ufeff]", "", text).replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip()


def strip_tags(fragment: str) -> str:
    """Text as read: inline tags run on (``<a>x</a>;`` is ``x;``), a line break is a space."""
    return clean(re.sub(r"<[^>]+>", "", re.sub(r"<br\s*/?>", " ", fragment)))


def slugify(title: str) -> str:
    text = unicodedata.normalize("NFD", title.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn").lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def image_url(src: str) -> str:
    """The expected form: absolute, resize parameters dropped, spaces percent-encoded."""
    parts = urlsplit(html.unescape(src))
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("dpi", "quality", "w")]
    return urlunsplit((parts.scheme, parts.netloc, quote(parts.path, safe="/%"), urlencode(query), ""))


def read_body(fragment: str) -> tuple[list[str], list[dict], str | None]:
    """Paragraphs, images and byline of a real articleBody, by qdnd's flat structure.

    The body is a flat run of ``<p>`` and image ``<table>`` blocks; the last paragraph is
    the promo, the one before it the byline.
    """
    paragraphs: list[str] = []
    images: list[dict] = []
    for match in re.finditer(r"<table.*?</table>|<p[^>]*>.*?</p>", fragment, re.S):
        block = match.group(0)
        if block.startswith("<table"):
            src = re.search(r'<img[^>]*src="([^"]+)"', block).group(1)
            rows = re.findall(r"<tr>(.*?)</tr>", block, re.S)
            caption = " ".join(strip_tags(r) for r in rows if "<img" not in r).strip() or None
            images.append({"url": image_url(src), "caption": caption})
        elif strip_tags(block):
            paragraphs.append(strip_tags(block))
    assert PROMO.match(paragraphs[-1]), paragraphs[-1]
    *paragraphs, byline, _promo = paragraphs
    return paragraphs, images, byline


def authors_of(byline: str | None) -> list[str]:
    return [ROLE.sub("", byline).strip()] if byline else []


def vn_date(value: datetime) -> str:
    weekday = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"][value.weekday()]
    return f"{weekday}, {value:%d/%m/%Y}, {value:%H:%M} (GMT+7)"


def truncated(title: str, limit: int = 60) -> str:
    return title if len(title) <= limit else title[:limit].rsplit(" ", 1)[0] + "..."


HEADER = """<div class="header"><a class="logo" href="/"><img src="/img/logo-qdnd.png" alt="Báo Quân đội nhân dân"></a>
<ul class="main-menu">{menu}</ul></div>"""
FOOTER = """<div class="footer"><p>BÁO QUÂN ĐỘI NHÂN DÂN - CƠ QUAN CỦA QUÂN ỦY TRUNG ƯƠNG VÀ BỘ QUỐC PHÒNG</p>
<p>Tổng Biên tập: Thiếu tướng ... Địa chỉ: Số 7 Phan Đình Phùng, Hà Nội</p></div>
<script>var _qdndStat = document.querySelectorAll('.post-title'); trackView(_qdndStat);</script>"""


def menu() -> str:
    return "".join(f'<li><a href="/{slug}">{name}</a></li>' for slug, name in CATEGORIES.items())


def article_page(a: dict, related: list[dict]) -> str:
    og_image = a["images"][0]["page_src"] if a["images"] else ""
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": truncated(a["title"]),
          "datePublished": a["published"], "image": [og_image] if og_image else [],
          "author": {"@type": "Person", "name": "Báo Quân đội nhân dân"},
          "publisher": {"@type": "Organization", "name": "Báo Quân đội nhân dân"}}
    summary = f'<p class="logo-online">{html.escape(a["summary"])}</p>' if a["summary"] else ""
    crumbs = (f'<a href="/{a["category_slug"]}">{a["category"]}</a> / '
              f'<a href="/{a["category_slug"]}/{a["sub"]}">{SUBCATEGORIES[a["sub"]]}</a>')
    rel = "".join(f'<li><a href="{r["url"]}">{html.escape(r["title"])}</a></li>' for r in related)
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<title>{html.escape(a["title"])}</title>
<meta property="og:title" content="{html.escape(truncated(a["title"]))}">
<meta property="og:description" content="{html.escape(a["summary"] or "")}">
<meta property="og:image" content="{html.escape(og_image)}">
<meta property="og:url" content="{a["url"]}">
<meta property="og:site_name" content="Báo Quân đội nhân dân">
<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>
<style>.post-title{{font-size:28px}}</style>
</head><body>
{HEADER.format(menu=menu())}
<div class="container"><div class="breadcrumb">{crumbs}</div>
<div class="article-detail">
<h1 class="post-title">{html.escape(a["title"])}</h1>
<span class="post-subinfo"><span>{vn_date(datetime.fromisoformat(a["published"]))}</span></span>
<div class="box-share"><a class="fb-share" href="#">Chia sẻ</a> <a class="print" href="#">In bài viết</a></div>
{summary}
{a["body_html"]}
<div class="post-tags">Từ khóa: <a href="https://www.qdnd.vn/tag/quoc-phong-an-ninh-1588.html">quốc phòng an ninh</a></div>
</div>
<div class="box-related"><h3>Tin liên quan</h3><ul>{rel}</ul></div>
<div class="comment-box"><h3>Ý kiến bạn đọc</h3><form><textarea>Nội dung bình luận</textarea><button>Gửi bình luận</button></form></div>
</div>
{FOOTER}
</body></html>
"""


def plain_text_body(text: str, image_src: str) -> str:
    """The one article whose dump is plain text: its lines as paragraphs, its photo first."""
    lines = [line for line in text.split("\n") if line.strip()]
    body = [f'<table align="center" border="0" id="5b1e0c2a-13f4-4c55-9d0e-746174000001"><tbody>'
            f'<tr><td><img alt="" loading="lazy" src="{html.escape(image_src)}" /></td></tr></tbody></table>']
    for line in lines[:-2]:
        body.append(f'<p style="text-align: justify;">{html.escape(line)}</p>')
    body.append(f"<p><strong>{html.escape(lines[-2])}</strong></p>")
    promo_link = '<a href="https://www.qdnd.vn/tag/quoc-phong-an-ninh-1588.html"><em>Quốc phòng an ninh</em></a>'
    body.append(f"<p><em>*Mời\u00a0 bạn đọc vào chuyên mục {promo_link} xem các tin, bài liên quan.</em></p>")
    return '<div itemprop="articleBody">\n' + "\n".join(body) + "\n</div>"


def articles() -> list[dict]:
    dump = json.loads((SOURCE / "articles.json").read_text(encoding="utf-8"))
    request = json.loads((SOURCE / "request.json").read_text(encoding="utf-8"))["postTranslations"][0]
    found = []
    for index, path, article_id, when in FROM_ARTICLES:
        entry = dump[index]
        body_html = entry["article_text"]
        if entry["title"] == request["title"]:
            body_html = request["content"]  # the raw innerHTML, CKEditor entities and all
        paragraphs, images, byline = read_body(body_html)
        summary = entry["summary"] if entry["summary"] != "No Summary Found" else None
        slug, sub = path.split("/")
        found.append({
            "url": f"{HOME}/{path}/{slugify(entry['title'])}-{article_id}", "article_id": str(article_id),
            "title": entry["title"], "summary": summary, "published": f"{when}:00+07:00",
            "category_slug": slug, "category": CATEGORIES[slug], "sub": sub,
            "body_html": body_html, "paragraphs": paragraphs, "images": images,
            "authors": authors_of(byline), "byline": byline,
        })
        for image, src in zip(images, re.findall(r'<img[^>]*src="([^"]+)"', body_html)):
            image["page_src"] = html.unescape(src)
    real = json.loads((SOURCE / REAL_URL_ARTICLE).read_text(encoding="utf-8"))
    published = datetime.strptime(real["publishedDate"].split(" (")[0], "%d/%m/%Y, %H:%M").replace(tzinfo=VN)
    lines = [clean(line) for line in real["content"].split("\n") if line.strip()]
    src = real["contentImageUrls"][0]
    path = urlsplit(real["url"]).path.strip("/").split("/")
    found.append({
        "url": real["url"], "article_id": real["url"].rsplit("-", 1)[1], "title": real["title"],
        "summary": real["description"], "published": published.isoformat(),
        "category_slug": path[0], "category": CATEGORIES[path[0]], "sub": path[1],
        "body_html": plain_text_body(real["content"], src), "paragraphs": lines[:-2],
        "images": [{"url": image_url(src), "caption": None, "page_src": src}],
        "authors": authors_of(lines[-2]), "byline": lines[-2],
    })
    return found


def listing_page(title: str, items: list[dict], next_href: str | None, extra: str = "") -> str:
    cards = "".join(
        f'<article class="post-item"><a class="thumb" href="{a["url"]}"><img src="/img/thumb-{a["article_id"]}.jpg"></a>'
        f'<h3><a href="{a["url"]}">{html.escape(a["title"])}</a></h3>'
        f'<p class="sapo">{html.escape(a["summary"] or "")}</p></article>' for a in items)
    pager = f'<div class="pager"><a class="next" href="{next_href}">Trang sau</a></div>' if next_href else ""
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>{html.escape(title)} - Báo Quân đội nhân dân</title></head>
<body>{HEADER.format(menu=menu())}
<div class="container"><h2 class="cate-title">{html.escape(title)}</h2>
<div class="list-news">{cards}</div>{pager}
<div class="box-tags">Chủ đề: <a href="https://www.qdnd.vn/tag/nghia-vu-quan-su-1430.html">Nghĩa vụ quân sự</a>
<a href="https://www.qdnd.vn/tag/thuong-tuong-trinh-van-quyet-1465.html">Thượng tướng Trịnh Văn Quyết</a></div>
{extra}</div>{FOOTER}</body></html>
"""


def rss(items: list[dict]) -> str:
    entries = "".join(
        f"<item><title>{html.escape(a['title'])}</title><link>{a['url']}</link>"
        f"<description>{html.escape(a['summary'] or '')}</description>"
        f"<pubDate>{format_datetime(datetime.fromisoformat(a['published']))}</pubDate></item>\n"
        for a in items)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Tin tức mới nhất - Báo Quân đội nhân dân</title>
<link>https://www.qdnd.vn/</link><description>Báo Quân đội nhân dân</description>
{entries}</channel></rss>
"""


def write(path: str, text: str) -> None:
    target = SITE / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def expected(a: dict, chrome: list[str]) -> dict:
    text = " ".join([a["title"], a["summary"] or "", *a["paragraphs"], *(i["caption"] or "" for i in a["images"])])
    return {
        "url": a["url"], "site": "qdnd", "article_id": a["article_id"], "title": a["title"],
        "published": a["published"], "updated": None, "summary": a["summary"], "source": None,
        "authors": a["authors"], "category": a["category"], "category_slug": a["category_slug"], "tags": [],
        "images": [{"url": i["url"], "caption": i["caption"]} for i in a["images"]],
        "body_text": "\n\n".join(a["paragraphs"]),
        "chrome": [c for c in chrome if c not in text],
    }


def main() -> None:
    shutil.rmtree(SITE, ignore_errors=True)
    shutil.rmtree(EXPECTED, ignore_errors=True)
    EXPECTED.mkdir()
    found = sorted(articles(), key=lambda a: a["published"], reverse=True)
    for i, a in enumerate(found):
        related = [found[(i + k) % len(found)] for k in (1, 2)]
        write(urlsplit(a["url"]).path.lstrip("/") + "/index.html", article_page(a, related))
        chrome = ["Tin liên quan", "Ý kiến bạn đọc", "Gửi bình luận", "Chia sẻ", "In bài viết", "Từ khóa",
                  "Mời bạn đọc", "xem các tin, bài liên quan", "trackView", "CƠ QUAN CỦA QUÂN ỦY TRUNG ƯƠNG",
                  *(r["title"] for r in related)]
        if a["byline"]:
            chrome.append(a["byline"])
        data = expected(a, chrome)
        (EXPECTED / f"{a['article_id']}.json").write_text(
            json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    def in_category(slug: str) -> list[dict]:
        return [a for a in found if a["category_slug"] == slug]

    # the home page: the four newest, and a story of another site linked from a sidebar
    other_site = ('<div class="box-partner"><h3>Báo Nhân Dân</h3><a href="https://nhandan.vn/'
                  'thong-diep-giao-duc-nghe-thuat-giau-y-nghia-post983654.html">Thông điệp giáo dục nghệ thuật '
                  'giàu ý nghĩa</a></div>')
    listings = {"/": [a["url"] for a in found[:4]]}
    write("index.html", listing_page("Trang chủ", found[:4], None, other_site))
    chinh_tri = in_category("chinh-tri")
    write("chinh-tri/index.html", listing_page("Chính trị", chinh_tri, None))
    listings["/chinh-tri"] = [a["url"] for a in chinh_tri]
    qpan = in_category("quoc-phong-an-ninh")
    write("quoc-phong-an-ninh/index.html",
          listing_page("Quốc phòng - An ninh", qpan[:3], "https://www.qdnd.vn/quoc-phong-an-ninh/p/2"))
    write("quoc-phong-an-ninh/p/2/index.html", listing_page("Quốc phòng - An ninh", qpan[3:], None))
    listings["/quoc-phong-an-ninh"] = [a["url"] for a in qpan[:3]]
    listings["/quoc-phong-an-ninh/p/2"] = [a["url"] for a in qpan[3:]]
    # the RSS feed answers only inside a session (see README), its index page says which feeds exist
    newest = [a for a in found if a["published"] >= "2025"]
    write("rss/cate/tin-tuc-moi-nhat.rss", rss(newest))
    write("rss/index.html", listing_page("RSS", [], None,
                                         '<ul class="rss-list"><li><a href="/rss/cate/tin-tuc-moi-nhat.rss">'
                                         "Tin tức mới nhất</a></li></ul>"))
    (SITE / ".session.json").write_text(json.dumps(
        {"cookie": "ASP.NET_SessionId", "paths": ["/rss"], "entry": "/rss"}, indent=2) + "\n", encoding="utf-8")
    listings["/rss/cate/tin-tuc-moi-nhat.rss"] = [a["url"] for a in newest]
    listings["all_articles"] = [a["url"] for a in found]
    (EXPECTED / "listings.json").write_text(json.dumps(listings, ensure_ascii=False, indent=2) + "\n",
                                            encoding="utf-8")


if __name__ == "__main__":
    main()
