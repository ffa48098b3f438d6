"""Typed errors of Dukcapil's work."""

from __future__ import annotations

from core.errors import Conflict, FieldProblem, Invalid, NotFound
from core.i18n import Text

NOT_A_DUKCAPIL_ROLE = Text(
    "Akun Dukcapil berperan dukcapil_admin atau dukcapil_analyst.",
    "Dukcapil accounts have the role dukcapil_admin or dukcapil_analyst.",
)


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
