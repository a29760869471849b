"""Shared fixtures: the saved copy of dangcongsan.vn on loopback, and throwaway installs.

Commands run as real processes (``python -m scheduler …`` is ``partyfeed …``) with
their own data folder, database and feeds folder, the way a user or cron runs them.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawler.storage import Storage
from scheduler.sitecopy import serving

REPO = Path(__file__).resolve().parent.parent
DCS = REPO / "tests" / "sites" / "dangcongsan"
SITE_ROOT = DCS / "site"
EXPECTED_DIR = DCS / "expected"
#: what a reader must never see, on any page of the copy
CHROME = ("CÓ THỂ BẠN QUAN TÂM", "Ý kiến bình luận", "Họ và tên", "Lời bình", "Xác thực",
          "leftcenterrightdel", "(ĐCSVN)", "<script", "\u200b")


def expected_articles() -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(EXPECTED_DIR.glob("*.json")) if p.stem.isdigit()]


def fixture_path(url: str) -> Path:
    return SITE_ROOT / url.split("://", 1)[1].split("/", 1)[1]


class Lines:
    """The merged output of a process, line by line, waited on without sleeping."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        assert process.stdout is not None
        threading.Thread(target=self._pump, args=(process.stdout,), daemon=True).start()

    def _pump(self, stream: Iterable[str]) -> None:
        for line in stream:
            self.queue.put(line)
        self.queue.put(None)

    def wait_for(self, needle: str, count: int = 1, timeout: float = 120) -> str:
        """Block until ``needle`` has appeared ``count`` times; returns the last such line."""
        while sum(needle in line for line in self.seen) < count:
            line = self.queue.get(timeout=timeout)
            assert line is not None, f"process ended before {needle!r}:\n{''.join(self.seen)}"
            self.seen.append(line)
        return [line for line in self.seen if needle in line][-1]


@dataclass
class Install:
    """One partyfeed installation: its own data folder, database and feeds."""

    root: Path

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'partyfeed.db'}"

    @property
    def feeds_dir(self) -> Path:
        return self.data_dir / "feeds"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARTYFEED_")}
        env.update(PARTYFEED_DATA_DIR=str(self.data_dir), PARTYFEED_DB=self.db_url,
                   PARTYFEED_FEEDS_DIR=str(self.feeds_dir), PYTHONPATH=str(REPO))
        return env

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "scheduler", *args]

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(*args), cwd=self.root, env=self.env, text=True,
                              capture_output=True, timeout=timeout)

    def start(self, *args: str) -> tuple[subprocess.Popen[str], Lines]:
        """A long-running command (daemon, server), its output readable line by line."""
        process = subprocess.Popen(self.command(*args), cwd=self.root, env=self.env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return process, Lines(process)

    def storage(self) -> Storage:
        return Storage(self.db_url)

    def copy_to(self, other: Path) -> Install:
        shutil.copytree(self.root, other)
        return Install(other)


@pytest.fixture(scope="session")
def site_copy() -> Iterator[str]:
    with serving(SITE_ROOT) as url:
        yield url


@pytest.fixture
def install(tmp_path: Path) -> Install:
    root = tmp_path / "install"
    root.mkdir()
    return Install(root)


@pytest.fixture(scope="session")
def crawled(site_copy: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Install, subprocess.CompletedProcess[str]]:
    """One full crawl of the copy; tests that change state work on a copy of it."""
    root = tmp_path_factory.mktemp("crawled") / "install"
    root.mkdir()
    inst = Install(root)
    result = inst.run("crawl", "dangcongsan", "--mirror", site_copy)
    assert result.returncode == 0, result.stderr
    return inst, result


# --- every site's copy: tests/sites/<site>/{site,expected} -------------------------------------

SITES_DIR = REPO / "tests" / "sites"


@dataclass(frozen=True)
class SiteCopyFiles:
    """One site's local copy and the articles expected from it."""

    name: str

    @property
    def root(self) -> Path:
        return SITES_DIR / self.name / "site"

    def articles(self) -> list[dict]:
        return [json.loads(p.read_text(encoding="utf-8"))
                for p in sorted((SITES_DIR / self.name / "expected").glob("*.json")) if p.stem.isdigit()]

    def listings(self) -> dict[str, list[str]]:
        return json.loads((SITES_DIR / self.name / "expected" / "listings.json").read_text(encoding="utf-8"))

    def page(self, url: str) -> Path:
        """The file the copy serves for ``url`` (a folder's index.html)."""
        path = self.root / url.split("://", 1)[1].split("/", 1)[1].split("?", 1)[0]
        return path / "index.html" if path.is_dir() else path


@pytest.fixture(scope="session")
def site_copies() -> Iterator[str]:
    """Every bundled copy on one loopback server; ``{site}`` in the URL is the site's prefix."""
    from scheduler.sitecopy import site_copies as copies

    with serving(copies(SITES_DIR)) as url:
        yield url


def crawl_one(install: Install, site: str, mirror: str) -> subprocess.CompletedProcess[str]:
    result = install.run("crawl", site, "--mirror", mirror)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def assert_stored_as_expected(install: Install, expected: list[dict]) -> None:
    """Every expected article is in the database with every field as the source says."""
    from datetime import datetime

    storage = install.storage()
    try:
        stored = {a.url: a for a in storage.recent(limit=10_000)}
    finally:
        storage.close()
    for want in expected:
        got = stored.get(want["url"])
        assert got is not None, f"not stored: {want['url']}"
        assert (got.site, got.article_id, got.title) == (want["site"], want["article_id"], want["title"])
        assert got.published == datetime.fromisoformat(want["published"])
        assert (got.summary, got.authors, got.source) == (want["summary"], want["authors"], want.get("source"))
        assert (got.category, got.category_slug, got.tags) == (want["category"], want["category_slug"], want["tags"])
        assert [(i.url, i.caption) for i in got.images] == [(i["url"], i["caption"]) for i in want["images"]]
        assert got.body_text == want["body_text"]


def atom_errors(body: bytes) -> list[str]:
    """Why an Atom document is not valid: feedparser's complaint and the RFC 4287 RELAX NG schema's."""
    import feedparser
    from lxml import etree

    problems = []
    parsed = feedparser.parse(body)
    if parsed.bozo:
        problems.append(f"feedparser: {parsed.bozo_exception}")
    schema = etree.RelaxNG(etree.parse(str(REPO / "tests" / "atom-rfc4287.rng")))
    if not schema.validate(etree.fromstring(body)):
        problems.append(f"RELAX NG: {schema.error_log}")
    return problems
