"""HTTP for login/logout, the current user, health and readiness, and the region list."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from core import devices
from core.auth import PUBLIC, AuthedRequest, TokenIssuer, client_ip, end_session, refresh_session, start_session
from core.errors import InvalidCredentials, LoginThrottled, NotReady, RegionQueryTooBroad, Unauthenticated
from core.guards import requires_staff
from core.openapi import raises
from core.pages import signed_out
from core.schemas import (
    HealthResponse,
    LoginRequest,
    MeResponse,
    ReadyResponse,
    RefreshRequest,
    RegionRead,
    TokenResponse,
)
from core.service import ops, regions, users
from core.service.audit import record_event
from core.settings import Settings
from core.stores import Stores
from core.tables import RegionLevel


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post(
        "/login",
        opt={PUBLIC: True, **raises(InvalidCredentials, LoginThrottled)},
        status_code=HTTP_200_OK,
        summary="Exchange a username and password for a token",
    )
    async def login(
        self,
        data: JSONBody[LoginRequest],
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        stores: NamedDependency[Stores],
        tokens: NamedDependency[TokenIssuer],
    ) -> TokenResponse:
        user = await users.authenticate(
            data.username, data.password, client_ip(request), settings, stores,
            [data.device_token] if data.device_token else [],
        )  # fmt: skip
        refresh_ttl = settings.refresh_token_ttl if data.remember else None
        session_id, refresh = await start_session(user, tokens.ttl_seconds, refresh_ttl)
        await record_event("auth.login", "staff_user", user.id, actor=user)
        return TokenResponse(
            access_token=tokens.issue(user, session_id),
            expires_in=tokens.ttl_seconds,
            token_type="Bearer",  # noqa: S106 - the scheme name
            refresh_token=refresh,
            refresh_expires_in=refresh_ttl,
            device_token=devices.issue(user.username, settings),
        )

    @post(
        "/refresh",
        opt={PUBLIC: True, **raises(Unauthenticated)},
        status_code=HTTP_200_OK,
        summary="Renew a remembered session (the refresh token is replaced each time)",
    )
    async def refresh(
        self,
        data: JSONBody[RefreshRequest],
        settings: NamedDependency[Settings],
        tokens: NamedDependency[TokenIssuer],
    ) -> TokenResponse:
        renewed = await refresh_session(data.refresh_token, tokens.ttl_seconds, settings.refresh_token_ttl)
        if renewed is None:
            raise Unauthenticated()
        user, session_id, refresh = renewed
        return TokenResponse(
            access_token=tokens.issue(user, session_id),
            expires_in=tokens.ttl_seconds,
            token_type="Bearer",  # noqa: S106 - the scheme name
            refresh_token=refresh,
            refresh_expires_in=settings.refresh_token_ttl,
        )

    @post(
        "/logout", guards=[requires_staff], status_code=HTTP_204_NO_CONTENT, summary="Revoke this token", opt=raises()
    )
    async def logout(self, request: AuthedRequest) -> Response[None]:
        if request.user.session_id is not None:
            await end_session(request.user.session_id)
        await record_event("auth.logout", "staff_user", request.user.id, actor=request.user)
        response = Response(None, status_code=HTTP_204_NO_CONTENT)
        # A browser signed in at /masuk (the cashier app finds that session): its cookie goes too.
        return signed_out(response) if request.auth.via == "cookie" else response

    @get("/me", guards=[requires_staff], summary="The signed-in staff member", opt=raises())
    async def me(self, request: AuthedRequest) -> MeResponse:
        user = request.user
        return MeResponse(id=user.id, username=user.username, role=user.role, display_name=user.display_name)


class OperationsController(Controller):
    tags = ["operations"]
    opt = {PUBLIC: True}

    @get("/health", summary="The process is up")
    async def health(self) -> HealthResponse:
        return HealthResponse()

    @get(
        "/ready",
        opt=raises(NotReady),
        summary="The database (and Redis, if configured) answer; ?degraded_ok=true requires the database only",
    )
    async def ready(self, stores: NamedDependency[Stores], degraded_ok: FromQuery[bool] = False) -> ReadyResponse:
        checks = await ops.check_readiness(stores, degraded_ok)
        degraded = "unavailable" in checks.values()
        return ReadyResponse(status="degraded" if degraded else "ready", checks=checks)


class RegionController(Controller):
    path = "/api/v1/regions"
    tags = ["regions"]
    opt = {PUBLIC: True}

    @get(
        "/",
        summary="Kemendagri region codes in force (public reference data): by level, parent, or a search",
        description=(
            "Kecamatan and kelurahan (or no level) need `parent` or `q`. `q` searches names (case-insensitive, "
            "names starting with it first) or, when it is digits and dots, codes; `within` keeps the regions inside "
            "one region; a search answers `limit` regions (20 unless asked), a list by parent or of "
            "provinsi/kabupaten/kota answers all."
        ),
        opt=raises(RegionQueryTooBroad),
    )
    async def list_regions(
        self,
        level: FromQuery[RegionLevel | None] = None,
        parent: Annotated[
            str | None, QueryParameter(max_length=13, description="Parent region code, e.g. 31.71")
        ] = None,
        q: Annotated[
            str | None, QueryParameter(min_length=2, max_length=100, description="Part of a name, or of a code")
        ] = None,
        limit: Annotated[
            int | None, QueryParameter(ge=1, le=regions.SEARCH_LIMIT_MAX, description="At most this many regions")
        ] = None,
        within: Annotated[
            str | None,
            QueryParameter(
                pattern=r"^\d{2}(\.\d{2}){0,2}$",
                description="Only regions inside this one, e.g. 31.71 (a search in a city)",
            ),
        ] = None,
    ) -> list[RegionRead]:
        rows = await regions.list_regions(level, parent, q, limit, within)
        above = await regions.parent_names(rows)
        return [RegionRead(**row, parent_names=above[row["code"]]) for row in rows]
