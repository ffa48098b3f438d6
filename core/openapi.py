"""What the OpenAPI document cannot infer by itself: the problem+json answers of each operation (the domain errors
its service can raise, declared beside the handler with `opt=raises(...)`, and what the framework refuses before
any service runs), the API key, public and CSV operations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from copy import copy
from dataclasses import dataclass
from typing import Any

from litestar._openapi.schema_generation import SchemaCreator
from litestar.config.app import AppConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, OpenAPIMediaType, OpenAPIType, Operation, Schema, SecurityScheme
from litestar.plugins import InitPlugin, OpenAPISchemaPlugin, ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute
from litestar.typing import FieldDefinition

from core.auth import PUBLIC
from core.errors import PROBLEM_MEDIA_TYPE, DomainError
from core.money import MAX_RUPIAH, Rupiah
from core.problems import ErrorTable
from core.schemas import Problem

# The key of a handler's `opt` listing the domain errors its service can raise: `opt=raises(CardNotFound, …)`.
RAISES = "raises"
# What the framework refuses before any service runs, by what the operation takes: status -> codes.
BODY_PROBLEMS = {400: ["malformed_request"], 413: ["body_too_large"], 415: ["unsupported_media_type"],
                 422: ["validation_failed"]}  # fmt: skip
PARAMETER_PROBLEMS = {422: ["validation_failed"]}
SIGNED_IN_PROBLEMS = {401: ["not_authenticated"], 403: ["forbidden"]}
ALWAYS = {503: ["database_unavailable"]}  # a database that cannot be reached or written: retry shortly


def raises(*errors: type[DomainError]) -> dict[str, Any]:
    """The domain errors an operation's service can raise, for its `opt`. A family without a code of its own
    (`CardRefused`, `Ineligible`) stands for every error in it."""
    return {RAISES: tuple(leaf for error in errors for leaf in _with_codes(error))}


def _with_codes(error: type[DomainError]) -> list[type[DomainError]]:
    if "code" in error.__dict__:
        return [error]
    return [leaf for sub in error.__subclasses__() for leaf in _with_codes(sub)]


def operation_problems(
    table: ErrorTable, raised: Iterable[type[DomainError]], *, body: bool, parameters: bool, signed_in: bool
) -> dict[int, list[str]]:
    """Every problem one operation can answer with, status -> codes: the declared errors by the app's one table,
    and what the framework refuses given what the operation takes."""
    statuses: dict[int, list[str]] = {}

    def add(more: Mapping[int, list[str]]) -> None:
        for status, codes in more.items():
            known = statuses.setdefault(status, [])
            known += [code for code in codes if code not in known]

    if body:
        add(BODY_PROBLEMS)
    if parameters:
        add(PARAMETER_PROBLEMS)
    if signed_in:
        add(SIGNED_IN_PROBLEMS)
    add({status: [error.code for error in errors] for status, errors in table.by_status(raised).items()})
    add(ALWAYS)
    return dict(sorted(statuses.items()))


def problem_response(status: int, codes: Iterable[str] = ()) -> ResponseSpec:
    listed = ", ".join(f"`{code}`" for code in codes)
    return ResponseSpec(
        data_container=Problem,
        description=f"Problem details (RFC 9457); `code` is one of: {listed}" if listed else "Problem details",
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

    def __init__(self, errors: ErrorTable) -> None:
        self.errors = errors

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
            problems = operation_problems(
                self.errors,
                handler.opt.get(RAISES, ()),
                body="data" in handler.parsed_fn_signature.parameters,
                parameters=bool(route.path_parameters or kwargs_model.expected_query_params),
                signed_in=not public,
            )
            if handler.operation_class is Operation:
                json_or_csv = any(param.field_alias == "format" for param in kwargs_model.expected_query_params)
                handler.operation_class = operation_class(public, json_or_csv)
            declared = dict(handler.responses or {})
            handler.responses = {
                **{status: problem_response(status, codes) for status, codes in problems.items()},
                **declared,
            }


class RupiahSchema(OpenAPISchemaPlugin):
    """core.money.Rupiah in the schema: what a client must send (an integer), not an opaque type."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return value is Rupiah

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        return Schema(
            type=OpenAPIType.INTEGER,
            minimum=0,
            maximum=MAX_RUPIAH,
            description="Whole rupiah as a JSON integer (100000); strings, decimals and exponents are refused.",
        )
