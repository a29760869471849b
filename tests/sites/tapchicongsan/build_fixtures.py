#!/usr/bin/env python3
"""Build the local tapchicongsan.org.vn copy (site/) and its expected extractions (expected/).

No page of this site is public, only scraper code that reads it; so the page DOM here is a
reconstruction around the few facts that code pins (see README), and the texts are real
articles of its sister journal, Tạp chí Tuyên giáo (source/tuyengiao-rows.json), re-hosted
under invented tapchicongsan URLs.  Expected JSON is written from those texts, never by
running an extractor.

Deterministic, stdlib only, reads only source/.  Run: python3 tests/sites/tapchicongsan/build_fixtures.py
"""
import datetime as dt
import html
import json
import re
import shutil
import unicodedata
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

HERE = Path(__file__).resolve().parent
SRC = HERE / "source"
SITE = HERE / "site"
EXP = HERE / "expected"
BASE = "https://www.tapchicongsan.org.vn"
TZ = dt.timezone(dt.timedelta(hours=7))
CATEGORIES = {
    "chinh-tri-xay-dung-dang": "Chính trị - Xây dựng Đảng",
    "kinh-te": "Kinh tế",
    "van_hoa_xa_hoi": "Văn hóa - Xã hội",
    "quoc-phong-an-ninh-oi-ngoai1": "Quốc phòng - An ninh - Đối ngoại",
    "dau-tranh-phan-bac-cac-luan-dieu-sai-trai-thu-dich": "Đấu tranh phản bác các luận điệu sai trái, thù địch",
}
PORTLET = "YqSB2JpnYto9"  # the asset publisher id public crawler code uses for that section
CHINH_TRI_PORTLET = "Kq5mRm3dXv2a"  # made up
# row → (category, URL form, article id, time of day, credit, affiliation, credit position, og image id)
ARTICLES = {
    2: ("chinh-tri-xay-dung-dang", "aspx", "959101", "08:45", "PHẠM VIỆT PHONG",
        "Phó Trưởng ban, Ban Tuyên giáo Tỉnh ủy Cà Mau", "end", None),
    27: ("kinh-te", "vi_VN", "959164", "15:20", None, None, None, "31480821"),
    1: ("van_hoa_xa_hoi", "view_content", "959077", "16:10", "TUẤN ĐẠT", None, "end", None),
    9: ("quoc-phong-an-ninh-oi-ngoai1", "aspx", "959122", "09:30", "GIAO TUYẾN", None, "end", "31480977"),
    3: ("dau-tranh-phan-bac-cac-luan-dieu-sai-trai-thu-dich", "asset", None, "10:05", "LÝ ROTHA",
        "Phó Trưởng ban Tuyên giáo Tỉnh Sóc Trăng", "top", None),
    14: ("dau-tranh-phan-bac-cac-luan-dieu-sai-trai-thu-dich", "asset", None, "14:40", "LẬP THẠCH", None, "end", None),
    5: ("chinh-tri-xay-dung-dang", "aspx", "959110", "17:25", "NHẬT MINH", None, "end", None),
}
#: the credit lines at the end of each source text (html2text markdown), dropped from the body
SOURCE_CREDITS = {2: ["**Phạm Việt Phong**", "_Phó Trưởng ban, Ban Tuyên giáo Tỉnh ủy Cà Mau_"],
                  3: ["**LÝ ROTHA**", "_Phó Trưởng ban Tuyên giáo Tỉnh Sóc Trăng_"], 1: ["**Tuấn Đạt**"],
                  9: ["**Giao Tuyến**"], 14: ["**Lập Thạch**"], 5: ["**Nhật Minh**"], 27: ["**Theo TTXVN**"]}
#: the credits as the source texts spell them (the copy prints them in capitals, as TCCS does)
AUTHORS = {2: "Phạm Việt Phong", 1: "Tuấn Đạt", 9: "Giao Tuyến", 3: "Lý Rotha", 14: "Lập Thạch", 5: "Nhật Minh"}
CHROME = ["Các bài viết khác", "Đọc nhiều", "Cơ quan lý luận và chính trị", "Giấy phép", "icon-fb", "In bài",
          "TCCS -", "(TG)"]
LOGO = BASE + "/tapchicongsan-theme/images/logo.png"


def clean(text):
    return " ".join(unicodedata.normalize("NFC", text).replace("\u00a0", " ").split())


