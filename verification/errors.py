"""Typed errors of verification: why a scanned credential or a card is refused, each with a stable code."""

from __future__ import annotations

from core.errors import REQUIRED_FIELD, Conflict, DomainError, FieldProblem, Invalid, NotFound, RateLimited
from core.i18n import Text


class CredentialRefused(DomainError):
    """The scanned text is not a credential this service issued and still trusts (mapped to 422)."""


class QrUnreadable(CredentialRefused):
    code = "qr_unreadable"
    title = Text("Kode tidak terbaca", "Code not readable")
    detail = Text(
        "Kode ini bukan kode QR Mitra KIA atau kode manual yang dikenal. Pindai ulang atau ketik kode manualnya.",
        "This is not a Mitra KIA QR or manual code. Scan again or type the manual code.",
    )


class PresentationExpired(CredentialRefused):
    code = "presentation_expired"
    title = Text("Kode di layar sudah kedaluwarsa", "The code on the screen has expired")
    detail = Text(
        "Kode dari halaman kartu di HP orang tua hanya berlaku beberapa menit. Minta orang tua membukanya lagi.",
        "A code from the card page on a parent's phone is valid for a few minutes. Ask the parent to open it again.",
    )


class SignatureInvalid(CredentialRefused):
    code = "signature_invalid"
    title = Text("Tanda tangan kode tidak sah", "Invalid signature")
    detail = Text(
        "Kode QR ini tidak ditandatangani oleh Dukcapil atau sudah diubah. Jangan berikan manfaat.",
        "This QR code was not signed by Dukcapil or has been altered. Do not give the benefit.",
    )


class UnknownKey(CredentialRefused):
    code = "unknown_key"
    title = Text("Kunci penanda tangan tidak dikenal", "Unknown signing key")
    detail = Text(
        "Kode QR ini ditandatangani dengan kunci yang tidak dikenal.",
        "This QR code is signed with a key this service does not know.",
    )


class KeyRevoked(CredentialRefused):
    code = "key_revoked"
    title = Text("Kunci penanda tangan sudah dicabut", "Signing key revoked")
    detail = Text(
        "Kode QR ini perlu dicetak ulang oleh Dukcapil.",
        "This QR code must be reissued by Dukcapil.",
    )


class CardRefused(DomainError):
    """The credential is genuine but the card may not be used (mapped to 409)."""


class CardUnknown(CardRefused):
    code = "card_unknown"
    title = Text("Kartu tidak terdaftar", "Card not enrolled")
    detail = Text(
        "Kartu ini tidak terdaftar dalam program Mitra KIA.",
        "This card is not enrolled in the Mitra KIA programme.",
    )


class CardRevoked(CardRefused):
    code = "card_revoked"
    title = Text("Kartu sudah dicabut", "Card revoked")
    detail = Text(
        "Kartu ini sudah dicabut oleh Dukcapil dan tidak dapat dipakai.",
        "Dukcapil has revoked this card; it cannot be used.",
    )


class CardSuperseded(CardRefused):
    code = "card_superseded"
    title = Text("Kode kartu sudah diganti", "Card code replaced")
    detail = Text(
        "Kode QR ini sudah diganti dengan cetakan baru. Minta orang tua memakai stiker QR terbaru.",
        "This QR code has been replaced by a newer print. Ask the parent for the newest QR sticker.",
    )


class CardExpired(CardRefused):
    code = "card_expired"
    title = Text("Masa berlaku KIA habis", "KIA expired")
    detail = Text(
        "Anak ini sudah berusia 17 tahun; KIA tidak berlaku lagi.",
        "This child has turned 17; the KIA is no longer valid.",
    )


class CardNotFound(NotFound):
    code = "card_not_found"
    title = Text("Kartu tidak ditemukan", "Card not found")


class SigningKeyNotFound(NotFound):
    code = "signing_key_not_found"
    title = Text("Kunci tidak ditemukan", "Key not found")


