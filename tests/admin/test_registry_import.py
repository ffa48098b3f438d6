"""The SIAK registry import: every kind of bad row is reported by number and reason, good rows become cards or
counts, and importing the same file again changes nothing."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from admin.service import registry
from admin.synthetic import NikMaker
from admin.tables import ImportBatch, ImportProblem, UnenrolledKia
from core.errors import Invalid
from core.stores import Stores
from tests.conftest import FOUNDING_CITY, login
from tests.helpers import PASSWORD, today
from verification.tables import Card, CardEvent, Credential

KELURAHAN = "17.71.03.1002"
OTHER_KELURAHAN = "17.71.09.1001"
niks = NikMaker()


def row(
    born: date | None = None,
    sex: str = "P",
    consent: bool = True,
    kelurahan: str = KELURAHAN,
    nik: str | None = None,
    **overrides: str,
) -> dict[str, str]:
    born = born or today() - timedelta(days=365 * 7)
    values = {
        "nik": nik or niks.make(kelurahan, born, sex),
        "birth_date": born.isoformat(),
        "sex": sex,
        "kelurahan_code": kelurahan,
        "kia_issued_on": (born + timedelta(days=200)).isoformat(),
        "channel": "school_whatsapp_group" if consent else "",
        "consent_guardian": "ibu" if consent else "",
        "consent_version": "v1.0" if consent else "",
        "consent_at": f"{(today() - timedelta(days=3)).isoformat()}T10:15:00" if consent else "",
    }
    values.update(overrides)
    return values


def csv_bytes(rows: list[dict[str, str]], header: tuple[str, ...] = registry.COLUMNS) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def bad_rows() -> list[tuple[dict[str, str], str, str]]:
    born = today() - timedelta(days=365 * 9)
    duplicate = row(born=born)
    male = row(born=born, sex="L")
    too_old = today() - timedelta(days=365 * 18)
    return (
        [
            (row(nik="177103010101012"), "nik", "nik_format"),
            (row(nik="17710301010A0001"), "nik", "nik_format"),
            (row(born=born, sex="L", nik=niks.make(KELURAHAN, born, "P")), "nik", "nik_date_mismatch"),
            (duplicate, "nik", "duplicate_nik"),  # its first copy is a good row below
            (row(birth_date="2020-13-01"), "birth_date", "invalid_date"),
            (
                row(born=too_old, kia_issued_on=(too_old + timedelta(days=10)).isoformat()),
                "birth_date",
                "age_out_of_range",
            ),
            (row(sex="X"), "sex", "invalid_sex"),
            (row(kelurahan_code="17.71.99.9999"), "kelurahan_code", "unknown_kelurahan"),
            (
                row(born=born, kia_issued_on=(born - timedelta(days=1)).isoformat()),
                "kia_issued_on",
                "issue_date_out_of_range",
            ),
            (row(kia_issued_on="kemarin"), "kia_issued_on", "invalid_date"),
            (row(consent_version="", consent_at=""), "consent", "consent_incomplete"),
            (row(consent_guardian="kakek"), "consent_guardian", "invalid_guardian"),
            (row(consent_at="kemarin pagi"), "consent_at", "invalid_datetime"),
            (
                row(consent_at=f"{(today() + timedelta(days=2)).isoformat()}T09:00:00"),
                "consent_at",
                "consent_out_of_range",
            ),
            (row(channel=""), "channel", "channel_required"),
            (row(channel="tiktok"), "channel", "invalid_channel"),
        ],
        duplicate,
        male,
    )


def the_file() -> tuple[bytes, list[tuple[int, str, str]]]:
    bad, duplicate, male = bad_rows()
    good = [duplicate, male, row(kelurahan=OTHER_KELURAHAN)]
    unconsented = [row(consent=False), row(consent=False, kelurahan=OTHER_KELURAHAN)]
    rows = good + unconsented + [r for r, _, _ in bad]
    expected = [(len(good) + len(unconsented) + index + 2, field, code) for index, (_, field, code) in enumerate(bad)]
    return csv_bytes(rows), expected


async def import_(content: bytes, settings, **options) -> ImportBatch:
    return await registry.import_registry(
        "siak.csv", content, options.pop("as_of", today()), None, settings, Stores(None), city=FOUNDING_CITY, **options
    )


async def snapshot() -> dict[str, object]:
    return {
        "cards": sorted(str(r["id"]) for r in await Card.select(Card.id)),
        "credentials": await Credential.count(),
        "events": await CardEvent.count(),
        "unenrolled": sorted(
            (r["kelurahan_code"], r["birth_year"], str(r["print_month"]), r["holders"])
            for r in await UnenrolledKia.select()
        ),
    }


async def test_every_kind_of_bad_row_is_reported_by_row_and_reason(settings):
    content, expected = the_file()

    batch = await import_(content, settings)

    assert batch.status == "done"
    assert (batch.total_rows, batch.created, batch.aggregated, batch.rejected) == (21, 3, 2, 16)
    problems = [(p["row_number"], p["field"], p["code"]) for p in await registry.problems_of(batch.id)]
    assert problems == expected
    assert set(registry.ROW_PROBLEMS) >= {code for _, _, code in expected}
    assert await Card.count() == 3
    assert sum(r["holders"] for r in await UnenrolledKia.select(UnenrolledKia.holders)) == 2


async def test_no_personal_data_is_kept_for_refused_or_unconsented_rows(settings):
    content, _ = the_file()
    await import_(content, settings)
    stored = str(await ImportProblem.select()) + str(await UnenrolledKia.select()) + str(await ImportBatch.select())
    for nik in {line.split(",")[0] for line in content.decode().splitlines()[1:]}:
        assert nik not in stored
    cards = str(await Card.select())
    assert all(nik not in cards for nik in {line.split(",")[0] for line in content.decode().splitlines()[1:]})


async def test_reimporting_the_same_file_changes_nothing(settings):
    content, _ = the_file()
    await import_(content, settings)
    before = await snapshot()

    again = await import_(content, settings)

    assert (again.created, again.updated, again.unchanged, again.aggregated) == (0, 0, 3, 2)
    assert await snapshot() == before


async def test_a_changed_row_updates_its_card(settings):
    child = row()
    await import_(csv_bytes([child]), settings)
    card = await Card.select(Card.id, Card.kelurahan_code).first()

    moved = await import_(csv_bytes([{**child, "kelurahan_code": OTHER_KELURAHAN}]), settings)

    assert (moved.created, moved.updated) == (0, 1)
    after = await Card.select(Card.id, Card.kelurahan_code).first()
    assert after == {"id": card["id"], "kelurahan_code": OTHER_KELURAHAN}


async def test_a_parent_consenting_later_moves_the_child_from_the_counts_to_a_card(settings):
    child = row(consent=False)
    first = await import_(csv_bytes([child, row(consent=False)]), settings)
    assert first.aggregated == 2
    assert await Card.count() == 0

    consented = {
        **row(),
        "nik": child["nik"],
        "birth_date": child["birth_date"],
        "kia_issued_on": child["kia_issued_on"],
    }
    second = await import_(csv_bytes([consented, row(consent=False)]), settings)

    assert (second.created, second.aggregated) == (1, 1)
    assert sum(r["holders"] for r in await UnenrolledKia.select(UnenrolledKia.holders)) == 1


async def counted_by_kelurahan() -> dict[str, int]:
    rows = await UnenrolledKia.select(UnenrolledKia.kelurahan_code, UnenrolledKia.holders)
    totals: dict[str, int] = {}
    for r in rows:
        totals[r["kelurahan_code"]] = totals.get(r["kelurahan_code"], 0) + r["holders"]
    return totals


async def test_a_file_for_one_kelurahan_leaves_the_others_alone(settings):
    await import_(csv_bytes([row(consent=False, kelurahan=OTHER_KELURAHAN)]), settings)
    outside = row(consent=False, kelurahan=OTHER_KELURAHAN)
    batch = await import_(csv_bytes([row(consent=False), outside]), settings, scope=KELURAHAN)

    assert await counted_by_kelurahan() == {KELURAHAN: 1, OTHER_KELURAHAN: 1}
    assert (batch.rejected, batch.aggregated) == (1, 1)
    assert await registry.problems_of(batch.id) == [
        {"row_number": 3, "field": "kelurahan_code", "code": "kelurahan_outside_scope"}
    ]


async def test_a_full_export_of_the_city_speaks_for_every_kelurahan_in_it(settings):
    await import_(csv_bytes([row(consent=False, kelurahan=OTHER_KELURAHAN)]), settings)
    await import_(csv_bytes([row(consent=False)]), settings)
    assert await counted_by_kelurahan() == {KELURAHAN: 1, OTHER_KELURAHAN: 0}


async def test_a_file_without_the_required_columns_is_refused_whole(settings):
    content = csv_bytes([row()], header=("nik", "birth_date", "sex"))
    with pytest.raises(Invalid) as refused:
        await import_(content, settings)
    assert refused.value.problems[0].code == "missing_columns"
    assert "kelurahan_code" in refused.value.problems[0].message.render("en", **refused.value.problems[0].params)
    assert await Card.count() == 0


async def test_upload_through_the_api_and_read_the_report(client, create_staff, settings):
    await create_staff("dukcapil", "dukcapil_admin")
    await create_staff("analis", "dukcapil_analyst")
    admin = await login(client, "dukcapil", PASSWORD)
    analyst = await login(client, "analis", PASSWORD)
    content, expected = the_file()

    uploaded = await client.post(
        "/api/v1/admin/registry/imports",
        params={"filename": "siak-2026-11.csv"},
        content=content,
        headers={**admin, "Content-Type": "text/csv"},
    )
    assert uploaded.status_code == 202
    batch_id = uploaded.json()["id"]
    assert uploaded.headers["location"].endswith(batch_id)

    # Nothing is written before the clerk has read the preview and confirmed it.
    preview = (await client.get(f"/api/v1/admin/registry/imports/{batch_id}", headers=analyst)).json()
    assert preview["status"] == "ready"
    assert await Card.count() == 0
    assert {k: preview["preview"][k] for k in ("created", "updated", "refused", "counted", "not_in_file")} == {
        "created": 3, "updated": 0, "refused": 16, "counted": 2, "not_in_file": 0,
    }  # fmt: skip
    denied = await client.post(f"/api/v1/admin/registry/imports/{batch_id}/confirm", json={}, headers=analyst)
    assert denied.status_code == 403
    confirmed = await client.post(f"/api/v1/admin/registry/imports/{batch_id}/confirm", json={}, headers=admin)
    assert confirmed.status_code == 202
    again = await client.post(f"/api/v1/admin/registry/imports/{batch_id}/confirm", json={}, headers=admin)
    assert (again.status_code, again.json()["code"]) == (409, "import_not_ready")

    report = await client.get(f"/api/v1/admin/registry/imports/{batch_id}", headers=analyst)
    assert report.status_code == 200
    body = report.json()
    assert body["status"] == "done"
    assert (body["created"], body["aggregated"], body["rejected"]) == (3, 2, 16)
    assert [(p["row"], p["field"], p["code"]) for p in body["problems"]] == expected
    assert body["problems"][0]["message"] == "NIK harus 16 angka."
    english = await client.get(
        f"/api/v1/admin/registry/imports/{batch_id}", headers={**analyst, "Accept-Language": "en"}
    )
    assert english.json()["problems"][0]["message"] == "The NIK must be 16 digits."

    refused = await client.post(
        "/api/v1/admin/registry/imports",
        content=csv_bytes([row()], header=("nik", "sex")),
        headers={**admin, "Content-Type": "text/csv"},
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "missing_columns"


async def test_only_a_dukcapil_admin_uploads(client, create_staff):
    await create_staff("analis", "dukcapil_analyst")
    analyst = await login(client, "analis", PASSWORD)
    content, _ = the_file()
    response = await client.post(
        "/api/v1/admin/registry/imports", content=content, headers={**analyst, "Content-Type": "text/csv"}
    )
    assert response.status_code == 403
    assert (await client.post("/api/v1/admin/registry/imports", content=content)).status_code == 401
    assert await Card.count() == 0


ERASED = ("nik_hash", "birth_date", "sex", "consent_guardian", "consent_version", "consent_at", "consent_recorded_by")


async def test_a_withdrawal_of_consent_survives_a_reimport_of_an_older_export(
    client, make_client, create_staff, settings
):
    """The parent withdraws consent; the same (older) export imported again makes no card, refuses the row with a
    code and counts the KIA; only a consent given after the withdrawal enrols the child again."""
    from tests.core.test_pages import CSRF, page_client, sign_in
    from verification.tables import ConsentWithdrawal

    await create_staff("dukcapil", "dukcapil_admin")
    admin = await login(client, "dukcapil", PASSWORD)
    by_api, by_page = row(), row(kelurahan=OTHER_KELURAHAN)
    content = csv_bytes([by_api, by_page])
    await import_(content, settings)
    ids = {r["kelurahan_code"]: r["id"] for r in await Card.select(Card.id, Card.kelurahan_code)}

    # The API's revoke with reason consent_withdrawn and the page's withdrawal erase the same columns.
    revoked = await client.post(
        f"/api/v1/admin/cards/{ids[KELURAHAN]}/revoke", json={"reason": "consent_withdrawn"}, headers=admin
    )
    assert revoked.status_code == 200, revoked.text
    page = await page_client(make_client)
    await sign_in(page, "dukcapil")
    confirm = await page.get(f"/admin/kartu/{ids[OTHER_KELURAHAN]}/tarik-persetujuan")
    token = CSRF.search(confirm.text).group(1)
    done = await page.post(f"/admin/kartu/{ids[OTHER_KELURAHAN]}/tarik-persetujuan", data={"_csrf_token": token})
    assert done.status_code == 303
    cards_now = await Card.select(Card.status, Card.status_reason, *(getattr(Card, c) for c in ERASED))
    assert cards_now == [
        {"status": "revoked", "status_reason": "consent_withdrawn", **dict.fromkeys(ERASED)} for _ in range(2)
    ]
    assert await ConsentWithdrawal.count() == 2  # the keyed NIK hash and the time, nothing else
    assert set((await ConsentWithdrawal.select().first()).keys()) == {"id", "nik_hash", "withdrawn_at"}

    again = await import_(content, settings)
    assert (again.created, again.updated, again.rejected, again.aggregated) == (0, 0, 2, 2)
    problems = await ImportProblem.select(ImportProblem.row_number, ImportProblem.code).where(
        ImportProblem.batch == again.id
    )
    assert sorted((p["row_number"], p["code"]) for p in problems) == [
        (2, "consent_withdrawn_earlier"), (3, "consent_withdrawn_earlier")
    ]  # fmt: skip
    assert await Card.count() == 2  # no new card for either child

    # The parent agrees again, after the withdrawal (tomorrow's export): the child is enrolled with the new consent.
    tomorrow = today() + timedelta(days=1)
    renewed = await registry.import_registry(
        "siak.csv", csv_bytes([{**by_api, "consent_at": f"{tomorrow.isoformat()}T08:00:00"}]), tomorrow, None,
        settings, Stores(None), city=FOUNDING_CITY,
    )  # fmt: skip
    assert (renewed.created, renewed.rejected) == (1, 0)
    assert await Card.count().where(Card.status == "active") == 1
