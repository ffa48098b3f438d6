from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Date
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T06:15:31:005793"
VERSION = "1.38.0"
DESCRIPTION = ""


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="verification", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Card",
        tablename="card",
        column_name="counted_from",
        db_column_name="counted_from",
        column_class_name="Date",
        column_class=Date,
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

    manager.add_column(
        table_class_name="Card",
        tablename="card",
        column_name="counted_until",
        db_column_name="counted_until",
        column_class_name="Date",
        column_class=Date,
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
        table_class_name="Card",
        tablename="card",
        column_name="status_reason",
        db_column_name="status_reason",
        params={
            "choices": Enum(
                "RevocationReason",
                {
                    "LOST": "lost",
                    "DAMAGED": "damaged",
                    "CONSENT_WITHDRAWN": "consent_withdrawn",
                    "DECEASED": "deceased",
                    "DATA_ERROR": "data_error",
                    "MOVED": "moved",
                },
            )
        },
        old_params={
            "choices": Enum(
                "RevocationReason",
                {
                    "LOST": "lost",
                    "DAMAGED": "damaged",
                    "CONSENT_WITHDRAWN": "consent_withdrawn",
                    "DECEASED": "deceased",
                    "DATA_ERROR": "data_error",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
