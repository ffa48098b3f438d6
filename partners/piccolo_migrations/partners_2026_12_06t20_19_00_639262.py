from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T20:19:00:639262"
VERSION = "1.38.0"
DESCRIPTION = "An edit of a live offer waits for review: pending_revision, revision_rejected_reason"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="partners", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Offer",
        tablename="offer",
        column_name="pending_revision",
        db_column_name="pending_revision",
        column_class_name="Integer",
        column_class=Integer,
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
        table_class_name="Offer",
        tablename="offer",
        column_name="revision_rejected_reason",
        db_column_name="revision_rejected_reason",
        column_class_name="Text",
        column_class=Text,
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

    return manager
