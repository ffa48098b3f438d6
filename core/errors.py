"""Typed domain errors and their RFC 9457 problem+json rendering, in Bahasa Indonesia or English."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, ClassVar

from core.i18n import Text
from core.money import MAX_RUPIAH, NOT_WHOLE_RUPIAH, RUPIAH_OUT_OF_RANGE, format_rupiah

PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One invalid field: a dotted path (`benefit.percent`), a stable code and a bilingual message."""

    field: str
    code: str
    message: Text
    params: Mapping[str, Any] = dataclass_field(default_factory=dict)

    def as_dict(self, language: str) -> dict[str, Any]:
        return {
            "field": self.field,
            "code": self.code,
            "message": self.message.render(language, **self.params),
        }


class DomainError(Exception):
    """A fact a service reports (`CardRevoked`), never an HTTP status; app.py maps each family to one status."""

    code: ClassVar[str] = "error"
    title: ClassVar[Text] = Text("Terjadi kesalahan", "Something went wrong")
    detail: ClassVar[Text | None] = None

    # The language it was first answered in, when it must be answered again the same way (an idempotent replay is
    # byte-identical to the first answer, whatever the retry's Accept-Language); None: the request's.
    answered_in: str | None = None

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(self.code)

    def render_detail(self, language: str) -> str:
        template = self.detail or self.title
        return template.render(language, **self.params)

    def extra(self, language: str) -> dict[str, Any]:
        """Members added to the problem body beside the standard ones."""
        return {}

    def headers(self) -> dict[str, str]:
        return {}


class NotFound(DomainError):
    code = "not_found"
    title = Text("Tidak ditemukan", "Not found")


class Invalid(DomainError):
    """Input that parsed but breaks a rule; carries field-level problems."""

    code = "validation_failed"
    title = Text("Isian tidak valid", "Invalid input")
    detail = Text("Periksa kembali isian yang ditandai.", "Check the fields marked below.")

    def __init__(self, problems: list[FieldProblem] | None = None, **params: Any) -> None:
        self.problems = problems or []
        super().__init__(**params)

    def extra(self, language: str) -> dict[str, Any]:
        return {"errors": [problem.as_dict(language) for problem in self.problems]}


class Conflict(DomainError):
    code = "conflict"
    title = Text("Bertentangan dengan keadaan saat ini", "Conflicts with the current state")


class Unauthenticated(DomainError):
    code = "not_authenticated"
    title = Text("Perlu masuk", "Authentication required")


class Forbidden(DomainError):
    code = "forbidden"
    title = Text("Tidak diizinkan", "Not allowed")


class RateLimited(DomainError):
    code = "too_many_requests"
    title = Text("Terlalu banyak percobaan", "Too many attempts")

    def __init__(self, retry_after: int, **params: Any) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(retry_after=self.retry_after, **params)

    def extra(self, language: str) -> dict[str, Any]:
        return {"retry_after": self.retry_after}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Unavailable(DomainError):
    code = "service_unavailable"
    title = Text("Layanan sedang tidak tersedia", "Service temporarily unavailable")


class DatabaseUnavailable(Unavailable):
    """The database cannot be reached or written right now (docs/operations.md): nothing was half-written, a retry
    is safe. One code for both: a client does the same (retry after Retry-After); /ready tells operators which."""

    code = "database_unavailable"
    title = Text("Basis data tidak tersedia", "Database unavailable")
    detail = Text(
        "Layanan tidak dapat menjangkau basis datanya, atau basis data sedang tidak menerima perubahan. Coba lagi "
        "sebentar lagi; permintaan yang diulang dengan Idempotency-Key yang sama tidak pernah tercatat dua kali.",
        "The service cannot reach its database, or the database is not accepting changes right now. Try again "
        "shortly; a request repeated with the same Idempotency-Key is never recorded twice.",
    )
    retry_after = 2

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


# --- problems the framework finds before a service runs (each with the status it answers) --------------------


class MalformedRequest(DomainError):
    code = "malformed_request"
    title = Text("Permintaan tidak dapat dibaca", "The request could not be read")
    detail = Text("Periksa format permintaan (JSON yang valid).", "Check the request format (valid JSON).")


