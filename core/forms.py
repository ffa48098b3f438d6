"""Forms on the consoles' pages: reading a submitted form into the same msgspec body the API takes (so the rules
and their messages are the API's), the problems to show next to each field, and the short notice after a saved
change. Pages re-render the form with what was typed and answer 422 when something is wrong."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec
from litestar import Request

from core.errors import DomainError, FieldProblem, Invalid, field_problem_from_decoder
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


def notice(request: Request[Any, Any, Any], messages: Mapping[str, Text], language: str) -> str | None:
    """The message after a redirect (`?ok=<code>`): only known codes, so a link cannot put words on the page."""
    code = request.query_params.get("ok")
    return messages[code].render(language) if isinstance(code, str) and code in messages else None
