from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T04:21:35:973954"
VERSION = "1.38.0"
DESCRIPTION = "Redemptions confirmed offline: when synced, and a flag for one over the limit (status offline_over_limit)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="verification", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Redemption",
        tablename="redemption",
        column_name="flag",
        db_column_name="flag",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 40,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="Redemption",
        tablename="redemption",
        column_name="synced_at",
        db_column_name="synced_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.alter_column(
        table_class_name="Redemption",
        tablename="redemption",
        column_name="status",
        db_column_name="status",
        params={
            "length": 20,
            "choices": Enum(
                "RedemptionStatus",
                {
                    "COMPLETED": "completed",
                    "VOIDED": "voided",
                    "OFFLINE_OVER_LIMIT": "offline_over_limit",
                },
            ),
        },
        old_params={
            "length": 10,
            "choices": Enum(
                "RedemptionStatus", {"COMPLETED": "completed", "VOIDED": "voided"}
            ),
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
