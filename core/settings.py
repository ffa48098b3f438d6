"""Typed settings read once from the environment (prefix MITRAKIA_); the only module that reads os.environ."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import SettingsError
from core.localtime import local_date, utc_now

PREFIX = "MITRAKIA_"
MIN_SECRET_LENGTH = 32


def _text(value: str) -> str:
    return value.strip()


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"expected a whole number, got {value!r}") from None
    if number <= 0:
        raise ValueError(f"expected a number above 0, got {number}")
    return number


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _database_url(value: str) -> str:
    scheme = urlsplit(value).scheme
    if scheme == "sqlite":
        if not value.startswith("sqlite:///") or len(value) <= len("sqlite:///"):
            raise ValueError("a SQLite URL looks like sqlite:///var/mitrakia.sqlite3 (relative) or sqlite:////abs/path")
        return value
    if scheme in {"postgres", "postgresql", "postgresql+asyncpg"}:
        if not urlsplit(value).hostname and "host=" not in value:
            raise ValueError("a PostgreSQL URL needs a host, e.g. postgresql://user@127.0.0.1:5432/mitrakia")
        return value
    raise ValueError(f"unsupported scheme {scheme!r}: use sqlite:/// or postgresql://")


def _replica_url(value: str) -> str | None:
    if not value.strip():
        return None
    if urlsplit(value).scheme == "sqlite":
        raise ValueError("a replica is a PostgreSQL streaming replica: postgresql://user@replica-host:5432/mitrakia")
    return _database_url(value)


def _redis_url(value: str) -> str | None:
    if not value.strip():
        return None
    scheme = urlsplit(value).scheme
    if scheme not in {"redis", "rediss", "unix"}:
        raise ValueError(f"unsupported scheme {scheme!r}: use redis://host:port/db")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}, e.g. Asia/Jakarta") from None
    return value


def _language(value: str) -> str:
    if value not in {"id", "en"}:
        raise ValueError(f"expected id or en, got {value!r}")
    return value


def _log_format(value: str) -> str:
    if value not in {"json", "console"}:
        raise ValueError(f"expected json or console, got {value!r}")
    return value


def _log_level(value: str) -> str:
    upper = value.upper()
    if upper not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError(f"expected DEBUG, INFO, WARNING or ERROR, got {value!r}")
    return upper


def _base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"expected an absolute http(s) URL, got {value!r}")
    return value.rstrip("/")


PASSWORD_HASH_PROFILES = ("rfc9106_low_memory", "owasp_minimum")


def _seconds(value: str) -> float:
    seconds = float(value)
    if not 0 <= seconds <= 3600:
        raise ValueError(f"expected seconds between 0 and 3600, got {value!r}")
    return seconds


def _password_hash_profile(value: str) -> str:
    if value not in PASSWORD_HASH_PROFILES:
        raise ValueError(f"expected one of {', '.join(PASSWORD_HASH_PROFILES)}, got {value!r}")
    return value


def _secret(value: str) -> str:
    if len(value) < MIN_SECRET_LENGTH:
        raise ValueError(
            f"must be at least {MIN_SECRET_LENGTH} characters; generate one with "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    return value


# name -> (parser, default). A default of None means "optional, unset"; _REQUIRED means it must be given.
_REQUIRED = object()
_SPEC: dict[str, tuple[Callable[[str], Any], Any]] = {
    "DATABASE_URL": (_database_url, "sqlite:///var/mitrakia.sqlite3"),
    # A streaming replica the reports read from (core.database.replica); unset: they read the primary.
    "DATABASE_REPLICA_URL": (_replica_url, None),
    "REDIS_URL": (_redis_url, None),
    "SECRET_KEY": (_secret, _REQUIRED),
    "TIMEZONE": (_timezone, "Asia/Jakarta"),
    "LANGUAGE": (_language, "id"),
    "PUBLIC_BASE_URL": (_base_url, "http://127.0.0.1:8000"),
    "CREDENTIAL_ISSUER": (_base_url, None),
    "NIK_HMAC_KEY": (_secret, None),
    "HOST": (_text, "127.0.0.1"),
    "PORT": (_positive_int, 8000),
    "WORKERS": (_positive_int, 1),
    "FORWARDED_ALLOW_IPS": (_text, "127.0.0.1"),
    "DB_POOL_SIZE": (_positive_int, 10),
    "ACCESS_TOKEN_TTL": (_positive_int, 900),
    "REFRESH_TOKEN_TTL": (_positive_int, 30 * 24 * 3600),
    "WEB_SESSION_TTL": (_positive_int, 8 * 3600),
    "LOGIN_MAX_FAILURES": (_positive_int, 5),
    "LOGIN_MAX_FAILURES_PER_IP": (_positive_int, 30),
    "LOGIN_FAILURE_WINDOW": (_positive_int, 900),
    "LOGIN_DELAY_BASE": (_positive_int, 60),
    "DEVICE_TOKEN_TTL": (_positive_int, 180 * 24 * 3600),
    "REGISTRATIONS_PER_ADDRESS": (_positive_int, 5),
    "REGISTRATION_WINDOW": (_positive_int, 3600),
    "TILL_REQUESTS_PER_MINUTE": (_positive_int, 120),
    "TILL_OUTLET_REQUESTS_PER_MINUTE": (_positive_int, 300),
    "TILL_ADDRESS_REQUESTS_PER_MINUTE": (_positive_int, 600),
    # How often a worker asks whether what it keeps for the till changed (core.service.stamped); 0: every request.
    "TILL_CACHE_CHECK_SECONDS": (_seconds, 1.0),
    # How long a signed status list may be relied on (seconds): an offline till refuses to work with an older one.
    "STATUS_LIST_TTL": (_positive_int, 6 * 3600),
    "MAX_BODY_BYTES": (_positive_int, 1_048_576),
    "SMALL_CELL_THRESHOLD": (_positive_int, 5),
    # The fewest children a kecamatan an offer is limited to must hold (admin.service.review).
    "MIN_REGION_CHILDREN": (_positive_int, 2000),
    # Retention (`mitrakia retention run`, docs/data-protection.md): days each kind of record is kept.
    "RETAIN_ATTEMPTS_DAYS": (_positive_int, 400),
    "RETAIN_IDEMPOTENCY_DAYS": (_positive_int, 7),
    "RETAIN_ENDED_SESSIONS_DAYS": (_positive_int, 30),
    "RETAIN_WEBHOOK_DELIVERIES_DAYS": (_positive_int, 30),
    # Webhooks (docs/integrations.md): true lets an endpoint be http:// on this machine or on a private network
    # (the demo and the tests); production leaves it false: HTTPS to public addresses only.
    "WEBHOOK_ALLOW_LOCAL": (_bool, False),
    # How often each worker sends the webhook deliveries that are due.
    "WEBHOOK_SEND_INTERVAL_SECONDS": (_seconds, 1.0),
    "PASSWORD_HASH_PROFILE": (_password_hash_profile, "rfc9106_low_memory"),
    "LOG_LEVEL": (_log_level, "INFO"),
    "LOG_FORMAT": (_log_format, "json"),
    "DEBUG": (_bool, False),
}


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting the service reads; field names are the variable names without the prefix, lower-cased."""

    database_url: str
    database_replica_url: str | None
    redis_url: str | None
    secret_key: str
    timezone: str
    language: str
    public_base_url: str
    credential_issuer: str | None
    nik_hmac_key: str | None
    host: str
    port: int
    workers: int
    forwarded_allow_ips: str
    db_pool_size: int
    access_token_ttl: int
    refresh_token_ttl: int
    web_session_ttl: int
    login_max_failures: int
    login_max_failures_per_ip: int
    login_failure_window: int
    login_delay_base: int
    device_token_ttl: int
    registrations_per_address: int
    registration_window: int
    till_requests_per_minute: int
    till_outlet_requests_per_minute: int
    till_address_requests_per_minute: int
    till_cache_check_seconds: float
    status_list_ttl: int
    max_body_bytes: int
    small_cell_threshold: int
    min_region_children: int
    retain_attempts_days: int
    retain_idempotency_days: int
    retain_ended_sessions_days: int
    retain_webhook_deliveries_days: int
    webhook_allow_local: bool
    webhook_send_interval_seconds: float
    password_hash_profile: str
    log_level: str
    log_format: str
    debug: bool

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        values: dict[str, Any] = {}
        for name, (parse, default) in _SPEC.items():
            raw = environ.get(PREFIX + name)
            if name == "SECRET_KEY" and raw is None:
                raw = _read_secret_file(environ)
            if raw is None:
                if default is _REQUIRED:
                    raise SettingsError(
                        name,
                        f"is required (or {PREFIX}SECRET_KEY_FILE naming a file that holds it); "
                        "`make demo` generates one in var/secret_key",
                    )
                values[name.lower()] = default
                continue
            try:
                values[name.lower()] = parse(raw)
            except ValueError as exc:
                raise SettingsError(name, str(exc)) from None
        return cls(**values)

    @property
    def is_postgres(self) -> bool:
        return not self.database_url.startswith("sqlite:")

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file named by DATABASE_URL: sqlite:///rel/path or sqlite:////abs/path."""
        return Path(self.database_url.removeprefix("sqlite:///"))

    @property
    def issuer(self) -> str:
        """The `iss` of card credentials: fixed for the programme's life (printed cards carry it)."""
        return self.credential_issuer or self.public_base_url

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def today(self) -> date:
        """Today's date where the programme runs (WIB for Kota Bengkulu): what "today" means on a page or a report."""
        return local_date(utc_now(), self.timezone)

    def replace(self, **changes: Any) -> Settings:
        current = {f.name: getattr(self, f.name) for f in fields(self)}
        return Settings(**{**current, **changes})


def _read_secret_file(environ: Mapping[str, str]) -> str | None:
    path = environ.get(PREFIX + "SECRET_KEY_FILE")
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SettingsError("SECRET_KEY_FILE", f"cannot read {path}: {exc.strerror}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    return Settings.from_environ(os.environ)
