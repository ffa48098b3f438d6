"""Piccolo app config for the core tables."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from core.tables import AuditEvent, CacheStamp, Region, StaffSession, StaffUser

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Region, StaffUser, StaffSession, AuditEvent, CacheStamp],
    migration_dependencies=[],
    commands=[],
)