def unmark(text):
    """html2text emphasis and escapes out: ``**1.**`` → ``1.``, ``_…_`` → ``…``, ``1\\.`` → ``1.``."""
    text = text.replace("**", "").replace("\\.", ".")
    return clean(re.sub(r"(?<![\w/])_(.+?)_(?![\w])", r"\1", text, flags=re.S))


def end_marker(text):
    """The press's end mark ``/.`` goes (``… nhân dân./.`` → ``… nhân dân.``)."""
    stripped = re.sub(r"\s*/\.\s*$", "", text)
    if stripped != text and stripped[-1] not in ".!?…”\")":
        stripped += "."
    return stripped


def paragraphs(row):
    body = row["body"].replace("  \n", "\n\n")
    blocks = [b.strip() for b in body.split("\n\n")]
    blocks = [b for b in blocks if b and not re.fullmatch(r"[-*\s|]*", b) and not b.startswith(("![", "| !["))]
    credit = SOURCE_CREDITS[row["row"]]
    assert blocks[-len(credit):] == credit, (row["row"], blocks[-len(credit):])
    paras = [unmark(b) for b in blocks[:-len(credit)]]
    paras[-1] = end_marker(paras[-1])
    for p in paras:
        assert p and not re.search(r"\*\*|!\[|\]\(|^---", p), (row["row"], p)
    return paras