class NotSignedIn(Unauthenticated):
    detail = Text(
        "Token tidak ada, kedaluwarsa, atau sudah dicabut. Silakan masuk lagi.",
        "The token is missing, expired or revoked. Please log in again.",
    )


class RoleNotAllowed(Forbidden):
    detail = Text("Peran Anda tidak boleh melakukan tindakan ini.", "Your role may not do this.")


class NoSuchAddress(NotFound):
    detail = Text("Alamat atau data yang diminta tidak ada.", "The requested address or record does not exist.")


class MethodNotAllowed(DomainError):
    code = "method_not_allowed"
    title = Text("Metode tidak diizinkan", "Method not allowed")
    detail = Text("Metode HTTP ini tidak didukung di alamat ini.", "This HTTP method is not supported here.")


class BodyTooLarge(DomainError):
    code = "body_too_large"
    title = Text("Isi permintaan terlalu besar", "Request body too large")
    detail = Text("Isi permintaan melebihi batas ukuran.", "The request body exceeds the size limit.")


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    title = Text("Jenis isi tidak didukung", "Unsupported media type")
    detail = Text("Kirim isi sebagai application/json.", "Send the body as application/json.")


class TooManyRequests(DomainError):
    code = "too_many_requests"
    title = Text("Terlalu banyak permintaan", "Too many requests")
    detail = Text("Coba lagi nanti.", "Try again later.")


class InternalError(DomainError):
    code = "internal_error"
    title = Text("Terjadi kesalahan di server", "Internal server error")
    detail = Text(
        "Kesalahan ini sudah dicatat. Coba lagi sebentar lagi.", "The error has been logged. Please try again shortly."
    )


class ServiceUnavailable(Unavailable):
    detail = Text("Coba lagi sebentar lagi.", "Please try again shortly.")


# A framework's HTTP status -> the problem it stands for (core.problems renders it like any domain error).
HTTP_PROBLEMS: dict[int, type[DomainError]] = {
    400: MalformedRequest,
    401: NotSignedIn,
    403: RoleNotAllowed,
    404: NoSuchAddress,
    405: MethodNotAllowed,
    413: BodyTooLarge,
    415: UnsupportedMediaType,
    429: TooManyRequests,
    500: InternalError,
    503: ServiceUnavailable,
}

REQUIRED_FIELD = Text("Wajib diisi.", "This field is required.")
WRONG_TYPE = Text("Jenis nilai salah: seharusnya {expected}.", "Wrong type: expected {expected}.")
OUT_OF_RANGE = Text("Nilai di luar batas ({constraint}).", "Value out of range ({constraint}).")
UNKNOWN_FIELD = Text("Kolom tidak dikenal.", "Unknown field.")
NOT_WHOLE_RUPIAH_TEXT = Text(
    "Jumlah rupiah harus angka bulat JSON tanpa titik, koma, desimal atau tanda kutip, mis. 100000.",
    "A rupiah amount must be a JSON whole number without dots, commas, decimals or quotes, e.g. 100000.",
)
INVALID_VALUE = Text("Nilai tidak valid: {reason}", "Invalid value: {reason}")

