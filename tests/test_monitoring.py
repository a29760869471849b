"""Monitors see the daemon's health: /healthz, /metrics and the index, served by the daemon."""

from __future__ import annotations

import json
import signal
import urllib.error
import urllib.request

from .conftest import Install, expected_articles


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_daemon_serves_feeds_health_and_metrics(install: Install, site_copy: str) -> None:
    daemon, lines = install.start("run", "dangcongsan", "--interval", "1h", "--mirror", site_copy,
                                  "--serve", "127.0.0.1:0")
    try:
        url = lines.wait_for("serving feeds at").split(" at ")[-1].strip()
        lines.wait_for("crawl dangcongsan: done")
        status, body = _get(f"{url}healthz")
        assert status == 200, body
        health = json.loads(body)
        assert health["ok"] is True and health["sites"][0]["health"] == "ok"
        status, body = _get(f"{url}metrics")
        assert status == 200
        metrics = body.decode()
        assert f'partyfeed_articles{{site="dangcongsan"}} {len(expected_articles())}.0' in metrics
        assert 'partyfeed_site_healthy{health="ok",site="dangcongsan"} 1.0' in metrics
        status, body = _get(url)
        assert status == 200 and "Tình trạng chung: <span class=\"health ok\">Hoạt động tốt".encode() in body
        assert _get(f"{url}dangcongsan.atom")[0] == 200
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0


def test_healthz_fails_before_any_successful_crawl(install: Install) -> None:
    server, lines = install.start("serve", "--port", "0")
    try:
        url = lines.wait_for("serving ").split(" at ", 1)[1].split("/ ", 1)[0]
        status, body = _get(f"{url}/healthz")
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    assert status == 503
    assert json.loads(body)["sites"][0]["health"] == "unknown"
