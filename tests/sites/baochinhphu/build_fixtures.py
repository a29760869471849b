#!/usr/bin/env python3
"""Build the local baochinhphu.vn copy (site/) and its expected extractions (expected/).

One whole article page of this site is public (captured from the live site, copied into
source/article-baochinhphu.html, inline CSS left out); it is served as it is.  Every other
article page is that same page with the article-specific parts swapped for another real
article's title, lead, link, date and image, taken from two real RSS dumps in source/.
Expected JSON is written from those source texts, never by running an extractor.

Deterministic, stdlib only, reads only source/.  Run: python3 tests/sites/baochinhphu/build_fixtures.py
See README.md for what is real and what is reconstructed.
"""
import datetime as dt
import html
import json
import re
import shutil
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "source"
SITE = HERE / "site"
EXP = HERE / "expected"
BASE = "https://baochinhphu.vn"
TZ = dt.timezone(dt.timedelta(hours=7))
PREFIX = "(Chinhphu.vn) - "

ZONES = {  # slug → (name, zone id)
    "chi-dao-quyet-dinh-cua-chinh-phu-thu-tuong-chinh-phu": ("Chỉ đạo, quyết định của Chính phủ - Thủ tướng Chính phủ", 1023),
    "kinh-te": ("Kinh tế", 1027),
    "chinh-sach-va-cuoc-song": ("Chính sách và cuộc sống", 102286),
    "chinh-tri": ("Chính trị", 0),
    "xa-hoi": ("Xã hội", 0),
    "van-hoa": ("Văn hóa", 0),
}
REAL_ID = "102260905122709839"
# article id → zone: the real page's zone is real; the others are assigned by topic (README)
ZONE_OF = {
    REAL_ID: "chi-dao-quyet-dinh-cua-chinh-phu-thu-tuong-chinh-phu",
    "102260905123138618": "kinh-te",
    "102260905101959805": "chi-dao-quyet-dinh-cua-chinh-phu-thu-tuong-chinh-phu",
    "102260905085511903": "kinh-te",
    "102260904195358016": "kinh-te",
    "102260904171224477": "kinh-te",
    "102260904162828502": "chinh-sach-va-cuoc-song",
    "102260904151221747": "chi-dao-quyet-dinh-cua-chinh-phu-thu-tuong-chinh-phu",
    "102260903145321612": "kinh-te",
    "10226090311303306": "kinh-te",
    "102260822230251531": "van-hoa",
    "10226082220223429": "xa-hoi",
    "10226082217092791": "chi-dao-quyet-dinh-cua-chinh-phu-thu-tuong-chinh-phu",
    "102260822194839721": "chinh-tri",
    "102260822200700237": "xa-hoi",
    "102260822190014071": "xa-hoi",
}
#: right-aligned bylines of generated pages: real baochinhphu bylines, placeholders here (README)
BYLINES = [("Phương Nhi", ["Phương Nhi"]), None, ("Đỗ Hương (thực hiện)", ["Đỗ Hương"])]
CHROME = ["Tham khảo thêm", "react-text", "bonewsrelation", "Ban biên tập", "Indochina Time",
          "Giờ Đông Dương", "&#x", "&#2", "<!--", "Quét mã QR", "chia sẻ zalo", "Góp Ý Hiến Kế"]


def nfc(text):
    return unicodedata.normalize("NFC", text)


def dotnet(text):
    """ASP.NET HtmlEncode as the real head uses it: markup characters, and U+00A0–U+00FF as ``&#N;``."""
    out = html.escape(text, quote=True).replace("&#x27;", "&#39;")
    return "".join(f"&#{ord(c)};" if 160 <= ord(c) <= 255 else c for c in out)


def razor(text):
    """ASP.NET Core's encoder as the real body uses it: everything outside ASCII as ``&#xHEX;``."""
    out = html.escape(text, quote=True)  # quotes as &#x27;, as the real page has them
    return "".join(f"&#x{ord(c):X};" if ord(c) > 127 else c for c in out)


def clean(text):
    return " ".join(nfc(text).replace("\u00a0", " ").split())


def sentences(text):
    return [s.strip() for s in re.split(r"(?<=[.!?…])\s+(?=[A-ZĐÂÊÔƠƯÁÀẢÃẠ\"“])", text) if s.strip()]


def id_of(url):
    return re.search(r"-(102\d+)\.htm$", url).group(1)


