"""Dukcapil's console pages for signing keys (/admin/kunci), staff accounts (/admin/staf) and the audit log
(/admin/audit): what an admin sees and does there, and what an analyst may not."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import httpx

from core.tables import AuditEvent
from tests.conftest import FOUNDING_CITY, login
from tests.core.test_pages import CSRF, page_client, sign_in
from tests.helpers import PASSWORD

NEW_PASSWORD = "sandi-baru-yang-panjang"


async def signed_in_admin(
    make_client, create_staff, username: str = "dukcapil", region: str | None = FOUNDING_CITY
) -> httpx.AsyncClient:
    client = await page_client(make_client)
    await create_staff(username, "dukcapil_admin", region=region)
    assert (await sign_in(client, username)).status_code == 303
    return client


async def national_admin(make_client, create_staff) -> httpx.AsyncClient:
    """Ditjen's admin: the signing keys are one key ring for every office, so only a national admin manages them."""
    return await signed_in_admin(make_client, create_staff, "ditjen.admin", None)


async def post_form(client: httpx.AsyncClient, form_page: str, data: dict[str, str] | None = None) -> httpx.Response:
    """Open the page with the form (a confirmation, a form), then submit it with its CSRF token."""
    page = await client.get(form_page)
    assert page.status_code == 200, page.text
    token = CSRF.search(page.text).group(1)
    return await client.post(form_page, data={"_csrf_token": token, **(data or {})})


def rows(html: str, table: str) -> list[str]:
    body = html.split(f'id="{table}"', 1)[1].split("</tbody>", 1)[0].split("<tbody>", 1)[1]
    return re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)


def object_id(row: str) -> str:
    return re.search(r'<code class="meta">([^<]+)</code>', row).group(1)


def problem_beside(html: str, field: str) -> str:
    found = re.search(rf'<p class="field-problem" id="{field}-problem">([^<]*)</p>', html)
    assert found, f"no problem beside {field}"
    return found.group(1)


# --- signing keys ---------------------------------------------------------------------------------------------


