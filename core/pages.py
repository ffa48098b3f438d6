"""Signing in to the consoles' pages: an expiring session cookie (HttpOnly, Secure, SameSite) carrying a staff token,
CSRF-protected forms, the page language, and a redirect to the login page when a page needs a user.

The JSON API never accepts this cookie (it takes `Authorization: Bearer` or `X-API-Key`), so a cross-site form can
reach only pages, whose unsafe requests all carry a CSRF token."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import jwt
from litestar import Request, Response
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import PermissionDeniedException
from litestar.response import Redirect

from core.auth import (
    TOKEN_ALGORITHM,
    TOKEN_AUDIENCE,
    TOKEN_ISSUER,
    CurrentUser,
    TokenIssuer,
    derive_key,
    load_session_user,
    start_session,
)
from core.i18n import Language
from core.settings import Settings
from core.tables import Role

SESSION_COOKIE = "mitrakia_session"
LANGUAGE_COOKIE = "mitrakia_lang"
CSRF_COOKIE = "mitrakia_csrf"
LOGIN_PATH = "/masuk"
# API, machine and static routes take no cookie, so CSRF does not apply to them.
CSRF_EXEMPT = [r"^/api/", r"^/\.well-known/", r"^/health", r"^/ready", r"^/schema", r"^/static/"]


class LoginRequired(Exception):
    """A page needs a signed-in user; app.py answers with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path
        super().__init__(next_path)


def csrf_config(settings: Settings) -> CSRFConfig:
    return CSRFConfig(
        secret=derive_key(settings.secret_key, "csrf").hex(),
        cookie_name=CSRF_COOKIE,
        cookie_secure=True,
        cookie_samesite="strict",
        # Forms carry the token in a hidden field; no script reads the cookie, so scripts may not.
        cookie_httponly=True,
        exclude=CSRF_EXEMPT,
    )


def safe_next(value: str | None) -> str:
    """Only a path on this site (never `//elsewhere` or a full URL): no open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def redirect_to_login(request: Request[Any, Any, Any], error: LoginRequired) -> Response[Any]:
    return Redirect(f"{LOGIN_PATH}?next={quote(safe_next(error.next_path))}", status_code=303)


def page_language(request: Request[Any, Any, Any], default: str = "id") -> Language:
    """The reader's choice (cookie, set at /bahasa), else the site's default language."""
    chosen = request.cookies.get(LANGUAGE_COOKIE) or default
    return "en" if chosen == "en" else "id"


def session_cookie(token: str, max_age: int) -> dict[str, Any]:
    return {
        "key": SESSION_COOKIE,
        "value": token,
        "max_age": max_age,
        "httponly": True,
        "secure": True,
        "samesite": "lax",
        "path": "/",
    }


async def page_user(request: Request[Any, Any, Any], settings: Settings) -> CurrentUser | None:
    """The user behind the session cookie, if it is valid, unexpired and not logged out."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        claims = jwt.decode(
            token,
            derive_key(settings.secret_key, "staff-jwt").hex(),
            algorithms=[TOKEN_ALGORITHM],
            audience=TOKEN_AUDIENCE,
            issuer=TOKEN_ISSUER,
            options={"require": ["exp", "iat", "sub", "jti"]},
        )
        return await load_session_user(uuid.UUID(str(claims["jti"])), uuid.UUID(str(claims["sub"])))
    except (jwt.InvalidTokenError, ValueError):
        return None


async def require_page_user(request: Request[Any, Any, Any], settings: Settings, *roles: Role) -> CurrentUser:
    user = await page_user(request, settings)
    if user is None:
        raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    if roles and user.role not in roles:
        raise PermissionDeniedException()
    request.state.page_role = user.role  # the console's menu shows only what this role may open
    return user


async def signed_in(user: CurrentUser, target: str, settings: Settings, tokens: TokenIssuer) -> Redirect:
    """A new page session for `user` (signing in, or a merchant who has just registered) and the way to `target`."""
    session_id, _ = await start_session(user, settings.web_session_ttl)
    response = Redirect(target, status_code=303)
    token = tokens.issue(user, session_id, settings.web_session_ttl)
    response.set_cookie(**session_cookie(token, settings.web_session_ttl))
    return response


def web_session_ttl(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.web_session_ttl)
