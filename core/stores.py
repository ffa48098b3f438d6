"""Key-value stores: Redis when MITRAKIA_REDIS_URL is set, in-process memory otherwise. A cache, never the truth."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import structlog
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.stores.registry import StoreRegistry
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger()

NAMESPACE = "mitrakia"
# After Redis fails, requests skip it for this long instead of each paying a timeout.
REDIS_RETRY_AFTER_SECONDS = 5.0
REDIS_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class CounterHit:
    count: int
    resets_in: int


class MemorySets:
    """Sets whose members expire a window after they were last added; exact within one worker."""

    def __init__(self) -> None:
        self._values: dict[str, dict[str, float]] = {}
        self._lock = asyncio.Lock()

    async def add(self, key: str, member: str, window: int) -> CounterHit:
        async with self._lock:
            now = time.monotonic()
            members = {m: t for m, t in self._values.get(key, {}).items() if t > now}
            members[member] = now + window
            self._values[key] = members
            return CounterHit(len(members), max(1, round(max(members.values()) - now)))


class MemoryCounters:
    """Fixed-window counters in this process; exact within one worker."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[int, float]] = {}
        self._lock = asyncio.Lock()

    async def hit(self, key: str, window: int) -> CounterHit:
        async with self._lock:
            now = time.monotonic()
            count, expires_at = self._values.get(key, (0, 0.0))
            if expires_at <= now:
                count, expires_at = 0, now + window
            count += 1
            self._values[key] = (count, expires_at)
            return CounterHit(count, max(1, round(expires_at - now)))

    async def peek(self, key: str) -> CounterHit:
        now = time.monotonic()
        count, expires_at = self._values.get(key, (0, 0.0))
        if expires_at <= now:
            return CounterHit(0, 0)
        return CounterHit(count, max(1, round(expires_at - now)))

    async def reset(self, key: str) -> None:
        async with self._lock:
            self._values.pop(key, None)


class Stores:
    """The app's stores and counters, with Redis health tracked so an outage degrades instead of failing."""

    def __init__(self, redis_url: str | None) -> None:
        self.redis: Redis | None = None
        self._redis_down_until = 0.0
        self.memory_counters = MemoryCounters()
        self.memory_sets = MemorySets()
        if redis_url:
            self.redis = Redis.from_url(
                redis_url,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                retry_on_timeout=False,
            )
            root: Store = RedisStore(self.redis, namespace=NAMESPACE, handle_client_shutdown=False)
            self.registry = StoreRegistry(default_factory=lambda name: root.with_namespace(name))  # type: ignore[attr-defined]
        else:
            self.registry = StoreRegistry(default_factory=lambda _name: MemoryStore())

    @property
    def backend(self) -> str:
        return "redis" if self.redis is not None else "memory"

    def redis_usable(self) -> bool:
        return self.redis is not None and time.monotonic() >= self._redis_down_until

    def mark_redis_down(self, error: Exception) -> None:
        if time.monotonic() >= self._redis_down_until:
            log.warning("stores.redis_unavailable", error=type(error).__name__)
        self._redis_down_until = time.monotonic() + REDIS_RETRY_AFTER_SECONDS

    async def ping(self) -> None:
        """Raise if Redis is configured and does not answer."""
        if self.redis is not None:
            await self.redis.ping()

    async def hit(self, key: str, window: int) -> CounterHit:
        """Count one event under `key` in a fixed window of `window` seconds (atomic in Redis)."""
        if self.redis is not None and self.redis_usable():
            full_key = f"{NAMESPACE}:counter:{key}"
            try:
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.incr(full_key)
                    pipe.expire(full_key, window, nx=True)
                    pipe.ttl(full_key)
                    count, _, ttl = await pipe.execute()
                return CounterHit(int(count), max(1, int(ttl)))
            except (RedisError, OSError) as error:
                self.mark_redis_down(error)
        return await self.memory_counters.hit(key, window)

    async def peek(self, key: str) -> CounterHit:
        if self.redis is not None and self.redis_usable():
            full_key = f"{NAMESPACE}:counter:{key}"
            try:
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.get(full_key)
                    pipe.ttl(full_key)
                    raw, ttl = await pipe.execute()
                return CounterHit(int(raw or 0), max(0, int(ttl)))
            except (RedisError, OSError) as error:
                self.mark_redis_down(error)
        return await self.memory_counters.peek(key)

    async def add_member(self, key: str, member: str, window: int) -> CounterHit:
        """Add `member` to the set under `key` (kept `window` seconds after its last addition); how many now."""
        if self.redis is not None and self.redis_usable():
            full_key = f"{NAMESPACE}:set:{key}"
            try:
                now = time.time()
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.zremrangebyscore(full_key, "-inf", now - window)
                    pipe.zadd(full_key, {member: now})
                    pipe.zcard(full_key)
                    pipe.expire(full_key, window)
                    _, _, count, _ = await pipe.execute()
                return CounterHit(int(count), window)
            except (RedisError, OSError) as error:
                self.mark_redis_down(error)
        return await self.memory_sets.add(key, member, window)

    async def reset(self, key: str) -> None:
        if self.redis is not None and self.redis_usable():
            try:
                await self.redis.delete(f"{NAMESPACE}:counter:{key}")
            except (RedisError, OSError) as error:
                self.mark_redis_down(error)
        await self.memory_counters.reset(key)

    async def cache_get(self, namespace: str, key: str) -> bytes | None:
        """A cached value, or None when absent or when Redis cannot be reached (the caller asks the database)."""
        if self.redis is not None and not self.redis_usable():
            return None
        try:
            return await self.registry.get(namespace).get(key)
        except (RedisError, OSError) as error:
            self.mark_redis_down(error)
            return None

    async def cache_set(self, namespace: str, key: str, value: bytes, ttl: int) -> None:
        if self.redis is not None and not self.redis_usable():
            return
        try:
            await self.registry.get(namespace).set(key, value, expires_in=ttl)
        except (RedisError, OSError) as error:
            self.mark_redis_down(error)

    async def cache_delete(self, namespace: str, key: str) -> None:
        """Drop a cached value after a change. If Redis is unreachable the entry lives at most its TTL."""
        try:
            await self.registry.get(namespace).delete(key)
        except (RedisError, OSError) as error:
            self.mark_redis_down(error)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
