"""A silent redesign is noticed: generic-layer fallbacks and rejections mark a site degraded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from scheduler.sitecopy import serving

from .conftest import SITE_ROOT, Install


def _redesigned_copy(tmp_path: Path) -> Path:
    """The copy with the legacy article classes renamed, as an unannounced redesign would."""
    root = tmp_path / "site"
    shutil.copytree(SITE_ROOT, root)
    for page in root.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        if 'class="post-content"' in html:
            html = html.replace('class="post-content"', 'class="noi-dung-bai"')
            html = html.replace('class="post-title"', 'class="tieu-de"')
            page.write_text(html, encoding="utf-8")
    return root


def test_redesign_falls_back_to_generic_and_marks_the_site_degraded(
        install: Install, tmp_path: Path) -> None:
    with serving(_redesigned_copy(tmp_path)) as mirror:
        result = install.run("crawl", "dangcongsan", "--mirror", mirror)
    assert result.returncode == 0, result.stderr
    summary = result.stdout.splitlines()[0]
    fallback = int(summary.split(" by the generic layer")[0].rsplit(", ", 1)[1])
    assert fallback >= 15, summary
    site = _status(install)
    assert site["health"] == "degraded", site
    assert site["last_run"]["fallback"] == fallback
    with install.storage().engine.connect() as conn:
        layers = [json.loads(row[0]) for row in conn.exec_driver_sql("select layers from articles")]
    assert sum("generic" in (layer.get("title"), layer.get("published"))
               for layer in layers) == fallback


def test_threshold_is_configurable(install: Install, tmp_path: Path) -> None:
    (install.root / "partyfeed.toml").write_text("[sites.dangcongsan]\ndegraded_share = 1.0\n")
    with serving(_redesigned_copy(tmp_path)) as mirror:
        assert install.run("crawl", "dangcongsan", "--mirror", mirror).returncode == 0
    assert _status(install)["health"] == "ok"


def _status(install: Install) -> dict:
    """dangcongsan's entry of ``status --json`` (the other sites were never crawled here)."""
    return next(s for s in json.loads(install.run("status", "--json").stdout) if s["site"] == "dangcongsan")
