"""Request and response bodies for auth, operations, regions and staff accounts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from core.tables import Role


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    remember: bool = False  # a till that should stay signed in until logout also gets a refresh token
    # The token this device got when this user last signed in on it: strangers' wrong guesses do not slow it down.
    device_token: Annotated[str, msgspec.Meta(max_length=1024)] | None = None


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=20, max_length=128)]


class TokenResponse(msgspec.Struct, omit_defaults=True):
    access_token: str
    expires_in: int
    token_type: Literal["Bearer"]  # required, so that it is always in the body
    refresh_token: str | None = None
    refresh_expires_in: int | None = None
    # Keep it and send it with this user's next login from this device (see LoginRequest.device_token).
    device_token: str | None = None


class MeResponse(msgspec.Struct):
    id: uuid.UUID
    username: str
    role: Role
    display_name: str


class HealthResponse(msgspec.Struct):
    status: Literal["ok"] = "ok"


class ReadyResponse(msgspec.Struct):
    status: Literal["ready", "degraded"]
    checks: dict[str, str]


class RegionRead(msgspec.Struct):
    code: str
    name: str
    level: str
    parent_code: str | None
    postal_code: str | None
    # The names of the regions above, nearest first: a kelurahan's kecamatan, kabupaten/kota and provinsi.
    parent_names: list[str] = msgspec.field(default_factory=list)


class StaffUserCreate(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    role: Role
    # A Dukcapil account's work area: a province or kabupaten/kota code; by default the creating admin's own.
    region_code: Annotated[str, msgspec.Meta(max_length=5)] | None = None


class StaffUserRead(msgspec.Struct):
    id: uuid.UUID
    username: str
    role: Role
    display_name: str
    active: bool
    created_at: datetime
    region_code: str | None = None
    last_login_at: datetime | None = None


class StaffUserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    active: bool | None = None
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)] | None = None


class FieldProblemBody(msgspec.Struct):
    field: str
    code: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details; program against `code`, which never changes."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldProblemBody] | None = None  # validation_failed: each field with its own code
    retry_after: int | None = None  # 429: seconds, as in the Retry-After header
    checks: dict[str, str] | None = None  # /ready's 503: which dependency does not answer