def load():
    """The real items: the captured kinh-te.rss (with dates and images), then home.rss (ids only)."""
    items = {}
    channel = ET.parse(SRC / "feed-kinh-te.xml").getroot().find("channel")
    for item in channel.iter("item"):
        url = item.findtext("link").strip()
        when = dt.datetime.strptime(item.findtext("pubDate"), "%m/%d/%Y %I:%M:%S %p").replace(tzinfo=TZ)
        items[id_of(url)] = {"url": url, "title": item.findtext("title"), "lead": item.findtext("description"),
                             "published": when, "image": item.find("enclosure").get("url"), "from": "kinh-te.rss"}
    for raw in json.loads((SRC / "home-rss-items.json").read_text(encoding="utf-8")):
        aid = id_of(raw["link"])
        if aid in ZONE_OF and aid not in items:
            created = dt.datetime.strptime(aid[3:15], "%y%m%d%H%M%S").replace(tzinfo=TZ)
            # the id is the creation time; publication comes later (13:30 vs 12:27 on the real page)
            published = (created + dt.timedelta(minutes=25)).replace(second=0)
            items[aid] = {"url": raw["link"], "title": raw["title"], "lead": raw["summary"],
                          "published": published, "image": None, "from": "home.rss"}
    assert set(items) == set(ZONE_OF), set(ZONE_OF) - set(items)
    return sorted(items.values(), key=lambda a: (a["published"], a["url"]), reverse=True)


def path_of(url):
    return url.split(BASE, 1)[1]


def original_image(enclosure):
    """The uncropped original behind an RSS enclosure (``…-0-0-420-672-crop-….jpg`` → ``….jpg``)."""
    return re.sub(r"-\d+-\d+-\d+-\d+-crop-\d+(\.\w+)$", r"\1", enclosure)


def related_box(others):
    """The real "Tham khảo thêm" box markup, pointing at other articles of the copy."""
    items = []
    for n, other in enumerate(others):
        path = path_of(other["url"])
        when = other["published"].strftime("%d/%m/%Y %H:%M")
        items.append(
            f'<li class="kbwscwlrl" data-date="{when}" data-id="{id_of(other["url"])}" data-url="{path}" '
            f'data-title="{html.escape(other["title"])}"><span class="kbwscwlrl-label">Tham khảo thêm</span>'
            f'<div class="kbwscwlrl-content"><h4 class="kbwscwlrl-title"><a target="_blank" href="{path}" '
            f'class="title link-callout"><!-- react-text: {128 + 9 * n} -->{html.escape(other["title"])}'
            f'<!-- /react-text --></a></h4></div></li>')
    return ('<!-- bonewsrelation --><div class="VCSortableInPreviewMode alignCenter type-6" type="RelatedNewsBox" '
            'data-style="align-center" relatednewsboxtype="type-6"><div class="kbwscwl-relatedbox type-6 baochinhphu" '
            f'style="width: 100%;"><ul class="kbwscwlr-list">{"".join(items)}</ul></div></div><!-- eonewsrelation -->')


def stamp(when, n):
    label = "Giờ Đông Dương" if n % 2 else "Indochina Time"
    text = when.strftime("%a %b %d %Y %H:%M:56") + f" GMT+0700 ({label})"
    return f"<!--{text} --  -- {text}-->"


def generated_content(a, n, others):
    paras = sentences(clean(a["lead"][len(PREFIX):] if a["lead"].startswith("(Chinhphu.vn)") else a["lead"]))
    parts = ["<p><br></p>"]
    images = []
    if a["image"]:
        full = original_image(a["image"])
        thumb = full.replace("https://bcp.cdnchinhphu.vn/", "https://bcp.cdnchinhphu.vn/thumb_w/777/")
        parts.append(
            f'<figure class="VCSortableInPreviewMode" type="Photo" style=""><div><img data-author="" src="{thumb}" '
            f'w="777" h="420" alt="{html.escape(a["title"])}- Ảnh 1." rel="lightbox" data-original="{full}" '
            f'type="photo" style="max-width:100%;" width="777" height="420" data-nosnippet="" loading="lazy"></div>'
            f'<figcaption class="PhotoCMS_Caption"><p data-placeholder="Nhập chú thích ảnh">{html.escape(a["title"])}'
            '</p></figcaption></figure>')
        images.append({"url": full, "caption": clean(a["title"])})
    parts += [f"<p>{html.escape(p)}</p>" for p in paras]
    byline = BYLINES[n % len(BYLINES)]
    if byline:
        parts.append(f'<p style="text-align: right;"><b>{byline[0]}</b></p>')
    parts.append(related_box(others))
    parts.append('<p style="text-align: right;"><b><br></b></p>')
    parts.append(stamp(a["published"], n) + "<br />")
    return "".join(parts), paras, images, (byline[1] if byline else [])


