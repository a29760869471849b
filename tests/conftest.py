"""Shared fixtures: the saved copy of dangcongsan.vn on loopback, and throwaway installs.

Commands run as real processes (``python -m scheduler …`` is ``partyfeed …``) with
their own data folder, database and feeds folder, the way a user or cron runs them.
"""

from __future__ import annotations

import errno
import json
import os
import queue
import shutil
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest

from crawler.storage import Storage
from scheduler.sitecopy import FolderHandler, base_url, serving

from .pg import PostgresUnavailable, TempPostgres
from .redis_server import RedisServer
from .sitegen import Copy, serve, templates

REPO = Path(__file__).resolve().parent.parent
DCS = REPO / "tests" / "sites" / "dangcongsan"
SITE_ROOT = DCS / "site"
EXPECTED_DIR = DCS / "expected"
#: what a reader must never see, on any page of the copy
CHROME = ("CÓ THỂ BẠN QUAN TÂM", "Ý kiến bình luận", "Họ và tên", "Lời bình", "Xác thực",
          "leftcenterrightdel", "(ĐCSVN)", "<script", "\u200b")


def expected_articles() -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(EXPECTED_DIR.glob("*.json")) if p.stem != "listings"]


def site_status(status_json: str, site: str = "dangcongsan") -> dict:
    """One site's entry in ``partyfeed status --json`` (sites come sorted by name)."""
    return next(entry for entry in json.loads(status_json) if entry["site"] == site)


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


@pytest.fixture
def generated_site() -> Iterator[Callable[[int], tuple[Copy, str]]]:
    """``make(n)``: a generated copy of n legacy articles on loopback, and its base URL."""
    servers = []

    def make(size: int) -> tuple[Copy, str]:
        copy = Copy(size, templates())
        server = serve(copy)
        servers.append(server)
        return copy, f"http://127.0.0.1:{server.server_address[1]}"

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server for the session; tests keep apart by flushing it."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


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
class SmallDisk:
    """A real, tiny filesystem (tmpfs) that a test can fill up."""

    path: Path

    def fill(self, leave: int = 0) -> None:
        """Fill the filesystem, then give back ``leave`` bytes."""
        fd = os.open(self.path / "filler", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        size = 0
        try:
            while True:
                size += os.write(fd, b"\0" * 65536)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
        os.ftruncate(fd, max(0, size - leave))
        os.close(fd)

    def free(self) -> None:
        (self.path / "filler").unlink()

    def read_only(self) -> None:
        """Remount it read-only, as a failing disk or a careful admin would."""
        subprocess.run(["mount", "-o", "remount,ro", str(self.path)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """A 4 MiB tmpfs mounted for the test (needs root, as in CI; skipped otherwise)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield SmallDisk(mount)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


@dataclass(frozen=True)
class Answer:
    """What the hostile copy answers for one path instead of the saved file."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


#: what the hostile copy answers for a path: one Answer always, or a list served in turn
#: (the last one repeating), e.g. ``[Answer(429, …), Answer(200, …)]``
Answers = dict[str, "Answer | list[Answer]"]


class _HostileHandler(FolderHandler):
    def __init__(self, *args: object, answers: Answers, seen: list[str],
                 times: list[float] | None = None, **kwargs: object) -> None:
        self.answers = answers
        self.seen = seen
        self.times = times
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def do_GET(self) -> None:  # noqa: N802
        self.seen.append(self.path)
        if self.times is not None:
            self.times.append(time.monotonic())
        answer = self.answers.get(self.path)
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        if answer is None:
            return super().do_GET()
        self.send_response(answer.status)
        headers = dict(answer.headers)
        headers.setdefault("Content-Type", "text/html; charset=utf-8")
        headers.setdefault("Content-Length", str(len(answer.body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(answer.body)
        except OSError:  # the crawler hung up on a page it will not read
            pass


def copy_handler(answers: Answers, seen: list[str], root: Path = SITE_ROOT,
                 times: list[float] | None = None) -> Callable[..., object]:
    """The request handler of :func:`hostile_copy`, to serve one host of a fake web."""
    return partial(_HostileHandler, roots={"": root.resolve()}, answers=answers, seen=seen, times=times)


@contextmanager
def hostile_copy(answers: Answers, root: Path = SITE_ROOT,
                 times: list[float] | None = None) -> Iterator[tuple[str, list[str]]]:
    """The saved copy on loopback, except that ``answers`` (URL path → Answer) override it.

    Yields the base URL and the list of request paths the server saw, in order (and
    appends each request's ``time.monotonic()`` to ``times`` if given).
    """
    seen: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), copy_handler(answers, seen, root, times))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield base_url(server), seen
    finally:
        server.shutdown()
        server.server_close()


def _self_signed(directory: Path, host: str) -> ssl.SSLContext:
    """A TLS server context with a throwaway certificate (Scrapy, like a browser behind an
    intercepting proxy, is not told to verify it: its default context does not)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    return context


class _Proxy(BaseHTTPRequestHandler):
    """An HTTPS proxy that is the whole web: ``CONNECT host:443``, then TLS, then the
    handler given for that host (or for ``*``)."""

    def __init__(self, *args: object, tls: ssl.SSLContext,
                 hosts: dict[str, Callable[..., object]], **kwargs: object) -> None:
        self.tls = tls
        self.hosts = hosts
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def do_CONNECT(self) -> None:  # noqa: N802
        host = self.path.rsplit(":", 1)[0]
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        try:
            inner = self.tls.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError):
            return
        self.hosts.get(host, self.hosts["*"])(inner, self.client_address, self.server)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def web_through_proxy(directory: Path, hosts: dict[str, Callable[..., object]]) -> Iterator[str]:
    """A loopback proxy standing in for the internet; yields its ``http://`` URL, for
    ``https_proxy``, so a crawl without ``--mirror`` reaches ``https://dangcongsan.vn``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(
        _Proxy, tls=_self_signed(directory, "dangcongsan.vn"), hosts=hosts))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield base_url(server)
    finally:
        server.shutdown()
        server.server_close()


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
                for p in sorted((SITES_DIR / self.name / "expected").glob("*.json"))
                if p.stem != "listings"]

    def listings(self) -> dict[str, list[str]]:
        return json.loads((SITES_DIR / self.name / "expected" / "listings.json").read_text(encoding="utf-8"))

    def page(self, url: str) -> Path:
        """The file the copy serves for ``url`` (a folder's index.html)."""
        path = self.root / unquote(url.split("://", 1)[1].split("/", 1)[1].split("?", 1)[0])
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
