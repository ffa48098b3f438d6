"""A parent's access request (UU PDP art. 7): everything the service holds about one child, for Dukcapil to hand
over — the card and its history, the consent record, and every redemption with the partner, outlet and date. Never
another child's data, and only a card of the requesting clerk's office (another office's answers 404)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from admin.service.documents import Document
from core.auth import CurrentUser
from core.localtime import utc_now
from core.money import format_rupiah
from core.service.audit import record_event
from core.web import plain, tanggal, waktu
from partners.tables import Offer, Outlet, Partner
from verification.service import cards
from verification.tables import Redemption

WHAT_IS_KEPT = (
    "Mitra KIA menyimpan untuk anak ini: status kartu dan riwayatnya, tahun dan tanggal lahir (selama persetujuan "
    "berlaku), kelurahan, tanggal cetak KIA, catatan persetujuan orang tua, dan setiap penukaran (mitra, outlet, "
    "tanggal, nilai). NIK hanya disimpan sebagai hash berkunci; nama dan alamat tidak pernah disimpan. Mitra tidak "
    "pernah melihat NIK, nama, tanggal lahir atau alamat anak. / Mitra KIA holds for this child: the card's status "
    "and history, the birth year and date (while consent stands), the kelurahan, the KIA print date, the parent's "
    "consent record, and every redemption (partner, outlet, date, amounts). The NIK only as a keyed hash; the name "
    "and address never. Partners never see the child's NIK, name, birth date or address."
)


async def access_request(card_id: uuid.UUID, reader: CurrentUser, today: date) -> dict[str, Any]:
    """The child's data as one document (JSON); the request itself is an audit event."""
    card = await cards.detail(card_id, today, reader)  # another office's card: not found
    rows = await (
        Redemption.select(
            Redemption.receipt_code, Redemption.redeemed_at, Redemption.local_date, Redemption.partner,
            Redemption.outlet, Redemption.offer, Redemption.purchase_amount, Redemption.discount_amount,
            Redemption.status, Redemption.voided_at, Redemption.void_reason,
        )
        .where(Redemption.card == card_id)
        .order_by(Redemption.redeemed_at)
    )  # fmt: skip
    names = await _names(rows)
    redemptions = [
        {
            **row,
            "partner": names["partner"].get(row["partner"], ""),
            "outlet": names["outlet"].get(row["outlet"], ""),
            "offer": names["offer"].get(row["offer"], ""),
        }
        for row in rows
    ]
    await record_event("card.access_request", "card", card_id, actor=reader, after={"redemptions": len(rows)})
    return {
        "generated_at": utc_now(),
        "card": plain(card),
        "redemptions": plain(redemptions),
        "what_is_kept": WHAT_IS_KEPT,
    }


def as_pdf(document: dict[str, Any], zone: str) -> bytes:
    """The same document as a PDF to print and hand to the parent (Indonesian, with the English of what is kept)."""
    document = msgspec.to_builtins(document)  # times as ISO 8601, ids as text
    card = document["card"]
    local = ZoneInfo(zone)
    pdf = Document("Data anak dalam program Mitra KIA", "Permintaan akses orang tua (UU PDP 27/2022 pasal 7)")

    def day(value: Any) -> str:
        return tanggal(str(value)[:10]) if value else "-"

    def moment(value: Any) -> str:
        if not value:
            return "-"
        instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return f"{tanggal(instant.astimezone(local))} {waktu(instant, zone)}"

    pdf.facts([
        ("Dibuat", moment(document["generated_at"])),
        ("Kartu", f"{card['id']} (kode manual {card['manual_code']})"),
        ("Status kartu", f"{card['status']}" + (f" ({card['status_reason']})" if card["status_reason"] else "")),
        ("Tahun lahir / usia", f"{card['birth_year']} / {card['age_years'] if card['age_years'] is not None else '-'}"),
        ("Kelurahan", card["kelurahan_code"]),
        ("KIA dicetak", day(card["kia_printed_on"])),
        ("Terdaftar di program", f"{day(card['enrolled_on'])} ({card['channel']})"),
        ("Persetujuan orang tua", f"{card['consent_guardian'] or '-'}, naskah {card['consent_version'] or '-'}, "
                                  f"{moment(card['consent_at'])}"),
    ])  # fmt: skip
    pdf.section("Riwayat kartu", "")
    pdf.table(
        ["Waktu", "Kejadian", "Versi", "Alasan"],
        [[moment(e.get("occurred_at")), str(e.get("event", "")), str(e.get("cv", "")), str(e.get("reason") or "")]
         for e in card["history"]],
    )  # fmt: skip
    pdf.section("Penukaran", "" if document["redemptions"] else "Belum ada penukaran.")
    if document["redemptions"]:
        pdf.table(
            ["Tanggal", "Mitra", "Outlet", "Penawaran", "Belanja", "Potongan", "Status"],
            [[day(r["local_date"]), r["partner"], r["outlet"], r["offer"], format_rupiah(r["purchase_amount"]),
              format_rupiah(r["discount_amount"]),
              r["status"] + (f" ({r['void_reason']})" if r.get("void_reason") else "")]
             for r in document["redemptions"]],
        )  # fmt: skip
    pdf.section("Yang disimpan / What is kept", document["what_is_kept"])
    return pdf.output()


async def _names(rows: list[dict[str, Any]]) -> dict[str, dict[uuid.UUID, str]]:
    def ids(key: str) -> list[uuid.UUID]:
        return sorted({row[key] for row in rows})

    found: dict[str, dict[uuid.UUID, str]] = {"partner": {}, "outlet": {}, "offer": {}}
    if not rows:
        return found
    found["partner"] = {r["id"]: r["name"] for r in await Partner.select(Partner.id, Partner.name).where(
        Partner.id.is_in(ids("partner")))}  # fmt: skip
    found["outlet"] = {r["id"]: r["name"] for r in await Outlet.select(Outlet.id, Outlet.name).where(
        Outlet.id.is_in(ids("outlet")))}  # fmt: skip
    found["offer"] = {r["id"]: r["title"] for r in await Offer.select(Offer.id, Offer.title).where(
        Offer.id.is_in(ids("offer")))}  # fmt: skip
    return found