class StatusListNotFound(NotFound):
    code = "status_list_not_found"
    title = Text("Daftar status tidak ditemukan", "Status list not found")


class NoActiveSigningKey(Conflict):
    code = "no_active_signing_key"
    title = Text("Belum ada kunci aktif", "No active signing key")
    detail = Text(
        "Belum ada kunci penanda tangan yang aktif. Jalankan `mitrakia keys rotate`.",
        "There is no active signing key. Run `mitrakia keys rotate`.",
    )


class KeyTransitionRefused(Conflict):
    code = "invalid_key_transition"
    title = Text("Perubahan status kunci tidak diizinkan", "Key status change not allowed")
    detail = Text(
        "Kunci berstatus '{current}' tidak dapat menjadi '{target}'.",
        "A key with status '{current}' cannot become '{target}'.",
    )


class CardChanged(Conflict):
    code = "card_changed"
    title = Text("Kartu sudah berubah", "The card has changed")
    detail = Text(
        "Kartu ini diubah orang lain sejak Anda membukanya (sekarang versi {cv}). Muat ulang halaman kartu, periksa, "
        "lalu ulangi bila masih perlu.",
        "Someone else changed this card since you opened it (now version {cv}). Reload the card's page, check it, "
        "then try again if it is still needed.",
    )


class ReissueReasonRefused(Invalid):
    """A new sticker is for a lost or damaged one; the other reasons end the card."""

    code = "reissue_reason_not_allowed"

    def __init__(self, reason: str) -> None:
        super().__init__([FieldProblem("reason", self.code, REISSUE_ONLY, {"reason": reason})], reason=reason)


REISSUE_ONLY = Text(
    "Terbitkan ulang hanya untuk stiker yang hilang atau rusak (bukan '{reason}'); untuk alasan lain, cabut kartunya.",
    "Reissue only for a lost or damaged sticker (not '{reason}'); for other reasons, revoke the card.",
)


class CardNotActive(Conflict):
    code = "card_not_active"
    title = Text("Kartu tidak aktif", "Card not active")
    detail = Text(
        "Tindakan ini hanya untuk kartu aktif (status sekarang: {status}).",
        "This is only possible for an active card (current status: {status}).",
    )


# --- eligibility: why an offer does not apply to this card, here, now -----------------------------------------


class Ineligible(Conflict):
    """The card is fine, but this offer does not apply now (mapped to 409; minimum purchase to 422)."""

    def extra(self, language: str) -> dict[str, object]:
        shown: dict[str, object] = {"reason_code": self.code}
        for key in ("period", "next_eligible_at", "remaining"):
            if key in self.params:
                shown[key] = self.params[key]
        return shown


class OfferPaused(Ineligible):
    code = "offer_paused"
    title = Text("Penawaran sedang dihentikan", "Offer paused")
    detail = Text("Penawaran ini sedang dihentikan sementara oleh mitra.", "The partner has paused this offer.")


class OfferQuotaExhausted(Ineligible):
    code = "offer_quota_exhausted"
    title = Text("Kuota habis", "Quota used up")
    detail = Text("Kuota penawaran ini sudah habis.", "This offer's quota is used up.")


class OfferBudgetExhausted(Ineligible):
    code = "offer_budget_exhausted"
    title = Text("Anggaran habis", "Budget used up")
    detail = Text("Anggaran penawaran ini sudah habis.", "This offer's budget is used up.")


class OutletNotEligible(Ineligible):
    code = "outlet_not_eligible"
    title = Text("Tidak berlaku di outlet ini", "Not valid at this outlet")
    detail = Text("Penawaran ini tidak berlaku di outlet ini.", "This offer is not valid at this outlet.")


class OutsideDates(Ineligible):
    code = "outside_dates"
    title = Text("Di luar masa berlaku", "Outside its dates")
    detail = Text("Penawaran ini berlaku {valid}.", "This offer runs {valid_en}.")


