"""Piccolo app config for the partners tables."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from partners.tables import (
    ApiKey,
    Offer,
    OfferOutlet,
    OfferRevision,
    OfferStatusChange,
    Outlet,
    Partner,
    PartnerMember,
    PartnerOffice,
    PartnerStatusChange,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

APP_CONFIG = AppConfig(
    app_name="partners",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        Partner,
        PartnerOffice,
        PartnerStatusChange,
        Outlet,
        PartnerMember,
        Offer,
        OfferOutlet,
        OfferRevision,
        OfferStatusChange,
        ApiKey,
        WebhookEndpoint,
        WebhookDelivery,
        WebhookAttempt,
    ],
    migration_dependencies=["core.piccolo_app"],
    commands=[],
)
