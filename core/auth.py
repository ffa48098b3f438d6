"""Staff authentication: short-lived JWT access tokens (Litestar's JWTAuth) backed by session rows."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.authentication import AuthenticationResult
from litestar.openapi.spec import Components, SecurityScheme
from litestar.security.jwt import JWTCookieAuth, JWTCookieAuthenticationMiddleware, Token
from litestar.types import Receive, Scope, Send

from core.localtime import utc_now
from core.settings import Settings
from core.tables import Role, StaffSession

# Claim values and the algorithm, not secrets.
TOKEN_ISSUER = "mitrakia"  # noqa: S105
TOKEN_AUDIENCE = "mitrakia:staff"  # noqa: S105
TOKEN_ALGORITHM = "HS256"  # noqa: S105
# Routes that take no staff token declare opt={PUBLIC: True}.
PUBLIC = "public"


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The signed-in staff member, as every guard and service sees them."""

    id: uuid.UUID
    username: str
    role: Role
    display_name: str
    session_id: uuid.UUID | None = None
    # A Dukcapil account's reach (core.offices): its office's kabupaten/kota, a province, or None for national.
    region: str | None = None
    # Set for a point-of-sale API key acting as a cashier: the key's id and the scopes it was granted.
    api_key_id: uuid.UUID | None = None
    scopes: frozenset[str] | None = None

    def may(self, scope: str) -> bool:
        """A person may do whatever their role allows; an API key only what its scopes name."""
        return self.scopes is None or scope in self.scopes


def client_ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The caller's address (behind a trusted proxy, the one it forwarded), as throttling counts it."""
    return connection.client.host if connection.client else "unknown"


def derive_key(secret: str, purpose: str) -> bytes:
    """A separate key per purpose from the one secret, so no two uses share key material."""
    return hmac.new(secret.encode(), f"mitrakia:{purpose}".encode(), hashlib.sha256).digest()


def token_secret(settings: Settings) -> str:
    return derive_key(settings.secret_key, "staff-jwt").hex()


def _refresh_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(
    user: CurrentUser, ttl_seconds: int, refresh_ttl_seconds: int | None = None
) -> tuple[uuid.UUID, str | None]:
    """Record a new session (its id becomes the token's `jti`); with `refresh_ttl_seconds`, also a refresh token."""
    session_id = uuid.uuid4()
    now = utc_now()
    refresh = secrets.token_urlsafe(32) if refresh_ttl_seconds else None
    await StaffSession.insert(
        StaffSession(
            id=session_id,
            user=user.id,
            expires_at=now + timedelta(seconds=ttl_seconds),
            refresh_hash=_refresh_digest(refresh) if refresh else None,
            refresh_expires_at=now + timedelta(seconds=refresh_ttl_seconds) if refresh_ttl_seconds else None,
        )
    )
    return session_id, refresh


async def refresh_session(
    refresh_token: str, ttl_seconds: int, refresh_ttl_seconds: int
) -> tuple[CurrentUser, uuid.UUID, str] | None:
    """Renew a remembered session: a new access period and a new refresh token (the old one stops working).

    A refresh token that was already replaced is a copy: the whole session ends. None if nothing is renewed.
    """
    digest = _refresh_digest(refresh_token)
    now = utc_now()
    copied = await StaffSession.select(StaffSession.id).where(StaffSession.previous_refresh_hash == digest).first()
    if copied is not None:
        await end_session(copied["id"])
        return None
    row = (
        await StaffSession.select(
            StaffSession.id,
            StaffSession.user.id.as_alias("user_id"),
            StaffSession.user.username.as_alias("username"),
            StaffSession.user.role.as_alias("role"),
            StaffSession.user.display_name.as_alias("display_name"),
            StaffSession.user.region_code.as_alias("region_code"),
        )
        .where(StaffSession.refresh_hash == digest)
        .where(StaffSession.revoked_at.is_null())
        .where(StaffSession.refresh_expires_at > now)
        .where(StaffSession.user._.active.eq(True))
        .first()
    )
    if row is None:
        return None
    renewed = secrets.token_urlsafe(32)
    await StaffSession.update(
        {
            StaffSession.refresh_hash: _refresh_digest(renewed),
            StaffSession.previous_refresh_hash: digest,
            StaffSession.expires_at: now + timedelta(seconds=ttl_seconds),
            StaffSession.refresh_expires_at: now + timedelta(seconds=refresh_ttl_seconds),
        }
    ).where(StaffSession.id == row["id"])
    user = CurrentUser(
        id=row["user_id"],
        username=row["username"],
        role=Role(row["role"]),
        display_name=row["display_name"],
        region=row["region_code"],
    )
    return user, row["id"], renewed


async def end_session(session_id: uuid.UUID) -> None:
    await (
        StaffSession.update({StaffSession.revoked_at: utc_now()})
        .where(StaffSession.id == session_id)
        .where(StaffSession.revoked_at.is_null())
    )


async def load_session_user(session_id: uuid.UUID, user_id: uuid.UUID) -> CurrentUser | None:
    """The active user behind an unrevoked, unexpired session, in one query."""
    row = (
        await StaffSession.select(
            StaffSession.user.id.as_alias("user_id"),
            StaffSession.user.username.as_alias("username"),
            StaffSession.user.role.as_alias("role"),
            StaffSession.user.display_name.as_alias("display_name"),
            StaffSession.user.region_code.as_alias("region_code"),
        )
        .where(StaffSession.id == session_id)
        .where(StaffSession.user.id == user_id)
        .where(StaffSession.revoked_at.is_null())
        .where(StaffSession.expires_at > utc_now())
        .where(StaffSession.user._.active.eq(True))
        .first()
    )
    if row is None:
        return None
    return CurrentUser(
        id=row["user_id"],
        username=row["username"],
        role=Role(row["role"]),
        display_name=row["display_name"],
        session_id=session_id,
        region=row["region_code"],
    )


