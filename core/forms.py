"""Forms on the consoles' pages: reading a submitted form into the same msgspec body the API takes (so the rules
and their messages are the API's), the problems to show next to each field, and the short notice after a saved
change; the confirmation page before anything that cannot be undone. Pages re-render the form with what was typed
and answer 422 when something is wrong."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.response import Template

from core.errors import (
    DomainError,
    FieldProblem,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Unavailable,
    field_problem_from_decoder,
)
from core.i18n import Text

T = TypeVar("T")


def to_struct(kind: type[T], data: Mapping[str, Any]) -> T:
    """`data` (built from form fields: text everywhere) as `kind`, converting "12" to 12 and "on" to True the way
    the field's type says; a field that does not fit raises `Invalid` with the API's message for it."""
    try:
        return msgspec.convert(dict(data), kind, strict=False)
    except msgspec.ValidationError as error:
        raise Invalid([field_problem_from_decoder(str(error))]) from None


def text(data: Mapping[str, Any], name: str) -> str:
    """A text field, trimmed; "" when absent."""
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(data: Mapping[str, Any], name: str) -> str | None:
    """A text field that may be left empty (None then)."""
    return text(data, name) or None


def checked(data: Mapping[str, Any], name: str) -> bool:
    """A checkbox: browsers send it only when ticked."""
    return data.get(name) in {"on", "true", "1", "yes"}


def problems_by_field(error: Invalid | None, language: str) -> dict[str, str]:
    """`{field: message}` for showing each problem next to its field (the first one per field)."""
    found: dict[str, str] = {}
    for problem in error.problems if error else []:
        found.setdefault(problem.field, problem.message.render(language, **problem.params))
    return found


def problem_of(error: DomainError, field: str = "") -> Invalid:
    """A refusal that is not about one field (a conflict, a wrong state) shown at the top of the form."""
    if isinstance(error, Invalid):
        return error
    message = Text(error.render_detail("id"), error.render_detail("en"))  # already filled in: no params left
    return Invalid([FieldProblem(field, error.code, message)])


def refusal_status(error: DomainError) -> int:
    """The status a page answers with when it shows a refusal on the form (the API's status for that family)."""
    if isinstance(error, Invalid):
        return 422
    if isinstance(error, RateLimited):
        return 429
    if isinstance(error, Forbidden):
        return 403
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Unavailable):
        return 503
    return 409  # a conflict or a wrong state: the page says which


def notice(request: Request[Any, Any, Any], messages: Mapping[str, Text], language: str) -> str | None:
    """The message after a redirect (`?ok=<code>`): only known codes, so a link cannot put words on the page."""
    code = request.query_params.get("ok")
    return messages[code].render(language) if isinstance(code, str) and code in messages else None


@dataclass
class Confirmation:
    """A page that says what an action will do before the button that does it (only its POST acts)."""

    layout: str  # the console's layout template: "admin/layout.html", "mitra/layout.html"
    title: str
    consequences: list[str]
    action: str  # where the form posts
    button: str
    back: str  # the page to return to without acting
    subject: str = ""  # what is acted on, shown under the title
    reason: str | None = None  # "text" for a written reason, "choice" for one of `choices`
    reason_label: str = ""
    reason_help: str | None = None
    reason_required: bool = True  # the API's reason for this action is optional when False
    choices: Sequence[tuple[str, str]] = ()
    danger: bool = True
    hidden: dict[str, str] = field(default_factory=dict)  # fields the action needs, sent back as they came


def confirmation_page(
    confirmation: Confirmation,
    language: str,
    values: Mapping[str, str] | None = None,
    problem: Invalid | None = None,
    status: int | None = None,
) -> Template:
    """The confirmation page; again with the problem (422, or the refusal's `status`) when the action was refused."""
    return Template(
        "konfirmasi.html",
        context={"c": confirmation, "values": dict(values or {}), "problems": problems_by_field(problem, language)},
        status_code=status or (422 if problem else 200),
    )
