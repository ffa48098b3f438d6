"""Staff users: create, authenticate with login throttling, disable, change passwords."""

from __future__ import annotations

import math
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

import anyio
import msgspec
import structlog
from argon2 import Parameters, PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY
from zxcvbn import zxcvbn

from core import devices
from core.auth import CurrentUser, staff_user_row_to_current
from core.database.transactions import write_transaction
from core.errors import (
    FieldProblem,
    Invalid,
    InvalidCredentials,
    LoginThrottled,
    StaffUserNotFound,
    UsernameTaken,
)
from core.i18n import Text
from core.localtime import utc_now
from core.offices import office_of_region, seen, valid_scope
from core.service.audit import record_event
from core.settings import Settings, get_settings
from core.stores import Stores
from core.tables import DUKCAPIL_ROLES, Region, RegionLevel, Role, StaffSession, StaffUser

log = structlog.get_logger()

USERNAME_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{1,62})[a-z0-9]$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256

USERNAME_RULE = Text(
    "3–64 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung.",
    "3–64 characters: lower-case letters, digits, dots, underscores or hyphens.",
)
PASSWORD_RULE = Text(
    "Kata sandi minimal {minimum} karakter.",
    "The password needs at least {minimum} characters.",
)
WEAK_PASSWORD_RULE = Text(
    "Kata sandi ini mudah ditebak: hindari kata umum, nama pengguna atau nama sendiri, huruf berulang dan urutan "
    "seperti 12345 atau qwerty. Gabungkan beberapa kata yang tidak berhubungan.",
    "This password is easy to guess: avoid common words, your username or name, repeated letters and sequences "
    "like 12345 or qwerty. Join a few unrelated words.",
)
# zxcvbn's score 3 of 4: "safely unguessable" (about 10^8 guesses), its authors' advice for an online service.
MIN_PASSWORD_SCORE = 3
# Words an attacker of this service tries first, besides zxcvbn's own lists and the account's own names.
SERVICE_WORDS = ("mitrakia", "mitra", "kia", "dukcapil", "kasir", "bengkulu", "indonesia", "sandi", "katasandi")
REGION_RULE = Text(
    "Wilayah kerja harus kode provinsi atau kabupaten/kota Kemendagri (mis. 31 atau 31.71), atau kosong untuk "
    "tingkat nasional.",
    "The work area must be a Kemendagri province or kabupaten/kota code (e.g. 31 or 31.71), or empty for national.",
)
REGION_NOT_ALLOWED = Text(
    "Hanya akun Dukcapil yang memiliki wilayah kerja.", "Only Dukcapil accounts have a work area."
)
NAME_RULE = Text("Nama tampilan wajib diisi (maks. 120 karakter).", "A display name is required (max 120 characters).")


# Argon2id parameter sets: RFC 9106's second recommendation (64 MiB, t=3, p=4), or OWASP's minimum
# (19 MiB, t=2, p=1) for small servers. A login with a hash made under other parameters rehashes it.
_HASH_PARAMETERS = {
    "rfc9106_low_memory": RFC_9106_LOW_MEMORY,
    "owasp_minimum": Parameters(
        type=Type.ID, version=19, salt_len=16, hash_len=32, time_cost=2, memory_cost=19456, parallelism=1
    ),
}


def password_hasher() -> PasswordHasher:
    return _hasher(get_settings().password_hash_profile)


