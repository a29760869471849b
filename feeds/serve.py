"""Serve the feeds folder: ``partyfeed serve``, the daemon's ``--serve``, ``partyfeed demo``.

The application is :mod:`feeds.app` (Starlette); this module runs it on uvicorn and
holds the connection-level rules.  Issue 12 found the old hand-written threaded server
holding a thread per connection forever: 1,100 silent connections under the common
1,024 open-file limit left readers unanswered.  Here:

* a connection must deliver its request headers within :data:`HEADER_TIMEOUT` of
  opening (or of the first byte of its next request) — silent and slowloris clients
  are closed; uvicorn does not time out a connection that never sends anything;
* between requests a connection may idle :data:`KEEP_ALIVE` seconds (uvicorn's
  ``timeout_keep_alive``);
* a client that stops reading its response is closed after :data:`WRITE_TIMEOUT`;
* a process has only so many descriptors (commonly 1,024): past
  :func:`connection_budget` connections, the silent connections that have waited
  longest are closed (a tenth of them), so a reader arriving during a flood of idle
  connections is answered at once, not after :data:`HEADER_TIMEOUT`.  Should
  ``accept()`` fail with EMFILE all the same, asyncio (not uvloop, whose libuv accepts
  and drops queued connections) pauses accepting for a second while the kernel queues
  new ones (backlog :data:`BACKLOG`), and silent connections are shed likewise.  These
  conditions, and a client that goes away, are logged as one line each, never a
  traceback.

The socket is bound before anything else starts, in the caller's thread, so a busy or
invalid address is a :class:`ServeError` (one line, exit status 2) before a daemon's
first crawl, and ``port=0`` gives a free port known at once (``server.url``).
"""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import re
import resource
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from crawler.config import Config, ConfigError

from .app import FeedSite, Health, Metrics, create_app
from .cache import ResponseCache

log = logging.getLogger(__name__)

#: seconds from connecting (or from a next request's first byte) to complete headers
HEADER_TIMEOUT = 10.0
#: seconds an idle keep-alive connection is kept
KEEP_ALIVE = 5
#: seconds a response may wait on a client that does not read it
WRITE_TIMEOUT = 30.0
#: connections the kernel queues while none can be accepted
BACKLOG = 2048
#: seconds running requests get to finish when the server stops
GRACEFUL = 5
#: out of descriptors, the longest-waiting 1/SHED_SHARE of the silent connections are closed
SHED_SHARE = 10
#: descriptors kept free of connections: database files, feed files being read, threads, logs
FD_RESERVE = 128
_OUT_OF_RESOURCES = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


_NON_ASCII = re.compile(rb"[\x80-\xff]")


class ServeError(ConfigError):
    """The address cannot be served on; the message is one line for the operator."""


class FeedProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol with a header deadline and a write deadline."""

    _header_timer: asyncio.TimerHandle | None = None
    _write_timer: asyncio.TimerHandle | None = None
    _waiting_since = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()
        budget = connection_budget()
        if len(self.connections) > budget:  # cheap test first; closed ones linger a moment
            live = sum(not conn.transport.is_closing() for conn in self.connections
                       if isinstance(conn, FeedProtocol))
            if live > budget:
                closed = shed_silent(self.connections, at_least=live - budget)
                log.warning("%d connections, more than this process's open-file limit allows "
                            "(%d): closed %d that had sent no request", live, budget, closed)

    def data_received(self, data: bytes) -> None:
        between_requests = self.cycle is None or self.cycle.response_complete
        if (between_requests or self._header_timer is not None) and not data.isascii():
            # People and readers paste Vietnamese URLs unescaped (``?filter=Đảng``), and
            # nginx takes them; llhttp rejects any byte over 0x7f in a request target.
            # Escape them as a browser would, in what arrives while no request is being
            # answered or its headers are awaited: requests answered here are GET and HEAD,
            # which have no body.
            data = _NON_ASCII.sub(lambda m: b"%%%02X" % m.group()[0], data)
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._cancel("_header_timer")
        super().on_headers_complete()

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_timer is None:
            self._write_timer = self.loop.call_later(WRITE_TIMEOUT, self._give_up, "stopped reading")

    def resume_writing(self) -> None:
        self._cancel("_write_timer")
        super().resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel("_header_timer")
        self._cancel("_write_timer")
        unfinished = self.cycle is not None and not self.cycle.response_complete
        if exc is not None or unfinished:
            why = (exc.strerror if isinstance(exc, OSError) and exc.strerror else
                   type(exc).__name__ if exc else "closed the connection")
            log.info("client %s disconnected%s: %s", _peer(self.client),
                     " before its response was sent" if unfinished else "", why)
        super().connection_lost(exc)

    @property
    def waiting_since(self) -> float | None:
        """Loop time since which this connection has owed its request headers, if it does."""
        return self._waiting_since if self._header_timer is not None else None

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._waiting_since = self.loop.time()
            self._header_timer = self.loop.call_later(HEADER_TIMEOUT, self._give_up,
                                                      "sent no complete request")

    def _cancel(self, name: str) -> None:
        timer = getattr(self, name)
        if timer is not None:
            timer.cancel()
            setattr(self, name, None)

    def _give_up(self, why: str) -> None:
        self._header_timer = self._write_timer = None
        log.debug("closing %s: %s in time", _peer(self.client), why)
        if not self.transport.is_closing():
            self.transport.abort()


def _peer(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "?"


@functools.cache
def connection_budget() -> int:
    """Connections this process keeps open at once: its open-file limit less what the
    database, feed files being read, the worker threads and logs may need."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1 << 20
    return max(16, soft - FD_RESERVE)


