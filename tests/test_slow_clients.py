"""Clients that hold connections without asking for anything, ask very slowly, or go away
mid-response.  ``partyfeed serve`` runs as a real process with the common open-file limit
of 1,024 (issue 12: 1,100 silent connections used to leave readers with no answer)."""

from __future__ import annotations

import http.client
import resource
import socket
import time

import feedparser
import pytest

from feeds.serve import HEADER_TIMEOUT

from .conftest import Lines, ServerProcesses

FILE_LIMIT = 1024
SILENT = 1100


@pytest.fixture
def server(serve_process: ServerProcesses) -> tuple[int, Lines]:
    """``partyfeed serve`` under a 1,024 open-file limit: its port and log lines."""
    started = serve_process.start(file_limit=FILE_LIMIT)
    return started.port, started.lines


def _poll(port: int, timeout: float = 30) -> tuple[int, float]:
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/all.atom")
        response = conn.getresponse()
        body = response.read()
        assert feedparser.parse(body).entries
        return response.status, time.monotonic() - started
    finally:
        conn.close()


def _closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_idle_connections_beyond_the_file_limit_leave_readers_answered(server) -> None:
    port, lines = server
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4 * SILENT)), hard))
    silent = []
    try:
        for _ in range(SILENT):
            silent.append(socket.create_connection(("127.0.0.1", port), timeout=HEADER_TIMEOUT * 3))
        answers = [_poll(port) for _ in range(5)]
        assert [status for status, _ in answers] == [200] * 5
        print("reader polls answered in", ", ".join(f"{s:.2f}s" for _, s in answers))
        # the silent connections are cut by the server, not by us
        assert _closed_by_server(silent[0]) and _closed_by_server(silent[-1])
    finally:
        for sock in silent:
            sock.close()
    lines.wait_for("that had sent no request")  # shed, in one line
    assert _poll(port)[0] == 200
    assert not any("Traceback" in line for line in lines.seen), "".join(lines.seen)


def test_silent_and_slow_clients_are_timed_out(server) -> None:
    port, lines = server
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=HEADER_TIMEOUT * 3) as silent, \
            socket.create_connection(("127.0.0.1", port), timeout=HEADER_TIMEOUT * 3) as slow:
        slow.sendall(b"GET /all.atom HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
        assert _closed_by_server(silent) and _closed_by_server(slow)
    assert time.monotonic() - started < HEADER_TIMEOUT * 2
    # a keep-alive connection that asked once and then idles is closed as well
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HEADER_TIMEOUT * 3)
    conn.request("GET", "/all.rss")
    assert conn.getresponse().read()
    assert _closed_by_server(conn.sock)
    conn.close()
    assert _poll(port)[0] == 200


def test_a_client_that_goes_away_is_one_log_line(server) -> None:
    port, lines = server
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"GET /all.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert sock.recv(100).startswith(b"HTTP/1.1 200")
    # reset, not a clean close, with most of the response unread
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()
    line = lines.wait_for("disconnected")
    assert line.count("\n") == 1 and "client 127.0.0.1:" in line
    assert _poll(port)[0] == 200
    assert not any("Traceback" in seen for seen in lines.seen), "".join(lines.seen)