def swap(page, old, new, count=None):
    found = page.count(old)
    assert found and (count is None or found == count), (old, found)
    return page.replace(old, new)


def article_page(real, a, n, others):
    """The real page with one article's parts replaced by another's."""
    zone = ZONE_OF[id_of(a["url"])]
    zone_name, zone_id = ZONES[zone]
    lead = clean(a["lead"])
    summary = clean(lead[len("(Chinhphu.vn) -"):]) if lead.startswith("(Chinhphu.vn)") else lead
    content, paras, images, authors = generated_content(a, n, others)
    published, modified = a["published"], a["published"] + dt.timedelta(minutes=4)
    page = real
    start = page.index('data-role="content">') + len('data-role="content">')
    end = page.index("\n                    </div>\n                    \n\n\n\n\n                </article>")
    page = page[:start] + "\n                        " + content + page[end:]
    tags_start = page.index('<ul class="detail-tag-list" data-role="tags">')
    tags_end = page.index("</ul>", tags_start)
    page = page[:tags_start] + '<ul class="detail-tag-list" data-role="tags">\n        ' + page[tags_end:]
    page = swap(page, "co-che-chinh-sach-xac-dinh-gia-san-pham-in-duc-tien-102260905122709839", path_of(a["url"])[1:-4])
    page = swap(page, f'value="{REAL_ID}"', f'value="{id_of(a["url"])}"', 1)
    real_title = "Cơ chế, chính sách xác định giá sản phẩm in, đúc tiền"
    real_summary = ("Chính phủ ban hành Nghị quyết số 40/2026/NQ-CP về cơ chế, chính sách xác định giá sản phẩm in, "
                    "đúc tiền giai đoạn 2020 - 2024 để thanh toán, quyết toán chi phí in, đúc tiền giữa Ngân hàng "
                    "Nhà nước Việt Nam với các cơ sở in, đúc tiền.")
    page = swap(page, dotnet(PREFIX + real_summary), dotnet(lead), 1)
    page = swap(page, dotnet(real_summary), dotnet(summary), 2)
    page = swap(page, dotnet(real_title), dotnet(a["title"]), 4)
    page = swap(page, f"<title>{real_title}</title>", f"<title>{html.escape(a['title'])}</title>", 1)
    page = swap(page, f'content="{real_summary}"', f'content="{html.escape(summary)}"', 1)
    page = swap(page, razor(real_title), razor(a["title"]), 1)
    page = swap(page, "(Chinhphu.vn) - " + real_summary, html.escape(a["lead"].strip()), 1)
    page = swap(page, 'content="đúc tiền, in tiền"', 'content=""', 2)
    page = swap(page, "2026-09-05T13:30:00", published.strftime("%Y-%m-%dT%H:%M:%S"), 2)
    page = swap(page, "2026-09-05T13:34:00", modified.strftime("%Y-%m-%dT%H:%M:%S"), 2)
    page = swap(page, "05/09/2026 13:34:09", modified.strftime("%d/%m/%Y %H:%M:09"), 1)
    page = swap(page, "05/09/2026\n", published.strftime("%d/%m/%Y") + "\n", 1)
    page = swap(page, "13:30\n", published.strftime("%H:%M") + "\n", 1)
    real_og = ("https://bcp2.cdnchinhphu.vn/zoom/1200_630/334894974524682240/2026/9/5/tim-hieu-quy-trinh-cong-nghe-"
               "san-xuat-tien-1-17429993575282014816136-17885859314891058744229-0-0-420-672-crop-1788585957492506468519.jpg")
    og = a["image"].replace("https://bcp.cdnchinhphu.vn/", "https://bcp2.cdnchinhphu.vn/zoom/1200_630/") if a["image"] \
        else "https://bcp.cdnchinhphu.vn/334894974524682240/2024/1/26/logoseomedia-1706240749870295598491.png"
    page = swap(page, real_og, og, 3)
    real_zone = "chi-dao-quyet-dinh-cua-chinh-phu-thu-tuong-chinh-phu"
    page = swap(page, dotnet(ZONES[real_zone][0]), dotnet(zone_name), 1)
    page = swap(page, razor(ZONES[real_zone][0]), razor(zone_name), 2)
    page = swap(page, real_zone, zone, 4)
    page = swap(page, 'id="hdZoneId" value="1023"', f'id="hdZoneId" value="{zone_id}"', 1)
    page = swap(page, "<!--s: 9/5/2026 1:31:34 PM-->", "<!--s: " + (published + dt.timedelta(minutes=1)).strftime(
        "%-m/%-d/%Y %-I:%M:34 %p") + "-->", 1)
    expected = {
        "url": a["url"], "site": "baochinhphu", "article_id": id_of(a["url"]), "title": clean(a["title"]),
        "published": published.isoformat(), "updated": modified.isoformat(), "summary": summary,
        "authors": authors, "source": None, "category": zone_name, "category_slug": zone, "tags": [],
        "images": images, "body_text": "\n\n".join(paras), "layout": "afcbc", "evidence": a["from"],
        "chrome": CHROME + [clean(o["title"]) for o in others],
    }
    return page, expected


