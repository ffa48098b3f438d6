"""Forms on the consoles' pages: reading a submitted form into the same msgspec body the API takes (so the rules
and their messages are the API's), and a refusal as the form shows it: the problems next to each field, with the
API's status for it. Pages re-render the form with what was typed."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar
from urllib.parse import urlencode

import msgspec
from litestar import Request
from litestar.response import Redirect, Template

from core.errors import DomainError, FieldProblem, Invalid, NotFound, field_problem_from_decoder
from core.i18n import Text
from core.localtime import day_problem
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


def new_account(kind: type[T], data: Mapping[str, Any], **fields: Any) -> T:
    """A new account's form as the API's body `kind` (with its other `fields`): every problem at once, the service's
    rules for the username, password and display name, and the form's own second password."""
    from core.service.users import account_problems

    username, display_name = text(data, "username"), text(data, "display_name")
    password, differ = typed_password(data)
    rules = account_problems(username, password, display_name)
    try:
        body = to_struct(kind, {"username": username, "password": password, "display_name": display_name, **fields})
    except Invalid as invalid:
        raise Invalid([*rules, *invalid.problems, *differ]) from None
    if differ:
        raise Invalid([*rules, *differ])
    return body


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


async def acted(
    request: Request[Any, Any, Any],
    action: Awaitable[T],
    done: str | Callable[[T], str],
    again: Callable[[Invalid, int], Template | Awaitable[Template]],
    field: str = "",
) -> Redirect | Template:
    """A form's POST: do the service's `action`, then 303 to `done` (a path, or a path made from what the action
    returned); a refusal shows the form `again` with the problem beside its field (or at the top) and the status
    the API answers. A subject that is unknown or not the caller's stays a 404 (never a form to retry)."""
    try:
        result = await action
    except NotFound:
        raise
    except DomainError as error:
        page = again(*refusal(request, error, field))
        return await page if inspect.isawaitable(page) else page
    return Redirect(done(result) if callable(done) else done, status_code=303)


BAD_DATE = Text(
    "Tanggal tidak valid: tulis sebagai TTTT-BB-HH, mis. 2026-11-27.",
    "Not a valid date: write it as YYYY-MM-DD, e.g. 2026-11-27.",
)
BAD_CHOICE = Text("Pilihan tidak dikenal.", "Unknown choice.")


class Filters:
    """The filters typed into a page's GET form (history, audit log): each read by its kind; one that does not
    parse is a problem beside its field, and is left out while the others still apply."""

    def __init__(self, source: Mapping[str, Any], names: Sequence[str]) -> None:
        self.values = {name: text(source, name) for name in names}
        self.problems: list[FieldProblem] = []

    def day(self, name: str) -> date | None:
        try:
            day = date.fromisoformat(self.values[name]) if self.values[name] else None
        except ValueError:
            self.problems.append(FieldProblem(name, "invalid_date", BAD_DATE))
            return None
        if problem := day_problem(name, day):  # `9999-12-31` would overflow a day later (a 500)
            self.problems.append(problem)
            return None
        return day

    def identifier(self, name: str) -> uuid.UUID | None:
        try:
            return uuid.UUID(self.values[name]) if self.values[name] else None
        except ValueError:
            self.problems.append(FieldProblem(name, "unknown_choice", BAD_CHOICE))
            return None

    def choice(self, name: str, allowed: Collection[str]) -> str | None:
        value = self.values[name]
        if value and value not in allowed:
            self.problems.append(FieldProblem(name, "unknown_choice", BAD_CHOICE))
            return None
        return value or None

    @property
    def problem(self) -> Invalid | None:
        return Invalid(self.problems) if self.problems else None

    def link(self, **changes: Any) -> str:
        """These filters' query string with `changes` (a page number; an empty value drops the parameter)."""
        merged = {**self.values, **{name: str(value) for name, value in changes.items()}}
        return urlencode({name: value for name, value in merged.items() if value})
