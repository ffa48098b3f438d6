"""HTML for signing in and out of the consoles, and for choosing the page language."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from core import devices
from core.auth import ANYONE, PUBLIC, TokenIssuer, client_ip, end_session
from core.devices import DEVICE_COOKIE, DEVICE_COOKIE_PATH
from core.errors import InvalidCredentials, LoginThrottled
from core.i18n import LANGUAGE_COOKIE, Language
from core.pages import HOME, Form, safe_next, signed_in, signed_in_user, signed_out
from core.service import users
from core.service.audit import record_event
from core.settings import Settings
from core.stores import Stores

Next = Annotated[str | None, QueryParameter(max_length=500)]


class SignInPages(Controller):
    include_in_schema = False

    @get("/masuk", name="sign_in", media_type=MediaType.HTML, opt={ANYONE: True})
    async def form(self, request: Request[Any, Any, Any], next: Next = None) -> Any:
        user = signed_in_user(request)
        if user is not None:  # already signed in: straight on
            return Redirect(safe_next(next) if next else HOME[user.role], status_code=303)
        return Template("masuk.html", context={"next": safe_next(next), "error": None})

    @post("/masuk", status_code=303, media_type=MediaType.HTML, opt={PUBLIC: True})
    async def sign_in(
        self,
        request: Request[Any, Any, Any],
        data: Form,
        settings: NamedDependency[Settings],
        stores: NamedDependency[Stores],
        tokens: NamedDependency[TokenIssuer],
        language: NamedDependency[Language],
    ) -> Any:
        target = safe_next(data.get("next"))
        try:
            user = await users.authenticate(
                data.get("username", ""), data.get("password", ""), client_ip(request), settings, stores,
                devices.cookie_tokens(request.cookies.get(DEVICE_COOKIE)),
            )  # fmt: skip
        except (InvalidCredentials, LoginThrottled) as refused:
            return Template(
                "masuk.html",
                context={
                    "next": target,
                    "error": refused.render_detail(language),
                    "username": data.get("username", ""),
                },
                status_code=429 if isinstance(refused, LoginThrottled) else 401,
            )
        await record_event("auth.login", "staff_user", user.id, actor=user, after={"via": "web"})
        response = await signed_in(user, target if target != "/" else HOME[user.role], settings, tokens)
        trusted = devices.with_token(
            request.cookies.get(DEVICE_COOKIE), devices.issue(user.username, settings), user.username, settings
        )
        response.set_cookie(
            DEVICE_COOKIE, trusted, path=DEVICE_COOKIE_PATH, max_age=settings.device_token_ttl,
            httponly=True, secure=True, samesite="strict",
        )  # fmt: skip
        return response

    @post("/keluar", status_code=303, opt={ANYONE: True})
    async def sign_out(self, request: Request[Any, Any, Any]) -> Response[Any]:
        user = signed_in_user(request)
        if user is not None and user.session_id is not None:
            await end_session(user.session_id)
            await record_event("auth.logout", "staff_user", user.id, actor=user, after={"via": "web"})
        return signed_out(Redirect("/masuk", status_code=303))

    @get("/bahasa", opt={PUBLIC: True})
    async def language(
        self, to: Annotated[str, QueryParameter(pattern="^(id|en)$")] = "id", next: Next = None
    ) -> Response[Any]:
        response = Redirect(safe_next(next), status_code=303)
        response.set_cookie(LANGUAGE_COOKIE, to, max_age=365 * 24 * 3600, samesite="lax", secure=True, httponly=True)
        return response
