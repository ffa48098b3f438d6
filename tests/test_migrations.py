"""The migrations are the schema: every table the code declares is exactly what the migrations build."""

from __future__ import annotations

import gzip
import subprocess
import sys
import uuid
from pathlib import Path

from piccolo.apps.migrations.commands.new import AutoMigrationManager
from piccolo.conf.apps import Finder

from core.tables import Region, RegionLevel
from tests.test_cli import query, run

NATIONAL = Path(__file__).resolve().parents[1] / "core" / "data" / "regions_indonesia.csv.gz"


async def test_no_model_change_is_missing_a_migration():
    for app_config in Finder().get_app_registry().app_configs.values():
        statements = await AutoMigrationManager(auto_input="n").get_alter_statements(app_config=app_config)
        pending = [line for alter in statements for line in alter.statements]
        assert pending == [], f"{app_config.app_name} needs `piccolo migrations new {app_config.app_name} --auto`"


async def test_migrated_database_holds_the_regions_of_all_indonesia():
    assert await Region.count().where(Region.code.like("17.71.%")) == 76
    assert await Region.count().where(Region.level.is_in([RegionLevel.KABUPATEN, RegionLevel.KOTA])) == 514


# The last migration of each app in the version before the national region codes (issue 14).
PREVIOUS_VERSION = {
    "core": "2026-11-27T18:58:32:059684",
    "partners": "2026-11-27T17:55:00:000000",
    "verification": "2026-11-27T19:28:00:000000",
    "admin": "2026-11-27T19:12:37:820037",
}
PICCOLO = str(Path(sys.executable).parent / "piccolo")
PARTNER, OUTLET, CARD = (str(uuid.uuid4()) for _ in range(3))
BENGKULU_DATA = [
    "INSERT INTO partner (id, name, category, contact_name, contact_phone, status) "
    f"VALUES ('{PARTNER}', 'Gramedia Bengkulu', 'bookstore', 'Rina', '0736123456', 'approved')",
    "INSERT INTO outlet (id, partner, name, address, kelurahan_code) "
    f"VALUES ('{OUTLET}', '{PARTNER}', 'Gramedia Suprapto', 'Jl. Soeprapto', '17.71.01.1004')",
    "INSERT INTO card (id, birth_year, kelurahan_code, kia_printed_on, enrolled_on, channel) "
    f"VALUES ('{CARD}', 2017, '17.71.01.1004', '2018-01-15', '2024-08-01', 'school')",
]


def forwards(env: dict[str, str], app: str, migration_id: str) -> subprocess.CompletedProcess[str]:
    """Piccolo's own command, as an operator would run the previous version's migrations."""
    return subprocess.run(
        [PICCOLO, "migrations", "forwards", app, migration_id],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


async def test_a_database_of_the_previous_version_migrates_with_its_kota_bengkulu_data(cli_env):
    for app, migration_id in PREVIOUS_VERSION.items():
        done = forwards(cli_env, app, migration_id)
        assert done.returncode == 0, done.stdout + done.stderr
    for statement in BENGKULU_DATA:
        await query(cli_env, statement)
    regions_before = await query(
        cli_env, "SELECT code, name, level, parent_code, postal_code FROM region ORDER BY code"
    )
    assert len(regions_before) == 78

    migrated = run(cli_env, "migrate")

    assert migrated.returncode == 0, migrated.stderr
    outlet = await query(cli_env, f"SELECT partner, name, kelurahan_code FROM outlet WHERE id = '{OUTLET}'")
    card = await query(cli_env, f"SELECT kelurahan_code, kia_printed_on FROM card WHERE id = '{CARD}'")
    assert [tuple(str(value) for value in row) for row in outlet] == [(PARTNER, "Gramedia Suprapto", "17.71.01.1004")]
    assert [tuple(str(value) for value in row) for row in card] == [("17.71.01.1004", "2018-01-15")]
    kept = await query(
        cli_env,
        "SELECT code, name, level, parent_code, postal_code FROM region WHERE code IN "
        f"({', '.join(repr(row[0]) for row in regions_before)}) ORDER BY code",
    )
    assert kept == regions_before  # the same Kota Bengkulu, "Bumi Ayu" included
    with gzip.open(NATIONAL, "rt", encoding="utf-8") as handle:
        national = sum(1 for _ in handle) - 1
    assert await query(cli_env, "SELECT count(*) FROM region WHERE valid_until IS NULL") == [(national,)]
    assert run(cli_env, "regions", "import").stdout.endswith("nothing to change: the regions already match the file\n")
