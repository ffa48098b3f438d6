"""What every page of Dukcapil's console shares: who may read and who may change, and the names of statuses and
reasons in both languages."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import Body

from core.auth import CurrentUser
from core.i18n import Language, Text
from core.pages import page_language, require_page_user
from core.settings import Settings
from core.tables import Role

# Reading is for both Dukcapil roles where the API lets the analyst read; changing is for the admin only.
DUKCAPIL = (Role.DUKCAPIL_ADMIN, Role.DUKCAPIL_ANALYST)
ADMIN = (Role.DUKCAPIL_ADMIN,)
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]

LABELS: dict[str, dict[str, Text]] = {
    "partner_status": {
        "pending": Text("Menunggu keputusan", "Awaiting a decision"),
        "approved": Text("Disetujui", "Approved"),
        "rejected": Text("Ditolak / perlu perbaikan", "Rejected / needs changes"),
        "suspended": Text("Ditangguhkan", "Suspended"),
    },
    "offer_status": {
        "draft": Text("Draf", "Draft"),
        "submitted": Text("Menunggu keputusan", "Awaiting a decision"),
        "published": Text("Tayang", "Published"),
        "rejected": Text("Ditolak", "Rejected"),
        "paused": Text("Dijeda", "Paused"),
        "ended": Text("Berakhir", "Ended"),
        "suspended": Text("Ditangguhkan", "Suspended"),
    },
    "category": {
        "bookstore": Text("Toko buku", "Bookstore"),
        "recreation": Text("Rekreasi", "Recreation"),
        "swimming_pool": Text("Kolam renang", "Swimming pool"),
        "food": Text("Makanan & minuman", "Food & drink"),
        "health": Text("Kesehatan", "Health"),
        "education": Text("Pendidikan", "Education"),
        "other": Text("Lainnya", "Other"),
    },
    "card_status": {
        "active": Text("Aktif", "Active"),
        "revoked": Text("Dicabut", "Revoked"),
        "expired": Text("Kedaluwarsa (anak sudah 17 tahun)", "Expired (the child is 17)"),
        "superseded": Text("Diganti", "Superseded"),
    },
    "revocation_reason": {
        "lost": Text("Hilang", "Lost"),
        "damaged": Text("Rusak", "Damaged"),
        "consent_withdrawn": Text("Persetujuan orang tua ditarik", "Parental consent withdrawn"),
        "deceased": Text("Anak meninggal dunia", "The child has died"),
        "data_error": Text("Kesalahan data", "Data error"),
    },
    "card_event": {
        "enrolled": Text("Terdaftar", "Enrolled"),
        "updated": Text("Data diperbarui dari SIAK", "Data updated from SIAK"),
        "printed": Text("QR dicetak", "QR printed"),
        "reissued": Text("Diterbitkan ulang", "Reissued"),
        "revoked": Text("Dicabut", "Revoked"),
        "consent_withdrawn": Text("Persetujuan ditarik, data dihapus", "Consent withdrawn, data erased"),
    },
    "key_status": {
        "pending": Text("Disiapkan", "Prepared"),
        "active": Text("Aktif: menandatangani kartu baru", "Active: signs new cards"),
        "retired": Text("Pensiun: masih memverifikasi", "Retired: still verifies"),
        "revoked": Text("Dicabut: tidak dipercaya", "Revoked: not trusted"),
    },
    "role": {
        "dukcapil_admin": Text("Admin Dukcapil", "Dukcapil admin"),
        "dukcapil_analyst": Text("Analis Dukcapil (hanya laporan)", "Dukcapil analyst (reports only)"),
    },
    "channel": {
        "dukcapil_counter": Text("Loket Dukcapil", "Dukcapil counter"),
        "school": Text("Sekolah", "School"),
        "school_whatsapp_group": Text("Grup WhatsApp sekolah", "School WhatsApp group"),
        "partner_promo": Text("Promosi mitra", "Partner promotion"),
        "outreach_event": Text("Jemput bola", "Outreach event"),
        "other": Text("Lainnya", "Other"),
    },
}


def labels(language: Language) -> dict[str, dict[str, str]]:
    """Every label in the reader's language, for templates: `labels.card_status[card.status]`."""
    return {kind: {value: text.render(language) for value, text in items.items()} for kind, items in LABELS.items()}


async def reader(request: Request[Any, Any, Any], settings: Settings) -> tuple[CurrentUser, Language]:
    """A signed-in Dukcapil user (admin or analyst) and the page language."""
    return await require_page_user(request, settings, *DUKCAPIL), page_language(request, settings.language)


async def admin(request: Request[Any, Any, Any], settings: Settings) -> tuple[CurrentUser, Language]:
    """A signed-in Dukcapil admin (anyone else: 403) and the page language."""
    return await require_page_user(request, settings, *ADMIN), page_language(request, settings.language)
