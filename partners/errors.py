"""Typed errors of the partners layer: facts, each with a stable code and a message in both languages."""

from __future__ import annotations

from core.errors import Conflict, Forbidden, NotFound, RateLimited
from core.i18n import Text


class PartnerNotFound(NotFound):
    """Also what another partner's data answers: its existence is not confirmed."""

    code = "partner_not_found"
    title = Text("Mitra tidak ditemukan", "Partner not found")


class OutletNotFound(NotFound):
    code = "outlet_not_found"
    title = Text("Outlet tidak ditemukan", "Outlet not found")


class OfferNotFound(NotFound):
    code = "offer_not_found"
    title = Text("Penawaran tidak ditemukan", "Offer not found")


class StaffMemberNotFound(NotFound):
    code = "staff_not_found"
    title = Text("Staf tidak ditemukan", "Staff member not found")


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"
    title = Text("Kunci API tidak ditemukan", "API key not found")


class WebhookNotFound(NotFound):
    code = "webhook_not_found"
    title = Text("Webhook tidak ditemukan", "Webhook not found")


class WebhookDeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"
    title = Text("Pengiriman webhook tidak ditemukan", "Webhook delivery not found")


class AlreadyMember(Conflict):
    code = "already_partner_member"
    title = Text("Akun ini sudah terdaftar pada mitra", "This account already belongs to a partner")
    detail = Text(
        "Satu akun hanya dapat mengelola satu mitra. Masuk dengan akun lain untuk mendaftarkan mitra baru.",
        "One account manages one partner. Sign in with another account to register a new partner.",
    )


# Statuses of partners and offers as the messages below name them: plain words, not codes (pages and API alike).
STATUS_NAMES = {
    "pending": Text("Menunggu keputusan Dukcapil", "Awaiting Dukcapil's decision"),
    "approved": Text("Disetujui", "Approved"),
    "draft": Text("Draf", "Draft"),
    "submitted": Text("Menunggu persetujuan Dukcapil", "Awaiting Dukcapil's approval"),
    "published": Text("Tayang", "Published"),
    "rejected": Text("Ditolak Dukcapil", "Rejected by Dukcapil"),
    "paused": Text("Dijeda", "Paused"),
    "ended": Text("Berakhir", "Ended"),
    "suspended": Text("Ditangguhkan Dukcapil", "Suspended by Dukcapil"),
}


def status_name(code: object, language: str) -> str:
    name = STATUS_NAMES.get(str(code))
    return name.render(language) if name else str(code)


class StatusError(Conflict):
    """A refusal that names statuses: each `{name}` param that is a status is said in words."""

    def render_detail(self, language: str) -> str:
        template = self.detail or self.title
        return template.render(language, **{k: status_name(v, language) for k, v in self.params.items()})


class PartnerNotApproved(StatusError):
    code = "partner_not_approved"
    title = Text("Mitra belum disetujui", "Partner not approved")
    detail = Text(
        "Penawaran dapat diajukan setelah Dukcapil menyetujui pendaftaran mitra (status sekarang: {status}). "
        "Lihat statusnya di halaman Profil.",
        "Offers can be submitted once Dukcapil approves the partner's application (current status: {status}). "
        "See its status on the Profile page.",
    )


class PartnerNotApprovedInRegion(StatusError):
    code = "partner_not_approved_in_region"
    title = Text("Belum disetujui di kabupaten/kota ini", "Not approved in this kabupaten/kota")
    detail = Text(
        "Outlet di {city} dapat ditambahkan setelah Dukcapil {city} menyetujui mitra ini. Ajukan kerja sama di "
        "halaman Profil.",
        "An outlet in {city} can be added once Dukcapil {city} approves this partner. Apply on the Profile page.",
    )


class OfficeAlreadyApplied(StatusError):
    code = "office_already_applied"
    title = Text("Sudah diajukan", "Already applied")
    detail = Text(
        "Mitra ini sudah mengajukan kerja sama dengan Dukcapil {city} (status: {status}).",
        "This partner has already applied to Dukcapil {city} (status: {status}).",
    )


class InvalidTransition(StatusError):
    code = "invalid_status_transition"
    title = Text("Perubahan status tidak diizinkan", "Status change not allowed")
    detail = Text(
        "Tindakan ini tidak tersedia untuk status {current} (diminta: {target}). Muat ulang halaman untuk melihat "
        "statusnya sekarang.",
        "This cannot be done in the status {current} (asked: {target}). Reload the page to see its status now.",
    )


class ReasonRequired(Conflict):
    code = "reason_required"
    title = Text("Alasan wajib diisi", "A reason is required")
    detail = Text(
        "Keputusan '{target}' harus disertai alasan yang dapat dibaca mitra.",
        "The decision '{target}' needs a reason the partner can read.",
    )


class NoRevisionPending(StatusError):
    code = "no_revision_pending"
    title = Text("Tidak ada perubahan yang menunggu tinjauan", "No edit awaits review")
    detail = Text(
        "Penawaran ini tidak memiliki perubahan yang menunggu keputusan.", "This offer has no edit awaiting a decision."
    )


class OfferNotEditable(StatusError):
    code = "offer_not_editable"
    title = Text("Penawaran tidak dapat diubah", "Offer cannot be edited")
    detail = Text(
        "Penawaran berstatus {status} tidak dapat diubah. Buat penawaran baru bila ingin menawarkannya lagi.",
        "An offer in the status {status} cannot be edited. Create a new offer to offer it again.",
    )


class OutletInUse(Conflict):
    code = "outlet_has_active_cashiers"
    title = Text("Outlet masih memiliki kasir aktif", "Outlet still has active cashiers")


class CannotDisableSelf(Forbidden):
    code = "cannot_disable_self"
    title = Text("Tidak dapat menonaktifkan akun sendiri", "You cannot disable your own account")


class RegistrationThrottled(RateLimited):
    code = "registration_throttled"
    title = Text("Terlalu banyak pendaftaran", "Too many registrations")
    detail = Text(
        "Terlalu banyak pendaftaran dari alamat ini. Coba lagi dalam {retry_after} detik.",
        "Too many registrations from this address. Try again in {retry_after} seconds.",
    )
