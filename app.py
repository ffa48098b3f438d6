"""create_app(): routers, plugins, lifespans and the mapping of domain errors to HTTP statuses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from click import Group
from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins import CLIPluginProtocol

from admin.controllers.audit_pages import AuditPages
from admin.controllers.card_pages import CardPages
from admin.controllers.cards import CardController
from admin.controllers.key_pages import SigningKeyPages
from admin.controllers.keys import KeyController
from admin.controllers.pages import DukcapilDashboard
from admin.controllers.population_pages import PopulationPages
from admin.controllers.registry import RegistryController
from admin.controllers.registry_pages import RegistryPages
from admin.controllers.reports import PopulationController, ReportController
from admin.controllers.review import OfferReviewController, PartnerReviewController
from admin.controllers.review_pages import OfferReviewPages, PartnerReviewPages
from admin.controllers.staff import StaffAccountController
from admin.controllers.staff_pages import DukcapilStaffPages
from core.auth import API_KEY_RESOLVER, TokenIssuer, create_jwt_auth
from core.controllers import AuthController, OperationsController, RegionController
from core.database.engine import database_lifespan
from core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Unauthenticated,
    Unavailable,
)
from core.logs import RequestContextMiddleware, configure_logging, log_response
from core.openapi import OpenAPIDocs
from core.page_controllers import SignInPages
from core.pages import LoginRequired, csrf_config, redirect_to_login
from core.problems import (
    body_too_deep_handler,
    domain_error_handler,
    http_exception_handler,
    unhandled_exception_handler,
)
from core.settings import Settings, get_settings
from core.stores import Stores
from core.web import refuse_nul_characters, security_headers, static_files_router, template_config
from partners.controllers.api_keys import ApiKeyController
from partners.controllers.catalog import CatalogController, CatalogPages
from partners.controllers.key_pages import ApiKeyPages
from partners.controllers.offer_pages import OfferPages
from partners.controllers.offers import OfferController
from partners.controllers.outlets import OutletController
from partners.controllers.pages import OutletPages
from partners.controllers.partners import PartnerProfileController, RegistrationController
from partners.controllers.profile_pages import ProfilePages, RegistrationPages
from partners.controllers.staff import StaffController
from partners.controllers.staff_pages import StaffPages
from partners.service.api_keys import resolve_api_key
from verification.controllers.history_pages import HistoryPages
from verification.controllers.jwks import JwksController
from verification.controllers.pages import CashierPage, PartnerDashboard
from verification.controllers.reports import PartnerReportController
from verification.controllers.till import TillController
from verification.errors import CardRefused, CredentialRefused, MinimumPurchaseNotMet
from verification.service.keys import KeyRing

LAYER_DIRS = [Path(__file__).parent / layer for layer in ("partners", "verification", "admin")]

# Each family of domain errors answers with exactly one status.
ERROR_STATUS: dict[type[DomainError], int] = {
    MinimumPurchaseNotMet: 422,
    CredentialRefused: 422,
    CardRefused: 409,
    Invalid: 422,
    NotFound: 404,
    Conflict: 409,
    Unauthenticated: 401,
    Forbidden: 403,
    RateLimited: 429,
    Unavailable: 503,
}


class CommandsPlugin(CLIPluginProtocol):
    """Adds each layer's commands to the `mitrakia` CLI (Litestar's CLI, extended)."""

    def on_cli_init(self, cli: Group) -> None:
        from admin.commands import cards_group, demo_group
        from core.commands import migrate_command, serve_command, users_group
        from partners.commands import partners_group
        from verification.commands import keys_group, reports_group

        for command in (
            serve_command,
            migrate_command,
            users_group,
            partners_group,
            keys_group,
            reports_group,
            cards_group,
            demo_group,
        ):
            cli.add_command(command)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings)
    stores = Stores(settings.redis_url)
    jwt_auth = create_jwt_auth(settings)
    tokens = TokenIssuer(jwt_auth, settings.access_token_ttl)
    keyring = KeyRing(settings)

    @asynccontextmanager
    async def resources(_: Litestar) -> AsyncIterator[None]:
        async with database_lifespan(settings):
            try:
                yield
            finally:
                await stores.close()

    def request_context_first(config: AppConfig) -> AppConfig:
        # Outside JWTAuth's middleware, so the requests it refuses carry a request id too.
        config.middleware.insert(0, RequestContextMiddleware())
        return config

    return Litestar(
        route_handlers=[
            AuthController,
            OperationsController,
            RegionController,
            RegistrationController,
            PartnerProfileController,
            OutletController,
            StaffController,
            OfferController,
            ApiKeyController,
            CatalogController,
            CatalogPages,
            StaffAccountController,
            PartnerReviewController,
            OfferReviewController,
            JwksController,
            TillController,
            CashierPage,
            SignInPages,
            DukcapilDashboard,
            PopulationPages,
            RegistryPages,
            CardPages,
            SigningKeyPages,
            DukcapilStaffPages,
            AuditPages,
            PartnerReviewPages,
            OfferReviewPages,
            PartnerDashboard,
            OutletPages,
            OfferPages,
            StaffPages,
            ApiKeyPages,
            HistoryPages,
            RegistrationPages,
            ProfilePages,
            PartnerReportController,
            ReportController,
            PopulationController,
            KeyController,
            CardController,
            RegistryController,
            static_files_router(*[d / "static" for d in LAYER_DIRS if (d / "static").is_dir()]),
        ],
        template_config=template_config(*[d / "templates" for d in LAYER_DIRS if (d / "templates").is_dir()]),
        dependencies={
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "stores": Provide(lambda: stores, sync_to_thread=False),
            "tokens": Provide(lambda: tokens, sync_to_thread=False),
            "keyring": Provide(lambda: keyring, sync_to_thread=False),
        },
        exception_handlers={
            LoginRequired: redirect_to_login,
            DomainError: domain_error_handler(ERROR_STATUS),
            HTTPException: http_exception_handler,
            RecursionError: body_too_deep_handler,
            Exception: unhandled_exception_handler,
        },
        on_app_init=[jwt_auth.on_app_init, request_context_first],
        before_send=[security_headers, log_response],
        before_request=refuse_nul_characters,
        lifespan=[resources],
        stores=stores.registry,
        state=State({"settings": settings, "stores": stores, API_KEY_RESOLVER: resolve_api_key}),
        plugins=[CommandsPlugin(), OpenAPIDocs()],
        openapi_config=OpenAPIConfig(
            title="Mitra KIA",
            version="1",
            description="Manfaat mitra untuk pemegang Kartu Identitas Anak (KIA). Partner benefits for KIA holders.",
            path="/schema",
            render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"])],
        ),
        csrf_config=csrf_config(settings),
        request_max_body_size=settings.max_body_bytes,
        # Phones on slow connections: the cashier page and its scripts travel compressed.
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024, gzip_compress_level=6),
        logging_config=None,
    )
