"""HTML for the card-signing keys at /admin/kunci: their states, a rotation and a revocation, each behind a
confirmation page. The same service calls (and the same key ring refresh) as /api/v1/admin/keys; never a private
key."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from admin.controllers.console import admin, labels
from core.auth import PUBLIC
from core.errors import DomainError
from core.forms import Confirmation, confirmation_page, notice, problem_of
from core.i18n import Language, Text
from core.settings import Settings
from partners.controllers.pages import refusal_status
from verification.errors import SigningKeyNotFound
from verification.service import keys
from verification.service.keys import KeyRing
from verification.tables import KeyStatus

PATH = "/admin/kunci"
MESSAGES = {
    "dirotasi": Text(
        "Kunci baru aktif dan menandatangani kartu yang dicetak mulai sekarang. Kunci lama tetap memverifikasi.",
        "The new key is active and signs the cards printed from now on. The old key still verifies.",
    ),
    "dicabut": Text(
        "Kunci dicabut. Kartu yang ditandatanganinya tidak lagi lolos verifikasi.",
        "Key revoked. The cards it signed no longer pass verification.",
    ),
}
MEANING = {
    KeyStatus.PENDING: Text("Dibuat tetapi belum pernah menandatangani kartu.", "Created but has never signed a card."),
    KeyStatus.ACTIVE: Text(
        "Menandatangani setiap kartu yang dicetak sekarang, dan memverifikasinya.",
        "Signs every card printed now, and verifies them.",
    ),
    KeyStatus.RETIRED: Text(
        "Tidak menandatangani kartu baru, tetapi kartu yang sudah dicetak dengannya tetap lolos verifikasi.",
        "Signs no new cards, but the cards already printed with it still pass verification.",
    ),
    KeyStatus.REVOKED: Text(
        "Tidak dipercaya lagi: kartu yang ditandatanganinya ditolak kasir dan harus diterbitkan ulang.",
        "No longer trusted: cashiers refuse the cards it signed and they must be reissued.",
    ),
}


class SigningKeyPages(Controller):
    path = PATH
    opt = {PUBLIC: True}  # pages: `admin()` checks the session cookie and the role (the API's keys are admin-only)
    include_in_schema = False

    @get("/", name="signing_keys_page", media_type=MediaType.HTML)
    async def list_keys(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        _, language = await admin(request, settings)
        found = await keys.list_keys()
        return Template(
            "admin/kunci.html",
            context={
                "keys": found[::-1],  # newest first
                "meaning": {status.value: text.render(language) for status, text in MEANING.items()},
                "labels": labels(language),
                "notice": notice(request, MESSAGES, language),
                "has_active": any(key.status is KeyStatus.ACTIVE for key in found),
            },
        )

    @get("/rotasi", name="signing_key_rotate_page", media_type=MediaType.HTML)
    async def confirm_rotation(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        _, language = await admin(request, settings)
        return confirmation_page(await _rotation(language), language)

    @post("/rotasi", media_type=MediaType.HTML, status_code=303)
    async def rotate(
        self, request: Request[Any, Any, Any], settings: NamedDependency[Settings], keyring: NamedDependency[KeyRing]
    ) -> Any:
        user, language = await admin(request, settings)
        try:
            await keys.rotate(settings, user)
        except DomainError as error:
            return confirmation_page(
                await _rotation(language), language, problem=problem_of(error), status=refusal_status(error)
            )
        keyring.invalidate()
        return Redirect(f"{PATH}?ok=dirotasi", status_code=303)

    @get("/{kid:str}/cabut", name="signing_key_revoke_page", media_type=MediaType.HTML)
    async def confirm_revocation(
        self, request: Request[Any, Any, Any], kid: FromPath[str], settings: NamedDependency[Settings]
    ) -> Template:
        _, language = await admin(request, settings)
        return confirmation_page(await _revocation(kid, language), language)

    @post("/{kid:str}/cabut", media_type=MediaType.HTML, status_code=303)
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        kid: FromPath[str],
        settings: NamedDependency[Settings],
        keyring: NamedDependency[KeyRing],
    ) -> Any:
        user, language = await admin(request, settings)
        confirmation = await _revocation(kid, language)
        try:
            await keys.revoke_key(kid, user)
        except DomainError as error:
            return confirmation_page(confirmation, language, problem=problem_of(error), status=refusal_status(error))
        keyring.invalidate()
        return Redirect(f"{PATH}?ok=dicabut", status_code=303)


async def _rotation(language: Language) -> Confirmation:
    active = next((key.kid for key in await keys.list_keys() if key.status is KeyStatus.ACTIVE), None)
    consequences = [
        Text(
            "Kunci baru dibuat dan langsung menandatangani setiap kartu yang dicetak mulai sekarang.",
            "A new key is created and signs every card printed from now on.",
        ),
        Text(
            "Kunci yang aktif sekarang ({kid}) pensiun: tidak menandatangani kartu baru, tetapi kartu yang sudah "
            "dicetak dengannya tetap lolos verifikasi. Tidak ada kartu yang perlu dicetak ulang.",
            "The key active now ({kid}) retires: it signs no new cards, but the cards already printed with it "
            "still pass verification. No card needs to be printed again.",
        )
        if active
        else None,
        Text(
            "Kasir mengenali kunci baru dalam satu menit tanpa perlu melakukan apa pun.",
            "Cashiers' devices recognise the new key within a minute without doing anything.",
        ),
    ]
    return Confirmation(
        layout="admin/layout.html",
        title=Text("Rotasi kunci penandatangan", "Rotate the signing key").render(language),
        consequences=[line.render(language, kid=active) for line in consequences if line is not None],
        action=f"{PATH}/rotasi",
        button=Text("Buat kunci baru dan aktifkan", "Create a new key and activate it").render(language),
        back=PATH,
        danger=False,
    )


async def _revocation(kid: str, language: Language) -> Confirmation:
    key = next((key for key in await keys.list_keys() if key.kid == kid), None)
    if key is None:
        raise SigningKeyNotFound()
    status = key.status
    consequences = [
        Text(
            "PERHATIAN: setiap kartu KIA yang ditandatangani kunci ini BERHENTI lolos verifikasi. Kasir akan "
            "menolaknya dan orang tua harus meminta Dukcapil menerbitkan ulang kode QR-nya.",
            "WARNING: every KIA card signed by this key STOPS passing verification. Cashiers will refuse it and "
            "parents must ask Dukcapil to reissue its QR code.",
        ),
        Text(
            "Cabut kunci hanya bila kunci ini bocor atau tidak dapat dipercaya lagi. Tindakan ini tidak dapat "
            "dibatalkan.",
            "Revoke a key only if it leaked or can no longer be trusted. This cannot be undone.",
        ),
    ]
    if status is KeyStatus.ACTIVE:
        consequences.append(
            Text(
                "Ini kunci yang aktif: setelah dicabut tidak ada kartu baru yang dapat dicetak sampai Anda merotasi "
                "kunci. Sebaiknya rotasi dulu, lalu cabut kunci lama.",
                "This is the active key: once revoked, no new card can be printed until you rotate. Better rotate "
                "first, then revoke the old key.",
            )
        )
    return Confirmation(
        layout="admin/layout.html",
        title=Text("Cabut kunci {kid}?", "Revoke key {kid}?").render(language, kid=kid),
        subject=labels(language)["key_status"][status.value],
        consequences=[line.render(language) for line in consequences],
        action=f"{PATH}/{kid}/cabut",
        button=Text("Ya, cabut kunci ini", "Yes, revoke this key").render(language),
        back=PATH,
    )
