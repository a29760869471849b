"""Schedulers for ``partyfeed worker`` (crawl from Redis) and ``backfill --distributed`` (seed it).

:class:`WorkerScheduler` is scrapy-redis's scheduler with :class:`~.queue.ReliableQueue`
and these additions:

* **acknowledgement** — a popped request is acknowledged once the engine no longer
  holds it: Scrapy keeps a request in its in-progress set until the scraper has run
  its callback and every output through (requests queued, items through the item
  pipelines, the store included), so that is the moment its work is safe;
* **heartbeat and rescue** — every second the worker stamps its liveness; any worker
  finding another silent for ``PARTYFEED_WORKER_TIMEOUT`` puts that worker's in-flight
  requests back into the queue;
* **idle exit** — the crawl ends when the queue has been empty, with nothing in flight
  on any worker, for ``PARTYFEED_WORKER_IDLE`` seconds (scrapy-redis's blocking pop
  would freeze the reactor instead);
* **atomic enqueue** — a request is marked seen in the dupefilter and queued in one
  Lua step (scrapy-redis does two commands: a kill between them loses the request);
* **outages** — Redis unreachable: the worker waits and retries, saying so in one log
  line; an item the store could not write (database gone): its request goes back to
  the queue, and the worker pauses with a growing back-off instead of refetching.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy_redis.scheduler import Scheduler
from sqlalchemy.exc import DBAPIError
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from .queue import ReliableQueue

logger = logging.getLogger(__name__)

#: how often a request whose callback or items failed (not for the database) is retried
MAX_REQUEUES = 3
REQUEUES = "partyfeed_requeues"
#: the crawl stat a store pipeline sets when the database refused a write
STORE_ERROR = "partyfeed/store_error"

T = TypeVar("T")
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


def patiently(what: str, call: Callable[[], T]) -> T:
    """``call()``, retried while Redis is unreachable, with one log line per outage.

    Blocking is the point: a worker that cannot reach the shared queue can neither
    take work nor hand any on, so it waits rather than drop a request.
    """
    delay, warned = 0.5, False
    while True:
        try:
            result = call()
        except REDIS_DOWN as exc:
            if not warned:
                logger.warning("Redis unreachable while %s (%s); waiting and retrying", what, exc)
                warned = True
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
            continue
        if warned:
            logger.warning("Redis reachable again; %s done", what)
        return result


def _engine_holds(crawler: Crawler) -> set[Request]:
    """The requests the engine has not finished with (downloading or being scraped).

    Scrapy has no public signal for "this request's callback output is fully
    processed"; its engine slot's ``inprogress`` set is that state, and the worker
    test (a SIGKILLed worker, every article stored once) fails if it ever changes.
    """
    slot = getattr(crawler.engine, "_slot", None)
    return getattr(slot, "inprogress", set()) if slot is not None else set()


class WorkerScheduler(Scheduler):
    queue: ReliableQueue

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerScheduler:
        instance = patiently("connecting", lambda: super(WorkerScheduler, cls).from_crawler(crawler))
        instance.crawler = crawler
        instance.persist = True  # the queue and dupefilter belong to every worker
        settings = crawler.settings
        instance.idle_time = settings.getfloat("PARTYFEED_WORKER_IDLE", 60)
        instance.timeout = settings.getfloat("PARTYFEED_WORKER_TIMEOUT", 30)
        instance.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        #: requests this worker took, by in-flight id; the engine holds each from the moment
        #: next_request returns it until its callback output is processed
        instance.popped: dict[str, Request] = {}
        #: ids of popped requests whose callback or items failed: requeued, not acked
        instance.failed: set[int] = set()
        instance.idle_since: float | None = None
        instance.backoff = 0.0
        instance.redis_down = False
        crawler.signals.connect(instance._idle, signal=signals.spider_idle)
        crawler.signals.connect(instance._item_failed, signal=signals.item_error)
        crawler.signals.connect(instance._callback_failed, signal=signals.spider_error)
        crawler.signals.connect(instance._item_stored, signal=signals.item_scraped)
        crawler.signals.connect(instance._item_dropped, signal=signals.item_dropped)
        return instance

    def open(self, spider: Spider) -> None:
        patiently("opening the queue", lambda: super(WorkerScheduler, self).open(spider))
        self.queue.worker = self.worker
        patiently("registering", self.queue.heartbeat)
        self.ticker = LoopingCall(self._tick)
        self.ticker.start(1.0, now=False)
        logger.info("worker %s on %s (queue %s: %d requests)", self.worker, spider.name,
                    self.queue.key, len(self))

    def close(self, reason: str) -> None:
        if self.ticker.running:
            self.ticker.stop()
        if reason == "finished":
            patiently("acknowledging", self._acknowledge)
        back = patiently("handing back requests", lambda: self.queue.requeue(self.worker))
        if back:
            logger.info("worker %s put %d unfinished requests back in the queue", self.worker, back)

    def __len__(self) -> int:
        return patiently("counting the queue", lambda: len(self.queue))

    def has_pending_requests(self) -> bool:
        return len(self) > 0

    def enqueue_request(self, request: Request) -> bool:
        fingerprint = self.df.request_fingerprint(request)
        queued = patiently("queueing a request",
                           lambda: self.queue.push_unseen(request, self.df.key, fingerprint))
        if not queued:
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        popped = patiently("taking a request", self.queue.pop)
        if popped is None:
            return None
        rid, request = popped
        self.popped[rid] = request
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    # --- acknowledgement, heartbeat, rescue ------------------------------------------------

    def _acknowledge(self) -> None:
        """Ack the requests the engine is done with; requeue those whose items failed."""
        held = _engine_holds(self.crawler)
        finished = [rid for rid, request in self.popped.items() if request not in held]
        if not finished:
            return
        failed = [rid for rid in finished if id(self.popped[rid]) in self.failed]
        for rid in failed:  # push a fresh copy back, then drop the in-flight entry
            request = self.popped[rid]
            self.queue.push(request)
            self.failed.discard(id(request))
        self.queue.ack(finished)
        for rid in finished:
            del self.popped[rid]

    def _tick(self) -> None:
        try:
            self._acknowledge()
            if lost := self.queue.orphans(set(self.popped)):
                logger.warning("put %d requests whose pop went unanswered back in the queue", lost)
            now = self.queue.heartbeat()
            for dead in self.queue.dead_workers(now, self.timeout):
                if not (back := self.queue.requeue(dead)):
                    continue  # it held nothing, or another worker was quicker
                logger.warning("worker %s silent for over %.0fs; put its %d in-flight requests "
                               "back in the queue", dead, self.timeout, back)
            self._wake()
        except REDIS_DOWN as exc:
            if not self.redis_down:
                logger.warning("Redis unreachable (%s); waiting and retrying", exc)
            self.redis_down = True
        else:
            if self.redis_down:
                logger.warning("Redis reachable again")
            self.redis_down = False

    def _wake(self) -> None:
        """Have the engine ask for requests (and check for idleness) now, not at its next
        5-second heartbeat: other workers fill the queue while this one waits."""
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and not self.crawler.engine.paused:
            slot.nextcall.schedule()

    def _idle(self, spider: Spider) -> None:
        if self.popped or len(self.queue) or self.queue.in_flight():
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_time:
            raise DontCloseSpider
        logger.info("worker %s: queue empty and nothing in flight for %.0fs; done",
                    self.worker, self.idle_time)

    # --- the store's outcome --------------------------------------------------------------

    def _item_failed(self, item: Any, response: Response, spider: Spider, failure: Any) -> None:
        self._failed(response, "could not store an item", failure)

    def _callback_failed(self, failure: Any, response: Response, spider: Spider) -> None:
        """A callback that raised (the database unreachable for its known-keys query, say)."""
        self._failed(response, "a callback failed", failure)

    def _failed(self, response: Response, what: str, failure: Any,
                database: bool = False) -> None:
        """Requeue the request when done with it, and pause: the cause is rarely the page.

        A database error is retried for as long as it lasts; anything else (a bug meeting
        one odd page) at most :data:`MAX_REQUEUES` times, then the request is let go with
        an error line, so one page cannot keep a worker busy forever.
        """
        request = getattr(response, "request", None)
        if request is None:
            return
        if not (database or failure.check(DBAPIError)):
            tries = request.meta.get(REQUEUES, 0) + 1
            if tries > MAX_REQUEUES:
                logger.error("%s on %s %d times; giving it up", what, request.url, tries)
                return
            request.meta[REQUEUES] = tries
        self.failed.add(id(request))
        self.backoff = min(max(self.backoff * 2, 2.0), 60.0)
        logger.warning("%s (%s); the request goes back to the queue; pausing this worker %.0fs",
                       what, failure.getErrorMessage() if failure is not None else "?",
                       self.backoff)
        from twisted.internet import reactor  # the one Scrapy installed, once it has

        engine = self.crawler.engine
        if not engine.paused:
            engine.pause()
            reactor.callLater(self.backoff, engine.unpause)

    def _item_dropped(self, item: Any, response: Response, exception: BaseException,
                      spider: Spider) -> None:
        """A drop is the page's fault (rejected) unless the store recorded a database
        error for the crawl (``partyfeed/store_error``): then it is a failed write."""
        if self.stats and self.stats.get_value(STORE_ERROR):
            self._failed(response, "could not store an item", Failure(exception), database=True)

    def _item_stored(self, *_args: object, **_kwargs: object) -> None:
        self.backoff = 0.0


class SeedScheduler(Scheduler):
    """Only pushes: ``backfill --distributed`` queues the start requests and ends."""

    def open(self, spider: Spider) -> None:
        super().open(spider)
        self.persist = True

    def enqueue_request(self, request: Request) -> bool:
        return patiently("queueing a start request", lambda: super(SeedScheduler, self).enqueue_request(request))

    def next_request(self) -> None:
        return None

    def has_pending_requests(self) -> bool:
        return False
