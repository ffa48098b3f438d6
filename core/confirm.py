"""Confirmed actions: an action that cannot be undone (revoke, reissue, void, disable, reject, suspend, end, rotate…)
declared once — what it loads, the service it calls, where it goes after — with its wording in a template that
extends konfirmasi.html. The declaration yields both handlers on one path: GET shows what will happen and asks
what the action needs (a reason), POST acts; a refusal shows the page again with the problem and the API's status."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, TypeVar

from litestar import Request, get, post
from litestar.enums import MediaType
from litestar.handlers import HTTPRouteHandler
from litestar.response import Template

from core.auth import AuthedRequest, CurrentUser
from core.errors import DomainError, Invalid
from core.forms import acted, problems_by_field, refusal
from core.guards import Guard
from core.i18n import Language, request_language
from core.pages import Form, home_layout
from core.settings import Settings
from core.stores import Stores

S = TypeVar("S")


@dataclass(frozen=True)
class Acting:
    """Who acts, on what and with what: the caller, the path's values, the submitted form, the app's services."""

    request: Request[CurrentUser, Any, Any]
    user: CurrentUser
    language: Language
    form: Mapping[str, str] = field(default_factory=dict)

    def path(self, name: str) -> Any:
        """A typed value of the path (`card_id` as a UUID)."""
        return self.request.path_params[name]

    def text(self, name: str) -> str:
        value = self.form.get(name)
        return value.strip() if isinstance(value, str) else ""

    @property
    def settings(self) -> Settings:
        settings: Settings = self.request.app.state.settings
        return settings

    @property
    def stores(self) -> Stores:
        stores: Stores = self.request.app.state.stores
        return stores

    def state(self, name: str) -> Any:
        """One of the app's services kept in its state by app.py (the key ring)."""
        return self.request.app.state[name]


@dataclass(frozen=True)
class ConfirmedAction(Generic[S]):
    path: str  # under its router, e.g. "/{card_id:uuid}/cabut"
    name: str  # the confirmation page's route name
    template: str  # its wording: a template extending "konfirmasi.html", given `subject`
    load: Callable[[Acting], Awaitable[S]]  # the subject; NotFound for one that is not the caller's
    act: Callable[[Acting, S], Awaitable[Any]]  # the service call; a domain error is a refusal shown on the page
    done: Callable[[S], str]  # where to go after acting, with `?ok=<notice>`
    refused_now: Callable[[S], DomainError | None] | None = None  # said already on the GET: not possible now
    guards: Sequence[Guard] = ()
    context: Mapping[str, Any] = field(default_factory=dict)  # what else the wording needs (the reasons allowed)

    def handlers(self) -> list[HTTPRouteHandler]:
        action = self

        async def confirm(request: AuthedRequest) -> Template:
            acting = _acting(request)
            subject = await action.load(acting)
            refused = action.refused_now(subject) if action.refused_now else None
            if refused is not None:
                problem, status = refusal(request, refused)
                return action.page(acting, subject, problem=problem, status=status)
            return action.page(acting, subject)

        async def act(request: AuthedRequest, data: Form) -> Any:
            acting = _acting(request, data)
            subject = await action.load(acting)
            again = partial(action.page, acting, subject)
            return await acted(request, action.act(acting, subject), action.done(subject), again)

        confirm.__name__ = f"confirm_{action.name}"
        act.__name__ = f"act_{action.name}"
        return [
            get(action.path, name=action.name, media_type=MediaType.HTML, guards=list(action.guards))(confirm),
            post(action.path, media_type=MediaType.HTML, status_code=303, guards=list(action.guards))(act),
        ]

    def page(self, acting: Acting, subject: S, problem: Invalid | None = None, status: int = 200) -> Template:
        return Template(
            self.template,
            context={
                "subject": subject,
                "layout": home_layout(acting.request),
                "action": acting.request.url.path,
                "values": {k: v for k, v in acting.form.items() if k != "_csrf_token"},
                "problems": problems_by_field(problem, acting.language),
                **self.context,
            },
            status_code=status,
        )


def _acting(request: AuthedRequest, form: Mapping[str, str] | None = None) -> Acting:
    return Acting(request, request.user, request_language(request), form or {})


async def provide_acting(request: AuthedRequest) -> Acting:
    """What most page handlers need, as one parameter: the caller, the language, the request and the app's services
    (a form, when there is one, stays the handler's own `data`)."""
    return _acting(request)


def path_uuid(acting: Acting, name: str) -> uuid.UUID:
    value: uuid.UUID = acting.path(name)
    return value
