"""The page at ``/``, for people: what can be subscribed to, what is new, and whether
each site is being crawled.

In Vietnamese, as the news is: site and category names from :mod:`crawler.sites` (or,
for a category the site module does not name, the name stored with its articles),
times in Vietnam time.  Each feed has a link per format and a copy button (the
address is what a reader app asks for); the newest articles link to the source.
One self-contained HTML document — inline style and script, no fonts, images or
scripts from anywhere — laid out for a phone first, wider screens get wider columns.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from crawler.extraction.dates import VIETNAM
from crawler.sites import all_sites
from crawler.storage import Storage

from .build import ALL, feed_target
from .changes import SUFFIX as CHANGES
from .opml import OPML_NAME
from .render import FORMATS

#: newest articles listed
NEWEST = 15
HEALTH_WORDS = {
    "ok": ("Hoạt động tốt", "ok"),
    "degraded": ("Chất lượng giảm", "warn"),
    "failing": ("Đang lỗi", "bad"),
    "unknown": ("Chưa thu thập", "unknown"),
}
FORMAT_NAMES = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}


@dataclass(frozen=True)
class FeedFiles:
    """The feeds that exist in the folder: stem → formats present."""

    formats: Mapping[str, frozenset[str]]

    @classmethod
    def scan(cls, folder: Path, name: re.Pattern[str]) -> FeedFiles:
        found: dict[str, set[str]] = {}
        if folder.is_dir():
            for entry in os.scandir(folder):
                match = name.match(entry.name)
                if match and match.group(2) and entry.is_file():
                    found.setdefault(match.group(1), set()).add(match.group(2))
        return cls({stem: frozenset(fmts) for stem, fmts in found.items()})


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def vietnam_time(when: datetime | None) -> str:
    return when.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y") if when else "—"


def _feed_row(stem: str, label: str, files: FeedFiles, base: str) -> str:
    links = []
    for fmt in FORMATS:
        if fmt not in files.formats.get(stem, ()):
            continue
        name = f"{stem}.{fmt}"
        links.append(
            f'<span class="sub"><a href="{_e(name)}" type="{_e(fmt)}">{FORMAT_NAMES[fmt]}</a>'
            f'<button type="button" data-url="{_e(base + name)}" '
            f'aria-label="Chép địa chỉ {FORMAT_NAMES[fmt]} của {_e(label)}">Chép</button></span>')
    return f'<li><span class="feed">{_e(label)}</span> {"".join(links)}</li>'


def _site_health(health: tuple[bool, dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """The per-site entries of the health report, by site name (entries that are not
    what :func:`scheduler.status.health_check` makes are ignored)."""
    if health is None:
        return {}
    sites = health[1].get("sites")
    return {s["site"]: s for s in sites if isinstance(s, dict) and "site" in s} \
        if isinstance(sites, list) else {}


def _category_name(storage: Storage, site: str, slug: str) -> str:
    named = all_sites()[site].categories.get(slug)
    if named:
        return named
    newest = storage.recent(site=site, limit=1, category_slug=slug)
    return (newest[0].category if newest else None) or slug


def _site_section(name: str, files: FeedFiles, storage: Storage, base: str,
                  health: Mapping[str, Any] | None) -> str:
    site = all_sites()[name]
    state = (health or {}).get("health") or "unknown"
    word, css = HEALTH_WORDS.get(state, (state, "unknown"))
    badge = (f'<span class="health {css}" data-health="{_e(state)}">{_e(word)}</span> · '
             if health is not None else "")
    runs = storage.runs(name, limit=1)
    if runs:
        last = runs[0]
        crawled = (f"Lần thu thập gần nhất: <time datetime=\"{_e(last.finished.isoformat())}\">"
                   f"{vietnam_time(last.finished)}</time> ({last.new} bài mới)")
    else:
        crawled = "Chưa thu thập lần nào"
    reason = (health or {}).get("reason")
    detail = f'<p class="reason">{_e(reason)}</p>' if reason and state != "ok" else ""
    categories = sorted(
        (_category_name(storage, name, target[1]), stem)
        for stem in files.formats
        if (target := feed_target(stem)) and target[0] == name and target[1])
    rows = [_feed_row(name, "Tất cả tin của trang", files, base)] if name in files.formats else []
    if name + CHANGES in files.formats:
        rows.append(_feed_row(name + CHANGES, "Bài bị sửa hoặc gỡ", files, base))
    rows += [_feed_row(stem, label, files, base) for label, stem in categories]
    host = site.home.split("//", 1)[1].strip("/")
    return (
        f'<section class="site" id="site-{_e(name)}"><h2>{_e(site.title)}</h2>'
        f'<p class="meta"><a href="{_e(site.home)}" rel="noopener noreferrer">{_e(host)}</a> · '
        f'{badge}{crawled}</p>'
        f'{detail}<ul class="feeds">{"".join(rows) or "<li>Chưa có nguồn tin nào.</li>"}</ul></section>'
    )


def _newest(storage: Storage) -> str:
    items = []
    for article in storage.recent(limit=NEWEST):
        site = all_sites().get(article.site)
        source = site.title if site else article.site
        when = article.published
        stamp = (f'<time datetime="{_e(when.isoformat())}">{vietnam_time(when)}</time>'
                 if when else "")
        category = f" · {_e(article.category)}" if article.category else ""
        items.append(
            f'<li><a href="{_e(article.url)}" rel="noopener noreferrer">{_e(article.title or article.url)}</a>'
            f'<span class="meta">{stamp} · {_e(source)}{category}</span></li>')
    return "".join(items) or "<li>Chưa có bài nào.</li>"


_STYLE = """
:root{color-scheme:light dark;--fg:#1b1b1b;--bg:#fff;--muted:#5c5c5c;--line:#ddd;--accent:#a30000}
@media (prefers-color-scheme:dark){:root{--fg:#eee;--bg:#141414;--muted:#aaa;--line:#333;--accent:#ff6b6b}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:64rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.2rem 0 .5rem;color:var(--accent)}
h2{font-size:1.2rem;margin:1.2rem 0 .3rem}
a{color:inherit;overflow-wrap:anywhere}
ul{list-style:none;padding:0;margin:0}
.meta,.reason,.note{color:var(--muted);font-size:.9rem;margin:.2rem 0}
.feeds li{padding:.5rem 0;border-bottom:1px solid var(--line);display:flex;flex-wrap:wrap;align-items:center;gap:.4rem}
.feed{flex:1 1 100%;font-weight:600}
@media (min-width:30rem){.feed{flex:1 1 12rem}}
.sub{display:inline-flex;align-items:center;gap:.2rem;margin-right:.4rem}
.sub a{padding:.35rem .2rem}
button{font:inherit;font-size:.85rem;min-height:2.2rem;padding:.2rem .6rem;border:1px solid var(--line);border-radius:.4rem;background:transparent;color:inherit;cursor:pointer}
.health{font-weight:600}.health.ok{color:#1a7f37}.health.warn{color:#b35900}.health.bad{color:#cf222e}
.news li{padding:.5rem 0;border-bottom:1px solid var(--line)}
.news .meta{display:block}
.cols{display:grid;grid-template-columns:1fr;gap:0 2rem}
@media (min-width:50rem){.cols{grid-template-columns:3fr 2fr}}
code{overflow-wrap:anywhere}
"""

_SCRIPT = """
document.addEventListener('click', function (event) {
  var button = event.target.closest('button[data-url]');
  if (!button) return;
  var url = button.getAttribute('data-url');
  function done(ok) {
    button.textContent = ok ? 'Đã chép' : 'Hãy chép tay: ' + url;
    button.setAttribute('data-copied', ok ? 'yes' : 'no');
    setTimeout(function () { button.textContent = 'Chép'; }, 2500);
  }
  function fallback() {
    var box = document.createElement('textarea');
    box.value = url; box.setAttribute('readonly', ''); box.style.position = 'fixed'; box.style.opacity = '0';
    document.body.appendChild(box); box.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    box.remove(); done(ok);
  }
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(url).then(function () { done(true); }, fallback);
  } else { fallback(); }
});
"""


def render_index(*, files: FeedFiles, storage: Storage, base: str,
                 health: tuple[bool, dict[str, Any]] | None, now: datetime) -> bytes:
    by_site = _site_health(health)
    sites = "".join(_site_section(name, files, storage, base, by_site.get(name))
                    for name in all_sites())
    combined = (f'<ul class="feeds">{_feed_row(ALL, "Tin của tất cả các trang", files, base)}'
                + (_feed_row(ALL + CHANGES, "Bài bị sửa hoặc gỡ ở tất cả các trang", files, base)
                   if ALL + CHANGES in files.formats else "")
                + "</ul>" if ALL in files.formats else "")
    overall = ""
    if health is not None:
        overall = (f'<p class="meta">Tình trạng chung: <span class="health {"ok" if health[0] else "bad"}">'
                   f'{"Hoạt động tốt" if health[0] else "Có trang đang lỗi"}</span> '
                   f'(<a href="healthz">healthz</a>)</p>')
    page = f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>partyfeed — tin tức Đảng và Nhà nước</title>
<link rel="alternate" type="application/atom+xml" title="Tất cả các trang" href="{_e(ALL)}.atom">
<style>{_STYLE}</style></head>
<body><main>
<h1>partyfeed — tin tức Đảng và Nhà nước</h1>
<p class="note">Toàn văn tin bài, đăng ký bằng ứng dụng đọc tin (RSS, Atom hoặc JSON Feed). Bấm
<b>Chép</b> để chép địa chỉ rồi dán vào ứng dụng. Giờ là giờ Việt Nam; trang cập nhật lúc
{vietnam_time(now)}.</p>
{overall}
<p class="meta">Đăng ký tất cả một lần: <span class="sub"><a href="{OPML_NAME}">{OPML_NAME}</a>
<button type="button" data-url="{_e(base + OPML_NAME)}" aria-label="Chép địa chỉ OPML">Chép</button></span></p>
<div class="cols">
<div><h2>Nguồn tin</h2>{combined}{sites}</div>
<div><h2>Tin mới nhất</h2><ul class="news">{_newest(storage)}</ul></div>
</div>
<p class="note">Lọc tin ngay trên địa chỉ: <code>?filter=…&amp;filterout=…&amp;limit=10&amp;format=json&amp;fulltext=0</code>
(<code>dang</code> tìm cả <code>Đảng</code>; xem README, mục “Subscribing”).</p>
</main><script>{_SCRIPT}</script></body></html>
"""
    return page.encode("utf-8")
