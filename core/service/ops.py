"""Readiness: does the database answer and take writes, and Redis and the reports' replica when configured."""

from __future__ import annotations

import structlog
from redis.exceptions import RedisError

from core.database.engine import accepts_writes, ping, replica_answers
from core.errors import NotReady
from core.stores import Stores

log = structlog.get_logger()
CHECK_TIMEOUT_SECONDS = 2.0
# States that take a node out of the load balancer: a read-only database answers every scan and redeem with 503.
NOT_READY = {"unavailable", "read_only"}


async def check_readiness(stores: Stores, degraded_ok: bool = False) -> dict[str, str]:
    """Each dependency's state; raises NotReady naming the ones that failed.

    Without Redis (it only caches) or the reports' replica (reports then read the primary) the service still answers
    correctly, so a load balancer that should keep sending traffic asks with `degraded_ok`: only the database is
    required."""
    checks: dict[str, str] = {}
    try:
        await ping(CHECK_TIMEOUT_SECONDS)
        checks["database"] = "ok" if await accepts_writes(CHECK_TIMEOUT_SECONDS) else "read_only"
        if checks["database"] == "read_only":
            log.warning("ops.ready.database_read_only")
    except Exception as error:  # any driver error means "not answering"
        log.warning("ops.ready.database_unavailable", error=type(error).__name__)
        checks["database"] = "unavailable"
    if stores.redis is None:
        checks["redis"] = "not_configured"
    else:
        try:
            await stores.ping()
            checks["redis"] = "ok"
        except (RedisError, OSError) as error:
            log.warning("ops.ready.redis_unavailable", error=type(error).__name__)
            checks["redis"] = "unavailable"
    # Reports read the primary while the replica is away: like Redis, it matters to operators, not to tills.
    replica = await replica_answers(CHECK_TIMEOUT_SECONDS)
    if replica is not None:
        checks["database_replica"] = "ok" if replica else "unavailable"
    required = {"database"} if degraded_ok else set(checks)
    if any(checks[name] in NOT_READY for name in required):
        raise NotReady(checks)
    return checks
