"""The migrations are the schema: every table the code declares is exactly what the migrations build."""

from __future__ import annotations

from piccolo.apps.migrations.commands.new import AutoMigrationManager
from piccolo.conf.apps import Finder

from core.tables import Region


async def test_no_model_change_is_missing_a_migration():
    for app_config in Finder().get_app_registry().app_configs.values():
        statements = await AutoMigrationManager(auto_input="n").get_alter_statements(app_config=app_config)
        pending = [line for alter in statements for line in alter.statements]
        assert pending == [], f"{app_config.app_name} needs `piccolo migrations new {app_config.app_name} --auto`"


async def test_migrated_database_holds_the_reference_regions():
    assert await Region.count().where(Region.code.like("17.71.%")) == 76