class BlackoutDate(Ineligible):
    code = "blackout_date"
    title = Text("Tidak berlaku hari ini", "Not valid today")
    detail = Text("Tidak berlaku hari ini ({label}).", "Not valid today ({label}).")


class WeekdayNotEligible(Ineligible):
    code = "weekday_not_eligible"
    title = Text("Tidak berlaku hari ini", "Not valid on this day")
    detail = Text("Hanya berlaku {days}.", "Valid only {days_en}.")


class OutsideHours(Ineligible):
    code = "outside_hours"
    title = Text("Di luar jam berlaku", "Outside its hours")
    detail = Text("Hanya berlaku pukul {start}–{end}.", "Valid only {start_en}–{end_en}.")


class AgeBelowMinimum(Ineligible):
    code = "age_below_minimum"
    title = Text("Anak belum cukup umur", "Child too young")
    detail = Text("Khusus anak usia {age_min}–{age_max} tahun.", "For children aged {age_min}–{age_max} only.")


class AgeAboveMaximum(Ineligible):
    code = "age_above_maximum"
    title = Text("Anak melebihi batas usia", "Child too old")
    detail = Text("Khusus anak usia {age_min}–{age_max} tahun.", "For children aged {age_min}–{age_max} only.")


class RegionNotEligible(Ineligible):
    code = "region_not_eligible"
    title = Text("Di luar wilayah penawaran", "Outside the offer's regions")
    detail = Text(
        "Khusus anak yang berdomisili di wilayah tertentu.", "Only for children living in particular regions."
    )


class OutletClosed(Ineligible):
    code = "outlet_closed"
    title = Text("Outlet sedang tutup", "The outlet is closed")
    detail = Text("Outlet ini buka lagi {opens}.", "This outlet opens again {opens_en}.")


class NotEligibleForCard(Ineligible):
    """A region refusal said plainly, where the partner's offers restrict regions in several ways: which of them a
    card passes would tell, together, where the child lives."""

    code = "not_eligible_for_card"
    title = Text("Tidak berlaku untuk kartu ini", "Not valid for this card")
    detail = Text("Penawaran ini tidak berlaku untuk kartu ini.", "This offer is not valid for this card.")


class CardRegionNotEligible(Ineligible):
    code = "card_region_not_eligible"
    title = Text("KIA dari daerah lain", "A KIA from elsewhere")
    detail = Text(
        "Penawaran ini khusus KIA yang diterbitkan di kabupaten/kota tempat penawaran berlaku.",
        "This offer is only for KIAs issued in the kabupaten/kota where it runs.",
    )


class HolderLimitReached(Ineligible):
    code = "holder_limit_reached"
    title = Text("Batas pemakaian tercapai", "Limit reached")
    detail = Text("{message}", "{message_en}")


class MinimumPurchaseNotMet(Ineligible):
    code = "minimum_purchase_not_met"
    title = Text("Belanja belum mencapai minimum", "Below the minimum purchase")
    detail = Text("Minimal belanja {minimum}.", "The minimum purchase is {minimum}.")


class PurchaseAmountRequired(Invalid):
    """Bad input, not a refusal: nothing is written and the child's limit is not used."""

    code = "purchase_amount_required"
    title = Text("Jumlah belanja wajib diisi", "Purchase amount required")
    detail = Text(
        "Potongan penawaran ini bergantung pada jumlah belanja: isi purchase_amount (rupiah, angka bulat).",
        "This offer's discount depends on the purchase: give purchase_amount (whole rupiah).",
    )

    def __init__(self) -> None:
        super().__init__([FieldProblem("purchase_amount", "required", REQUIRED_FIELD)])


# --- the till's other refusals ------------------------------------------------------------------------------


