"""Answering with a cached :class:`~feeds.cache.Representation`: gzip, validators, 304.

Starlette's own pieces do not fit here, which is why this module exists:
``GZipMiddleware`` compresses every response again on every request, keeps the identity
``ETag`` on the gzipped body (two different byte sequences under one strong validator)
and sends gzip to ``Accept-Encoding: gzip;q=0``; ``StaticFiles``' conditional check
trusts a future ``If-Modified-Since``.  A representation is compressed once when it is
made, and the gzipped body has its own strong ``ETag`` (``"<sha>-gz"``).

Rules (RFC 9110 §13): ``If-None-Match`` wins over ``If-Modified-Since``; either ETag
matches a request for either encoding (a reader that switched encodings still gets its
304); ``If-Modified-Since`` is ignored when it is not a valid date or lies in the future
(RFC 9110 §13.1.3 — a clock-skewed or forged date must not freeze a feed).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from datetime import timezone

from starlette.responses import Response

from .cache import Representation


def accepts_gzip(accept_encoding: str | None) -> bool:
    """``gzip`` (or ``x-gzip``, ``*``) listed with a weight above zero."""
    for item in (accept_encoding or "").split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip().lower()
            if q.startswith("q="):
                try:
                    return float(q[2:]) > 0
                except ValueError:
                    return False
            return True
    return False


def not_modified(rep: Representation, headers: Mapping[str, str], now: float | None = None) -> bool:
    inm = headers.get("if-none-match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or rep.etag in tags or rep.etag_gz in tags
    ims = headers.get("if-modified-since")
    if not ims:
        return False
    try:
        since = email.utils.parsedate_to_datetime(ims)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    stamp = since.timestamp()
    if stamp > (time.time() if now is None else now):
        return False  # a date in the future is not a valid validator
    return rep.last_modified <= stamp


def respond(rep: Representation, headers: Mapping[str, str],
            extra: Mapping[str, str] | None = None) -> Response:
    """200 with the body in the encoding the client takes, or 304; HEAD is the server's job
    (uvicorn sends the headers of the GET response, Content-Length included, without body)."""
    zipped = accepts_gzip(headers.get("accept-encoding"))
    etag = rep.etag_gz if zipped else rep.etag
    common = {
        "ETag": etag,
        "Last-Modified": email.utils.formatdate(rep.last_modified, usegmt=True),
        "Cache-Control": f"public, max-age={rep.max_age}",
        "Vary": "Accept-Encoding",
    }
    if not_modified(rep, headers):
        return Response(status_code=304, headers=common)
    out = {"Content-Type": rep.content_type, **common, "X-Content-Type-Options": "nosniff",
           **(extra or {})}
    if zipped:
        out["Content-Encoding"] = "gzip"
    return Response(rep.gz if zipped else rep.body, headers=out)
