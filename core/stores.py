"""Key-value stores: Redis when MITRAKIA_REDIS_URL is set, in-process memory otherwise. A cache, never the truth."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

import structlog
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.stores.registry import StoreRegistry
from redis.asyncio import Redis
from redis.exceptions import LockError, RedisError

log = structlog.get_logger()

NAMESPACE = "mitrakia"
# After Redis fails, requests skip it for this long instead of each paying a timeout.
REDIS_RETRY_AFTER_SECONDS = 5.0
REDIS_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class CounterHit:
    count: int
    resets_in: int


@dataclass(frozen=True, slots=True)
class Turn:
    """One try under a limit: `granted` (the `count`-th in this window), or refused for `resets_in` seconds."""

    granted: bool
    count: int
    resets_in: int


_GIVE_BACK = (
    "if redis.call('GET', KEYS[1]) and tonumber(redis.call('GET', KEYS[1])) > 0 then "
    "return redis.call('DECR', KEYS[1]) end return 0"
)


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

    async def give_back(self, key: str) -> None:
        async with self._lock:
            count, expires_at = self._values.get(key, (0, 0.0))
            if count > 0:
                self._values[key] = (count - 1, expires_at)

    async def reset(self, key: str) -> None:
        async with self._lock:
            self._values.pop(key, None)


class MemoryLocks:
    """Non-blocking named locks in this process (exact within one worker)."""

    def __init__(self) -> None:
        self._held: set[str] = set()

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[bool]:
        if key in self._held:
            yield False
            return
        self._held.add(key)
        try:
            yield True
        finally:
            self._held.discard(key)


class Stores:
    """The app's stores and counters, with Redis health tracked so an outage degrades instead of failing."""

    def __init__(self, redis_url: str | None) -> None:
        self.redis: Redis | None = None
        self._redis_down_until = 0.0
        self.memory_counters = MemoryCounters()
        self.memory_sets = MemorySets()
        self.memory_locks = MemoryLocks()
        self.memory_state = MemoryStore()  # state that must outlive a Redis outage in this worker at least
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

    async def hit_many(self, keys: Sequence[tuple[str, int]]) -> list[CounterHit]:
        """`hit` for several counters (key, window) at once: one round trip to Redis, not one each."""
        if self.redis is not None and self.redis_usable():
            try:
                async with self.redis.pipeline(transaction=True) as pipe:
                    for key, window in keys:
                        full_key = f"{NAMESPACE}:counter:{key}"
                        pipe.incr(full_key)
                        pipe.expire(full_key, window, nx=True)
                        pipe.ttl(full_key)
                    results = await pipe.execute()
                return [CounterHit(int(results[3 * n]), max(1, int(results[3 * n + 2]))) for n in range(len(keys))]
            except (RedisError, OSError) as error:
                self.mark_redis_down(error)
        return [await self.memory_counters.hit(key, window) for key, window in keys]

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

    async def take_turn(self, key: str, limit: int, window: int) -> Turn:
        """Count one try under `key` before doing the work, so parallel tries cannot all read the same count: at
        most `limit` are granted per window. A granted try that should not count (a success) calls `give_back`."""
        hit = await self.hit(key, window)
        if hit.count <= limit:
            return Turn(granted=True, count=hit.count, resets_in=hit.resets_in)
        await self.give_back(key)
        return Turn(granted=False, count=hit.count, resets_in=hit.resets_in)

    async def give_back(self, key: str) -> None:
        """Undo one `hit` under `key` (never below zero)."""
        if self.redis is not None and self.redis_usable():
            full_key = f"{NAMESPACE}:counter:{key}"
            try:
                # DECR only a live counter: one that expired meanwhile stays gone instead of turning into -1.
                await self.redis.eval(_GIVE_BACK, 1, full_key)  # type: ignore[misc]  # redis-py's union return
                return
            except (RedisError, OSError) as error:
                self.mark_redis_down(error)
        await self.memory_counters.give_back(key)

    @asynccontextmanager
    async def exclusive(self, key: str, seconds: int) -> AsyncIterator[bool]:
        """Hold the lock named `key` (across workers with Redis) for the block; yields False at once, without
        waiting, when someone else holds it. The lock lapses after `seconds` if its holder dies."""
        if self.redis is not None and self.redis_usable():
            lock = self.redis.lock(f"{NAMESPACE}:lock:{key}", timeout=seconds, blocking=False)
            try:
                acquired = bool(await lock.acquire())
            except (RedisError, OSError) as error:
                self.mark_redis_down(error)
            else:
                try:
                    yield acquired
                finally:
                    # A lock that lapsed, or Redis gone away: either way nobody holds it for us any more.
                    if acquired:
                        with suppress(LockError, RedisError, OSError):
                            await lock.release()
                return
        async with self.memory_locks.hold(key) as acquired:
            yield acquired

    async def state_get(self, key: str) -> bytes | None:
        """A small piece of state that throttling relies on (in Redis, or in this worker while Redis is down)."""
        if self.redis is not None and self.redis_usable():
            try:
                return await self.redis.get(f"{NAMESPACE}:state:{key}")
            except (RedisError, OSError) as error:
                self.mark_redis_down(error)
        return await self.memory_state.get(key)

    async def state_set(self, key: str, value: bytes, ttl: int) -> None:
        if self.redis is not None and self.redis_usable():
            try:
                await self.redis.set(f"{NAMESPACE}:state:{key}", value, ex=ttl)
                return
            except (RedisError, OSError) as error:
                self.mark_redis_down(error)
        await self.memory_state.set(key, value, expires_in=ttl)

    async def state_delete(self, key: str) -> None:
        if self.redis is not None and self.redis_usable():
            try:
                await self.redis.delete(f"{NAMESPACE}:state:{key}")
            except (RedisError, OSError) as error:
                self.mark_redis_down(error)
        await self.memory_state.delete(key)

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