class IdempotencyKeyRequired(Invalid):
    code = "idempotency_key_required"
    title = Text("Idempotency-Key wajib", "Idempotency-Key required")
    detail = Text(
        "Kirim header Idempotency-Key yang unik untuk setiap penukaran (dan sama saat mengulang).",
        "Send a unique Idempotency-Key header with each redemption (and the same one when retrying).",
    )


class IdempotencyKeyReused(Invalid):
    code = "idempotency_key_reused"
    title = Text("Idempotency-Key sudah dipakai", "Idempotency-Key already used")
    detail = Text(
        "Kunci ini sudah dipakai untuk permintaan lain. Buat kunci baru untuk penukaran baru.",
        "This key was used for a different request. Use a new key for a new redemption.",
    )


class IdempotencyKeyInFlight(Conflict):
    code = "idempotency_key_in_flight"
    title = Text("Permintaan yang sama masih diproses", "The same request is still being processed")
    detail = Text(
        "Tunggu sebentar lalu coba lagi dengan kunci yang sama.", "Wait a moment and retry with the same key."
    )

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "1"}


class OutletInactive(Conflict):
    code = "outlet_inactive"
    title = Text("Outlet tidak aktif", "Outlet inactive")
    detail = Text("Outlet ini sedang dinonaktifkan oleh mitra.", "The partner has deactivated this outlet.")


class RedemptionNotFound(NotFound):
    code = "redemption_not_found"
    title = Text("Penukaran tidak ditemukan", "Redemption not found")


class VoidWindowClosed(Conflict):
    code = "void_window_closed"
    title = Text("Batas waktu pembatalan sudah lewat", "Too late to void")
    detail = Text(
        "Penukaran hanya dapat dibatalkan sampai {until}.", "A redemption can be voided only until {until_en}."
    )


class ScanThrottled(RateLimited):
    code = "scan_rate_limited"
    title = Text("Terlalu banyak pemindaian", "Too many scans")
    detail = Text("Terlalu banyak pemindaian. Coba lagi dalam {retry_after} detik.",
                  "Too many scans. Try again in {retry_after} seconds.")  # fmt: skip


class PresentationThrottled(RateLimited):
    code = "presentation_rate_limited"
    title = Text("Terlalu banyak permintaan kode", "Too many code requests")
    detail = Text("Terlalu banyak permintaan kode kartu. Coba lagi dalam {retry_after} detik.",
                  "Too many card code requests. Try again in {retry_after} seconds.")  # fmt: skip


class CardCheckThrottled(RateLimited):
    code = "card_check_rate_limited"
    title = Text("Terlalu banyak pengecekan kartu", "Too many card checks")
    detail = Text("Terlalu banyak pengecekan kartu dari jaringan ini. Coba lagi dalam {retry_after} detik.",
                  "Too many card checks from this network. Try again in {retry_after} seconds.")  # fmt: skip


class ManualCodeThrottled(RateLimited):
    code = "manual_code_rate_limited"
    title = Text("Terlalu banyak kode manual", "Too many manual codes")
    detail = Text(
        "Terlalu banyak kode manual diketik. Pindai QR-nya, atau coba lagi dalam {retry_after} detik.",
        "Too many manual codes typed. Scan the QR, or try again in {retry_after} seconds.",
    )


class CardVelocity(RateLimited):
    code = "card_velocity"
    title = Text("Kartu dipakai di terlalu banyak tempat", "Card used in too many places")
    detail = Text(
        "Kartu ini baru saja dipindai di beberapa outlet lain. Sudah dicatat untuk diperiksa Dukcapil.",
        "This card was just scanned at several other outlets. It has been flagged for Dukcapil to check.",
    )


def refusal_titles(language: str) -> dict[str, str]:
    """Short titles of every refusal reason code (as the till shows them), for reports and their downloads."""
    titles: dict[str, str] = {}
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        kind = pending.pop()
        pending.extend(kind.__subclasses__())
        titles.setdefault(kind.code, kind.title.render(language))
    return titles