async def keys_by_status(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key in (await client.get("/api/v1/admin/keys", headers=headers)).json():
        found.setdefault(key["status"], []).append(key["kid"])
    return found


async def test_rotating_through_the_confirmation_page_retires_the_old_key(make_client, create_staff):
    client = await national_admin(make_client, create_staff)
    headers = await login(client, "ditjen.admin", PASSWORD)
    first = (await client.post("/api/v1/admin/keys/rotate", headers=headers)).json()["kid"]

    listing = await client.get("/admin/kunci")
    assert listing.status_code == 200
    assert first in listing.text
    assert "Aktif: menandatangani kartu baru" in listing.text
    assert "private" not in listing.text.lower()

    confirmation = await client.get("/admin/kunci/rotasi")
    assert f"Kunci yang aktif sekarang ({first}) pensiun" in confirmation.text
    assert "tetap lolos verifikasi" in confirmation.text
    assert await keys_by_status(client, headers) == {"active": [first]}  # looking changes nothing

    done = await post_form(client, "/admin/kunci/rotasi")
    assert done.status_code == 303
    assert done.headers["location"] == "/admin/kunci?ok=dirotasi"
    now = await keys_by_status(client, headers)
    assert now["retired"] == [first]
    (second,) = now["active"]
    assert second != first

    page = await client.get(done.headers["location"])
    assert "Kunci baru aktif" in page.text
    shown = {kid: row for row in rows(page.text, "keys-table") for kid in (first, second) if kid in row}
    assert "Aktif: menandatangani kartu baru" in shown[second]
    assert "Pensiun: masih memverifikasi" in shown[first]
    assert 'href="/admin/kunci/' + first + '/cabut"' in shown[first]
    assert "/cabut" not in shown[second]


async def test_revoking_a_retired_key_warns_that_its_cards_stop_verifying(make_client, create_staff):
    client = await national_admin(make_client, create_staff)
    headers = await login(client, "ditjen.admin", PASSWORD)
    old = (await client.post("/api/v1/admin/keys/rotate", headers=headers)).json()["kid"]
    await client.post("/api/v1/admin/keys/rotate", headers=headers)

    confirmation = await client.get(f"/admin/kunci/{old}/cabut")
    assert "BERHENTI lolos verifikasi" in confirmation.text
    assert 'class="danger"' in confirmation.text
    done = await post_form(client, f"/admin/kunci/{old}/cabut")
    assert done.status_code == 303
    assert (await keys_by_status(client, headers))["revoked"] == [old]
    page = await client.get(done.headers["location"])
    assert "Kartu yang ditandatanganinya tidak lagi lolos verifikasi" in page.text
    (row,) = [row for row in rows(page.text, "keys-table") if old in row]
    assert "Dicabut: tidak dipercaya" in row
    assert old not in str((await client.get("/.well-known/jwks.json")).json())

    again = await post_form(client, f"/admin/kunci/{old}/cabut")  # already revoked: the service's refusal
    assert again.status_code == 409
    assert 'role="alert"' in again.text
    assert (await client.get("/admin/kunci/tidak-ada/cabut")).status_code == 404


async def test_an_analyst_or_an_office_may_neither_see_nor_rotate_keys_as_in_the_api(make_client, create_staff):
    # The JSON API's keys are for a national Dukcapil admin only (requires_national_admin on the whole controller):
    # every office's cards are signed by them and every till verifies them.
    await create_staff("analis", "dukcapil_analyst")
    analyst = await page_client(make_client)
    await sign_in(analyst, "analis")
    token = CSRF.search((await analyst.get("/admin/")).text).group(1)
    assert (await analyst.get("/admin/kunci")).status_code == 403
    assert (await analyst.get("/admin/kunci/rotasi")).status_code == 403
    assert (await analyst.post("/admin/kunci/rotasi", data={"_csrf_token": token})).status_code == 403
    headers = await login(analyst, "analis", PASSWORD)
    assert (await analyst.get("/api/v1/admin/keys", headers=headers)).status_code == 403
    office = await signed_in_admin(make_client, create_staff)
    assert 'href="/admin/kunci"' not in (await office.get("/admin")).text
    token = CSRF.search((await office.get("/admin/")).text).group(1)
    assert (await office.get("/admin/kunci")).status_code == 403
    assert (await office.post("/admin/kunci/rotasi", data={"_csrf_token": token})).status_code == 403
    office_headers = await login(office, "dukcapil", PASSWORD)
    assert (await office.post("/api/v1/admin/keys/rotate", headers=office_headers)).status_code == 403
    await create_staff("ditjen.admin", "dukcapil_admin", region=None)
    headers = await login(analyst, "ditjen.admin", PASSWORD)
    assert (await analyst.get("/api/v1/admin/keys", headers=headers)).json() == []  # nothing was rotated


# --- staff accounts -------------------------------------------------------------------------------------------


NEW_ANALYST = {
    "username": "rina.piak",
    "display_name": "Rina (Seksi PIAK)",
    "role": "dukcapil_analyst",
    "password": "kata-sandi-rina-01",
    "password_confirm": "kata-sandi-rina-01",
}


async def test_mismatched_passwords_are_shown_beside_the_field_and_create_nothing(make_client, create_staff):
    client = await signed_in_admin(make_client, create_staff)
    refused = await post_form(client, "/admin/staf/baru", {**NEW_ANALYST, "password_confirm": "kata-sandi-lain-02"})
    assert refused.status_code == 422
    assert "Kedua kata sandi tidak sama" in problem_beside(refused.text, "password_confirm")
    assert 'aria-describedby="password_confirm-problem"' in refused.text
    assert 'value="rina.piak"' in refused.text  # what was typed stays, except the passwords
    assert "kata-sandi-rina-01" not in refused.text
    listing = await client.get("/admin/staf")
    assert "rina.piak" not in listing.text

    too_short = {**NEW_ANALYST, "username": "R", "password": "x", "password_confirm": "x"}
    short = await post_form(client, "/admin/staf/baru", too_short)
    assert short.status_code == 422
    assert "minimal 10 karakter" in problem_beside(short.text, "password")
    assert "huruf kecil" in problem_beside(short.text, "username")


async def test_a_created_analyst_signs_in_and_reaches_the_console(make_client, create_staff):
    client = await signed_in_admin(make_client, create_staff)
    created = await post_form(client, "/admin/staf/baru", NEW_ANALYST)
    assert created.status_code == 303
    listing = await client.get(created.headers["location"])
    assert "Akun dibuat" in listing.text
    (row,) = [row for row in rows(listing.text, "staff-table") if "rina.piak" in row]
    assert "Analis Dukcapil (hanya laporan)" in row
    assert "Belum pernah" in row

    taken = await post_form(client, "/admin/staf/baru", NEW_ANALYST)
    assert taken.status_code == 409
    assert "sudah dipakai" in problem_beside(taken.text, "username")

    rina = await page_client(make_client)
    signed_in = await sign_in(rina, "rina.piak", NEW_ANALYST["password"])
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/admin"
    assert (await rina.get("/admin/")).status_code == 200
    assert (await rina.get("/admin/staf")).status_code == 403  # an analyst does not manage accounts


async def test_disabling_through_confirmation_stops_sign_in_and_enabling_restores_it(make_client, create_staff):
    client = await signed_in_admin(make_client, create_staff)
    analyst = await create_staff("analis", "dukcapil_analyst")
    open_session = await page_client(make_client)
    await sign_in(open_session, "analis")
    assert (await open_session.get("/admin/")).status_code == 200

    confirmation = await client.get(f"/admin/staf/{analyst.id}/nonaktifkan")
    assert "analis tidak dapat masuk lagi" in confirmation.text
    done = await post_form(client, f"/admin/staf/{analyst.id}/nonaktifkan")
    assert done.status_code == 303
    listing = await client.get(done.headers["location"])
    assert "Akun dinonaktifkan" in listing.text
    (row,) = [row for row in rows(listing.text, "staff-table") if "analis" in row]
    assert "Nonaktif" in row

    assert (await open_session.get("/admin/")).status_code == 303  # the open session ended
    assert (await sign_in(await page_client(make_client), "analis")).status_code == 401

    token = CSRF.search(listing.text).group(1)
    enabled = await client.post(f"/admin/staf/{analyst.id}/aktifkan", data={"_csrf_token": token})
    assert enabled.status_code == 303
    assert "Akun diaktifkan kembali" in (await client.get(enabled.headers["location"])).text
    assert (await sign_in(await page_client(make_client), "analis")).status_code == 303


async def test_an_admin_cannot_disable_their_own_account(make_client, create_staff):
    client = await signed_in_admin(make_client, create_staff)
    headers = await login(client, "dukcapil", PASSWORD)
    me = (await client.get("/api/v1/auth/me", headers=headers)).json()["id"]
    listing = await client.get("/admin/staf")
    assert f"/admin/staf/{me}/nonaktifkan" not in listing.text
    refused = await post_form(client, f"/admin/staf/{me}/nonaktifkan")
    assert refused.status_code == 409
    assert "tidak dapat menonaktifkan akun Anda sendiri" in refused.text
    api = await client.patch(f"/api/v1/admin/staff/{me}", json={"active": False}, headers=headers)
    assert api.status_code == 409
    assert api.json()["code"] == "cannot_disable_own_account"
    assert (await client.get("/admin/staf")).status_code == 200  # still signed in, still active


async def test_resetting_a_password_needs_it_twice_and_the_new_one_signs_in(make_client, create_staff):
    client = await signed_in_admin(make_client, create_staff)
    analyst = await create_staff("analis", "dukcapil_analyst")
    form = f"/admin/staf/{analyst.id}/sandi"
    refused = await post_form(client, form, {"password": NEW_PASSWORD, "password_confirm": "lain"})
    assert refused.status_code == 422
    assert "Kedua kata sandi tidak sama" in problem_beside(refused.text, "password_confirm")
    assert (await sign_in(await page_client(make_client), "analis")).status_code == 303  # unchanged

    done = await post_form(client, form, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert done.status_code == 303
    assert "Kata sandi diganti" in (await client.get(done.headers["location"])).text
    assert (await sign_in(await page_client(make_client), "analis")).status_code == 401
    assert (await sign_in(await page_client(make_client), "analis", NEW_PASSWORD)).status_code == 303


# --- audit log --------------------------------------------------------------------------------------------------


async def event(action: str, occurred_at: datetime, object_id: str = "x", actor: str = "dukcapil") -> None:
    await AuditEvent.insert(
        AuditEvent(
            occurred_at=occurred_at,
            actor_username=actor,
            actor_role="dukcapil_admin",
            action=action,
            object_type="signing_key",
            object_id=object_id,
            after={"status": "active"},
            city_code=FOUNDING_CITY,  # the office of the admin who reads the log
        )
    )


async def test_filtering_by_action_narrows_the_rows_and_the_csv_holds_only_them(make_client, create_staff):
    client = await signed_in_admin(make_client, create_staff)
    analyst = await create_staff("analis", "dukcapil_analyst")
    await post_form(client, f"/admin/staf/{analyst.id}/nonaktifkan")

    everything = await client.get("/admin/audit")
    assert everything.status_code == 200
    all_rows = rows(everything.text, "audit-table")
    assert {"staff_user.created", "auth.login", "staff_user.disabled"} <= {
        re.search(r"<code>([^<]+)</code>", row).group(1) for row in all_rows
    }
    assert 'value="staff_user.disabled"' in everything.text  # the action is a choice among those in the log
    newest = all_rows[0]
    assert "staff_user.disabled" in newest
    assert "Akun staf dinonaktifkan" in newest
    assert "{&#34;active&#34;: true} → {&#34;active&#34;: false}" in newest
    assert str(analyst.id) in newest

    narrowed = await client.get("/admin/audit", params={"action": "staff_user.created"})
    shown = rows(narrowed.text, "audit-table")
    assert len(shown) == 2  # the two accounts
    assert all("staff_user.created" in row for row in shown)
    assert "staff_user.disabled" not in "".join(shown)
    assert 'href="/admin/audit/audit.csv?action=staff_user.created"' in narrowed.text

    download = await client.get("/admin/audit/audit.csv", params={"action": "staff_user.created"})
    assert download.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert [row["action"] for row in table] == ["staff_user.created"] * 2
    assert {row["object_id"] for row in table} >= {str(analyst.id)}
    assert any('"username": "analis"' in row["after"] for row in table)

    by_actor = await client.get("/admin/audit", params={"actor": "tidak-ada"})
    assert "Tidak ada catatan yang cocok" in by_actor.text


async def test_dates_are_wib_calendar_days(make_client, create_staff):
    client = await signed_in_admin(make_client, create_staff)
    late = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)  # 23:30 WIB on 10 March
    await event("signing_key.active", late, "malam")
    await event("signing_key.active", late + timedelta(hours=1), "dini-hari")  # 00:30 WIB on 11 March
    await event("signing_key.active", datetime(2026, 3, 9, 16, 59, tzinfo=UTC), "kemarin")  # 23:59 WIB, 9 March

    tenth = await client.get("/admin/audit", params={"from": "2026-03-10", "to": "2026-03-10"})
    (row,) = rows(tenth.text, "audit-table")
    assert "malam" in row
    assert "10 Mar 2026 23.30 WIB" in row
    eleventh = await client.get("/admin/audit", params={"from": "2026-03-11", "action": "signing_key.active"})
    (row,) = rows(eleventh.text, "audit-table")
    assert "dini-hari" in row
    download = await client.get("/admin/audit/audit.csv", params={"from": "2026-03-10", "to": "2026-03-10"})
    csv_rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert [(r["object_id"], r["occurred_at"]) for r in csv_rows] == [("malam", "2026-03-10T23:30:00+07:00")]

    wrong = await client.get("/admin/audit", params={"from": "10/03/2026", "to": "2026-03-10"})
    assert wrong.status_code == 422
    assert "TTTT-BB-HH" in problem_beside(wrong.text, "from")
    backwards = await client.get("/admin/audit", params={"from": "2026-03-11", "to": "2026-03-10"})
    assert backwards.status_code == 422
    assert "sebelum tanggal awal" in problem_beside(backwards.text, "to")
    # The day after 9999-12-31, or 0001-01-01 in UTC, does not exist: that was a 500.
    for first, last in (("0001-01-01", "2026-03-10"), ("2026-03-10", "9999-12-31")):
        far = await client.get("/admin/audit", params={"from": first, "to": last})
        assert far.status_code == 422
        field = "from" if first == "0001-01-01" else "to"
        assert "Tanggal harus antara 2000-01-01 dan 2100-12-31." in problem_beside(far.text, field)


async def test_the_log_pages_fifty_at_a_time_newest_first(make_client, create_staff):
    client = await signed_in_admin(make_client, create_staff)
    start = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
    for minute in range(60):
        await event("signing_key.created", start + timedelta(minutes=minute), f"k{minute:02d}")
    first = await client.get("/admin/audit", params={"action": "signing_key.created"})
    shown = rows(first.text, "audit-table")
    assert len(shown) == 50
    assert (object_id(shown[0]), object_id(shown[-1])) == ("k59", "k10")
    assert "Halaman 1 / 2" in first.text
    assert 'href="/admin/audit?action=signing_key.created&amp;page=2"' in first.text
    second = await client.get("/admin/audit", params={"action": "signing_key.created", "page": "2"})
    shown = rows(second.text, "audit-table")
    assert len(shown) == 10
    assert (object_id(shown[0]), object_id(shown[-1])) == ("k09", "k00")
    download = await client.get("/admin/audit/audit.csv", params={"action": "signing_key.created"})
    assert len(list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))) == 60


async def test_the_audit_log_and_accounts_are_for_the_admin_only(make_client, create_staff):
    await create_staff("analis", "dukcapil_analyst")
    analyst = await page_client(make_client)
    await sign_in(analyst, "analis")
    assert (await analyst.get("/admin/audit")).status_code == 403
    assert (await analyst.get("/admin/audit/audit.csv")).status_code == 403
    assert (await analyst.get("/admin/staf")).status_code == 403
    stranger = await page_client(make_client)
    assert (await stranger.get("/admin/audit")).status_code == 303


async def test_the_pages_read_in_english(make_client, create_staff):
    national = await national_admin(make_client, create_staff)
    await national.get("/bahasa", params={"to": "en"})
    assert "Card-signing keys" in (await national.get("/admin/kunci")).text
    assert "Rotate the signing key" in (await national.get("/admin/kunci/rotasi")).text
    client = await signed_in_admin(make_client, create_staff)
    await client.get("/bahasa", params={"to": "en"})
    assert "Dukcapil staff accounts" in (await client.get("/admin/staf")).text
    assert "Type the password again" in (await client.get("/admin/staf/baru")).text
    page = await client.get("/admin/audit")
    assert "Audit log" in page.text
    assert "Staff account created" in page.text
