"""Piccolo app config for the verification tables."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from verification.tables import (
    Attempt,
    Card,
    CardEvent,
    ConsentWithdrawal,
    Credential,
    EnrolmentCityMonthly,
    EnrolmentMonthly,
    IdempotencyRecord,
    OfferUsage,
    PrintCityMonthly,
    PrintMonthly,
    PrintWeekly,
    Redemption,
    RedemptionDaily,
    RedemptionMonthly,
    RefusalDaily,
    RefusalMonthly,
    RollupChange,
    SigningKey,
    StatusList,
)

APP_CONFIG = AppConfig(
    app_name="verification",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        SigningKey,
        Card,
        Credential,
        StatusList,
        CardEvent,
        ConsentWithdrawal,
        Redemption,
        OfferUsage,
        IdempotencyRecord,
        Attempt,
        RollupChange,
        RedemptionDaily,
        RedemptionMonthly,
        RefusalDaily,
        RefusalMonthly,
        EnrolmentMonthly,
        PrintMonthly,
        PrintWeekly,
        PrintCityMonthly,
        EnrolmentCityMonthly,
    ],
    migration_dependencies=["core.piccolo_app", "partners.piccolo_app"],
    commands=[],
)
