"""Scale-out: ``partyfeed worker`` processes sharing one crawl through Redis (scrapy-redis).

scrapy-redis pops a request from Redis and forgets it: a worker killed while it holds
requests loses them, and since their fingerprints are already in the shared
dupefilter, no one will ever schedule them again.  :mod:`.queue` makes the pop a
move into the worker's in-flight hash, acknowledged only when Scrapy is done with the
request (its callback's requests queued, its items through the pipelines); a worker
whose heartbeat stops has its in-flight requests put back by the others.
"""
