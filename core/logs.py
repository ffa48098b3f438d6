"""Structured logs: one JSON event per line, named like `auth.login.failed`, never carrying personal data."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from typing import Any

import structlog
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from core.settings import Settings

REQUEST_ID_HEADER = "x-request-id"
_STATE_REQUEST_ID = "mitrakia_request_id"
_STATE_STARTED = "mitrakia_started"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def configure_logging(settings: Settings) -> None:
    """Route structlog and the standard library (uvicorn, piccolo) through one JSON renderer on stdout."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any
    if settings.log_format == "console":
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    else:
        renderer = structlog.processors.JSONRenderer()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Tracebacks as data, without local variables: locals can hold passwords or tokens.
            structlog.processors.ExceptionRenderer(structlog.tracebacks.ExceptionDictTransformer(show_locals=False)),
            renderer,
        ],
    )
    handler = _StdoutHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    # Our access log (below) replaces uvicorn's, which prints raw paths and query strings.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("piccolo").setLevel(max(logging.WARNING, root.level))


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is at the moment of each record (test capture, redirected output)."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class RequestContextMiddleware(ASGIMiddleware):
    """Give each routed request an id (bound to every log line it causes) and note when it started."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request_id = _request_id(scope)
        state = scope.setdefault("state", {})
        state[_STATE_REQUEST_ID] = request_id
        state[_STATE_STARTED] = time.perf_counter()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        await next_app(scope, receive, send)


async def log_response(message: Message, scope: Scope) -> None:
    """before_send hook: sees every response, including ones refused by middleware or never routed.

    Logs the route template, never the raw path or query (either may carry identifiers).
    """
    if message["type"] != "http.response.start":
        return
    state = scope.get("state", {})
    request_id = state.get(_STATE_REQUEST_ID)
    if request_id:
        message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER.encode(), request_id.encode())]
    started = state.get(_STATE_STARTED)
    structlog.get_logger("mitrakia.access").info(
        "http.request",
        method=scope.get("method"),
        route=scope.get("path_template") or "(unrouted)",
        status=message["status"],
        duration_ms=round((time.perf_counter() - started) * 1000, 2) if started else None,
    )


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER.encode():
            candidate = value.decode("latin-1")
            if _SAFE_REQUEST_ID.match(candidate):
                return candidate
    return str(uuid.uuid4())


def current_request_id() -> str | None:
    value = structlog.contextvars.get_contextvars().get("request_id")
    return str(value) if value else None
