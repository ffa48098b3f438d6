"""What the OpenAPI document cannot infer by itself: problem+json answers, the API key, public and CSV operations."""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.config.app import AppConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, OpenAPIMediaType, OpenAPIType, Operation, Schema, SecurityScheme
from litestar.plugins import InitPlugin, ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute

from core.auth import PUBLIC
from core.errors import PROBLEM_MEDIA_TYPE

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


class FieldProblemBody(msgspec.Struct):
    field: str
    code: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details; program against `code`, which never changes."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldProblemBody] | None = None  # validation_failed: each field with its own code
    retry_after: int | None = None  # 429: seconds, as in the Retry-After header
    checks: dict[str, str] | None = None  # /ready's 503: which dependency does not answer


DESCRIPTIONS = {
    400: "malformed_request: the body or a parameter could not be read",
    401: "not_authenticated / invalid_credentials: no token or API key, or it is expired, revoked or forged",
    403: "forbidden: this role (or this key's scopes) may not do this",
    404: "not_found or a named `*_not_found`: the path or a query parameter names no record (or another partner's)",
    409: "the move is not allowed from the current state (the `code` says which rule)",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "validation_failed (with `errors`) or a refusal the `code` names",
    429: "too_many_requests / login_throttled / registration_throttled: slow down (Retry-After)",
    503: "service_unavailable / not_ready: a dependency does not answer; retry shortly",
}


def problem_statuses(method: str, public: bool, guarded: bool, names_records: bool) -> set[int]:
    """The error statuses one operation can answer with, from what every request passes through."""
    statuses = {400, 422, 429, 503}
    if not public:
        statuses |= {401, 403}
    elif guarded:
        statuses.add(403)
    if names_records:  # an id or code in the path or the query (`?region=`, `?manual_code=`) may name nothing
        statuses.add(404)
    if method in MUTATING:
        statuses |= {409, 413, 415}
    return statuses


def problem_response(status: int) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem,
        description=DESCRIPTIONS[status],
        media_type=PROBLEM_MEDIA_TYPE,
        generate_examples=False,
    )


# A point-of-sale system signs in with an outlet key instead of a staff token (core/auth.py): either will do.
API_KEY_SCHEME = "ApiKey"
API_KEY_COMPONENTS = Components(
    security_schemes={
        API_KEY_SCHEME: SecurityScheme(
            type="apiKey",
            name="X-API-Key",
            security_scheme_in="header",
            description="An outlet's API key (mkia_…), created by its partner manager",
        )
    }
)


@dataclass
class PublicOperation(Operation):
    """An operation that takes no credentials (`opt={PUBLIC: True}`): it overrides the document-wide security."""

    def __post_init__(self) -> None:
        self.security = []


@dataclass
class JsonOrCsvOperation(Operation):
    """A report that answers JSON, or a CSV download with `?format=csv`: both are documented for its 200."""

    def __post_init__(self) -> None:
        ok: Any = (self.responses or {}).get("200")
        if ok is not None and ok.content is not None:
            ok.content["text/csv"] = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))


@dataclass
class PublicJsonOrCsvOperation(JsonOrCsvOperation):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.security = []


def operation_class(public: bool, json_or_csv: bool) -> type[Operation]:
    if public:
        return PublicJsonOrCsvOperation if json_or_csv else PublicOperation
    return JsonOrCsvOperation if json_or_csv else Operation


class OpenAPIDocs(InitPlugin, ReceiveRoutePlugin):
    """What the generated document cannot know by itself: the problem+json answers of each operation (a handler's
    own `responses=` still win), the API key as an alternative to the staff token, which operations are public, and
    which reports also answer CSV."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        config = app_config.openapi_config
        if config is not None:
            config = app_config.openapi_config = copy(config)
            components = config.components if isinstance(config.components, list) else [config.components]
            config.components = [*components, API_KEY_COMPONENTS]
            config.security = [*(config.security or []), {API_KEY_SCHEME: []}]
        return app_config

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler, kwargs_model in route.route_handler_map.values():
            if not handler.resolve_include_in_schema():
                continue
            public = bool(handler.opt.get(PUBLIC))
            guarded = bool(handler.resolve_guards())
            names_records = bool(route.path_parameters or kwargs_model.expected_query_params)
            statuses: set[int] = set()
            for method in handler.http_methods:
                statuses |= problem_statuses(method, public, guarded, names_records)
            if handler.operation_class is Operation:
                json_or_csv = any(param.field_alias == "format" for param in kwargs_model.expected_query_params)
                handler.operation_class = operation_class(public, json_or_csv)
            declared = dict(handler.responses or {})
            handler.responses = {
                **{status: problem_response(status) for status in sorted(statuses)},
                **declared,
            }
