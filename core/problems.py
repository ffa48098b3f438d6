"""Exception handlers that turn every error into an RFC 9457 problem+json body with a stable `code`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, InternalServerException, ValidationException
from litestar.response import Template

from core.database.outages import database_unreachable
from core.errors import (
    HTTP_PROBLEMS,
    PROBLEM_MEDIA_TYPE,
    DatabaseUnavailable,
    DomainError,
    FieldProblem,
    Invalid,
    field_problem_from_decoder,
)
from core.i18n import Language, Text, negotiate
from core.logs import current_request_id

log = structlog.get_logger()

AnyRequest = Request[Any, Any, Any]
# Litestar's words when the client disconnects before the request body is read.
CLIENT_GONE = "client disconnected prematurely"
CLIENT_CLOSED_REQUEST = 499


def request_language(request: AnyRequest) -> Language:
    default: Language = getattr(request.app.state, "settings").language  # noqa: B009
    return negotiate(request.headers.get("accept-language"), default)


def wants_page(request: AnyRequest) -> bool:
    """A browser asking for a page (not the API) gets the error as a page."""
    path = request.scope.get("path", "")
    if path.startswith(("/api/", "/schema", "/static/", "/health", "/ready")):
        return False
    return "text/html" in request.headers.get("accept", "")


def problem_response(
    request: AnyRequest,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    language: Language,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[Any]:
    if wants_page(request):
        return Template(
            "error.html",
            context={
                "title": title,
                "detail": detail,
                "code": code,
                "request_id": current_request_id(),
                "lang": language,
            },
            status_code=status,
            headers={"Content-Language": language, **(headers or {})},
        )
    body: dict[str, Any] = {
        "type": f"urn:mitrakia:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if extra:
        body.update(extra)
    return Response(
        content=body,
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={"Content-Language": language, **(headers or {})},
    )


def domain_error_handler(
    statuses: Mapping[type[DomainError], int],
) -> Callable[[AnyRequest, DomainError], Response[Any]]:
    """A handler mapping each domain error family (by class hierarchy) to its one HTTP status."""

    def status_of(error: DomainError) -> int:
        for cls in type(error).__mro__:
            if cls in statuses:
                return statuses[cls]
        log.error("http.unmapped_domain_error", error=type(error).__name__)
        return 500

    def handle(request: AnyRequest, error: DomainError) -> Response[Any]:
        language = request_language(request)
        return problem_response(
            request,
            status=status_of(error),
            code=error.code,
            title=error.title.render(language),
            detail=error.render_detail(language),
            language=language,
            extra=error.extra(language),
            headers=error.headers(),
        )

    return handle


def http_exception_handler(request: AnyRequest, error: HTTPException) -> Response[Any]:
    language = request_language(request)
    if isinstance(error, ValidationException) and _field_messages(error):
        invalid = Invalid(_field_messages(error))
        return problem_response(
            request,
            status=422,
            code=invalid.code,
            title=invalid.title.render(language),
            detail=invalid.render_detail(language),
            language=language,
            extra=invalid.extra(language),
        )
    if isinstance(error, InternalServerException) and error.detail == CLIENT_GONE:
        # The till hung up before its body was read (a phone losing its signal, a load balancer's timeout):
        # nobody is left to answer and nothing failed here. Logged as such, not as a server error (499, nginx's
        # "client closed request", in the access log).
        log.info("http.client_disconnected", route=request.scope.get("path_template"))
        return Response(content=b"", status_code=CLIENT_CLOSED_REQUEST)
    status = error.status_code
    code, title, detail = HTTP_PROBLEMS.get(
        status,
        (f"http_{status}", Text("Kesalahan", "Error"), Text("Permintaan gagal.", "The request failed.")),
    )
    headers = {k: v for k, v in (error.headers or {}).items() if k.lower() in {"retry-after", "allow"}}
    if status >= 500:
        log.error("http.server_error", status=status, error=type(error).__name__)
    return problem_response(
        request,
        status=status,
        code=code,
        title=title.render(language),
        detail=detail.render(language),
        language=language,
        headers=headers,
    )


def unhandled_exception_handler(request: AnyRequest, error: Exception) -> Response[Any]:
    """Log the failure with its traceback (without locals); the client sees only a generic problem.

    A lost database is not a bug but an outage: 503 `database_unavailable`, which a client may retry."""
    language = request_language(request)
    if database_unreachable(error):
        log.warning("http.database_unavailable", error=type(error).__name__)
        gone = DatabaseUnavailable()
        return problem_response(
            request,
            status=503,
            code=gone.code,
            title=gone.title.render(language),
            detail=gone.render_detail(language),
            language=language,
            headers=gone.headers(),
        )
    log.error("http.unhandled_error", error=type(error).__name__, exc_info=error)
    code, title, detail = HTTP_PROBLEMS[500]
    return problem_response(
        request,
        status=500,
        code=code,
        title=title.render(language),
        detail=detail.render(language),
        language=language,
    )


def body_too_deep_handler(request: AnyRequest, error: RecursionError) -> Response[Any]:
    """A JSON body nested deeper than the interpreter's recursion limit (`[[[[…`): msgspec gives up with a
    RecursionError while decoding it. That is a malformed request (400), not a crash; any other RecursionError is
    a bug of ours and stays a 500."""
    if "deserializing" not in str(error):
        return unhandled_exception_handler(request, error)
    log.warning("http.body_too_deep", route=request.scope.get("path_template"))
    language = request_language(request)
    code, title, detail = HTTP_PROBLEMS[400]
    return problem_response(
        request,
        status=400,
        code=code,
        title=title.render(language),
        detail=detail.render(language),
        language=language,
    )


def _field_messages(error: ValidationException) -> list[FieldProblem]:
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


__all__ = ["MediaType"]
