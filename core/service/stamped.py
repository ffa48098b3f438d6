"""What nearly every till request reads and almost nothing changes (API keys, who works at which outlet, outlets and
their partner's standing, offers, signing keys), kept in each worker's memory and dropped when the database says it
changed.

The database keeps one version for all of it (`cache_stamp`, name "till"), moved by triggers in the same transaction
as any change to those tables (verification migration 2026-12-06T22:30), whoever makes it: this worker, another
worker or node, the CLI, SQL typed by hand. Each worker reads the version at most once every
MITRAKIA_TILL_CACHE_CHECK_SECONDS (1 s by default; 0 reads it before every use) and forgets everything when it moved.
So a change reaches every worker within that interval, and what the till does under a lock (a redemption reads its
card, offer and usage rows locked, never from here) stays exact.

A value loaded while the version moves is not kept: it may have been read before the change committed."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from core.database.statements import CompiledQuery
from core.tables import CacheStamp

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

STAMP = "till"
MAX_ENTRIES = 100_000  # per cache: far above any deployment's keys, outlets or partners; a bound, not a tuning

_VERSION = CompiledQuery(
    lambda name: CacheStamp.select(CacheStamp.version).where(CacheStamp.name == name).first(), first=True
)


class _Stamp:
    def __init__(self) -> None:
        self.version: int | None = None
        self.checked_at = float("-inf")
        self.caches: list[StampedCache[object, object]] = []
        self.interval = 1.0  # seconds between checks: the serving app sets MITRAKIA_TILL_CACHE_CHECK_SECONDS

    async def current(self) -> int | None:
        """The version as last read, read again if the check interval has passed (dropping every cache if moved)."""
        now = time.monotonic()
        if now - self.checked_at >= self.interval:
            row = await _VERSION(STAMP)
            version = row["version"] if row else 0
            self.checked_at = now
            if version != self.version:
                self.forget()
                self.version = version
        return self.version

    def forget(self) -> None:
        for cache in self.caches:
            cache.values.clear()
        self.version, self.checked_at = None, float("-inf")


_STAMP = _Stamp()


class StampedCache(Generic[K, V]):
    """One kind of value by key (a till's place by outlet, offers by partner …), valid while the stamp stands."""

    def __init__(self) -> None:
        self.values: dict[K, V] = {}
        _STAMP.caches.append(self)  # type: ignore[arg-type]

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        version = await _STAMP.current()
        if key in self.values:
            return self.values[key]
        value = await load()
        if _STAMP.version == version and len(self.values) < MAX_ENTRIES:
            self.values[key] = value
        return value

    def put(self, key: K, value: V) -> None:
        """Keep a value this worker changed itself (an API key's last use), without waiting for a reload."""
        if key in self.values:
            self.values[key] = value


def configure(check_seconds: float) -> None:
    """How often this worker reads the stamp (the app's MITRAKIA_TILL_CACHE_CHECK_SECONDS, set as it starts)."""
    _STAMP.interval = check_seconds


async def version() -> int | None:
    """The stamp's version, as checked at most once an interval: something kept elsewhere (the key ring's keys) is
    reloaded when it differs from the version it was loaded under."""
    return await _STAMP.current()


def forget() -> None:
    """Drop everything now (a test's fresh database; the next use reads the stamp again)."""
    _STAMP.forget()
