"""A scrapy-redis priority queue whose pop is a move, not a delete.

Keys, for a spider ``S`` (``SCHEDULER_QUEUE_KEY`` is ``partyfeed:%(spider)s:requests``):

* ``…:requests`` — the shared sorted set of scrapy-redis (score = -priority);
* ``…:inflight:<worker>`` — hash: request id → ``score|encoded request``;
* ``…:workers`` — sorted set: worker → its last heartbeat (Redis server time).

Each step is one Lua script, so a crash between two commands cannot drop a request.
Requeued requests go straight back into the sorted set, past the dupefilter: their
fingerprints are already there (they were seen when first scheduled), which is why a
request dropped instead of requeued would be lost for good.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

from scrapy import Request
from scrapy_redis.queue import PriorityQueue

logger = logging.getLogger(__name__)

_POP = """
local found = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #found == 0 then return false end
redis.call('ZREM', KEYS[1], found[1])
redis.call('HSET', KEYS[2], ARGV[1], found[2] .. '|' .. found[1])
return found[1]
"""

#: put every in-flight request of a worker back; forget the worker
_REQUEUE = """
local entries = redis.call('HGETALL', KEYS[2])
for i = 2, #entries, 2 do
  local value = entries[i]
  local bar = string.find(value, '|', 1, true)
  redis.call('ZADD', KEYS[1], tonumber(string.sub(value, 1, bar - 1)), string.sub(value, bar + 1))
end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return #entries / 2
"""

#: put back the given in-flight requests of this worker (ones it lost track of)
_REQUEUE_SOME = """
local moved = 0
for i = 1, #ARGV do
  local value = redis.call('HGET', KEYS[2], ARGV[i])
  if value then
    local bar = string.find(value, '|', 1, true)
    redis.call('ZADD', KEYS[1], tonumber(string.sub(value, 1, bar - 1)), string.sub(value, bar + 1))
    redis.call('HDEL', KEYS[2], ARGV[i])
    moved = moved + 1
  end
end
return moved
"""


#: mark a request seen and queue it in one step (dont_filter: queue it regardless)
_PUSH_UNSEEN = """
if ARGV[3] == '0' and redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
return 1
"""


class ReliableQueue(PriorityQueue):
    """scrapy-redis's ``PriorityQueue`` (push, length, encoding) with an acknowledged pop."""

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.worker = ""
        self._ids = itertools.count(1)
        self._pop = server.register_script(_POP)
        self._requeue = server.register_script(_REQUEUE)
        self._requeue_some = server.register_script(_REQUEUE_SOME)
        self._push_unseen = server.register_script(_PUSH_UNSEEN)

    @property
    def workers_key(self) -> str:
        return f"{self.key}:workers"

    def inflight_key(self, worker: str) -> str:
        return f"{self.key}:inflight:{worker}"

    def push_unseen(self, request: Request, dupefilter_key: str, fingerprint: str) -> bool:
        """Queue ``request`` unless its fingerprint is in the dupefilter; both in one step.

        scrapy-redis's scheduler adds the fingerprint, then pushes: a worker killed in
        between leaves a request marked seen that is in no queue, and its parent, put back
        and run again, would find its child "seen" — lost for good.
        """
        return bool(self._push_unseen(
            keys=[self.key, dupefilter_key],
            args=[fingerprint, -request.priority, "1" if request.dont_filter else "0",
                  self._encode_request(request)]))

    def pop(self, timeout: int = 0) -> tuple[str, Request] | None:  # type: ignore[override]
        """The next request and its id, moved into this worker's in-flight hash."""
        rid = f"{next(self._ids)}"
        data = self._pop(keys=[self.key, self.inflight_key(self.worker)], args=[rid])
        if not data:
            return None
        return rid, self._decode_request(data)

    def ack(self, rids: list[str]) -> None:
        if rids:
            self.server.hdel(self.inflight_key(self.worker), *rids)

    def requeue(self, worker: str) -> int:
        """Put back everything ``worker`` holds; returns how many requests."""
        return int(self._requeue(keys=[self.key, self.inflight_key(worker), self.workers_key],
                                 args=[worker]))

    def orphans(self, known: set[str]) -> int:
        """Put back entries of this worker's in-flight hash that it does not hold: a pop
        whose reply was lost when the connection broke leaves one behind."""
        lost = [rid for rid in (r.decode() if isinstance(r, bytes) else r
                                for r in self.server.hkeys(self.inflight_key(self.worker)))
                if rid not in known]
        if not lost:
            return 0
        return int(self._requeue_some(keys=[self.key, self.inflight_key(self.worker)], args=lost))

    def heartbeat(self) -> float:
        """Record this worker as alive now (server time); returns that time."""
        seconds, micros = self.server.time()
        now = seconds + micros / 1e6
        self.server.zadd(self.workers_key, {self.worker: now})
        return now

    def dead_workers(self, now: float, timeout: float) -> list[str]:
        return [w.decode() if isinstance(w, bytes) else w
                for w in self.server.zrangebyscore(self.workers_key, "-inf", now - timeout)
                if (w.decode() if isinstance(w, bytes) else w) != self.worker]

    def in_flight(self) -> int:
        """Requests held by any live or dead worker."""
        total = 0
        for worker in self.server.zrange(self.workers_key, 0, -1):
            name = worker.decode() if isinstance(worker, bytes) else worker
            total += int(self.server.hlen(self.inflight_key(name)))
        return total