def real_expected(real):
    """The captured page's article, read off the page by a person (not by the extractor)."""
    body = re.search(r'data-role="content">(.*?)<p style="text-align: right;"><b>Phương Nhi', real, re.S).group(1)
    paras = [clean(html.unescape(p)) for p in re.findall(r"<p>([^<]+)</p>", body)]
    related = re.findall(r'data-title="([^"]+)"', real)
    return {
        "url": BASE + "/co-che-chinh-sach-xac-dinh-gia-san-pham-in-duc-tien-102260905122709839.htm",
        "site": "baochinhphu", "article_id": REAL_ID,
        "title": "Cơ chế, chính sách xác định giá sản phẩm in, đúc tiền",
        "published": "2026-09-05T13:30:00+07:00", "updated": "2026-09-05T13:34:00+07:00",
        "summary": ("Chính phủ ban hành Nghị quyết số 40/2026/NQ-CP về cơ chế, chính sách xác định giá sản phẩm in, "
                    "đúc tiền giai đoạn 2020 - 2024 để thanh toán, quyết toán chi phí in, đúc tiền giữa Ngân hàng "
                    "Nhà nước Việt Nam với các cơ sở in, đúc tiền."),
        "authors": ["Phương Nhi"], "source": None,
        "category": ZONES["chi-dao-quyet-dinh-cua-chinh-phu-thu-tuong-chinh-phu"][0],
        "category_slug": "chi-dao-quyet-dinh-cua-chinh-phu-thu-tuong-chinh-phu",
        "tags": ["đúc tiền", "in tiền"],
        "images": [{"url": "https://bcp.cdnchinhphu.vn/334894974524682240/2026/9/5/tim-hieu-quy-trinh-cong-nghe-san-xuat-"
                           "tien-1-17429993575282014816136-17885859314891058744229.jpg",
                    "caption": "Cơ chế, chính sách xác định giá sản phẩm in, đúc tiền giai đoạn 2020 - 2024"}],
        "body_text": "\n\n".join(paras), "layout": "afcbc", "evidence": "captured page",
        "chrome": CHROME + related,
    }


def chrome_of(real):
    """Header, nav and footer of the real page: every generated page wears them."""
    top = real[real.index("<body"):real.index('            <div class="main">')]
    bottom = real[real.index('<div class="footer">'):real.index('        <input type="hidden" name="hdZoneId"')]
    return top, bottom


