"""create_app(): routers, plugins, lifespans and the mapping of domain errors to HTTP statuses."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from click import Group
from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins import CLIPluginProtocol

from admin.controllers.attempt_pages import attempt_review_pages
from admin.controllers.audit import AuditController
from admin.controllers.audit_pages import AuditPages
from admin.controllers.breach_pages import BreachPages
from admin.controllers.breaches import BreachController
from admin.controllers.campaign_pages import CampaignPages
from admin.controllers.campaigns import CampaignController, CampaignLink, CampaignReportController
from admin.controllers.card_pages import card_pages
from admin.controllers.cards import CardController
from admin.controllers.key_pages import signing_key_pages
from admin.controllers.keys import KeyController
from admin.controllers.kia_guide_pages import KiaGuideEditPage, KiaGuidePages
from admin.controllers.pages import DukcapilDashboard
from admin.controllers.population_pages import PopulationPages
from admin.controllers.registry import RegistryController
from admin.controllers.registry_pages import RegistryPages
from admin.controllers.report_event_pages import ReportEventPages
from admin.controllers.reports import AttemptReviewController, PopulationController, ReportController
from admin.controllers.review import OfferReviewController, PartnerReviewController
from admin.controllers.review_pages import offer_review_pages, partner_review_pages
from admin.controllers.staff import StaffAccountController
from admin.controllers.staff_pages import dukcapil_staff_pages
from core.auth import API_KEY_RESOLVER, TokenIssuer, create_staff_auth
from core.confirm import provide_acting
from core.controllers import AuthController, OperationsController, RegionController
from core.database.engine import database_lifespan
from core.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Unauthenticated,
    Unavailable,
)
from core.logs import RequestContextMiddleware, configure_logging, log_response
from core.money import RUPIAH_DECODER
from core.openapi import OpenAPIDocs, RupiahSchema
from core.page_controllers import SignInPages
from core.pages import csrf_middleware, provide_language, provide_user
from core.problems import ErrorTable
from core.service.bulk import freeze_startup_heap
from core.settings import Settings, get_settings
from core.stores import Stores
from core.web import refuse_unreadable_text, security_headers, static_files_router, template_config
from partners.controllers.api_keys import ApiKeyController
from partners.controllers.catalog import CatalogController, CatalogPages
from partners.controllers.key_pages import api_key_pages
from partners.controllers.offer_pages import offer_pages
from partners.controllers.offers import OfferController
from partners.controllers.outlet_pages import outlet_pages
from partners.controllers.outlets import OutletController
from partners.controllers.partners import PartnerProfileController, RegistrationController
from partners.controllers.profile_pages import RegistrationPages, profile_pages
from partners.controllers.staff import StaffController
from partners.controllers.staff_pages import staff_pages
from partners.controllers.webhook_pages import webhook_pages
from partners.controllers.webhooks import WebhookController
from partners.service.api_keys import resolve_api_key
from partners.service.webhook_sending import webhook_sender
from verification.controllers.history_pages import history_pages
from verification.controllers.jwks import JwksController
from verification.controllers.pages import CashierPage, CashierServiceWorker, ParentCardPage, partner_dashboard
from verification.controllers.parent_check import CardCheckController, CardCheckPage
from verification.controllers.presentations import PresentationController
from verification.controllers.reports import PartnerAttemptController, PartnerReportController
from verification.controllers.till import TillController
from verification.errors import CardRefused, CredentialRefused, MinimumPurchaseNotMet
from verification.service.background import till_background
from verification.service.keys import KeyRing

SWITCH_INTERVAL_S = 0.001  # how often CPython hands the GIL between threads (see create_app)
LAYER_DIRS = [Path(__file__).parent / layer for layer in ("partners", "verification", "admin")]

# Each family of domain errors answers with exactly one status: the API's problems, the pages' refusals and the
# OpenAPI document all read this one table.
ERRORS = ErrorTable(
    {
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
)


class CommandsPlugin(CLIPluginProtocol):
    """Adds each layer's commands to the `mitrakia` CLI (Litestar's CLI, extended)."""

    def on_cli_init(self, cli: Group) -> None:
        from admin.commands import cards_group, demo_group, retention_group
        from core.commands import audit_group, migrate_command, regions_group, serve_command, users_group
        from partners.commands import partners_group
        from verification.commands import keys_group, reports_group

        for command in (
            serve_command,
            migrate_command,
            users_group,
            regions_group,
            audit_group,
            partners_group,
            keys_group,
            reports_group,
            cards_group,
            demo_group,
            retention_group,
        ):
            cli.add_command(command)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings)
    # A registry import parses in a worker thread; with CPython's default 5 ms switch interval the event loop waits
    # up to 5 ms for the GIL at each of a request's many hand-offs, and /health took 280 ms during a 600,000-row
    # import. At 1 ms the loop gets the GIL back sooner (bench/import_responsiveness.py, docs/performance.md).
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    stores = Stores(settings.redis_url)
    staff_auth = create_staff_auth(settings)
    tokens = TokenIssuer(staff_auth, settings.access_token_ttl)
    keyring = KeyRing(settings)

    @asynccontextmanager
    async def resources(_: Litestar) -> AsyncIterator[None]:
        async with database_lifespan(settings):
            freeze_startup_heap()  # full collections skip the app itself: /health stays fast during an import
            try:
                async with (
                    till_background(settings),  # the attempt log's buffer and the rollup outbox
                    webhook_sender(settings),  # the webhook outbox
                ):
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
            WebhookController,
            CatalogController,
            CatalogPages,
            StaffAccountController,
            PartnerReviewController,
            OfferReviewController,
            JwksController,
            TillController,
            CashierPage,
            CashierServiceWorker,
            PresentationController,
            ParentCardPage,
            CardCheckController,
            CardCheckPage,
            SignInPages,
            DukcapilDashboard,
            PopulationPages,
            KiaGuidePages,
            KiaGuideEditPage,
            CampaignController,
            CampaignReportController,
            CampaignPages,
            ReportEventPages,
            CampaignLink,
            RegistryPages,
            card_pages,
            signing_key_pages,
            dukcapil_staff_pages,
            AuditPages,
            attempt_review_pages,
            AuditController,
            BreachPages,
            BreachController,
            partner_review_pages,
            offer_review_pages,
            partner_dashboard,
            outlet_pages,
            offer_pages,
            staff_pages,
            api_key_pages,
            webhook_pages,
            history_pages,
            RegistrationPages,
            profile_pages,
            PartnerReportController,
            PartnerAttemptController,
            ReportController,
            AttemptReviewController,
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
            # The caller a guarded handler serves, and the language it answers in (core.pages).
            "user": Provide(provide_user),
            "language": Provide(provide_language),
            "acting": Provide(provide_acting),
        },
        exception_handlers=ERRORS.handlers(),
        type_decoders=[RUPIAH_DECODER],  # money fields take a JSON integer only (core/money.py)
        on_app_init=[staff_auth.on_app_init, request_context_first],
        # After the authentication middleware: CSRF applies where the session cookie signed the request in.
        middleware=[csrf_middleware(settings)],
        before_send=[security_headers, log_response],
        before_request=refuse_unreadable_text,
        lifespan=[resources],
        stores=stores.registry,
        state=State(
            {
                "settings": settings,
                "stores": stores,
                "keyring": keyring,
                "errors": ERRORS,
                API_KEY_RESOLVER: resolve_api_key,
            }
        ),
        plugins=[CommandsPlugin(), OpenAPIDocs(ERRORS), RupiahSchema()],
        openapi_config=OpenAPIConfig(
            title="Mitra KIA",
            version="1",
            description="Manfaat mitra untuk pemegang Kartu Identitas Anak (KIA). Partner benefits for KIA holders.",
            path="/schema",
            render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"])],
        ),
        request_max_body_size=settings.max_body_bytes,
        # Phones on slow connections: the cashier page and its scripts travel compressed.
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024, gzip_compress_level=6),
        logging_config=None,
    )