_TYPE_NAMES = {
    "str": Text("teks", "text"),
    "int": Text("bilangan bulat", "a whole number"),
    "bool": Text("true/false", "true/false"),
    "float": Text("angka", "a number"),
    "array": Text("daftar", "a list"),
    "object": Text("objek", "an object"),
    "null": Text("kosong (null)", "null"),
}
_MISSING = re.compile(r"Object missing required field `(?P<name>[^`]+)`")
_TYPE = re.compile(r"Expected `(?P<expected>[^`]+)`, got `(?P<got>[^`]+)`")
_RANGE = re.compile(r"Expected `[^`]+` (?:of length )?(?P<constraint>[<>=!]+ ?-?[\d.]+)")
_UNKNOWN = re.compile(r"Object contains unknown field `(?P<name>[^`]+)`")
_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`")


def field_problem_from_decoder(message: str) -> FieldProblem:
    """Turn one msgspec decode message (English, technical) into a bilingual field problem."""
    path_match = _PATH.search(message)
    path = path_match.group("path").lstrip(".") if path_match else ""
    if match := _MISSING.search(message):
        name = match.group("name")
        return FieldProblem(f"{path}.{name}".lstrip("."), "required", REQUIRED_FIELD)
    if match := _UNKNOWN.search(message):
        name = match.group("name")
        return FieldProblem(f"{path}.{name}".lstrip("."), "unknown_field", UNKNOWN_FIELD)
    if match := _TYPE.search(message):
        first = match.group("expected").split(" | ")[0]
        expected = _TYPE_NAMES.get(first, Text(first, first))
        return FieldProblem(
            path,
            "wrong_type",
            Text(WRONG_TYPE.id.format(expected=expected.id), WRONG_TYPE.en.format(expected=expected.en)),
        )
    if message.startswith(NOT_WHOLE_RUPIAH):
        return FieldProblem(path, NOT_WHOLE_RUPIAH, NOT_WHOLE_RUPIAH_TEXT)
    if message.startswith(RUPIAH_OUT_OF_RANGE):
        return FieldProblem(path, "out_of_range", OUT_OF_RANGE, {"constraint": f"0–{format_rupiah(MAX_RUPIAH)}"})
    if match := _RANGE.search(message):
        return FieldProblem(path, "out_of_range", OUT_OF_RANGE, {"constraint": match.group("constraint")})
    reason = _PATH.sub("", message)
    return FieldProblem(path, "invalid", INVALID_VALUE, {"reason": reason})


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    title = Text("Nama pengguna atau kata sandi salah", "Wrong username or password")


class LoginThrottled(RateLimited):
    code = "login_throttled"
    title = Text("Terlalu banyak percobaan masuk", "Too many login attempts")
    detail = Text(
        "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {retry_after} detik.",
        "Too many failed login attempts. Try again in {retry_after} seconds.",
    )


class UsernameTaken(Conflict):
    code = "username_taken"
    title = Text("Nama pengguna sudah dipakai", "Username already taken")
    detail = Text("Nama pengguna '{username}' sudah dipakai.", "The username '{username}' is already taken.")


class StaffUserNotFound(NotFound):
    code = "staff_user_not_found"
    title = Text("Pengguna tidak ditemukan", "User not found")


class RegionQueryTooBroad(Invalid):
    code = "region_query_too_broad"
    title = Text("Permintaan wilayah terlalu luas", "Region query too broad")
    detail = Text(
        "Sebutkan wilayah induk (parent) atau kata pencarian (q): kecamatan dan kelurahan/desa seluruh Indonesia "
        "berjumlah puluhan ribu.",
        "Give a parent region (parent) or a search (q): Indonesia has tens of thousands of kecamatan and "
        "kelurahan/desa.",
    )


class TooManyRegionsRetired(Conflict):
    code = "too_many_regions_retired"
    title = Text("Terlalu banyak kode wilayah akan diakhiri", "Too many region codes would be retired")
    detail = Text(
        "Berkas ini akan mengakhiri {retired} dari {in_force} kode wilayah yang berlaku (lebih dari {share}%). "
        "Periksa apakah berkasnya lengkap; bila memang benar, ulangi dengan --allow-many-retired.",
        "This file would retire {retired} of {in_force} region codes in force (more than {share}%). Check that the "
        "file is complete; if it is right, run again with --allow-many-retired.",
    )


class NotReady(Unavailable):
    code = "not_ready"
    title = Text("Layanan belum siap", "Service not ready")
    detail = Text("Belum siap: {failed}.", "Not ready: {failed}.")

    def __init__(self, checks: dict[str, str]) -> None:
        self.checks = checks
        failed = [f"{name} ({state})" for name, state in checks.items() if state not in {"ok", "not_configured"}]
        super().__init__(failed=", ".join(failed))

    def extra(self, language: str) -> dict[str, Any]:
        return {"checks": self.checks}


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line naming the variable."""

    def __init__(self, name: str, problem: str) -> None:
        self.variable = "MITRAKIA_" + name  # core.settings.PREFIX
        super().__init__(f"{self.variable}: {problem}")