def stream_item(a, indent="    "):
    """One ``div.box-stream-item`` exactly as on the real zone page (list-bcp.html)."""
    path, aid, title = path_of(a["url"]), id_of(a["url"]), razor(a["title"])
    zone = ZONE_OF[aid]
    avatar = (a["image"] or "").replace("https://bcp.cdnchinhphu.vn/", "https://bcp.cdnchinhphu.vn/zoom/270_169/")
    img = (f'\n{indent}    <a class="box-stream-link-with-avatar" href="{path}" title="{title}" data-id="{aid}">\n'
           f'{indent}        <img data-type="avatar" src="{avatar}" width="270" height="169" alt="{title}" '
           f'class="box-stream-avatar">\n{indent}    </a>') if a["image"] else ""
    return (f'{indent}<div class="box-stream-item" data-id="{aid}">{img}\n'
            f'{indent}    <div class="box-stream-content">\n{indent}        <h2>\n'
            f'{indent}            <a data-type="title" data-linktype="newsdetail" data-id="{aid}" class="box-stream-link-title" '
            f'data-newstype="0" href="{path}" title="{title}">{title}</a>\n{indent}        </h2>\n'
            f'{indent}        <a class="box-stream-category" href="/{zone}.htm" title="{razor(ZONES[zone][0])}">'
            f'{razor(ZONES[zone][0])} </a>\n'
            f'{indent}        <span class="time-ago box-stream-time" title="{a["published"].strftime("%-m/%-d/%Y %-I:%M:%S %p")}">'
            f'{a["published"].strftime("%d/%m/%Y %H:%M")}</span>\n\n'
            f'{indent}        <p data-type="sapo" class="box-stream-sapo">\n{indent}            {razor(a["lead"].strip())}\n'
            f'{indent}        </p>\n{indent}    </div>\n{indent}</div>\n')


def box_item(a, link_class="box-link-title", box="box-item"):
    path, aid, title = path_of(a["url"]), id_of(a["url"]), razor(a["title"])
    return (f'<div class="{box}"><div class="box-content"><h4><a data-type="title" data-linktype="newsdetail" '
            f'data-id="{aid}" class="{link_class}" data-newstype="0" href="{path}" title="{title}">{title}</a></h4>'
            f'</div></div>\n')


def page(title, canonical, body, zone=None, rss=None):
    alternate = f'\n\t<link rel="alternate" type="application/rss+xml" href="{BASE}/{rss}" title="{dotnet(title)}" />' if rss else ""
    inputs = ""
    if zone:
        inputs = (f'<input type="hidden" name="hdZoneId" id="hdZoneId" value="{ZONES[zone][1]}" />\n'
                  f'<input type="hidden" name="hdZoneUrl" id="hdZoneUrl" value="{zone}" />\n'
                  '<input type="hidden" name="hdPageIndex" id="hdPageIndex" value="1" />\n'
                  "<script nonce=\"sclotusinnline\" type=\"text/javascript\">\n"
                  "    timeline.pageIndex = 2;\n    timeline.zId = parseInt($('#hdZoneId').val());\n"
                  "    timeline.url = '/timelinelist/{0}/{1}.htm'\n    timeline.init();\n</script>\n")
    return (f'<!DOCTYPE html>\n<html lang="vi">\n<head>\n<title>{html.escape(title)}</title>\n'
            f'\t<meta property="og:title" content="{dotnet(title)}" />{alternate}\n'
            f'<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />\n'
            f'<link rel="canonical" href="{canonical}" />\n</head>\n{body}\n{inputs}</body>\n</html>\n')


def rss(title, link, items, build):
    """An RSS document in the site's own format (source/feed-kinh-te.xml)."""
    out = [f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>'
           f"<title><![CDATA[{title} - RSS Feed]]></title><description><![CDATA[{title}]]></description>"
           f"<link><![CDATA[{link}]]></link><language>vi-vn</language><copyright>baochinhphu.vn</copyright>"
           f"<lastBuildDate>{build}</lastBuildDate><docs>https://baochinhphu.vn</docs><generator>baochinhphu.vn</generator><ttl>50</ttl>"]
    for a in items:
        enclosure = f'<enclosure url="{a["image"]}" length="0" type="image/jpeg" />' if a["image"] else ""
        out.append(f"<item><title><![CDATA[{a['title']}]]></title><description><![CDATA[{a['lead']}]]></description>"
                   f"<link><![CDATA[{a['url']}]]></link>{enclosure}"
                   f"<pubDate>{a['published'].strftime('%-m/%-d/%Y %-I:%M:%S %p')}</pubDate></item>")
    return "".join(out) + "</channel></rss>"


