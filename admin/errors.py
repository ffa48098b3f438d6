"""Typed errors of Dukcapil's work."""

from __future__ import annotations

from core.errors import Conflict, FieldProblem, Invalid, NotFound
from core.i18n import Text

NOT_A_DUKCAPIL_ROLE = Text(
    "Akun Dukcapil berperan dukcapil_admin atau dukcapil_analyst.",
    "Dukcapil accounts have the role dukcapil_admin or dukcapil_analyst.",
)


BREAKDOWN_NOT_AT_THIS_LEVEL = Text(
    "Rincian ini tidak tersedia untuk wilayah ini: kabupaten/kota dirinci per kecamatan atau kelurahan, provinsi "
    "per kabupaten/kota (kota), dan nasional per provinsi atau per kabupaten/kota.",
    "This breakdown is not available for this region: a kabupaten/kota breaks down by kecamatan or kelurahan, a "
    "province by kabupaten/kota (kota), and the whole country by province or by kabupaten/kota.",
)


class UnknownBreakdown(Invalid):
    code = "validation_failed"

    def __init__(self) -> None:
        super().__init__([FieldProblem("breakdown", "breakdown_not_at_this_level", BREAKDOWN_NOT_AT_THIS_LEVEL)])


UPLIFT_NEEDS_A_CITY = Text(
    "Dampak peluncuran dihitung per kabupaten/kota: pilih satu kabupaten/kota (region).",
    "The uplift around a launch is computed per kabupaten/kota: choose one (region).",
)


class UpliftNeedsACity(Invalid):
    code = "validation_failed"

    def __init__(self) -> None:
        super().__init__([FieldProblem("region", "uplift_needs_a_city", UPLIFT_NEEDS_A_CITY)])


class NotADukcapilRole(Invalid):
    code = "validation_failed"

    def __init__(self) -> None:
        super().__init__([FieldProblem("role", "not_a_dukcapil_role", NOT_A_DUKCAPIL_ROLE)])


REGION_OUTSIDE_REACH = Text(
    "Wilayah kerja {region} berada di luar wilayah Anda: akun baru bekerja di wilayah Anda atau di dalamnya.",
    "The work area {region} lies outside yours: a new account works in your area or within it.",
)


class RegionOutsideReach(Invalid):
    code = "validation_failed"

    def __init__(self, region: str) -> None:
        super().__init__(
            [FieldProblem("region_code", "region_outside_reach", REGION_OUTSIDE_REACH, {"region": region})]
        )


class UnknownRegion(NotFound):
    code = "region_not_found"
    title = Text("Wilayah tidak ditemukan", "Region not found")


class CannotDisableOwnAccount(Conflict):
    """An admin who disabled themself could lock Dukcapil out of its own console."""

    code = "cannot_disable_own_account"
    title = Text("Tidak dapat menonaktifkan akun sendiri", "Cannot disable your own account")
    detail = Text(
        "Anda tidak dapat menonaktifkan akun Anda sendiri. Minta admin Dukcapil lain melakukannya.",
        "You cannot disable your own account. Ask another Dukcapil admin to do it.",
    )


class ImportNotFound(NotFound):
    code = "import_not_found"
    title = Text("Impor tidak ditemukan", "Import not found")


IMPORT_STATUS = {
    "previewing": Text("sedang dibaca", "being read"),
    "ready": Text("menunggu keputusan", "awaiting a decision"),
    "running": Text("sedang diimpor", "being imported"),
    "done": Text("sudah diimpor", "already imported"),
    "failed": Text("gagal", "failed"),
    "discarded": Text("dibatalkan", "discarded"),
}


class ImportNotReady(Conflict):
    code = "import_not_ready"
    title = Text("Impor tidak menunggu keputusan", "The import is not awaiting a decision")
    detail = Text(
        "Impor ini {status}: hanya pratinjau yang siap yang dapat diimpor atau dibatalkan.",
        "This import is {status}: only a ready preview can be imported or discarded.",
    )

    def __init__(self, status: str) -> None:
        super().__init__(status=status)

    def render_detail(self, language: str) -> str:
        status = self.params["status"]
        label = IMPORT_STATUS[status].render(language) if status in IMPORT_STATUS else status
        return self.detail.render(language, status=label) if self.detail else label


class CampaignNotFound(NotFound):
    code = "campaign_not_found"
    title = Text("Kampanye tidak ditemukan", "Campaign not found")


class ReportEventNotFound(NotFound):
    code = "report_event_not_found"
    title = Text("Peristiwa tidak ditemukan", "Event not found")


class CampaignAlreadyAttributed(Conflict):
    code = "campaign_already_attributed"
    title = Text("Kartu sudah tercatat untuk kampanye", "Card already attributed to a campaign")
    detail = Text(
        "Kartu ini sudah tercatat sebagai hasil kampanye lain; catatan itu tidak diubah.",
        "This card is already attributed to a campaign; that record is not changed.",
    )


class BreachNotFound(NotFound):
    code = "breach_not_found"
    title = Text("Catatan insiden tidak ditemukan", "Incident record not found")


class PrintRunNotFound(NotFound):
    code = "print_run_not_found"
    title = Text("Pencetakan tidak ditemukan", "Print run not found")
    detail = Text(
        "Pencetakan ini tidak ada, milik kantor lain, atau PDF-nya sudah dihapus (disimpan satu hari). Cetak lagi bila "
        "perlu.",
        "This print run does not exist, belongs to another office, or its PDF has been erased (kept for a day). Print "
        "again if needed.",
    )


CHOOSE_ONE = Text(
    "Pilih satu: kelurahan/desa atau impor registri (daftar sekolah).",
    "Choose one: a kelurahan/village or a registry import (a school's list).",
)
OUTSIDE_OFFICE = Text(
    "Kelurahan/desa ini tidak ada di wilayah kantor Anda.", "This kelurahan/village is not in your office's area."
)
NO_ACTIVE_CARDS = Text(
    "Tidak ada kartu aktif untuk dicetak di pilihan ini.", "There are no active cards to print in this choice."
)
TOO_MANY_CARDS = Text(
    "Paling banyak {most} kartu sekali cetak: pilih kelurahan/desa atau impor yang lebih kecil.",
    "At most {most} cards in one print run: choose a smaller kelurahan/village or import.",
)


class RegionTooSmall(Conflict):
    code = "region_too_small"
    title = Text("Wilayah penawaran terlalu kecil", "The offer's region is too small")
    detail = Text(
        "Kecamatan {region} tercatat {children} anak, kurang dari {minimum}: penawaran yang dibatasi ke wilayah "
        "sekecil itu bisa membuat mitra tahu di mana anak tinggal. Minta mitra memilih wilayah yang lebih luas.",
        "Kecamatan {region} has {children} children on record, fewer than {minimum}: an offer limited to so small an "
        "area could tell a partner where a child lives. Ask the partner to choose a wider region.",
    )
