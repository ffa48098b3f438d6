"""Every rollup carries the kabupaten/kota (the tenancy key): existing rows get it from their kelurahan, the
redemption and refusal rollups are recounted with it (from the redemptions and the daily refusals), and the
per-city sums that province and national reports read are filled from the kelurahan rollups.

The statements are written out here rather than taken from `verification.service.rollups`, so that this migration
does the same thing however that module changes later."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-12-06T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Rollups carry the kabupaten/kota"

NIL = "00000000-0000-0000-0000-000000000000"
# (slice, partner-scoped, first-of-month mark, value column): verification.service.rollups.SLICES at this version.
SLICES = (
    ("all", False, "first_all", None),
    ("kecamatan", False, "first_all", "kecamatan_code"),
    ("age_band", False, "first_all", "age_band"),
    ("partner", True, "first_partner", None),
    ("partner_kecamatan", True, "first_partner", "kecamatan_code"),
    ("partner_age_band", True, "first_partner", "age_band"),
    ("offer", True, "first_offer", "offer"),
    ("outlet", True, "first_outlet", "outlet"),
)
OLD_KEYS = (
    "rollup_redemption_monthly_key",
    "rollup_refusal_monthly_key",
    "rollup_enrolment_monthly_key",
    "rollup_print_monthly_key",
    "rollup_print_weekly_key",
)
NEW_KEYS = (
    "UNIQUE INDEX rollup_redemption_monthly_key ON rollup_redemption_monthly "
    "(city_code, slice, month, partner, value, shard)",
    "INDEX rollup_redemption_monthly_slice ON rollup_redemption_monthly (slice, month)",
    "UNIQUE INDEX rollup_refusal_monthly_key ON rollup_refusal_monthly (city_code, month, partner, reason)",
    "INDEX rollup_refusal_monthly_month ON rollup_refusal_monthly (month)",
    "UNIQUE INDEX rollup_enrolment_monthly_key ON rollup_enrolment_monthly (city_code, month, kelurahan, channel)",
    "UNIQUE INDEX rollup_print_monthly_key ON rollup_print_monthly (city_code, print_month, kelurahan, birth_year)",
    "UNIQUE INDEX rollup_print_weekly_key ON rollup_print_weekly (city_code, week_start, kelurahan)",
    "UNIQUE INDEX rollup_print_city_monthly_key ON rollup_print_city_monthly (city_code, print_month, birth_year)",
    "INDEX rollup_print_city_monthly_month ON rollup_print_city_monthly (print_month)",
    "UNIQUE INDEX rollup_enrolment_city_monthly_key ON rollup_enrolment_city_monthly (city_code, month, channel)",
    "INDEX rollup_enrolment_city_monthly_month ON rollup_enrolment_city_monthly (month)",
)


def _statements(sqlite: bool) -> list[str]:
    month = "date(local_date, 'start of month')" if sqlite else "date_trunc('month', local_date)::date"
    true = "1" if sqlite else "true"
    nil = f"'{NIL}'" if sqlite else f"'{NIL}'::uuid"
    text = "TEXT" if sqlite else "text"
    statements = [
        *(f"DROP INDEX IF EXISTS {name}" for name in OLD_KEYS),
        "UPDATE rollup_print_monthly SET city_code = substr(kelurahan, 1, 5)",
        "UPDATE rollup_print_weekly SET city_code = substr(kelurahan, 1, 5)",
        "UPDATE rollup_enrolment_monthly SET city_code = substr(kelurahan, 1, 5)",
        "DELETE FROM rollup_redemption_monthly",
    ]
    for name, partner_scoped, mark, value_of in SLICES:
        partner = "partner" if partner_scoped else nil
        value = f"CAST({value_of} AS {text})" if value_of else "''"
        statements.append(
            "INSERT INTO rollup_redemption_monthly "
            "(city_code, month, slice, partner, value, shard, redemptions, discount_total, children) "
            f"SELECT substr(kelurahan_code, 1, 5), {month}, '{name}', {partner}, {value}, 0, COUNT(*), "
            f"SUM(discount_amount), SUM(CASE WHEN {mark} = {true} THEN 1 ELSE 0 END) "
            "FROM redemption WHERE status = 'completed' GROUP BY 1, 2, 4, 5"
        )
    refusal_month = "date(r.day, 'start of month')" if sqlite else "date_trunc('month', r.day)::date"
    statements += [
        "DELETE FROM rollup_refusal_monthly",
        "INSERT INTO rollup_refusal_monthly (city_code, month, partner, reason, refusals) "
        f"SELECT substr(o.kelurahan_code, 1, 5), {refusal_month}, r.partner, r.reason, SUM(r.refusals) "
        "FROM rollup_refusal_daily r JOIN outlet o ON o.id = r.outlet GROUP BY 1, 2, r.partner, r.reason",
        "INSERT INTO rollup_print_city_monthly (city_code, print_month, birth_year, cards) "
        "SELECT city_code, print_month, birth_year, SUM(cards) FROM rollup_print_monthly "
        "GROUP BY city_code, print_month, birth_year",
        "INSERT INTO rollup_enrolment_city_monthly (city_code, month, channel, enrolled, activated_30, activated_90) "
        "SELECT city_code, month, channel, SUM(enrolled), SUM(activated_30), SUM(activated_90) "
        "FROM rollup_enrolment_monthly GROUP BY city_code, month, channel",
        *(f"CREATE {statement}" for statement in NEW_KEYS),
    ]
    return statements


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="verification", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in _statements(isinstance(engine, SQLiteEngine)):
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
