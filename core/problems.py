"""The one table from errors to HTTP: every domain error family answers with one status (app.py declares the table),
and every problem, a service's or the framework's, is rendered once: an RFC 9457 problem+json body with a stable
`code`, or, for a browser on a page, the same code and message in that console's layout."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, InternalServerException, ValidationException
from litestar.response import Template

from core.database.outages import database_unreachable
from core.errors import (
    HTTP_PROBLEMS,
    PROBLEM_MEDIA_TYPE,
    DatabaseUnavailable,
    DomainError,
    FieldProblem,
    InternalError,
    Invalid,
    MalformedRequest,
    field_problem_from_decoder,
)
from core.i18n import request_language
from core.logs import current_request_id
from core.pages import home_layout, is_page_path, login_redirect

log = structlog.get_logger()

AnyRequest = Request[Any, Any, Any]
# Litestar's words when the client disconnects before the request body is read.
CLIENT_GONE = "client disconnected prematurely"
CLIENT_CLOSED_REQUEST = 499
# Headers of a framework exception that a client may act on.
PASSED_HEADERS = {"retry-after", "allow"}


def wants_page(request: AnyRequest) -> bool:
    """A browser asking for a page (not the API) gets the problem as a page."""
    return is_page_path(request.scope.get("path", "")) and "text/html" in request.headers.get("accept", "")


class ErrorTable:
    """Domain error families -> their one HTTP status, and the rendering of any problem. The API's exception
    handlers, the pages' refusals (a form shown again with the problem) and the OpenAPI document all read it."""

    def __init__(self, statuses: Mapping[type[DomainError], int]) -> None:
        self.statuses = dict(statuses)

    def status(self, error: DomainError | type[DomainError]) -> int:
        kind = error if isinstance(error, type) else type(error)
        for cls in kind.__mro__:
            if cls in self.statuses:
                return self.statuses[cls]
        log.error("http.unmapped_domain_error", error=kind.__name__)
        return 500

    def by_status(self, errors: Iterable[type[DomainError]]) -> dict[int, list[type[DomainError]]]:
        grouped: dict[int, list[type[DomainError]]] = {}
        for error in errors:
            grouped.setdefault(self.status(error), []).append(error)
        return grouped

    def render(
        self,
        request: AnyRequest,
        error: DomainError,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response[Any]:
        """The problem as the client asked for it: a page for a browser on a page, problem+json otherwise."""
        status = status or self.status(error)
        language = error.answered_in or request_language(request)
        all_headers = {"Content-Language": language, **error.headers(), **(headers or {})}
        title, detail = error.title.render(language), error.render_detail(language)
        if wants_page(request):
            return Template(
                "error.html",
                context={
                    "layout": home_layout(request),
                    "title": title,
                    "detail": detail,
                    "code": error.code,
                    "status": status,
                    "request_id": current_request_id(),
                },
                status_code=status,
                headers=all_headers,
            )
        body: dict[str, Any] = {
            "type": f"urn:mitrakia:problem:{error.code}",
            "title": title,
            "status": status,
            "detail": detail,
            "code": error.code,
            **error.extra(language),
        }
        return Response(content=body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=all_headers)

    # --- exception handlers (app.py registers them) ----------------------------------------------------------

    def domain_error(self, request: AnyRequest, error: DomainError) -> Response[Any]:
        return self.render(request, error)

    def http_exception(self, request: AnyRequest, error: HTTPException) -> Response[Any]:
        status = error.status_code
        if status == 401 and is_page_path(request.scope.get("path", "")):
            return login_redirect(request)  # a page without a (valid) sign-in: to /masuk, and back after
        if isinstance(error, ValidationException) and (problems := _field_problems(error)):
            return self.render(request, Invalid(problems), 422)
        if isinstance(error, InternalServerException) and error.detail == CLIENT_GONE:
            # The till hung up before its body was read (a phone losing its signal, a load balancer's timeout):
            # nobody is left to answer and nothing failed here. Logged as such, not as a server error (499, nginx's
            # "client closed request", in the access log).
            log.info("http.client_disconnected", route=request.scope.get("path_template"))
            return Response(content=b"", status_code=CLIENT_CLOSED_REQUEST)
        if status >= 500:
            log.error("http.server_error", status=status, error=type(error).__name__)
        problem = HTTP_PROBLEMS.get(status, InternalError)()
        passed = {k: v for k, v in (error.headers or {}).items() if k.lower() in PASSED_HEADERS}
        return self.render(request, problem, status, passed)

    def unhandled(self, request: AnyRequest, error: Exception) -> Response[Any]:
        """Log the failure with its traceback (without locals); the client sees only a generic problem.

        A lost database is not a bug but an outage: 503 `database_unavailable`, which a client may retry."""
        if database_unreachable(error):
            log.warning("http.database_unavailable", error=type(error).__name__)
            return self.render(request, DatabaseUnavailable(), 503)
        log.error("http.unhandled_error", error=type(error).__name__, exc_info=error)
        return self.render(request, InternalError(), 500)

    def body_too_deep(self, request: AnyRequest, error: RecursionError) -> Response[Any]:
        """A JSON body nested deeper than the interpreter's recursion limit (`[[[[…`): msgspec gives up with a
        RecursionError while decoding it. That is a malformed request (400), not a crash; any other RecursionError
        is a bug of ours and stays a 500."""
        if "deserializing" not in str(error):
            return self.unhandled(request, error)
        log.warning("http.body_too_deep", route=request.scope.get("path_template"))
        return self.render(request, MalformedRequest(), 400)

    def handlers(self) -> dict[Any, Any]:
        return {
            DomainError: self.domain_error,
            HTTPException: self.http_exception,
            RecursionError: self.body_too_deep,
            Exception: self.unhandled,
        }


def error_table(request: AnyRequest) -> ErrorTable:
    """The app's table (app.state.errors), for a page that shows a refusal on its own form."""
    table: ErrorTable = request.app.state.errors
    return table


def _field_problems(error: ValidationException) -> list[FieldProblem]:
    extra = error.extra
    if not isinstance(extra, list):
        return []
    problems = []
    for item in extra:
        if not isinstance(item, dict) or "message" not in item:
            continue
        problem = field_problem_from_decoder(str(item["message"]))
        key = str(item.get("key", ""))
        if key == "data":  # the body itself: the decoder's own path says which field
            key = ""
        if key and not problem.field:
            problem = FieldProblem(key, problem.code, problem.message, problem.params)
        elif key and key != problem.field and not problem.field.startswith(key):
            problem = FieldProblem(f"{key}.{problem.field}", problem.code, problem.message, problem.params)
        problems.append(problem)
    return problems
