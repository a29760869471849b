"""Requests per second of the feed server against static servers of the same bytes.

    apt-get install -y wrk nginx-light      # nginx optional; python -m http.server always runs
    .venv/bin/python bench/serve.py [--seconds 8] [--connections 32]

Feeds are built from the 10k-article bench database (``bench/feeds_build.py`` makes it).
The feed server runs in its own process (``feeds.serve.serve_forever``, as
``partyfeed serve``); ``/all.atom`` is fetched once, and its exact bytes are written to a
folder served by ``python -m http.server`` and by nginx.  wrk then measures, one after
the other on loopback: a cached 200 and a 304 (``If-None-Match``) from the feed server,
the same file from http.server (which answers 200 only), and a 200 and a 304 from
nginx.  Ratios are against the baselines measured in this run.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.feeds_build import BENCH_DIR, make_db  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str] | None = None) -> float:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{url}: {non2xx.group(1)} error responses\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def get(port: int, path: str, headers: dict[str, str] | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 2
    db = BENCH_DIR / "articles-10000.db"
    if not db.exists():
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        make_db(db, 10_000)
    work = Path(tempfile.mkdtemp(prefix="pf-serve-"))
    procs: list[subprocess.Popen] = []
    try:
        shutil.copy(db, work / "db.sqlite")
        env = {**os.environ, "PYTHONPATH": str(REPO), "PARTYFEED_DB": f"sqlite:///{work / 'db.sqlite'}",
               "PARTYFEED_FEEDS_DIR": str(work / "feeds"), "PARTYFEED_DATA_DIR": str(work)}
        subprocess.run([sys.executable, "-m", "scheduler", "feeds"], env=env, check=True,
                       capture_output=True)
        ours = free_port()
        procs.append(subprocess.Popen(
            [sys.executable, "-c", "from crawler.config import load_config; from feeds.serve import "
             f"serve_forever; serve_forever(load_config(), port={ours})"],
            env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_port(ours)
        status, headers, body = get(ours, "/all.atom")
        assert status == 200
        etag = headers["etag"]
        assert get(ours, "/all.atom", {"If-None-Match": etag})[0] == 304
        static = work / "static"
        static.mkdir()
        (static / "all.atom").write_bytes(body)
        for path in (work, static, static / "all.atom"):  # nginx workers run as nobody
            path.chmod(0o755 if path.is_dir() else 0o644)
        print(f"/all.atom: {len(body):,} bytes, identity encoding; wrk -t2 -c{args.connections} "
              f"-d{args.seconds}s, loopback, {os.cpu_count()} cores")

        py = free_port()
        procs.append(subprocess.Popen([sys.executable, "-m", "http.server", str(py), "-b", "127.0.0.1",
                                       "-d", str(static)], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        wait_port(py)
        nginx_port = None
        if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
            nginx_port = free_port()
            conf = work / "nginx.conf"
            conf.write_text(f"""
worker_processes 1; daemon off; pid {work}/nginx.pid; error_log {work}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{ access_log off; types {{ application/atom+xml atom; }}
  client_body_temp_path {work}/nb; proxy_temp_path {work}/np; fastcgi_temp_path {work}/nf;
  uwsgi_temp_path {work}/nu; scgi_temp_path {work}/ns;
  server {{ listen 127.0.0.1:{nginx_port}; root {static}; etag on; }} }}
""")
            procs.append(subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(conf)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_port(nginx_port)

        rows = []
        ours_200 = wrk(f"http://127.0.0.1:{ours}/all.atom", args.seconds, args.connections)
        ours_304 = wrk(f"http://127.0.0.1:{ours}/all.atom", args.seconds, args.connections,
                       {"If-None-Match": etag})
        py_200 = wrk(f"http://127.0.0.1:{py}/all.atom", args.seconds, args.connections)
        rows += [("partyfeed serve, 200 (cached feed)", ours_200),
                 ("partyfeed serve, 304 (If-None-Match)", ours_304),
                 ("python -m http.server, 200 (same bytes)", py_200)]
        if nginx_port:
            n_headers = get(nginx_port, "/all.atom")[1]
            nginx_200 = wrk(f"http://127.0.0.1:{nginx_port}/all.atom", args.seconds, args.connections)
            nginx_304 = wrk(f"http://127.0.0.1:{nginx_port}/all.atom", args.seconds, args.connections,
                            {"If-None-Match": n_headers["etag"]})
            rows += [("nginx, 200 (same bytes)", nginx_200), ("nginx, 304 (If-None-Match)", nginx_304)]
        print(f"{'server':45} {'req/s':>10}")
        for name, rps in rows:
            print(f"{name:45} {rps:10.0f}")
        print(f"\nours 200 / http.server 200: {ours_200 / py_200:.2f}x")
        if nginx_port:
            print(f"ours 200 / nginx 200: {ours_200 / nginx_200:.2f}x")
            print(f"ours 304 / nginx 304: {ours_304 / nginx_304:.2f}x")
        return 0
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
