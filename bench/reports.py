"""Reports at national scale: 10 million redemptions and 5 million cards on PostgreSQL. Times every report (read
from the rollups) against a plain SQL aggregate over the raw tables answering the same question, and writes the
ratio.

    .venv/bin/python bench/reports.py --database-url postgresql://postgres@127.0.0.1:5432/mitrakia_bench \\
        [--redemptions 10000000] [--cards 5000000] [--runs 5] [--reuse]

The database is dropped and rebuilt unless --reuse finds it already loaded. Partners, outlets and offers are made
through the app's own services (100 partners, 4 outlets and 4 offers each); cards and redemptions are generated
in SQL (the services would take a day), with the first-of-month marks computed by window functions exactly as the
till sets them; then the rollups are rebuilt from the raw tables (`mitrakia reports rebuild`). The geography is
the demo city's kelurahan (admin.demo_history.CITY): region codes are never invented. Writes
bench/results/reports-postgresql-<date>.json.

`--national` runs the other benchmark: every one of the 514 kabupaten/kota with months of per-city rollups, timing
the reports a national or province account reads against their floor (one grouped pass over the per-city rows).
Writes bench/results/reports-national-postgresql-<date>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 27)
PARTNERS, OUTLETS_EACH, OFFERS_EACH = 100, 4, 4


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database this benchmark may drop")
    parser.add_argument("--redemptions", type=int, default=10_000_000)
    parser.add_argument("--cards", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the loaded data if it is already there")
    parser.add_argument(
        "--national",
        action="store_true",
        help="the national run instead: every kabupaten/kota's rollups for --months months, and the reports a "
        "national and a province account read",
    )
    parser.add_argument("--months", type=int, default=36, help="months of per-city rollups in the national run")
    return parser.parse_args()


ARGS = parse()
os.environ.update(
    {
        "MITRAKIA_DATABASE_URL": ARGS.database_url,
        "MITRAKIA_LOG_LEVEL": "WARNING",
        "MITRAKIA_PASSWORD_HASH_PROFILE": "owasp_minimum",
        "MITRAKIA_DB_POOL_SIZE": "4",
    }
)
os.environ.setdefault("MITRAKIA_SECRET_KEY", "bench-secret-that-is-long-enough-for-settings-0123")
sys.path.insert(0, str(ROOT))

from admin.demo import DUKCAPIL_ACCOUNTS, SHOP_HOURS, DemoOutlet, DemoPartner, ensure_account, ensure_partner  # noqa: E402
from admin.demo_history import CITY  # noqa: E402
from admin.service import reports  # noqa: E402
from admin.service.dashboard import View, dashboard_data  # noqa: E402
from core.database.engine import engine  # noqa: E402
from partners.tables import Category  # noqa: E402
from verification.service import figures, rollups  # noqa: E402


async def sql(statement: str) -> list[dict[str, Any]]:
    return await engine().run_ddl(statement, in_pool=True)  # type: ignore[no-any-return]


def clock(message: str) -> Callable[[], None]:
    started = time.perf_counter()
    print(f"  {message} …", end="", flush=True)
    return lambda: print(f" {time.perf_counter() - started:.0f} s", flush=True)


# --- the data -------------------------------------------------------------------------------------------------


async def load(redemptions: int, cards: int) -> dict[str, float]:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    done = clock(f"{PARTNERS} partners, {PARTNERS * OUTLETS_EACH} outlets, {PARTNERS * OFFERS_EACH} offers")
    dukcapil = await ensure_account(DUKCAPIL_ACCOUNTS[0])
    kelurahan = [
        r["code"]
        for r in await sql(f"SELECT code FROM region WHERE level = 'kelurahan' AND code LIKE '{CITY}.%' ORDER BY code")
    ]
    for number in range(PARTNERS):
        await ensure_partner(_partner(number, kelurahan), dukcapil)
    done()
    timings["partners_s"] = time.perf_counter() - started

    indexes = {  # bulk loads go faster into bare tables; the same indexes are rebuilt afterwards
        row["indexname"]: row["indexdef"]
        for row in await sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('card', 'redemption') "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
    }
    for name in indexes:
        await sql(f'DROP INDEX "{name}"')

    started = time.perf_counter()
    done = clock(f"{cards:,} cards")
    codes = "ARRAY[" + ",".join(f"'{code}'" for code in kelurahan) + "]"
    await sql(f"""
        INSERT INTO card (id, cv, status, nik_hash, birth_date, birth_year, sex, kelurahan_code, kia_printed_on,
                          enrolled_on, channel, consent_guardian, consent_version, consent_at, created_at, updated_at)
        SELECT gen_random_uuid(), 1, 'active', md5(g::text) || md5((g * 7)::text), born, extract(year FROM born),
               CASE WHEN g % 2 = 0 THEN 'L' ELSE 'P' END, ({codes})[1 + g % {len(kelurahan)}], printed,
               enrolled, (ARRAY['dukcapil_counter','school','school_whatsapp_group','partner_promo',
                                'outreach_event','other'])[1 + (g / 7) % 6],
               'ibu', 'v1.0', enrolled::timestamptz, now(), now()
        FROM (
            SELECT g, born, printed, printed + (random() * (DATE '{TODAY}' - printed))::int AS enrolled
            FROM (
                SELECT g, born, born + (random() * (DATE '{TODAY}' - born))::int AS printed
                FROM (SELECT g, DATE '{TODAY}' - (random() * (17 * 365 - 30))::int - 1 AS born
                      FROM generate_series(1, {cards}) g) b
            ) p
        ) e""")
    await sql("ANALYZE card")
    done()
    timings["cards_s"] = time.perf_counter() - started

    started = time.perf_counter()
    done = clock(f"{redemptions:,} redemptions, with first-of-month marks")
    await sql("DROP TABLE IF EXISTS bench_card")
    await sql("CREATE UNLOGGED TABLE bench_card AS SELECT row_number() OVER () AS n, id, birth_date, enrolled_on, "
              "kelurahan_code FROM card")  # fmt: skip
    await sql("ALTER TABLE bench_card ADD PRIMARY KEY (n)")
    await sql("DROP TABLE IF EXISTS bench_place")
    await sql("""CREATE UNLOGGED TABLE bench_place AS
        SELECT row_number() OVER (ORDER BY o.id, t.id) - 1 AS n, o.id AS offer, o.partner, t.id AS outlet
        FROM offer o JOIN outlet t ON t.partner = o.partner""")
    places = (await sql("SELECT count(*) AS n FROM bench_place"))[0]["n"]
    await sql(f"""
        INSERT INTO redemption (id, receipt_code, card, offer, offer_revision, partner, outlet, holder_ref,
            purchase_amount, discount_amount, redeemed_at, local_date, age_years, age_band, kelurahan_code,
            kecamatan_code, first_all, first_partner, first_offer, first_outlet, status)
        SELECT gen_random_uuid(), 'B' || lpad(to_hex(g), 15, '0'), card, offer, 1, partner, outlet,
               substr(md5(partner::text || card::text), 1, 16), purchase, purchase / 10, moment, day, age,
               CASE WHEN age <= 4 THEN '0-4' WHEN age <= 9 THEN '5-9' WHEN age <= 12 THEN '10-12' ELSE '13-16' END,
               kelurahan_code, kecamatan,
               row_number() OVER (PARTITION BY card, month ORDER BY moment) = 1,
               row_number() OVER (PARTITION BY card, month, partner ORDER BY moment) = 1,
               row_number() OVER (PARTITION BY card, month, offer ORDER BY moment) = 1,
               row_number() OVER (PARTITION BY card, month, outlet ORDER BY moment) = 1,
               'completed'
        FROM (
            SELECT g, card, offer, partner, outlet, kelurahan_code, kecamatan, purchase, day,
                   date_trunc('month', day)::date AS month,
                   (day + time '09:00' + (g % 600) * interval '1 minute') AT TIME ZONE 'Asia/Jakarta' AS moment,
                   extract(year FROM age(day, birth_date))::int AS age
            FROM (
                -- a day in the last two years, never before the child's birth or enrolment
                SELECT g, c.id AS card, p.offer, p.partner, p.outlet, c.kelurahan_code, r.parent_code AS kecamatan,
                       (20 + (g % 200)) * 1000 AS purchase, c.birth_date,
                       GREATEST(DATE '{TODAY}' - ((hashint8(g * 17) & 2147483647) % 730)::int, c.enrolled_on,
                                c.birth_date + 1) AS day
                FROM generate_series(1::bigint, {redemptions}::bigint) g
                JOIN bench_card c ON c.n = 1 + (hashint8(g) & 2147483647) % {cards}
                JOIN bench_place p ON p.n = (hashint8(g * 31) & 2147483647) % {places}
                JOIN region r ON r.code = c.kelurahan_code
            ) d
        ) x""")
    done()
    done = clock("cards' first redemption day")
    await sql("""UPDATE card SET first_redeemed_on = f.day
        FROM (SELECT card, min(local_date) AS day FROM redemption GROUP BY card) f WHERE card.id = f.card""")
    done()
    done = clock(f"{len(indexes)} indexes rebuilt")
    for definition in indexes.values():
        await sql(definition)
    await sql("ANALYZE redemption")
    await sql("ANALYZE card")
    await sql("DROP TABLE bench_card")
    await sql("DROP TABLE bench_place")
    done()
    timings["redemptions_s"] = time.perf_counter() - started

    await load_refusals(redemptions // 20)
    done = clock("rollups rebuilt from the raw tables")
    started = time.perf_counter()
    await rollups.rebuild()
    await sql("ANALYZE")
    timings["rollup_rebuild_s"] = time.perf_counter() - started
    done()
    return timings


async def load_refusals(count: int) -> None:
    """Refused scans and redemptions (one for every 20 redemptions), at the places and on the days redemptions
    happen, spread over the reason codes a till gives most."""
    done = clock(f"{count:,} refusals")
    await sql(f"""
        INSERT INTO verification_attempt (occurred_at, local_date, kind, outcome, reason_code, partner, outlet,
                                          offer, card)
        SELECT redeemed_at, local_date, 'redeem', 'refused',
               (ARRAY['holder_limit_reached', 'age_below_minimum', 'age_above_maximum', 'outside_hours',
                      'minimum_purchase_not_met', 'card_superseded'])[1 + (hashint8(n) & 2147483647) % 6],
               partner, outlet, offer, card
        FROM (SELECT row_number() OVER () AS n, * FROM redemption TABLESAMPLE SYSTEM (10) LIMIT {count}) r""")
    done()


def _partner(number: int, kelurahan: list[str]) -> DemoPartner:
    joined = date(2024, 12, 2) + timedelta(weeks=number % 40)
    return DemoPartner(
        slug=f"bench{number:03d}",
        name=f"Mitra uji {number:03d}",
        category=Category.BOOKSTORE,
        contact_name="Pengelola uji",
        agreement_number=f"PKS/BENCH/{number:03d}",
        joined=joined,
        outlets=[
            DemoOutlet(
                f"Outlet uji {number:03d}-{index}",
                "Alamat uji",
                kelurahan[(number * 7 + index * 13) % 67],
                f"bench{number:03d}.kasir{index}",
                SHOP_HOURS,
            )
            for index in range(OUTLETS_EACH)
        ],
        offers=[
            {
                "title": f"Diskon uji {index + 1}",
                "title_en": f"Test discount {index + 1}",
                "description": "Penawaran uji beban.",
                "category": "bookstore",
                "benefit": {"type": "percent", "percent": 10},
                "limits": [],
            }
            for index in range(OFFERS_EACH)
        ],
    )


# --- the timings ----------------------------------------------------------------------------------------------


async def partner_figures(partner: Any) -> Any:
    import uuid

    from core.auth import CurrentUser
    from core.settings import get_settings
    from core.tables import Role

    viewer = CurrentUser(id=uuid.uuid4(), username="bench", role=Role.PARTNER_MANAGER, display_name="Bench")
    return await figures.partner_figures(partner, viewer, get_settings())


async def median_ms(make: Callable[[], Awaitable[Any]], runs: int) -> float:
    await make()  # warm the caches once, as a dashboard in use is warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await make()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def cases(partner: Any) -> list[tuple[str, Callable[[], Awaitable[Any]], str | None]]:
    year = reports.RedemptionFilter(date(2025, 12, 1), TODAY)
    mine = figures.RedemptionFilter(TODAY - timedelta(days=90), TODAY, partner)
    month = "date_trunc('month', local_date)"
    completed = f"status = 'completed' AND local_date BETWEEN DATE '2025-12-01' AND DATE '{TODAY}'"
    kelurahan_under_city = f"(SELECT code FROM region WHERE level = 'kelurahan' AND code LIKE '{CITY}.%')"
    return [
        ("coverage, city with kecamatan breakdown", lambda: reports.coverage(CITY, TODAY, "kecamatan"),
         f"SELECT kelurahan_code, count(*) FROM card WHERE kia_printed_on <= DATE '{TODAY}' "
         f"AND birth_year > {TODAY.year - 17} AND kelurahan_code IN {kelurahan_under_city} GROUP BY 1"),
        ("coverage per month, 24 months", lambda: reports.coverage_series(CITY, date(2024, 12, 1), TODAY),
         "SELECT m, sum(n) OVER (ORDER BY m) FROM (SELECT date_trunc('month', kia_printed_on) AS m, count(*) AS n "
         f"FROM card WHERE kia_printed_on <= DATE '{TODAY}' GROUP BY 1) x"),
        ("redemptions by partner, 12 months", lambda: reports.redemptions_by("partner", year, None),
         f"SELECT {month}, partner, count(*), count(DISTINCT card), sum(discount_amount) FROM redemption "
         f"WHERE {completed} GROUP BY 1, 2"),
        ("redemptions by age band, 12 months", lambda: reports.redemptions_by("age_band", year, None),
         f"SELECT {month}, age_band, count(*), count(DISTINCT card), sum(discount_amount) FROM redemption "
         f"WHERE {completed} GROUP BY 1, 2"),
        ("redemptions by kecamatan, 12 months", lambda: reports.redemptions_by("kecamatan", year, None),
         f"SELECT {month}, kecamatan_code, count(*), count(DISTINCT card), sum(discount_amount) FROM redemption "
         f"WHERE {completed} GROUP BY 1, 2"),
        ("redemptions by partner and age band", lambda: reports.redemptions_by("partner_age_band", year, None),
         f"SELECT {month}, partner, age_band, count(*), count(DISTINCT card), sum(discount_amount) FROM redemption "
         f"WHERE {completed} GROUP BY 1, 2, 3"),
        ("refusals by reason, 12 months", lambda: reports.refusals_by_reason(year),
         "SELECT date_trunc('month', local_date), reason_code, count(*) FROM verification_attempt "
         "WHERE outcome IN ('refused', 'flagged') AND local_date >= DATE '2025-12-01' GROUP BY 1, 2"),
        ("activation, 12 months", lambda: reports.activation(date(2025, 12, 1), TODAY, TODAY),
         "SELECT date_trunc('month', enrolled_on), count(*), count(*) FILTER (WHERE first_redeemed_on <= "
         "enrolled_on + 30), count(*) FILTER (WHERE first_redeemed_on <= enrolled_on + 90) FROM card "
         "WHERE enrolled_on >= DATE '2025-12-01' GROUP BY 1"),
        ("enrolments per channel, 12 months", lambda: reports.channels(date(2025, 12, 1), TODAY),
         "SELECT date_trunc('month', enrolled_on), channel, count(*) FROM card "
         "WHERE enrolled_on >= DATE '2025-12-01' GROUP BY 1, 2"),
        ("KIA prints per week, 2 years", lambda: reports.weekly_prints(CITY, TODAY - timedelta(weeks=104), TODAY),
         f"SELECT date_trunc('week', kia_printed_on), count(*) FROM card "
         f"WHERE kia_printed_on >= DATE '{TODAY - timedelta(weeks=104)}' GROUP BY 1"),
        ("uplift, the 12 latest launches", lambda: reports.uplift_all(TODAY, "id", CITY, 12),
         "SELECT date_trunc('week', c.kia_printed_on), r.parent_code, count(*) FROM card c "
         "JOIN region r ON r.code = c.kelurahan_code "
         f"WHERE c.kia_printed_on >= DATE '{TODAY - timedelta(weeks=60)}' GROUP BY 1, 2"),
        ("partners quiet for 30 days", lambda: reports.quiet_partners(TODAY, CITY),
         "SELECT partner, max(local_date) FROM redemption WHERE status = 'completed' GROUP BY 1"),
        ("the whole /admin dashboard (every figure on it)",
         lambda: dashboard_data(TODAY, View(CITY, "demo", []), f"{CITY}.01", "id", None), None),
        ("the whole /mitra dashboard", lambda: partner_figures(partner), None),
        ("a partner's redemptions per day, 90 days", lambda: figures.redemptions_per_day(mine),
         f"SELECT local_date, count(*), sum(discount_amount) FROM redemption WHERE partner = '{partner}' "
         f"AND status = 'completed' AND local_date >= DATE '{TODAY - timedelta(days=90)}' GROUP BY 1"),
        ("a partner's redemptions per outlet", lambda: figures.redemptions_by("outlet", mine, 5),
         f"SELECT {month}, outlet, count(*), count(DISTINCT card), sum(discount_amount) FROM redemption "
         f"WHERE partner = '{partner}' AND status = 'completed' AND local_date >= DATE "
         f"'{(TODAY - timedelta(days=90)).replace(day=1)}' GROUP BY 1, 2"),
    ]  # fmt: skip


async def measure(runs: int) -> list[dict[str, Any]]:
    partner = (await sql("SELECT id FROM partner ORDER BY name LIMIT 1"))[0]["id"]
    rows = []
    for name, report, raw in cases(partner):
        rollup_ms = await median_ms(report, runs)
        if raw is None:  # a whole page: no one query to compare it with
            rows.append({"report": name, "rollup_ms": round(rollup_ms, 1), "raw_sql_ms": None, "ratio": None})
            print(f"  {name:48s} {rollup_ms:8.1f} ms", flush=True)
            continue
        raw_ms = await median_ms(lambda raw=raw: sql(raw), max(3, runs // 2))  # type: ignore[misc]
        rows.append({"report": name, "rollup_ms": round(rollup_ms, 1), "raw_sql_ms": round(raw_ms, 1),
                     "ratio": round(raw_ms / rollup_ms, 1)})  # fmt: skip
        print(f"  {name:48s} {rollup_ms:8.1f} ms   raw SQL {raw_ms:9.1f} ms   × {raw_ms / rollup_ms:7.1f}", flush=True)
    return rows


# --- the national run -------------------------------------------------------------------------------------------


async def load_national(months: int) -> dict[str, int]:
    """Every kabupaten/kota (the real 514 codes of the region table) with `months` months of per-city rollups:
    prints per birth year, counted KIAs without consent, enrolments per channel, and a population figure a year."""
    first = (TODAY.replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    cities = "(SELECT code FROM region WHERE level IN ('kabupaten', 'kota'))"
    month_series = f"(SELECT d::date FROM generate_series(DATE '{first}', DATE '{TODAY}', interval '1 month') d) ms(m)"
    for table in ("rollup_print_city_monthly", "unenrolled_kia_city_monthly", "rollup_enrolment_city_monthly",
                  "population_count"):  # fmt: skip
        await sql(f"DELETE FROM {table}")
    done = clock(f"514 cities x {months} months of per-city rollups")
    await sql(f"""INSERT INTO rollup_print_city_monthly (city_code, print_month, birth_year, cards)
        SELECT c.code, m, y, 20 + (hashint4(hashtext(c.code) + y * 31 + extract(month FROM m)::int) & 63)
        FROM {cities} c(code), {month_series},
             generate_series(extract(year FROM m)::int - 16, extract(year FROM m)::int) y""")
    await sql(f"""INSERT INTO unenrolled_kia_city_monthly (city_code, counted_from, birth_year, holders)
        SELECT c.code, m, y, 10 + (hashint4(hashtext(c.code) + y) & 31)
        FROM {cities} c(code), {month_series},
             generate_series(extract(year FROM m)::int - 16, extract(year FROM m)::int) y""")
    await sql(f"""INSERT INTO rollup_enrolment_city_monthly
            (city_code, month, channel, enrolled, activated_30, activated_90)
        SELECT c.code, m, ch, 40, 10, 20 FROM {cities} c(code), {month_series},
             unnest(ARRAY['dukcapil_counter', 'school', 'school_whatsapp_group', 'partner_promo']) ch""")
    await sql(f"""INSERT INTO population_count (region_code, as_of, children, source, recorded_at)
        SELECT c.code, d, 150000 + (hashint4(hashtext(c.code)) & 65535), 'bench', now()
        FROM {cities} c(code),
             (SELECT x::date FROM generate_series(DATE '{first}' + interval '1 month' - interval '1 day',
                                                  DATE '{TODAY}', interval '12 months') x) ds(d)""")
    await sql("ANALYZE")
    done()
    return {
        table: (await sql(f"SELECT count(*) AS n FROM {table}"))[0]["n"]
        for table in ("rollup_print_city_monthly", "unenrolled_kia_city_monthly", "rollup_enrolment_city_monthly",
                      "population_count")
    }  # fmt: skip


def national_cases() -> list[tuple[str, Callable[[], Awaitable[Any]], str | None]]:
    """Each report a national or province account reads, and its floor: one grouped pass over the per-city rows
    it needs — the enrolled cards' and the counted KIAs' (holders are both) — the least any correct answer reads,
    with no per-year cut-off, denominator or target work at all."""
    first = (TODAY.replace(day=1) - timedelta(days=31 * 23)).replace(day=1)
    holders = (
        "(SELECT city_code, print_month AS m, birth_year, cards AS n FROM rollup_print_city_monthly UNION ALL "
        "SELECT city_code, counted_from AS print_month, birth_year, holders FROM unenrolled_kia_city_monthly) h"
    )
    running_sums = (
        f"SELECT city_code, m, sum(sum(n)) OVER (PARTITION BY city_code ORDER BY m) FROM {holders} "
        "WHERE m <= DATE '{today}' {where} GROUP BY 1, 2"
    )
    per_city = f"SELECT city_code, sum(n) FROM {holders} WHERE birth_year > {TODAY.year - 17} GROUP BY 1"
    return [
        ("national coverage per month, 514 cities x 24 months",
         lambda: reports.coverage_series(None, first, TODAY), running_sums.format(today=TODAY, where="")),
        ("national coverage, every kabupaten/kota", lambda: reports.coverage(None, TODAY, "kota"), per_city),
        ("national coverage, by province", lambda: reports.coverage(None, TODAY, "provinsi"), per_city),
        ("province coverage per month, 24 months", lambda: reports.coverage_series("17", first, TODAY),
         running_sums.format(today=TODAY, where="AND city_code LIKE '17.%'")),
        ("national activation, 12 months", lambda: reports.activation(date(2025, 12, 1), TODAY, TODAY),
         "SELECT month, sum(enrolled), sum(activated_30), sum(activated_90) FROM rollup_enrolment_city_monthly "
         "WHERE month >= DATE '2025-12-01' GROUP BY 1"),
        ("national enrolments per channel, 12 months", lambda: reports.channels(date(2025, 12, 1), TODAY),
         "SELECT month, channel, sum(enrolled) FROM rollup_enrolment_city_monthly "
         "WHERE month >= DATE '2025-12-01' GROUP BY 1, 2"),
        ("the whole national /admin dashboard", lambda: dashboard_data(TODAY, View(None, "Indonesia", []), None,
                                                                        "id", None), None),
    ]  # fmt: skip


async def national(runs: int, months: int) -> None:
    counts = await load_national(months)
    print("rows:", json.dumps(counts))
    print(f"timings (median of {runs}):")
    rows = []
    for name, report, raw in national_cases():
        rollup_ms = await median_ms(report, runs)
        raw_ms = await median_ms(lambda raw=raw: sql(raw), runs) if raw else None  # type: ignore[misc]
        rows.append({"report": name, "ms": round(rollup_ms, 1),
                     "floor_ms": round(raw_ms, 1) if raw_ms else None,
                     "ratio_to_floor": round(rollup_ms / raw_ms, 1) if raw_ms else None})  # fmt: skip
        floor = f"   floor {raw_ms:7.1f} ms   x {rollup_ms / raw_ms:5.1f}" if raw_ms else ""
        print(f"  {name:52s} {rollup_ms:8.1f} ms{floor}", flush=True)
    result = {
        "benchmark": "reports at every level: national and province, from the per-city rollups",
        "backend": "postgresql",
        "rows": counts,
        "runs": runs,
        "reports": rows,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "command": f"python bench/reports.py --database-url … --national --months {months} --runs {runs}",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    out = ROOT / "bench" / "results" / f"reports-national-postgresql-{datetime.now(UTC).date()}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")


async def main() -> None:
    from piccolo.engine.postgres import PostgresEngine

    from core.logs import configure_logging
    from core.settings import get_settings

    configure_logging(get_settings())  # warnings only: the services log every partner and offer they make
    db = engine()
    assert isinstance(db, PostgresEngine), "this benchmark runs on PostgreSQL"
    await db.start_connection_pool(min_size=1, max_size=4)  # as the app does in its lifespan
    if ARGS.national:
        if not (await sql("SELECT to_regclass('rollup_print_city_monthly') IS NOT NULL AS ok"))[0]["ok"]:
            await sql("DROP SCHEMA public CASCADE")
            await sql("CREATE SCHEMA public")
            subprocess.run([str(Path(sys.executable).parent / "mitrakia"), "migrate"], env={**os.environ},
                           check=True, capture_output=True)  # fmt: skip
        await national(ARGS.runs, ARGS.months)
        await db.close_connection_pool()
        return
    loaded = False
    if ARGS.reuse:
        try:
            loaded = (await sql("SELECT count(*) AS n FROM redemption"))[0]["n"] >= ARGS.redemptions * 0.9
        except Exception:
            loaded = False
    timings: dict[str, float] = {}
    if loaded and (await sql("SELECT count(*) AS n FROM verification_attempt"))[0]["n"] == 0:
        await load_refusals(ARGS.redemptions // 20)  # data loaded by an earlier version of this benchmark
        await rollups.rebuild()
    if not loaded:
        print("loading:")
        await sql("DROP SCHEMA public CASCADE")
        await sql("CREATE SCHEMA public")
        env = {**os.environ}
        subprocess.run([str(Path(sys.executable).parent / "mitrakia"), "migrate"], env=env, check=True,
                       capture_output=True)  # fmt: skip
        timings = await load(ARGS.redemptions, ARGS.cards)
    counts = {
        table: (await sql(f"SELECT count(*) AS n FROM {table}"))[0]["n"]
        for table in ("card", "redemption", "rollup_redemption_daily", "rollup_redemption_monthly",
                      "rollup_print_monthly", "rollup_print_weekly", "rollup_enrolment_monthly")
    }  # fmt: skip
    print("rows:", json.dumps(counts))
    print(f"timings (median of {ARGS.runs}):")
    rows = await measure(ARGS.runs)
    result = {
        "benchmark": "reports at national scale",
        "backend": "postgresql",
        "rows": counts,
        "load": {k: round(v, 1) for k, v in timings.items()},
        "runs": ARGS.runs,
        "reports": rows,
        "slowest_rollup_ms": max(r["rollup_ms"] for r in rows),
        "median_ratio": statistics.median(r["ratio"] for r in rows if r["ratio"] is not None),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "command": f"python bench/reports.py --database-url … --redemptions {ARGS.redemptions} --cards {ARGS.cards} "
        f"--runs {ARGS.runs}",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    out = ROOT / "bench" / "results" / f"reports-postgresql-{datetime.now(UTC).date()}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")
    await db.close_connection_pool()


if __name__ == "__main__":
    asyncio.run(main())