def write(path, text):
    target = SITE / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def main():
    shutil.rmtree(SITE, ignore_errors=True)
    shutil.rmtree(EXP, ignore_errors=True)
    EXP.mkdir(parents=True)
    real = (SRC / "article-baochinhphu.html").read_text(encoding="utf-8")
    articles = load()
    by_id = {id_of(a["url"]): a for a in articles}
    expected = {}
    for n, a in enumerate(articles):
        aid = id_of(a["url"])
        if aid == REAL_ID:
            write(path_of(a["url"]), real)
            expected[aid] = real_expected(real)
            continue
        others = [o for o in articles if o is not a][n % 5: n % 5 + 3]
        text, expected[aid] = article_page(real, a, n, others)
        write(path_of(a["url"]), text)
    for aid, want in expected.items():
        (EXP / f"{aid}.json").write_text(json.dumps(want, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    top, bottom = chrome_of(real)
    listings = {}

    def zone_pages(zone, first):
        items = [a for a in articles if ZONE_OF[id_of(a["url"])] == zone]
        side = [a for a in articles if ZONE_OF[id_of(a["url"])] != zone][:3]
        stream = "".join(stream_item(a) for a in items[:first])
        body = (f'{top}<div class="main"><div class="list__listing"><div class="list__lmain timeline">'
                f'<div class="box-stream timeline_list" data-layout="2" data-key="keycd">\n{stream}</div></div>'
                f'<div class="list__sub">{"".join(box_item(a) for a in side)}</div></div></div>{bottom}')
        name = ZONES[zone][0]
        write(f"/{zone}.htm", page(f"{name} - Báo Điện tử Chính phủ", f"{BASE}/{zone}.htm", body, zone, f"{zone}.rss"))
        listings[f"/{zone}.htm"] = [a["url"] for a in items[:first]] + [a["url"] for a in side]
        rest = items[first:]
        write(f"/timelinelist/{ZONES[zone][1]}/2.htm", "".join(stream_item(a, "") for a in rest))
        listings[f"/timelinelist/{ZONES[zone][1]}/2.htm"] = [a["url"] for a in rest]
        write(f"/timelinelist/{ZONES[zone][1]}/3.htm", "")  # past the end the site answers with nothing
        listings[f"/timelinelist/{ZONES[zone][1]}/3.htm"] = []

    zone_pages("kinh-te", 3)
    zone_pages("chi-dao-quyet-dinh-cua-chinh-phu-thu-tuong-chinh-phu", 2)

    newest = articles[:4]
    sections = []
    home_urls = [a["url"] for a in newest]
    for zone in ("chinh-sach-va-cuoc-song", "chinh-tri", "xa-hoi", "van-hoa"):
        items = [a for a in articles if ZONE_OF[id_of(a["url"])] == zone]
        boxes = "".join(box_item(a, "box-category-link-title", "box-category-item") for a in items)
        sections.append(f'<div class="box-category"><h2 class="box-category-title"><a href="/{zone}.htm">'
                        f'{razor(ZONES[zone][0])}</a></h2><div class="box-category-middle">{boxes}</div></div>')
        home_urls += [a["url"] for a in items]
    body = (f'{top}<div class="main"><div class="home__focus">{"".join(box_item(a) for a in newest)}</div>'
            f'{"".join(sections)}</div>{bottom}')
    write("/index.html", page("Báo Điện tử Chính phủ", BASE + "/", body))
    listings["/"] = home_urls

    feeds = {
        "home.rss": rss("Trang chủ", BASE + "/", articles, "9/5/2026 11:27:22 PM"),
        "kinh-te.rss": (SRC / "feed-kinh-te.xml").read_text(encoding="utf-8").strip(),
        "chinh-sach-va-cuoc-song.rss": rss(ZONES["chinh-sach-va-cuoc-song"][0], f"{BASE}/chinh-sach-va-cuoc-song.htm",
                                           [a for a in articles if ZONE_OF[id_of(a["url"])] in
                                            ("chinh-sach-va-cuoc-song",)] + [by_id["10226082217092791"]],
                                           "9/5/2026 11:27:22 PM"),
    }
    for name, text in feeds.items():
        write("/" + name, text)
        listings["/" + name] = re.findall(r"<link><!\[CDATA\[(https://baochinhphu\.vn/[^\]]+-102\d+\.htm)\]\]></link>", text)
    listings["all_articles"] = sorted(a["url"] for a in articles)
    (EXP / "listings.json").write_text(json.dumps(listings, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    reached = set(listings["/"]) | {u for k, v in listings.items() if k.endswith(".htm") for u in v}
    assert reached == set(listings["all_articles"]), set(listings["all_articles"]) - reached


if __name__ == "__main__":
    main()