@lru_cache(maxsize=len(_HASH_PARAMETERS))
def _hasher(profile: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(_HASH_PARAMETERS[profile])


@lru_cache(maxsize=len(_HASH_PARAMETERS))
def _dummy_hash(profile: str) -> str:
    """Verified against when the username is unknown, so both cases take the same time."""
    return _hasher(profile).hash(uuid.uuid4().hex)


def normalize_username(raw: str) -> str:
    return raw.strip().lower()


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(password_hasher().hash, password)


async def _verify(password_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return password_hasher().verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(check)


def _check_password(password: str, problems: list[FieldProblem], names: Sequence[str]) -> None:
    """Long enough, and not guessable: zxcvbn (a maintained estimator with lists of common passwords, names and
    keyboard patterns) rates its first 72 characters (all it reads), knowing the account's own `names`."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        problems.append(FieldProblem("password", "password_too_short", PASSWORD_RULE, {"minimum": MIN_PASSWORD_LENGTH}))
        return
    own = [part for name in names for part in re.split(r"[^a-z0-9]+", name.lower()) if len(part) >= 3]
    whole = [name.strip().lower() for name in names if len(name.strip()) >= 3]
    guessable = zxcvbn(password[:72], user_inputs=[*own, *whole, *SERVICE_WORDS])["score"] < MIN_PASSWORD_SCORE
    if guessable or any(name in password.lower() for name in whole):
        problems.append(FieldProblem("password", "password_too_weak", WEAK_PASSWORD_RULE))


def account_problems(
    username: str, password: str, display_name: str, *, enforce_password_policy: bool = True
) -> list[FieldProblem]:
    """What is wrong with a new account's fields (empty when it may be created), for forms and APIs alike."""
    problems: list[FieldProblem] = []
    if not USERNAME_PATTERN.match(normalize_username(username)):
        problems.append(FieldProblem("username", "invalid_username", USERNAME_RULE))
    if enforce_password_policy:
        _check_password(password, problems, (username, display_name))
    display = display_name.strip()
    if not display or len(display) > 120:
        problems.append(FieldProblem("display_name", "invalid_display_name", NAME_RULE))
    return problems


async def username_taken(username: str) -> bool:
    return bool(await StaffUser.exists().where(StaffUser.username == normalize_username(username)))


async def create_user(
    username: str,
    password: str,
    role: Role,
    display_name: str,
    *,
    region: str | None = None,
    actor: CurrentUser | None = None,
    enforce_password_policy: bool = True,
) -> CurrentUser:
    """Create a staff account; a Dukcapil account with its reach (`region`: its office's kabupaten/kota, a
    province, or None for national). Only the demo seed skips the password policy (its accounts use `demo`)."""
    problems = account_problems(username, password, display_name, enforce_password_policy=enforce_password_policy)
    problems += await region_problems(role, region)
    if problems:
        raise Invalid(problems)
    password_hash = await hash_password(password)
    async with write_transaction():
        created = await insert_user(username, password_hash, role, display_name, region=region, actor=actor)
    log.info("staff_user.created", user_id=str(created.id), role=role.value)
    return created


async def region_problems(role: Role, region: str | None) -> list[FieldProblem]:
    """A Dukcapil account's reach must be a known province or kabupaten/kota (or national); partner staff have none."""
    if role not in DUKCAPIL_ROLES:
        return [] if region is None else [FieldProblem("region_code", "region_not_allowed", REGION_NOT_ALLOWED)]
    if region is None:
        return []
    levels = [RegionLevel.PROVINSI, RegionLevel.KABUPATEN, RegionLevel.KOTA]
    if not valid_scope(region) or not await Region.exists().where(Region.code == region, Region.level.is_in(levels)):
        return [FieldProblem("region_code", "unknown_region", REGION_RULE)]
    return []


async def insert_user(
    username: str,
    password_hash: str,
    role: Role,
    display_name: str,
    *,
    region: str | None = None,
    actor: CurrentUser | None,
) -> CurrentUser:
    """Insert an already validated account with an already computed hash, inside the caller's transaction."""
    name = normalize_username(username)
    display = display_name.strip()
    if await StaffUser.exists().where(StaffUser.username == name):
        raise UsernameTaken(username=name)
    user_id = uuid.uuid4()
    await StaffUser.insert(
        StaffUser(
            id=user_id, username=name, password_hash=password_hash, role=role, display_name=display, region_code=region
        )
    )
    await record_event(
        "staff_user.created",
        "staff_user",
        user_id,
        actor=actor,
        after={"username": name, "role": role.value, "region_code": region},
        city=office_of_region(region),
    )
    return CurrentUser(id=user_id, username=name, role=role, display_name=display, region=region)


@dataclass(frozen=True, slots=True)
class _Failures:
    """A username's wrong passwords from untrusted devices, and when the next try may be checked (epoch seconds)."""

    count: int = 0
    next_at: float = 0.0

    @classmethod
    def read(cls, raw: bytes | None) -> _Failures:
        return msgspec.json.decode(raw, type=cls) if raw else cls()


# The whole check for one username runs under a lock that lapses after this long if its worker dies.
LOGIN_LOCK_SECONDS = 30


async def authenticate(
    username: str,
    password: str,
    client_ip: str,
    settings: Settings,
    stores: Stores,
    device_tokens: Sequence[str] = (),
) -> CurrentUser:
    """Check a password. Wrong guesses slow the username down everywhere (a delay that doubles after
    LOGIN_MAX_FAILURES, up to LOGIN_FAILURE_WINDOW) and stop one address (LOGIN_MAX_FAILURES_PER_IP); neither can
    be raced, since each try is counted before its hash is checked. A device where this user signed in before
    (`device_tokens`, see core/devices.py) is spared both, so strangers' guesses alone cannot lock the owner out:
    only LOGIN_MAX_FAILURES wrong passwords on that device itself end its trust."""
    name = normalize_username(username)
    device = devices.trusted_id(device_tokens, name, settings)
    if device is not None:
        device_key = f"login:device:{device}"
        turn = await stores.take_turn(device_key, settings.login_max_failures, settings.device_token_ttl)
        if turn.granted:
            row = await _checked(name, password, settings)
            if row is None:
                log.info("auth.login.failed", trusted_device=True)
                raise InvalidCredentials()
            await stores.reset(device_key)
            return await _signed_in(row, password)
        log.warning("auth.login.device_distrusted")  # its guesses are used up: it is a stranger's device now

    ip_key = f"login:ip:{client_ip}"
    address = await stores.take_turn(ip_key, settings.login_max_failures_per_ip, settings.login_failure_window)
    if not address.granted:
        log.warning("auth.login.throttled", scope="ip")
        raise LoginThrottled(retry_after=address.resets_in)
    user_key = f"login:user:{name}"
    async with stores.exclusive(user_key, LOGIN_LOCK_SECONDS) as alone:
        if not alone:  # another try for this username is being checked right now
            await stores.give_back(ip_key)
            raise LoginThrottled(retry_after=1)
        failures = _Failures.read(await stores.state_get(user_key))
        now = time.time()
        if failures.next_at > now:
            await stores.give_back(ip_key)  # refused unchecked: not a guess
            log.warning("auth.login.throttled", scope="user")
            raise LoginThrottled(retry_after=math.ceil(failures.next_at - now))
        row = await _checked(name, password, settings)
        if row is not None:
            await stores.state_delete(user_key)
            await stores.give_back(ip_key)
            return await _signed_in(row, password)
        count = failures.count + 1
        over = count - settings.login_max_failures
        delay = min(settings.login_delay_base * 2**over, settings.login_failure_window) if over >= 0 else 0
        failed = _Failures(count=count, next_at=now + delay)
        await stores.state_set(user_key, msgspec.json.encode(failed), settings.login_failure_window + delay)
    log.info("auth.login.failed", trusted_device=False)
    if delay or address.count >= settings.login_max_failures_per_ip:
        await record_event("auth.login_throttled", "staff_user", None, after={"scope": "user" if delay else "ip"})
        raise LoginThrottled(retry_after=delay or address.resets_in)
    raise InvalidCredentials()


async def _checked(name: str, password: str, settings: Settings) -> dict[str, Any] | None:
    """The active account `name` if `password` is its password (an unknown name takes as long as a known one)."""
    row = await StaffUser.select().where(StaffUser.username == name).first()
    valid = await _verify(row["password_hash"] if row else _dummy_hash(settings.password_hash_profile), password)
    return row if row and valid and row["active"] else None


async def _signed_in(row: dict[str, Any], password: str) -> CurrentUser:
    if password_hasher().check_needs_rehash(row["password_hash"]):
        await StaffUser.update({StaffUser.password_hash: await hash_password(password)}).where(
            StaffUser.id == row["id"]
        )
    await StaffUser.update({StaffUser.last_login_at: utc_now()}).where(StaffUser.id == row["id"])
    return staff_user_row_to_current(row)


_PUBLIC_COLUMNS = (
    StaffUser.id,
    StaffUser.username,
    StaffUser.role,
    StaffUser.display_name,
    StaffUser.region_code,
    StaffUser.active,
    StaffUser.created_at,
    StaffUser.last_login_at,
)


async def get_user_record(
    user_id: uuid.UUID, roles: frozenset[Role], reader: CurrentUser | None = None
) -> dict[str, Any]:
    """One account's public fields (never the hash), if it has one of `roles` and, for a Dukcapil `reader`, works
    within the reader's reach (another office's account is not found)."""
    row = (
        await seen(StaffUser.select(*_PUBLIC_COLUMNS), StaffUser.region_code, reader)
        .where(StaffUser.id == user_id)
        .where(StaffUser.role.is_in(list(roles)))
        .first()
    )
    if row is None:
        raise StaffUserNotFound()
    return row


async def list_users(roles: frozenset[Role], reader: CurrentUser | None = None) -> list[dict[str, Any]]:
    """The accounts with one of `roles`; for a Dukcapil `reader`, those working within its reach."""
    query = seen(StaffUser.select(*_PUBLIC_COLUMNS), StaffUser.region_code, reader)
    return await query.where(StaffUser.role.is_in(list(roles))).order_by(StaffUser.username)


async def office_cities() -> list[str]:
    """The kabupaten/kota whose Dukcapil office works on this service (has an active account): the offices a
    partner may apply to."""
    rows = (
        await StaffUser.select(StaffUser.region_code)
        .distinct()
        .where(
            StaffUser.role.is_in(list(DUKCAPIL_ROLES)), StaffUser.active.eq(True), StaffUser.region_code.is_not_null()
        )
    )
    return sorted(row["region_code"] for row in rows if office_of_region(row["region_code"]))


async def names_of(user_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """How a history names who acted: "Display name (username)"."""
    if not user_ids:
        return {}
    rows = await StaffUser.select(StaffUser.id, StaffUser.username, StaffUser.display_name).where(
        StaffUser.id.is_in(list(user_ids))
    )
    return {row["id"]: f"{row['display_name']} ({row['username']})" for row in rows}


async def set_active(user_id: uuid.UUID, active: bool, *, actor: CurrentUser) -> None:
    """Enable or disable an account; disabling also ends every session it has."""
    async with write_transaction():
        row = await StaffUser.select(StaffUser.active).where(StaffUser.id == user_id).first()
        if row is None:
            raise StaffUserNotFound()
        if row["active"] == active:
            return
        await StaffUser.update({StaffUser.active: active, StaffUser.updated_at: utc_now()}).where(
            StaffUser.id == user_id
        )
        if not active:
            await revoke_sessions(user_id)
        await record_event(
            "staff_user.enabled" if active else "staff_user.disabled",
            "staff_user",
            user_id,
            actor=actor,
            before={"active": row["active"]},
            after={"active": active},
        )


async def set_password(user_id: uuid.UUID, password: str, *, actor: CurrentUser | None) -> None:
    """Set a new password and end the user's sessions (they sign in again with it)."""
    row = await StaffUser.select(StaffUser.username, StaffUser.display_name).where(StaffUser.id == user_id).first()
    if row is None:
        raise StaffUserNotFound()
    problems: list[FieldProblem] = []
    _check_password(password, problems, (row["username"], row["display_name"]))
    if problems:
        raise Invalid(problems)
    password_hash = await hash_password(password)
    async with write_transaction():
        if not await StaffUser.exists().where(StaffUser.id == user_id):
            raise StaffUserNotFound()
        await StaffUser.update({StaffUser.password_hash: password_hash, StaffUser.updated_at: utc_now()}).where(
            StaffUser.id == user_id
        )
        await revoke_sessions(user_id)
        await record_event("staff_user.password_set", "staff_user", user_id, actor=actor)


async def revoke_sessions(user_id: uuid.UUID) -> None:
    await (
        StaffSession.update({StaffSession.revoked_at: utc_now()})
        .where(StaffSession.user == user_id)
        .where(StaffSession.revoked_at.is_null())
    )


async def purge_expired_sessions() -> int:
    """Delete sessions that expired more than a day ago; returns how many."""
    cutoff = utc_now() - timedelta(days=1)
    deleted = await StaffSession.delete().where(StaffSession.expires_at < cutoff).returning(StaffSession.id)
    return len(deleted)


async def disable_by_username(username: str) -> bool:
    """Disable an account from the command line (no signed-in actor); False if there is no such account."""
    name = normalize_username(username)
    async with write_transaction():
        row = await StaffUser.select(StaffUser.id).where(StaffUser.username == name).first()
        if row is None:
            return False
        await StaffUser.update({StaffUser.active: False, StaffUser.updated_at: utc_now()}).where(
            StaffUser.id == row["id"]
        )
        await revoke_sessions(row["id"])
        await record_event("staff_user.disabled", "staff_user", row["id"], after={"active": False})
    return True
