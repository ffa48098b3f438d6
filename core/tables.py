"""Shared tables: regions (kode wilayah), staff users and their sessions, the append-only audit log."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import (
    JSONB,
    UUID,
    BigInt,
    BigSerial,
    Boolean,
    Date,
    ForeignKey,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Role(StrEnum):
    DUKCAPIL_ADMIN = "dukcapil_admin"
    DUKCAPIL_ANALYST = "dukcapil_analyst"
    PARTNER_MANAGER = "partner_manager"
    CASHIER = "cashier"


DUKCAPIL_ROLES = frozenset({Role.DUKCAPIL_ADMIN, Role.DUKCAPIL_ANALYST})


class RegionLevel(StrEnum):
    PROVINSI = "provinsi"
    KOTA = "kota"
    KABUPATEN = "kabupaten"
    KECAMATAN = "kecamatan"
    KELURAHAN = "kelurahan"


class Region(Table, tablename="region"):
    """A Kemendagri administrative region, loaded from core/data (REGIONS.md) by migration and by `mitrakia regions
    import`. Codes are never invented, and never deleted: a retired code stays for the cards and outlets holding it."""

    code = Varchar(length=13, primary_key=True)
    name = Varchar(length=100)
    level = Varchar(length=12, choices=RegionLevel, index=True)
    parent_code = Varchar(length=13, null=True, index=True)
    postal_code = Varchar(length=5, null=True)
    # In force from valid_from (null: before this service's records) until valid_until (null: still in force).
    valid_from = Date(null=True, default=None)
    valid_until = Date(null=True, default=None)
    replaced_by = Varchar(length=13, null=True, default=None)  # the code that took over a retired one, if one did


class StaffUser(Table, tablename="staff_user"):
    """A person who signs in: Dukcapil staff, a partner manager or a cashier. Never a child."""

    id = UUID(primary_key=True)
    username = Varchar(length=64, unique=True)
    password_hash = Text()
    role = Varchar(length=32, choices=Role, index=True)
    display_name = Varchar(length=120)
    # A Dukcapil account's reach (core.offices): its office's kabupaten/kota code (`31.71`), a province code (`31`),
    # or null for national (Ditjen). Partner staff have none: their reach is their partner.
    region_code = Varchar(length=5, null=True, default=None, index=True)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)


class StaffSession(Table, tablename="staff_session"):
    """One issued access token (its `jti`); logout or disabling the user revokes it. The database is the truth."""

    id = UUID(primary_key=True)
    user = ForeignKey(references=StaffUser, null=False, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(index=True)
    revoked_at = Timestamptz(null=True, default=None)
    # A device that asked to be remembered (the till) renews its token with a refresh token, stored hashed and
    # replaced on every use; presenting a replaced one again ends the session (it was copied).
    refresh_hash = Varchar(length=64, null=True, default=None, index=True)
    previous_refresh_hash = Varchar(length=64, null=True, default=None, index=True)
    refresh_expires_at = Timestamptz(null=True, default=None)


class AuditEvent(Table, tablename="audit_event"):
    """Who did what to which object, with a before/after summary. Rows are never updated or deleted."""

    id = BigSerial(primary_key=True)
    occurred_at = Timestamptz(default=TimestamptzNow(), index=True)
    actor_id = UUID(null=True, default=None, index=True)
    actor_username = Varchar(length=64, null=True, default=None)
    actor_role = Varchar(length=32, null=True, default=None)
    action = Varchar(length=64, index=True)
    object_type = Varchar(length=32, index=True)
    object_id = Varchar(length=64, null=True, default=None)
    # The kabupaten/kota whose office the event belongs to (its staff read it); null for what no office owns.
    city_code = Varchar(length=5, null=True, default=None, index=True)
    before = JSONB(null=True, default=None)
    after = JSONB(null=True, default=None)
    request_id = Varchar(length=36, null=True, default=None)
    # Tamper evidence (core.service.audit): each event's SHA-256 over the previous event's hash and its own fields,
    # so that changing or deleting a past event breaks the chain from there on (`mitrakia audit verify`).
    prev_hash = Varchar(length=64, null=True, default=None)
    hash = Varchar(length=64, null=True, default=None)


class CacheStamp(Table, tablename="cache_stamp"):
    """A version for what workers keep in memory (core.service.stamped): database triggers move it in the same
    transaction as any change to what it covers, so every worker and node sees the change at its next check."""

    name = Varchar(length=32, primary_key=True)
    version = BigInt(default=0)
