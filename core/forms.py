"""Forms on the consoles' pages: reading a submitted form into the same msgspec body the API takes (so the rules
and their messages are the API's), and a refusal as the form shows it: the problems next to each field, with the
API's status for it. Pages re-render the form with what was typed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec
from litestar import Request

from core.errors import DomainError, FieldProblem, Invalid, field_problem_from_decoder
from core.i18n import Text
from core.problems import error_table

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


PASSWORDS_DIFFER = Text(
    "Kedua kata sandi tidak sama. Ketik kata sandi yang sama dua kali.",
    "The two passwords differ. Type the same password twice.",
)


def typed_password(
    data: Mapping[str, Any], name: str = "password", again: str = "password_confirm"
) -> tuple[str, list[FieldProblem]]:
    """The password as typed (not trimmed: spaces count), and a problem beside the second field when the two
    differ: the form's own check (the API takes the password once), shown with the account's other problems."""
    password = data.get(name, "")
    password = password if isinstance(password, str) else ""
    differ = password != data.get(again, "")
    return password, [FieldProblem(again, "passwords_differ", PASSWORDS_DIFFER)] if differ else []


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


def refusal(request: Request[Any, Any, Any], error: DomainError, field: str = "") -> tuple[Invalid, int]:
    """A service's refusal as a form shows it: the problems beside their fields (or at the top), and the status the
    API answers for it (the app's one error table)."""
    return problem_of(error, field), error_table(request).status(error)
