"""The `mitrakia` command as an operator runs it: migrate, seed, create users, refuse bad settings."""

from __future__ import annotations

import csv
import gzip
import os
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import asyncpg
import pytest
from piccolo.conf.apps import Finder

from tests.conftest import TEST_DATABASE_URL, TEST_SECRET

MITRAKIA = str(Path(sys.executable).parent / "mitrakia")
PICCOLO = str(Path(sys.executable).parent / "piccolo")
NOW = "CURRENT_TIMESTAMP"
REGIONS_FILE = Path(__file__).resolve().parents[1] / "core" / "data" / "regions_indonesia.csv.gz"


def run(
    env: dict[str, str], *args: str, stdin: str | None = None, program: str = MITRAKIA
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [program, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


async def query(env: dict[str, str], sql: str) -> list[tuple]:
    url = env["MITRAKIA_DATABASE_URL"]
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            return connection.execute(sql).fetchall()
    connection = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


async def test_migrate_seed_and_create_a_user(cli_env):
    migrated = run(cli_env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert run(cli_env, "migrate").returncode == 0  # nothing left to do is not an error

    first = run(cli_env, "demo", "seed", "--no-registry")
    assert first.returncode == 0, first.stderr
    after_first = await query(cli_env, "SELECT username FROM staff_user ORDER BY username")
    second = run(cli_env, "demo", "seed", "--no-registry")
    assert second.returncode == 0, second.stderr
    after_second = await query(cli_env, "SELECT username FROM staff_user ORDER BY username")
    for username in ("dukcapil", "analis", "gramedia.manajer", "gramedia.kasir"):
        assert username in first.stdout
        assert (username,) in after_first
    assert after_second == after_first

    created = run(
        cli_env,
        "users",
        "create",
        "--username",
        "kasir.baru",
        "--role",
        "cashier",
        "--display-name",
        "Kasir Baru",
        "--password-stdin",
        stdin="kata-sandi-yang-panjang\n",
    )
    assert created.returncode == 0, created.stderr
    rows = await query(cli_env, "SELECT role, password_hash FROM staff_user WHERE username = 'kasir.baru'")
    assert rows[0][0] == "cashier"
    assert rows[0][1].startswith("$argon2id$")
    assert "kata-sandi-yang-panjang" not in created.stdout + created.stderr

    weak = run(
        cli_env,
        "users",
        "create",
        "--username",
        "lemah",
        "--role",
        "cashier",
        "--display-name",
        "Lemah",
        "--password-stdin",
        stdin="123\n",
    )
    assert weak.returncode == 1
    assert "password" in weak.stderr

    regions = await query(cli_env, "SELECT level, count(*) FROM region GROUP BY level ORDER BY level")
    with gzip.open(REGIONS_FILE, "rt", encoding="utf-8", newline="") as handle:
        assert dict(regions) == Counter(row["level"] for row in csv.DictReader(handle))  # all Indonesia
    # The published denominators come with the seed, once however often it runs.
    city = await query(cli_env, "SELECT children FROM population_count WHERE region_code = '17.71' ORDER BY as_of")
    assert [row[0] for row in city] == [115_109, 116_504, 118_115]

    rebuilt = run(cli_env, "reports", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "rollups rebuilt" in rebuilt.stdout


def test_a_bad_setting_stops_the_cli_with_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MITRAKIA_")}
    env.update({"MITRAKIA_SECRET_KEY": TEST_SECRET, "MITRAKIA_TIMEZONE": "Mars/Olympus"})
    result = run(env, "migrate")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("mitrakia: MITRAKIA_TIMEZONE:")


def test_a_missing_secret_says_how_to_get_one():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MITRAKIA_")}
    result = run(env, "serve")
    assert result.returncode == 2
    assert "MITRAKIA_SECRET_KEY" in result.stderr
    assert "make demo" in result.stderr


async def test_keys_import_and_print_from_the_command_line(cli_env, tmp_path):
    from datetime import date

    from admin import synthetic

    assert run(cli_env, "migrate").returncode == 0
    rotated = run(cli_env, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    kid = rotated.stdout.strip().split()[-1]
    listed = run(cli_env, "keys", "list")
    assert kid in listed.stdout
    assert "active" in listed.stdout

    kelurahan = ["17.71.03.1002", "17.71.09.1001"]
    export = tmp_path / "siak.csv"
    export.write_bytes(synthetic.to_csv(synthetic.children(40, date.today(), kelurahan, consent_share=0.75)))
    imported = run(cli_env, "cards", "import", str(export), "--city", "17.71")
    assert imported.returncode == 0, imported.stderr
    assert "40 rows" in imported.stdout
    created = int(imported.stdout.split(" new cards")[0].rsplit(" ", 1)[-1])
    assert created > 0

    printed = run(cli_env, "cards", "print", "--kelurahan", "17.71.03.1002", "--out", str(tmp_path / "print"))
    assert printed.returncode == 0, printed.stderr
    pngs = list((tmp_path / "print" / "png").glob("*.png"))
    assert pngs
    assert (tmp_path / "print" / "stickers.pdf").stat().st_size > 1000
    assert len(list((tmp_path / "print" / "svg").glob("*.svg"))) == len(pngs)

    nothing = run(cli_env, "cards", "print")
    assert nothing.returncode == 2
    assert "--kelurahan" in nothing.stderr


# --- upgrading a database made by an earlier version ------------------------------------------------------

# The last version that served one city: its database holds every migration made before this date.
SINGLE_CITY_VERSION_BEFORE = "2026-12-05"


def _single_city_heads() -> dict[str, str]:
    """Each app's newest migration of the single-city version."""
    heads: dict[str, str] = {}
    for app_config in Finder().get_app_registry().app_configs.values():
        folder = Path(app_config.resolved_migrations_folder_path)
        ids = [_migration_id(path) for path in folder.glob(f"{app_config.app_name}_*.py")]
        heads[app_config.app_name] = max(i for i in ids if i < SINGLE_CITY_VERSION_BEFORE)
    return heads


def _migration_id(path: Path) -> str:
    """A migration file's ID, as its module declares it (`ID = "2026-11-27T17:45:00:000000"`)."""
    (line,) = [line for line in path.read_text().splitlines() if line.startswith("ID = ")]
    return line.split('"')[1]


async def test_a_database_of_the_single_city_version_gives_its_data_to_that_citys_office(cli_env):
    for app, head in _single_city_heads().items():
        done = run(cli_env, "migrations", "forwards", app, head, program=PICCOLO)
        assert done.returncode == 0, done.stdout + done.stderr
    admin, manager, card, batch = (str(uuid.uuid4()) for _ in range(4))
    for sql in (
        "INSERT INTO staff_user (id, username, password_hash, role, display_name, active, created_at, updated_at) "
        f"VALUES ('{admin}', 'dukcapil', 'x', 'dukcapil_admin', 'Petugas', true, {NOW}, {NOW})",
        "INSERT INTO staff_user (id, username, password_hash, role, display_name, active, created_at, updated_at) "
        f"VALUES ('{manager}', 'toko.manajer', 'x', 'partner_manager', 'Manajer', true, {NOW}, {NOW})",
        "INSERT INTO card (id, cv, status, birth_year, kelurahan_code, kia_printed_on, enrolled_on, channel, "
        f"created_at, updated_at) VALUES ('{card}', 1, 'active', 2018, '17.71.03.1002', '2024-10-01', '2024-10-02', "
        f"'siak_import', {NOW}, {NOW})",
        "INSERT INTO registry_import (id, filename, file_sha256, as_of, status, total_rows, processed_rows, created, "
        "updated, unchanged, aggregated, rejected, started_at) "
        f"VALUES ('{batch}', 'siak.csv', 'abc', '2024-10-31', 'done', 1, 1, 1, 0, 0, 0, 0, {NOW})",
        "INSERT INTO audit_event (occurred_at, action, object_type, object_id) "
        f"VALUES ({NOW}, 'card.revoked', 'card', '{card}')",
    ):
        await query(cli_env, sql)

    migrated = run(cli_env, "migrate")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr

    accounts = await query(cli_env, "SELECT username, region_code FROM staff_user ORDER BY username")
    assert accounts == [("dukcapil", "17.71"), ("toko.manajer", None)]  # partner staff have no office
    assert await query(cli_env, "SELECT id, kelurahan_code, city_code FROM card") == [
        (uuid.UUID(card) if TEST_DATABASE_URL else card, "17.71.03.1002", "17.71")
    ]
    assert await query(cli_env, "SELECT filename, city_code FROM registry_import") == [("siak.csv", "17.71")]
    assert await query(cli_env, "SELECT action, city_code FROM audit_event") == [("card.revoked", "17.71")]
    chain = run(cli_env, "audit", "verify")  # the events of the old version are chained by the migration
    assert chain.returncode == 0, chain.stderr
    # The audit log is append-only again once the migration has assigned the old rows.
    with pytest.raises(Exception, match="append-only"):
        await query(cli_env, "UPDATE audit_event SET city_code = NULL")


# The last version whose rollups did not carry the kabupaten/kota.
CITYLESS_ROLLUPS_BEFORE = "2026-12-06"


async def test_a_database_of_the_previous_version_keeps_its_figures_each_under_its_city(cli_env):
    """Rollup rows made before the tenancy key get it from their kelurahan, the redemption rollup is recounted with
    it, and the per-city sums that province and national reports read are filled: the same figures as before."""
    for app_config in Finder().get_app_registry().app_configs.values():
        folder = Path(app_config.resolved_migrations_folder_path)
        ids = [_migration_id(path) for path in folder.glob(f"{app_config.app_name}_*.py")]
        head = max(i for i in ids if i < CITYLESS_ROLLUPS_BEFORE)
        done = run(cli_env, "migrations", "forwards", app_config.app_name, head, program=PICCOLO)
        assert done.returncode == 0, done.stdout + done.stderr
    card, offer, partner, outlet = (str(uuid.uuid4()) for _ in range(4))
    for sql in (
        "INSERT INTO card (id, cv, status, birth_year, kelurahan_code, kia_printed_on, enrolled_on, channel, "
        f"created_at, updated_at, city_code) VALUES ('{card}', 1, 'active', 2018, '17.71.03.1002', '2024-10-01', "
        f"'2024-10-02', 'school', {NOW}, {NOW}, '17.71')",
        "INSERT INTO rollup_print_monthly (print_month, kelurahan, birth_year, cards) "
        "VALUES ('2024-10-01', '17.71.03.1002', 2018, 1)",
        "INSERT INTO rollup_print_weekly (week_start, kelurahan, prints) VALUES ('2024-09-30', '17.71.03.1002', 1)",
        "INSERT INTO rollup_enrolment_monthly (month, kelurahan, channel, enrolled, activated_30, activated_90) "
        "VALUES ('2024-10-01', '17.71.03.1002', 'school', 1, 1, 1)",
        "INSERT INTO unenrolled_kia (kelurahan_code, birth_year, print_month, holders) "
        "VALUES ('17.02.19.1003', 2015, '2022-03-01', 2)",
        "INSERT INTO redemption (id, receipt_code, card, offer, offer_revision, partner, outlet, holder_ref, "
        "purchase_amount, discount_amount, redeemed_at, local_date, age_years, age_band, kelurahan_code, "
        "kecamatan_code, first_all, first_partner, first_offer, first_outlet, status) "
        f"VALUES ('{uuid.uuid4()}', 'R1', '{card}', '{offer}', 1, '{partner}', '{outlet}', 'h', 20000, 2000, {NOW}, "
        "'2024-10-05', 6, '5-9', '17.71.03.1002', '17.71.03', true, true, true, true, 'completed')",
    ):
        await query(cli_env, sql)

    migrated = run(cli_env, "migrate")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr

    def plain(rows):
        return [tuple(str(value) for value in row) for row in rows]

    assert plain(await query(cli_env, "SELECT city_code, kelurahan, cards FROM rollup_print_monthly")) == [
        ("17.71", "17.71.03.1002", "1")
    ]
    assert plain(
        await query(cli_env, "SELECT city_code, print_month, birth_year, cards FROM rollup_print_city_monthly")
    ) == [("17.71", "2024-10-01", "2018", "1")]
    assert plain(await query(cli_env, "SELECT city_code, channel, enrolled FROM rollup_enrolment_city_monthly")) == [
        ("17.71", "school", "1")
    ]
    assert plain(await query(cli_env, "SELECT city_code, holders FROM unenrolled_kia_city_monthly")) == [("17.02", "2")]
    # Counted KIAs of the previous version keep counting from their print month: no past figure moves.
    assert plain(await query(cli_env, "SELECT print_month, counted_from FROM unenrolled_kia")) == [
        ("2022-03-01", "2022-03-01")
    ]
    assert plain(await query(cli_env, "SELECT city_code FROM rollup_print_weekly")) == [("17.71",)]
    slices = await query(
        cli_env, "SELECT city_code, slice, redemptions, discount_total, children FROM rollup_redemption_monthly"
    )
    assert sorted(plain(slices)) == sorted(
        ("17.71", name, "1", "2000", "1")
        for name in ("all", "kecamatan", "age_band", "partner", "partner_kecamatan", "partner_age_band", "offer",
                     "outlet")
    )  # fmt: skip


async def test_audit_verify_passes_an_untouched_log_and_names_the_first_altered_event(cli_env):
    assert run(cli_env, "migrate").returncode == 0
    for number in range(3):
        created = run(
            cli_env, "users", "create", "--username", f"petugas{number}", "--role", "dukcapil_admin",
            "--display-name", "Petugas", "--region", "17.71", "--password-stdin", stdin="kata-sandi-yang-panjang\n",
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
    intact = run(cli_env, "audit", "verify")
    assert intact.returncode == 0, intact.stderr
    assert "3 events" in intact.stdout
    dry = run(cli_env, "retention", "run", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    nothing = (
        "would delete 0 import previews, 0 attempts, 0 idempotency records, 0 ended sessions, 0 webhook deliveries, "
        "0 deleted webhooks, 0 print pdfs"
    )
    assert nothing in dry.stdout
    assert run(cli_env, "retention", "run").returncode == 0

    # Someone with database access rewrites history: lifts the append-only trigger and changes the second event.
    (second,) = [row[0] for row in await query(cli_env, "SELECT id FROM audit_event ORDER BY id LIMIT 1 OFFSET 1")]
    if TEST_DATABASE_URL:
        await query(cli_env, "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change")
    else:
        await query(cli_env, "DROP TRIGGER audit_event_no_update")
    await query(cli_env, f"UPDATE audit_event SET actor_username = 'orang.lain' WHERE id = {second}")
    broken = run(cli_env, "audit", "verify")
    assert broken.returncode == 1
    assert f"broken at event {second}" in broken.stderr