async def retrieve_user(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> CurrentUser | None:
    try:
        session_id = uuid.UUID(str(token.jti))
        user_id = uuid.UUID(token.sub)
    except ValueError:
        return None
    return await load_session_user(session_id, user_id)


API_KEY_HEADER = "x-api-key"
# The partners layer resolves API keys (it owns them); app.py puts its resolver into app.state under this name.
API_KEY_RESOLVER = "api_key_resolver"
ApiKeyResolver = Callable[[str], Awaitable[CurrentUser | None]]
# A browser's sign-in (/masuk): the same staff token, in an HttpOnly cookie.
SESSION_COOKIE = "mitrakia_session"
# Routes anyone may open that still want to know who is signed in (the sign-in page, signing out): opt={ANYONE: True}.
ANYONE = "anyone"
Via = Literal["bearer", "cookie", "api_key"]


@dataclass(frozen=True, slots=True)
class Credential:
    """`request.auth`: what authenticated the request. CSRF checks apply where a browser sends it by itself (the
    cookie); a header credential cannot be sent by another site's page (no CORS here), so it needs none."""

    via: Via
    token: Token | None = None


AuthedRequest = Request[CurrentUser, Credential, Any]
"""The request type of every handler behind a guard: `request.user` is the CurrentUser."""


class StaffAuthenticationMiddleware(JWTCookieAuthenticationMiddleware):
    """The one authentication of pages and API: a point-of-sale key in `X-API-Key`, a staff token in
    `Authorization: Bearer`, or the same token in the session cookie of a browser signed in at /masuk."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        if handler is not None and handler.opt.get(ANYONE) and scope["type"] == ScopeType.HTTP:
            try:
                result = await self.authenticate_request(ASGIConnection(scope))
                scope["user"], scope["auth"] = result.user, result.auth
            except NotAuthorizedException:
                scope["user"], scope["auth"] = None, None
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        raw_key = connection.headers.get(API_KEY_HEADER)
        if raw_key is not None:
            resolver: ApiKeyResolver | None = connection.app.state.get(API_KEY_RESOLVER)
            user = await resolver(raw_key) if resolver else None
            if user is None:
                raise NotAuthorizedException()
            return AuthenticationResult(user=user, auth=Credential("api_key"))
        bearer = connection.headers.get(self.auth_header, "").partition(" ")[-1]
        encoded, via = (bearer, "bearer") if bearer else (connection.cookies.get(self.auth_cookie_key, ""), "cookie")
        if not encoded:
            raise NotAuthorizedException("No staff token in the Authorization header or the session cookie")
        result = await self.authenticate_token(encoded_token=encoded, connection=connection)
        return AuthenticationResult(user=result.user, auth=Credential(via, result.auth))  # type: ignore[arg-type]


class StaffAuth(JWTCookieAuth[CurrentUser, Token]):
    """Litestar's cookie-and-header JWT backend with our middleware; the OpenAPI document shows the bearer header
    (and core.openapi the API key): the cookie is a browser's own business."""

    @property
    def openapi_components(self) -> Components:
        return Components(
            security_schemes={
                self.openapi_security_scheme_name: SecurityScheme(
                    type="http", scheme="Bearer", bearer_format="JWT", description=self.description
                )
            }
        )


def create_staff_auth(settings: Settings) -> StaffAuth:
    return StaffAuth(
        authentication_middleware_class=StaffAuthenticationMiddleware,
        retrieve_user_handler=retrieve_user,
        token_secret=token_secret(settings),
        algorithm=TOKEN_ALGORITHM,
        default_token_expiration=timedelta(seconds=settings.access_token_ttl),
        accepted_issuers=[TOKEN_ISSUER],
        accepted_audiences=[TOKEN_AUDIENCE],
        require_claims=["exp", "iat", "sub", "jti", "iss", "aud"],
        exclude_opt_key=PUBLIC,
        exclude=["^/schema"],
        key=SESSION_COOKIE,
        secure=True,
        samesite="lax",
        description="Staff access token from POST /api/v1/auth/login",
    )


def session_cookie(token: str, max_age: int) -> dict[str, Any]:
    """The session cookie's attributes (HttpOnly, Secure, SameSite=Lax), for setting it and for expiring it."""
    return {
        "key": SESSION_COOKIE,
        "value": token,
        "max_age": max_age,
        "httponly": True,
        "secure": True,
        "samesite": "lax",
        "path": "/",
    }


class TokenIssuer:
    """Signs staff access tokens with the same secret and claims that the JWTAuth middleware verifies."""

    def __init__(self, jwt_auth: StaffAuth, ttl_seconds: int) -> None:
        self._jwt_auth = jwt_auth
        self.ttl_seconds = ttl_seconds

    def issue(self, user: CurrentUser, session_id: uuid.UUID, ttl_seconds: int | None = None) -> str:
        return self._jwt_auth.create_token(
            identifier=str(user.id),
            token_expiration=timedelta(seconds=ttl_seconds or self.ttl_seconds),
            token_issuer=TOKEN_ISSUER,
            token_audience=TOKEN_AUDIENCE,
            token_unique_jwt_id=str(session_id),
        )


def staff_user_row_to_current(row: dict[str, Any]) -> CurrentUser:
    return CurrentUser(
        id=row["id"],
        username=row["username"],
        role=Role(row["role"]),
        display_name=row["display_name"],
        region=row.get("region_code"),
    )
