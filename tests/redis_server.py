"""A private redis-server for the tests: a Unix socket in a temp folder, no port to collide.

Started from the ``redis-server`` binary (``apt-get install redis-server``, as
``.ci/run`` does); the start waits for the server's own "ready" line, not a sleep.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass
class RedisServer:
    folder: Path
    #: write every change to an append-only file, so a restarted server has its data back
    durable: bool = False
    process: subprocess.Popen[str] | None = None

    @property
    def socket(self) -> Path:
        return self.folder / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install -y redis-server)")
        self.process = subprocess.Popen(
            [binary, "--port", "0", "--unixsocket", str(self.socket), "--dir", str(self.folder),
             "--save", "", "--loglevel", "notice",
             *(["--appendonly", "yes", "--appendfsync", "always"] if self.durable
               else ["--appendonly", "no"])],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.process.stdout is not None
        seen = []
        for line in self.process.stdout:
            seen.append(line)
            if "ready to accept connections" in line.lower():
                # keep reading, so a full pipe never stalls the server
                threading.Thread(target=self.process.stdout.read, daemon=True).start()
                return self
        raise RuntimeError("redis-server did not start:\n" + "".join(seen))

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None
