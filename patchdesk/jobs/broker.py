"""The job queue: Dramatiq on Redis (``--broker`` / ``PATCHDESK_BROKER``).

Why Dramatiq on Redis (docs/deploy.md has the longer answer): a job here
is "run job N of the store"; everything else (progress, results, retries
across crashes, exactly-once effects) is in the store already, so the
queue only has to deliver a message at least once and deliver it again
when the worker holding it dies.  Dramatiq's Redis broker does exactly
that (unacknowledged messages of a worker whose heartbeat stopped go back
to the queue), in a small, typed, well-kept library; Celery would bring a
result backend, beat, canvas and a larger surface we would not use.

URL: ``redis://HOST:PORT/DB`` plus optional query parameters that are
ours, not Redis's: ``namespace`` (key prefix, default ``patchdesk``; one per
store sharing a Redis, or per test run), ``heartbeat`` (milliseconds
without a heartbeat before a worker counts as dead and its job is
delivered again, default 15000), ``maintenance`` (of a million broker
commands, how many look for dead workers' jobs; default 100000).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .records import WrongStore
from .runner import MAX_ATTEMPTS

QUEUE = "patchdesk"
ACTOR = "patchdesk_job"
HEARTBEAT_MS = 15000
#: share of broker commands (per million) that look for dead workers'
#: messages; Dramatiq's default (0.1%) would take many minutes to notice
MAINTENANCE = 100_000
#: jobs time themselves (check --timeout); Dramatiq's 10-minute default
#: would kill a long series refresh
TIME_LIMIT_MS = 7 * 24 * 3600 * 1000


OURS = ("namespace", "heartbeat", "maintenance")


class BrokerError(Exception):
    """A broker URL patchdesk cannot use."""


def _parse(url: str) -> tuple[str, dict]:
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise BrokerError(f"unsupported broker {url!r}: use redis://HOST:PORT/DB (see docs/deploy.md)")
    ours, theirs = {}, []
    for key, value in parse_qsl(parts.query):
        (ours.__setitem__(key, value) if key in OURS else theirs.append((key, value)))
    return urlunsplit(parts._replace(query=urlencode(theirs))), ours


class Queue:
    """Sends jobs to workers; in a worker, also what runs them."""

    def __init__(self, url: str, perform=None) -> None:
        import dramatiq
        from dramatiq.brokers.redis import RedisBroker
        redis_url, ours = _parse(url)
        self.broker = RedisBroker(url=redis_url, namespace=ours.get("namespace", "patchdesk"),
                                  heartbeat_timeout=int(ours.get("heartbeat", HEARTBEAT_MS)),
                                  maintenance_chance=int(ours.get("maintenance", MAINTENANCE)))
        self.actor = dramatiq.actor(perform or _not_here, broker=self.broker, actor_name=ACTOR, queue_name=QUEUE,
                                    max_retries=MAX_ATTEMPTS, min_backoff=1000, max_backoff=30000,
                                    time_limit=TIME_LIMIT_MS, throws=(WrongStore,))

    def send(self, job_id: int, token: str) -> None:
        self.actor.send(job_id, token)

    def close(self) -> None:
        self.broker.close()


def _not_here(job_id: int, token: str) -> None:
    raise RuntimeError("jobs run in `patchdesk worker`, not in the process that sends them")


def connect(url: str | None):
    """The queue for ``url``; None: the embedded queue (in-process)."""
    if not url:
        from .runner import Embedded
        return Embedded()
    return Queue(url)
