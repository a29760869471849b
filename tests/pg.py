"""A real PostgreSQL 15 for the tests: ``initdb`` and ``pg_ctl`` into a temporary folder.

Nothing has to be running before the suite: the server starts once per session,
listens only on a Unix socket inside its own folder (no port to collide with another
suite), and is stopped and deleted at the end.  PostgreSQL refuses to run as root, so
as root the binaries run as the ``postgres`` user, in a folder that user owns.
Durability is switched off (``fsync=off``): a test cluster is thrown away anyway.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

#: where Debian's postgresql-15 and a /usr/local symlink put the binaries
SEARCH = ("/usr/lib/postgresql/15/bin", "/usr/local/bin", *sorted(glob.glob("/usr/lib/postgresql/*/bin")))
PORT = 5432  # only names the socket file, in a private folder


class PostgresUnavailable(RuntimeError):
    pass


def find_bindir() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``; ``$PARTYFEED_PG_BIN`` first."""
    candidates = [os.environ.get("PARTYFEED_PG_BIN", ""), *SEARCH]
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for folder in filter(None, candidates):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    raise PostgresUnavailable(
        "PostgreSQL binaries (initdb, pg_ctl) not found in " + ", ".join(SEARCH)
        + " — install postgresql-15 (.ci/run does) or set PARTYFEED_PG_BIN")


class TempPostgres:
    """One throwaway cluster; :meth:`new_database` gives each test its own database."""

    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="partyfeed-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._as: list[str] = []
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PostgresUnavailable("running as root, and there is no postgres user") from exc
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._names = itertools.count(1)

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise PostgresUnavailable(f"{args[0]} failed:\n{done.stdout}{done.stderr}{log}")

    def start(self) -> TempPostgres:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync")
        options = (f"-k {self.root} -c listen_addresses='' -p {PORT} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                  "-o", options, "-w", "start")
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.root}&port={PORT}"

    def new_database(self, prefix: str = "test") -> str:
        """A fresh, empty database's SQLAlchemy URL."""
        name = f"{prefix}_{next(self._names)}"
        with psycopg.connect(host=str(self.root), port=PORT, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)