def slugify(title):
    """TCCS slugs: no diacritics, spaces as ``-``, ``–``/`` - `` as ``---``, punctuation percent-encoded."""
    text = unicodedata.normalize("NFD", clean(title).lower().replace("đ", "d"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    text = re.sub(r"\s*[-–]\s*", " - ", text.replace("/", "-"))
    return quote("-".join(text.split()), safe="-")


def when(row, time_of_day):
    """The dump writes November dates both ways (``11/05/2020`` and ``13/11/2020``); the month is 11."""
    first, second, year = row["date"].split("/")
    day = second if first == "11" else first
    hour, minute = map(int, time_of_day.split(":"))
    return dt.datetime(int(year), 11, int(day), hour, minute, tzinfo=TZ)


def url_of(row, slug):
    category, form, aid = ARTICLES[row["row"]][:3]
    if form == "aspx":
        return f"{BASE}/web/guest/{category}/-/2018/{aid}/{slug}.aspx"
    if form == "vi_VN":
        return f"{BASE}/vi_VN/web/guest/{category}/-/2018/{aid}/{slug}.aspx"
    if form == "view_content":
        return f"{BASE}/web/guest/{category}/-/2018/{aid}/view_content"
    return f"{BASE}/web/guest/{category}/chi-tiet/-/asset_publisher/{PORTLET}/content/{slug}"


NAV = "".join(f'<li><a href="{BASE}/web/guest/{slug}"><span>{html.escape(name)}</span></a></li>'
              for slug, name in CATEGORIES.items())
HEADER = (f'<header id="banner" role="banner"><div id="heading"><a class="logo" href="{BASE}/" title="Tạp chí Cộng sản">'
          f'<img alt="Tạp chí Cộng sản" src="/tapchicongsan-theme/images/logo.png" /></a>'
          f'<div class="search"><input name="keywords" type="text" /><img src="/tapchicongsan-theme/images/search2.png" />'
          f'</div></div><nav class="sort-pages modify-pages" id="navigation"><ul>{NAV}</ul></nav></header>')
FOOTER = ('<footer id="footer" role="contentinfo"><p>TẠP CHÍ CỘNG SẢN - Cơ quan lý luận và chính trị của Ban Chấp hành '
          'Trung ương Đảng Cộng sản Việt Nam</p><p>Giấy phép số 205/GP-BTTTT</p></footer>')


def document(title, url, body, description=None, image=None):
    meta = f'<meta property="og:description" content="{html.escape(description)}" />\n' if description else ""
    return (f'<!DOCTYPE html>\n<html class="ltr" dir="ltr" lang="vi-VN">\n<head>\n<title>{html.escape(title)}</title>\n'
            '<meta content="text/html; charset=UTF-8" http-equiv="content-type" />\n'
            '<meta property="og:site_name" content="Tạp chí Cộng sản" />\n'
            f'<meta property="og:title" content="{html.escape(title)}" />\n{meta}'
            f'<meta property="og:image" content="{image or LOGO}" />\n<meta property="og:url" content="{url}" />\n'
            f'<link href="{url}" rel="canonical" />\n'
            '<link href="/tapchicongsan-theme/images/favicon.ico" rel="Shortcut Icon" />\n'
            '<script type="text/javascript">var themeDisplay = {getLanguageId: function () { return "vi_VN"; }};</script>\n'
            '</head>\n<body class="yui3-skin-sam controls-visible guest-site signed-out public-page site">\n'
            f'<div class="container-fluid" id="wrapper">\n{HEADER}\n<div id="content">{body}</div>\n{FOOTER}\n</div>\n'
            '</body>\n</html>\n')


def credit_block(name, affiliation, align):
    lines = f"<strong>{name}</strong>" + (f"<br />\n<em>{html.escape(affiliation)}</em>" if affiliation else "")
    return f'<p style="text-align: {align};">{lines}</p>\n'


def article_page(a, others):
    row = a["row"]
    category, _form, _aid, _time, credit, affiliation, position, image_id = ARTICLES[row]
    parts = []
    if credit and position == "top":
        parts.append(credit_block(credit, affiliation, "left"))
    parts.append(f"<p><strong>TCCS - {html.escape(a['lead'])}</strong></p>\n")
    parts += [f'<p style="text-align: justify;">{html.escape(p)}</p>\n' for p in a["paragraphs"]]
    if credit and position == "end":
        parts.append(credit_block(credit, affiliation, "right"))
    if row == 27:
        parts.append('<p style="text-align: right;"><strong>Theo TTXVN</strong></p>\n')
    related = "".join(f'<li><a href="{o["url"]}">{html.escape(o["title"])}</a></li>' for o in others)
    image = f"{BASE}/image/journal/article?img_id={image_id}&t=1605{row:03d}000000" if image_id else None
    body = (
        '<div class="portlet-layout row-fluid"><div class="portlet-column span8" id="column-1">'
        '<div class="portlet-boundary portlet-boundary_56_ portlet-journal-content" id="p_p_id_56_INSTANCE_rHb2dOaUgRHy_">'
        '<div class="portlet-body"><div class="journal-content-article">\n'
        f'<h2>{html.escape(a["title"])}</h2>\n'
        f'<div class="publishdate">{a["published"].strftime("%H:%M")}, ngày {a["published"].strftime("%d-%m-%Y")}</div>\n'
        '<div class="social_bookmark"><a href="https://www.facebook.com/sharer/sharer.php"><img src="/tapchicongsan-theme/images/icon-fb.png" /></a>'
        '<a href="#"><img src="/tapchicongsan-theme/images/icon-zalo.png" /></a>'
        '<a href="javascript:window.print()" title="In bài"><img src="/tapchicongsan-theme/images/icon-print.png" /></a></div>\n'
        f'<div class="ContentDetail clearfix">\n{"".join(parts)}</div>\n'
        '</div></div></div>'
        f'<div class="portlet-boundary portlet-asset-publisher"><h3 class="portlet-title">Các bài viết khác</h3><ul>{related}</ul></div>'
        '</div><div class="portlet-column span4" id="column-2"><div class="doc-nhieu"><h3>Đọc nhiều</h3></div></div></div>')
    expected = {
        "url": a["url"], "site": "tapchicongsan", "article_id": ARTICLES[row][2], "title": a["title"],
        "published": a["published"].isoformat(), "updated": None, "summary": a["lead"],
        "authors": [a["author"]] if a["author"] else [], "source": "TTXVN" if row == 27 else None,
        "category": CATEGORIES[category], "category_slug": category, "tags": [],
        "images": [{"url": image, "caption": None}] if image else [], "body_text": "\n\n".join(a["paragraphs"]),
        "layout": "liferay", "evidence": f"tuyengiao.vn row {row}: {a['source_url']}",
        "chrome": CHROME + ([affiliation] if affiliation else []) + [o["title"] for o in others],
    }
    return document(f"{a['title']} - Tạp chí Cộng sản", a["url"], body, f"TCCS - {a['lead']}", image), expected


def pages_link(category, portlet, page):
    """A Liferay asset-publisher page link (``&amp;`` escaped in the page, as public crawler code reads it)."""
    return (f"{BASE}/{category}?p_p_id=101_INSTANCE_{portlet}&amp;p_p_lifecycle=0&amp;p_p_state=normal&amp;"
            f"p_p_mode=view&amp;p_p_col_id=column-2&amp;p_p_col_count=1&amp;_101_INSTANCE_{portlet}_cur={page}")


def listing_page(category, portlet, pages, page):
    items = "".join(f'<div class="asset-abstract"><h3 class="asset-title"><a href="{a["url"]}">{html.escape(a["title"])}'
                    f'</a></h3><div class="asset-summary">TCCS - {html.escape(a["lead"][:120])}…</div></div>'
                    for a in pages[page - 1])
    links = "".join(f'<li class="{"active" if n == page else ""}"><a href="{pages_link(category, portlet, n)}">{n}</a></li>'
                    for n in range(1, len(pages) + 1))
    if page < len(pages):
        links += f'<li><a href="{pages_link(category, portlet, page + 1)}">Tiếp</a></li>'
    body = (f'<div class="portlet-boundary portlet-asset-publisher" id="p_p_id_101_INSTANCE_{portlet}_">'
            f'<h2 class="portlet-title">{html.escape(CATEGORIES[category])}</h2>{items}'
            f'<div class="taglib-page-iterator"><ul class="pager lfr-pagination-buttons">{links}</ul></div></div>')
    return document(f"{CATEGORIES[category]} - Tạp chí Cộng sản", f"{BASE}/{category}", body)


def write(relative, text):
    target = SITE / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def file_of(url):
    """Article URLs have no ``.html``: each is a folder whose index.html the copy serves as text/html."""
    return unquote(urlsplit(url).path).lstrip("/") + "/index.html"


def main():
    shutil.rmtree(SITE, ignore_errors=True)
    shutil.rmtree(EXP, ignore_errors=True)
    EXP.mkdir(parents=True)
    rows = {r["row"]: r for r in json.loads((SRC / "tuyengiao-rows.json").read_text(encoding="utf-8"))}
    articles = []
    for number, spec in ARTICLES.items():
        row = rows[number]
        title = clean(row["title"])
        lead = re.sub(r"^\**\(TG\)\s*[-–]?\s*", "", clean(row["subhead"]))
        articles.append({"row": number, "title": title, "lead": lead, "paragraphs": paragraphs(row),
                         "published": when(row, spec[3]), "url": url_of(row, slugify(title)),
                         "author": AUTHORS.get(number), "source_url": row["original_link"]})
    articles.sort(key=lambda a: a["published"], reverse=True)
    listings = {}
    for n, a in enumerate(articles):
        others = [o for o in articles if o is not a][n % 3: n % 3 + 3]
        text, want = article_page(a, others)
        write(file_of(a["url"]), text)
        (EXP / f"{a['row']:02d}.json").write_text(json.dumps(want, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for category, portlet in (("chinh-tri-xay-dung-dang", CHINH_TRI_PORTLET),
                              ("dau-tranh-phan-bac-cac-luan-dieu-sai-trai-thu-dich", PORTLET)):
        items = [a for a in articles if ARTICLES[a["row"]][0] == category]
        pages = [items[:1], items[1:]]
        write(f"{category}/index.html", listing_page(category, portlet, pages, 1))
        listings[f"/{category}"] = [a["url"] for a in pages[0]]
        query = html.unescape(pages_link(category, portlet, 2)).split("?", 1)[1]
        write(f"{category}?{query}", listing_page(category, portlet, pages, 2))
        listings[f"/{category}?{query}"] = [a["url"] for a in pages[1]]
    newest, older = articles[:4], articles[4:]
    box = "".join(f'<div class="item"><a href="{a["url"]}">{html.escape(a["title"])}</a>'
                  f'<p class="author">{ARTICLES[a["row"]][4] or ""}</p></div>' for a in newest)
    most_read = "".join(f'<li><a href="{a["url"]}">{html.escape(a["title"])}</a></li>' for a in older)
    body = f'<div class="home-hot">{box}</div><div class="doc-nhieu"><h3>Đọc nhiều</h3><ul>{most_read}</ul></div>'
    write("index.html", document("Tạp chí Cộng sản", BASE + "/", body))
    listings["/"] = [a["url"] for a in newest + older]
    listings["all_articles"] = sorted(a["url"] for a in articles)
    (EXP / "listings.json").write_text(json.dumps(listings, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
