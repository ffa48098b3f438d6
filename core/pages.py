"""What every page shares: which paths are pages, where each role's console lives, the way to /masuk (and back)
for a page without a sign-in, CSRF wherever a browser sends its cookie by itself, the form body, and the typed
dependencies a page handler names in its signature (`user`, `language`).

Pages and the API have one authentication (core.auth.StaffAuthenticationMiddleware) and the same role guards
(core.guards); only the public pages carry `opt={PUBLIC: True}`."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.config.csrf import CSRFConfig
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.params import Body
from litestar.response import Redirect
from litestar.types import Receive, Scope, Send

from core.auth import Credential, CurrentUser, TokenIssuer, derive_key, session_cookie, start_session
from core.i18n import NOT_PAGES, Language, request_language
from core.settings import Settings
from core.tables import Role

CSRF_COOKIE = "mitrakia_csrf"
LOGIN_PATH = "/masuk"
# Where each role works; a signed-in user's problem pages are shown in that console's layout.
HOME = {
    Role.DUKCAPIL_ADMIN: "/admin",
    Role.DUKCAPIL_ANALYST: "/admin",
    Role.PARTNER_MANAGER: "/mitra",
    Role.CASHIER: "/kasir",
}
LAYOUTS = {"/admin": "admin/layout.html", "/mitra": "mitra/layout.html"}
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


def is_page_path(path: str) -> bool:
    return not path.startswith(NOT_PAGES)


def safe_next(value: str | None) -> str:
    """Only a path on this site (never `//elsewhere` or a full URL): no open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def login_redirect(request: Request[Any, Any, Any]) -> Response[Any]:
    """To the sign-in page, coming back here after (a form's POST path comes back as its GET: the form again)."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"{LOGIN_PATH}?next={quote(safe_next(here))}", status_code=303)


def signed_in_user(connection: Any) -> CurrentUser | None:
    user = connection.scope.get("user")
    return user if isinstance(user, CurrentUser) else None


def home_layout(request: Request[Any, Any, Any]) -> str:
    """The layout of the signed-in user's own console (a problem page stays in it), else the public one."""
    user = signed_in_user(request)
    return LAYOUTS.get(HOME[user.role], "base.html") if user else "base.html"


class SessionCsrfMiddleware(CSRFMiddleware):
    """Litestar's CSRF check (the token from the form or the X-CSRFToken header must match the CSRF cookie), wherever
    a browser sends its credentials by itself: on every page, and on the API when the session cookie is what signed
    the request in. A request signed in by a header (a bearer token, an API key) needs none: another site's page
    cannot send one (there is no CORS here), and a public API call carries no credentials to borrow."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        credential = scope.get("auth")
        by_header = isinstance(credential, Credential) and credential.via != "cookie"
        api_without_cookie = scope.get("path", "").startswith("/api/") and not isinstance(credential, Credential)
        if by_header or api_without_cookie:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http":
            await _readable_form(Request(scope, receive), self.config.header_name)
        await super().__call__(scope, receive, send)


async def _readable_form(request: Request[Any, Any, Any], header_name: str) -> None:
    """Parse the form the CSRF check is about to read (Litestar keeps it for the handler), refusing one whose text
    fields are not in their charset as a malformed request (400) instead of letting the decoder's error be a 500."""
    content_type, _ = request.content_type
    if request.headers.get(header_name) or content_type not in {
        RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART
    }:  # fmt: skip
        return
    try:
        await request.form()
    except (UnicodeDecodeError, LookupError):
        raise ClientException("A form field is not text in its charset") from None


def csrf_middleware(settings: Settings) -> DefineMiddleware:
    config = CSRFConfig(
        secret=derive_key(settings.secret_key, "csrf").hex(),
        cookie_name=CSRF_COOKIE,
        cookie_secure=True,
        cookie_samesite="strict",
        # Forms carry the token in a hidden field and the cashier app reads it from its page: no script reads the
        # cookie, so scripts may not.
        cookie_httponly=True,
        exclude=[r"^/\.well-known/", r"^/health", r"^/ready", r"^/schema", r"^/static/"],
    )
    return DefineMiddleware(SessionCsrfMiddleware, config=config)


async def signed_in(user: CurrentUser, target: str, settings: Settings, tokens: TokenIssuer) -> Redirect:
    """A new browser session for `user` (signing in, or a merchant who has just registered) and the way to `target`."""
    session_id, _ = await start_session(user, settings.web_session_ttl)
    response = Redirect(target, status_code=303)
    token = tokens.issue(user, session_id, settings.web_session_ttl)
    response.set_cookie(**session_cookie(token, settings.web_session_ttl))
    return response


def signed_out(response: Response[Any]) -> Response[Any]:
    """Expire the session cookie as it was set (Litestar's delete_cookie() sends a bare cookie: no HttpOnly, Secure
    or SameSite)."""
    response.set_cookie(**session_cookie("", 0), expires=0)
    return response


# --- the typed dependencies of every handler (app.py provides them) ---------------------------------------------


async def provide_user(request: Request[Any, Any, Any]) -> CurrentUser:
    """The signed-in caller; a handler that names `user` sits behind a guard, which already refused anyone else."""
    user: CurrentUser = request.user
    return user


async def provide_language(request: Request[Any, Any, Any]) -> Language:
    return request_language(request)