def shed_silent(connections: Iterable[asyncio.Protocol], at_least: int = 1) -> int:
    """Close the longest-waiting tenth (at least ``at_least``) of the connections that owe
    their request headers; the number closed."""
    waiting = sorted((since, id(conn), conn) for conn in connections
                     if isinstance(conn, FeedProtocol) and not conn.transport.is_closing()
                     and (since := conn.waiting_since) is not None)
    shed = waiting[:max(at_least, len(waiting) // SHED_SHARE)]
    for _, _, conn in shed:
        conn.transport.abort()
    return len(shed)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``, or a :class:`ServeError` saying why not."""
    where = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"
    if not 0 <= port <= 65535:
        raise ServeError(f"cannot serve on {where}: a port is a number from 0 to 65535")
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        detail = getattr(exc, "strerror", None) or str(exc)
        raise ServeError(f"cannot serve on {where}: not a host name or address of this "
                         f"machine ({detail})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        hint = {errno.EADDRINUSE: " (another program listens there: choose another --port)",
                errno.EACCES: " (ports below 1024 need privileges: choose another --port)",
                errno.EADDRNOTAVAIL: " (not an address of this machine)"}.get(exc.errno or 0, "")
        raise ServeError(f"cannot serve on {where}: {exc.strerror or exc}{hint}") from None
    return sock


class FeedServer:
    """One bound socket and the uvicorn server that answers on it."""

    def __init__(self, sock: socket.socket, site: FeedSite) -> None:
        self.socket = sock
        self.site = site
        self.server_address: tuple[str, int] = sock.getsockname()[:2]
        self._thread: threading.Thread | None = None
        self._last_shed = -1.0
        self._uvicorn = uvicorn.Server(uvicorn.Config(
            create_app(site), http=FeedProtocol, lifespan="off", log_config=None,
            access_log=True, timeout_keep_alive=KEEP_ALIVE, timeout_graceful_shutdown=GRACEFUL,
            backlog=BACKLOG, server_header=False, headers=[("Server", "partyfeed")],
        ))

    @property
    def url(self) -> str:
        host, port = self.server_address
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}"

    @property
    def cache(self) -> ResponseCache:
        return self.site.cache

    def _loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """Out of descriptors all the same (something else holds them): asyncio stops
        accepting for a second — and, in Python 3.11, reports it once per queued
        connection.  Shed silent connections and say so at most once a second; a
        condition, not a bug, so no traceback."""
        exc = context.get("exception")
        if not (isinstance(exc, OSError) and exc.errno in _OUT_OF_RESOURCES):
            loop.default_exception_handler(context)
            return
        if loop.time() - self._last_shed < 1.0:
            return
        self._last_shed = loop.time()
        closed = shed_silent(self._uvicorn.server_state.connections)
        log.warning("cannot accept connections: %s; closed %d connections that had sent no "
                    "request", exc.strerror, closed)

    def serve(self) -> None:
        """Answer requests in this thread until :meth:`stop` (or, in the main thread,
        SIGINT/SIGTERM, which uvicorn turns into a graceful stop and then re-raises)."""
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(self._loop_error)
        try:
            loop.run_until_complete(self._uvicorn.serve(sockets=[self.socket]))
        finally:
            # uvicorn re-raises a captured SIGINT inside the loop, which then stops before the
            # callbacks that release anyio's worker threads have run: run them, or the
            # process waits on those threads forever
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self.socket.close()
            self.site.close()

    def start(self) -> FeedServer:
        self._thread = threading.Thread(target=self.serve, name="partyfeed feed server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._uvicorn.should_exit = True
        if self._thread is not None:
            self._thread.join()


def make_server(config: Config, host: str = "127.0.0.1", port: int = 8080,
                health: Health | None = None, metrics: Metrics | None = None) -> FeedServer:
    return FeedServer(bind(host, port), FeedSite(config, health, metrics))


def start_feed_server(config: Config, host: str = "127.0.0.1", port: int = 8080,
                      health: Health | None = None, metrics: Metrics | None = None) -> FeedServer:
    """Serve ``config.feeds_dir`` in a background thread; ``server.url`` has the real port
    (pass ``port=0`` for any free one).  The socket listens on return, so requests made
    at once are queued, not refused.  Stop with ``server.stop()``."""
    return make_server(config, host, port, health, metrics).start()


def serve_forever(config: Config, host: str = "127.0.0.1", port: int = 8080,
                  health: Health | None = None, metrics: Metrics | None = None,
                  ready: Callable[[FeedServer], None] | None = None) -> None:
    """Serve in this thread until Ctrl-C (returns) or SIGTERM (the process ends)."""
    server = make_server(config, host, port, health, metrics)
    if ready is not None:
        ready(server)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
