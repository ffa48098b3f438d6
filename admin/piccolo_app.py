"""Piccolo app config for the admin tables."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from admin.tables import (
    BreachIncident,
    Campaign,
    CampaignEnrolment,
    CampaignVisit,
    CoverageCorrection,
    CoverageTarget,
    ImportBatch,
    ImportFile,
    ImportProblem,
    KiaGuide,
    PopulationCount,
    PrintRun,
    ReportEvent,
    UnenrolledCityMonthly,
    UnenrolledKia,
)

APP_CONFIG = AppConfig(
    app_name="admin",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        ImportBatch,
        ImportProblem,
        UnenrolledKia,
        UnenrolledCityMonthly,
        PopulationCount,
        CoverageTarget,
        PrintRun,
        ImportFile,
        CoverageCorrection,
        BreachIncident,
        KiaGuide,
        Campaign,
        CampaignVisit,
        CampaignEnrolment,
        ReportEvent,
    ],
    migration_dependencies=["core.piccolo_app", "partners.piccolo_app", "verification.piccolo_app"],
    commands=[],
)
