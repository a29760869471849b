"""The page at ``/`` as a person sees it: Debian's Chromium, headless, on a phone-sized
screen, looking at ``partyfeed serve`` after a crawl of the copy.  The test reads the
rendered text (not the HTML source), follows the subscribe links, presses a copy button
and reads the clipboard, checks that nothing scrolls sideways and that nothing is
loaded from anywhere else, and keeps a screenshot (path printed; ``artifacts/`` is not
committed)."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import sync_playwright

from crawler.extraction.dates import VIETNAM
from crawler.sites import all_sites

from .conftest import REPO, ServerProcesses

CHROMIUM = "/usr/bin/chromium"
#: headless on a machine without a network (see the environment notes): no background
#: connections, no first-run or component updates
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
ARTIFACTS = Path(os.environ.get("PARTYFEED_ARTIFACTS", REPO / "artifacts"))


def test_index_page_on_a_phone(serve_process: ServerProcesses, tmp_path: Path) -> None:
    server = serve_process.start()
    storage = server.install.storage()
    newest = storage.recent(limit=5)
    feeds = sorted(p.name for p in server.install.feeds_dir.iterdir() if p.suffix != ".opml")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=FLAGS, headless=True,
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
            locale="vi-VN", permissions=["clipboard-read", "clipboard-write"])
        try:
            page = browser.new_page()
            requested: list[str] = []
            problems: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            response = page.goto(server.url + "/")
            assert response is not None and response.status == 200
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / "index-phone.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"\nscreenshot of the index page on a phone: {shot}")

            seen = page.inner_text("body")
            # sites and categories by their Vietnamese names, with health and last crawl
            site = all_sites()["dangcongsan"]
            assert site.title in seen
            for slug in storage.category_slugs("dangcongsan"):
                if f"dangcongsan-{slug}.atom" in feeds and slug in site.categories:
                    assert site.categories[slug] in seen
            section = page.inner_text("#site-dangcongsan")
            assert "Hoạt động tốt" in section and "Lần thu thập gần nhất:" in section
            last = storage.runs("dangcongsan", limit=1)[0].finished.astimezone(VIETNAM)
            assert last.strftime("%H:%M %d/%m/%Y") in section
            # the newest articles, each with its time in Vietnam time
            news = page.inner_text(".news")
            for article in newest:
                assert " ".join(article.title.split()) in " ".join(news.split())
                assert article.published.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y") in news

            # every subscribe link leads to a feed of the format it names
            links = page.eval_on_selector_all(
                "ul.feeds a[href]", "els => els.map(a => [a.textContent, a.href])")
            assert {href.rsplit("/", 1)[1] for _, href in links} == set(feeds)
            kinds = {"RSS": "application/rss+xml", "Atom": "application/atom+xml",
                     "JSON Feed": "application/feed+json"}
            for label, href in links[:6]:
                answer = page.request.get(href)
                assert answer.status == 200 and answer.headers["content-type"].startswith(kinds[label])

            # the copy button puts the feed's absolute address on the clipboard
            button = page.locator(f'button[data-url="{server.url}/all.atom"]')
            button.tap()
            assert page.evaluate("navigator.clipboard.readText()") == f"{server.url}/all.atom"
            assert button.inner_text() == "Đã chép"

            # readable on a phone: nothing wider than the screen, text and buttons big enough
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 16
            heights = page.eval_on_selector_all(
                "button", "els => els.map(b => b.getBoundingClientRect().height)")
            assert heights and min(heights) >= 32
            # self-contained: nothing requested from anywhere but this server
            assert requested and all(url.startswith(server.url) for url in requested), requested
            assert not problems, problems
        finally:
            browser.close()
