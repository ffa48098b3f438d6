"""Typed errors of verification: why a scanned credential or a card is refused, each with a stable code."""

from __future__ import annotations

from core.errors import Conflict, DomainError, NotFound
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


class CardNotActive(Conflict):
    code = "card_not_active"
    title = Text("Kartu tidak aktif", "Card not active")
    detail = Text(
        "Tindakan ini hanya untuk kartu aktif (status sekarang: {status}).",
        "This is only possible for an active card (current status: {status}).",
    )
