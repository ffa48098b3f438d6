from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T00:35:04:661771"
VERSION = "1.38.0"
DESCRIPTION = "True"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="partners", description=DESCRIPTION
    )

    manager.drop_column(
        table_class_name="Partner",
        tablename="partner",
        column_name="agreement_number",
        db_column_name="agreement_number",
        schema=None,
    )

    return manager
