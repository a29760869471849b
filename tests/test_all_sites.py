"""Every site at once: one crawl with no site named, one database, one combined feed, one status.

The sites are whatever modules ``crawler/sites`` holds; nothing here names them.
"""

from __future__ import annotations

import json
import shutil
import signal
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from crawler.sites import all_sites, site_for_url
from feeds.build import opml_groups
from scheduler.sitecopy import serving

from .conftest import Install, SiteCopyFiles, assert_stored_as_expected, atom_errors

COPIES = {name: SiteCopyFiles(name) for name in all_sites()}


def test_every_site_has_a_copy_expected_articles_and_its_own_defaults() -> None:
    for name, copy in COPIES.items():
        site = all_sites()[name]
        assert copy.root.is_dir() and copy.articles(), name
        # a default category is a listing the site has (dangcongsan's /tin-hoat-dong lists the
        # 2026 portal's articles whatever their section, so it is no category of theirs)
        assert site.default_categories, name
        assert all(copy.page(site.category_url(slug)).is_file() for slug in site.default_categories), name
        assert all(a["site"] == name and site.is_article(a["url"]) for a in copy.articles()), name


@pytest.fixture(scope="module")
def everything(site_copies: str, tmp_path_factory: pytest.TempPathFactory) -> Install:
    root = tmp_path_factory.mktemp("all-sites") / "install"
    root.mkdir()
    install = Install(root)
    result = install.run("crawl", "--mirror", site_copies, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    for name, copy in COPIES.items():
        assert f"{name}: ok — " in result.stdout, result.stdout
    return install


def test_a_crawl_with_no_site_named_stores_every_article_of_every_site(everything: Install) -> None:
    assert_stored_as_expected(everything, [a for copy in COPIES.values() for a in copy.articles()])
    storage = everything.storage()
    try:
        stored = storage.recent(limit=10_000)
    finally:
        storage.close()
    # a story linked from another site is stored once, by its own site's module
    assert Counter(a.site for a in stored) == {name: len(copy.articles()) for name, copy in COPIES.items()}
    assert all(site_for_url(a.url).name == a.site for a in stored)


def test_the_combined_feed_spans_the_sites_and_validates(everything: Install) -> None:
    atom = (everything.feeds_dir / "all.atom").read_bytes()
    assert atom_errors(atom) == []
    text = atom.decode()
    for leak in ("&amp;#x", "&lt;!--", "<!--", "react-text", "Mời bạn đọc", "Quảng cáo"):
        assert leak not in text, leak
    entries = etree.fromstring(atom).findall("{http://www.w3.org/2005/Atom}entry")
    links = [link.get("href") for entry in entries for link in entry.iter("{http://www.w3.org/2005/Atom}link")
             if link.get("rel", "alternate") == "alternate"]
    storage = everything.storage()
    try:
        newest = storage.recent(limit=len(entries))
        groups = opml_groups(storage, "https://feeds.example.org/")
    finally:
        storage.close()
    # the newest articles of all sites together, whichever site they come from
    assert sorted(links) == sorted(a.url for a in newest) and len({a.site for a in newest}) > 1
    listed = {feed.key for group in groups for feed in group.feeds}
    assert {"all", *COPIES} <= listed  # the OPML offers every site's feed and the combined one


def test_status_lists_every_site_healthy(everything: Install) -> None:
    text = everything.run("status").stdout
    for name in COPIES:
        assert f"{name}: ok" in text, text
    statuses = json.loads(everything.run("status", "--json").stdout)
    assert {s["site"]: s["health"] for s in statuses} == dict.fromkeys(COPIES, "ok")
    assert all(not s["last_run"]["feeds_failed"] and not s["last_run"]["feeds_stale"] for s in statuses)


def test_several_sites_need_the_site_placeholder_in_the_mirror(install: Install) -> None:
    result = install.run("crawl", "--mirror", "http://127.0.0.1:9")
    assert result.returncode == 2
    assert "needs {site}" in result.stderr and "http://127.0.0.1:9/{site}/" in result.stderr


def test_the_daemon_runs_each_enabled_site_on_its_own_schedule(install: Install, site_copies: str) -> None:
    names = sorted(COPIES)
    slow, off = names[-1], names[0]  # any two sites will do
    (install.root / "partyfeed.toml").write_text(
        f'[sites.{slow}]\ninterval = "2h"\n\n[sites.{off}]\nenabled = false\n')
    daemon, lines = install.start("run", "--mirror", site_copies)
    try:
        for name in names:
            if name != off:
                lines.wait_for(f"crawl {name}: done", timeout=300)
        statuses = {s["site"]: s for s in json.loads(install.run("status", "--json").stdout)}
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0
    assert off not in statuses and set(statuses) == set(names) - {off}
    for name, status in statuses.items():
        assert status["health"] == "ok", status
        started = datetime.fromisoformat(status["last_run"]["started"])
        gap = datetime.fromisoformat(status["next_run"]) - started
        want = timedelta(hours=2) if name == slow else timedelta(minutes=30)  # jitter ≤ 60 s
        assert abs(gap - want) <= timedelta(seconds=90), (name, gap)


def test_each_site_is_judged_by_its_own_degraded_share(install: Install, tmp_path: Path) -> None:
    """Two sites redesign overnight (title class and title metadata gone); only the tolerant one stays ok."""
    strict, tolerant = "nhandan", "qdnd"  # any two sites will do
    copies = {}
    for name in (strict, tolerant):
        root = shutil.copytree(COPIES[name].root, tmp_path / name)
        layouts = all_sites()[name].layouts
        for page in root.rglob("*"):
            if page.is_file() and page.suffix in ("", ".html", ".htm", ".aspx"):
                text = page.read_text(encoding="utf-8", errors="surrogateescape")
                for layout in layouts:
                    css_class = layout.title.partition(".")[2]
                    if css_class:
                        text = text.replace(f'class="{css_class.replace(".", " ")}', 'class="headline-x')
                # and the new design carries no title metadata either
                text = text.replace('property="og:title"', 'property="og:x"').replace('"headline"', '"x"')
                page.write_text(text, encoding="utf-8", errors="surrogateescape")
        copies[name] = root
    (install.root / "partyfeed.toml").write_text(f"[sites.{tolerant}]\ndegraded_share = 1.0\n")
    with serving(copies) as mirror:
        result = install.run("crawl", strict, tolerant, "--mirror", mirror, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    health = {s["site"]: s["health"] for s in json.loads(install.run("status", "--json").stdout)}
    assert health[strict] == "degraded" and health[tolerant] == "ok", (health, result.stdout)
    fallback = {line.split(":")[0]: int(line.split(" by the generic layer")[0].rsplit(", ", 1)[1])
                for line in result.stdout.splitlines() if " by the generic layer" in line}
    assert fallback[strict] > 0 and fallback[tolerant] > 0  # both redesigned; one share tolerates it
