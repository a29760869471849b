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

from .pg import PostgresUnavailable, TempPostgres

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
    #: another database than the SQLite file in the data folder (a PostgreSQL URL)
    db: str | None = None

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def db_url(self) -> str:
        return self.db or f"sqlite:///{self.data_dir / 'partyfeed.db'}"

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


@pytest.fixture(scope="session")
def postgres() -> Iterator[TempPostgres]:
    """A real PostgreSQL for the session.  Missing binaries fail the tests that need it;
    ``PARTYFEED_TEST_POSTGRES=skip`` turns that into a reported skip, on purpose only."""
    try:
        server = TempPostgres().start()
    except PostgresUnavailable as exc:
        if os.environ.get("PARTYFEED_TEST_POSTGRES") == "skip":
            pytest.skip(f"PostgreSQL: {exc}")
        pytest.fail(f"PostgreSQL is needed by these tests and could not start: {exc}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend: an SQLite file, a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'partyfeed.db'}"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_install(request: pytest.FixtureRequest, tmp_path: Path) -> Install:
    """An installation storing in SQLite, then in a fresh PostgreSQL database."""
    root = tmp_path / "install"
    root.mkdir()
    if request.param == "sqlite":
        return Install(root)
    return Install(root, request.getfixturevalue("postgres").new_database())


@pytest.fixture
def editable_copy(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A private copy of the site, served, to edit between crawls: (its folder, its URL)."""
    root = tmp_path / "site"
    shutil.copytree(SITE_ROOT, root)
    with serving(root) as url:
        yield root, url


@dataclass
class ServerProcess:
    """``partyfeed serve`` running on a copy of the crawled install; its merged output."""

    install: Install
    process: subprocess.Popen[str]
    lines: Lines
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class ServerProcesses:
    """Starts ``partyfeed serve --port 0`` processes; the fixture stops them."""

    def __init__(self, crawled: Install, folder: Path) -> None:
        self.crawled = crawled
        self.folder = folder
        self.started: list[ServerProcess] = []

    def start(self, file_limit: int | None = None) -> ServerProcess:
        """``file_limit``: RLIMIT_NOFILE of the server process (soft and hard)."""

        def limit_files() -> None:
            import resource

            resource.setrlimit(resource.RLIMIT_NOFILE, (file_limit, file_limit))

        install = self.crawled.copy_to(self.folder / f"served-{len(self.started)}")
        process = subprocess.Popen(install.command("serve", "--port", "0"), cwd=install.root,
                                   env=install.env, text=True, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT,
                                   preexec_fn=limit_files if file_limit else None)
        server = ServerProcess(install, process, Lines(process), 0)
        self.started.append(server)
        ready = server.lines.wait_for("serving ", timeout=60)
        server.port = int(ready.split(" at http://127.0.0.1:", 1)[1].split("/", 1)[0])
        return server

    def stop_all(self) -> None:
        for server in self.started:
            server.process.terminate()
            server.process.wait(timeout=30)


@pytest.fixture
def serve_process(crawled, tmp_path: Path) -> Iterator[ServerProcesses]:
    servers = ServerProcesses(crawled[0], tmp_path)
    yield servers
    servers.stop_all()
