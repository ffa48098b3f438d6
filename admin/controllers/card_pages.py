"""HTML for Dukcapil's work on one card at /admin/kartu: find it by the manual code under its QR (never by name or
NIK), read its status and history, print its QR, and revoke, reissue or erase it behind a confirmation page. The
same service calls as /api/v1/admin/cards, which is for the Dukcapil admin only, so these pages are too."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from litestar import Controller, Response, Router, get, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from admin.errors import CHOOSE_ONE, CampaignAlreadyAttributed
from admin.schemas import Revocation
from admin.service import access_request as parents_access
from admin.service import campaigns, print_runs, printing, reports
from core.auth import CurrentUser
from core.confirm import Acting, ConfirmedAction
from core.errors import REQUIRED_FIELD, FieldProblem, Invalid
from core.forms import problems_by_field, refusal, text, to_struct
from core.guards import requires_office_admin
from core.pages import Form
from core.service import users
from core.tables import DUKCAPIL_ROLES
from core.web import private_file
from verification.errors import CardNotFound
from verification.schemas import CardDetail
from verification.service import cards, credentials
from verification.tables import CardStatus, RevocationReason

PATH = "/admin/kartu"


class CardPages(Controller):
    @get("/", name="card_search_page", media_type=MediaType.HTML)
    async def find(self, acting: NamedDependency[Acting]) -> Any:
        raw = acting.request.query_params.get("manual_code")
        if raw is None:
            return _search("")
        try:
            if not raw.strip():
                raise Invalid([FieldProblem("manual_code", "required", REQUIRED_FIELD)])
            card_id = await cards.find_by_manual_code(raw, acting.user)
        except (Invalid, CardNotFound) as error:
            problem, status = refusal(acting.request, error, "manual_code")
            return _search(raw, problems_by_field(problem, acting.language), status)
        return Redirect(f"{PATH}/{card_id}", status_code=303)

    @get("/{card_id:uuid}", name="card_page", media_type=MediaType.HTML)
    async def read(self, card_id: FromPath[uuid.UUID], acting: NamedDependency[Acting]) -> Template:
        return await _card_page(card_id, acting)

    @post("/{card_id:uuid}/kampanye", media_type=MediaType.HTML, status_code=303)
    async def attribute_campaign(
        self, card_id: FromPath[uuid.UUID], data: Form, acting: NamedDependency[Acting]
    ) -> Any:
        """The campaign a parent names at the counter, when the registry row carried none."""
        try:
            await campaigns.attribute_card(card_id, text(data, "campaign_code"), acting.user)
        except (Invalid, CampaignAlreadyAttributed) as error:
            problem, status = refusal(acting.request, error, "campaign_code")
            return await _card_page(card_id, acting, problems_by_field(problem, acting.language), status)
        return Redirect(f"{PATH}/{card_id}?ok=kampanye-dicatat#kampanye", status_code=303)

    @get("/{card_id:uuid}/qr.png", name="card_qr_png", media_type="image/png")
    async def qr_png(self, card_id: FromPath[uuid.UUID], acting: NamedDependency[Acting]) -> Response[bytes]:
        qr, manual_code = await cards.issue_qr_text(card_id, acting.state("keyring"), acting.settings, acting.user)
        await cards.mark_printed([card_id], acting.user, via="qr_png")
        saved_as = f"kia-{credentials.format_manual_code(manual_code)}.png"
        return private_file(credentials.qr_png(qr), "image/png", saved_as)

    @get("/{card_id:uuid}/stiker.pdf", name="card_sticker_pdf", media_type="application/pdf")
    async def sticker(self, card_id: FromPath[uuid.UUID], acting: NamedDependency[Acting]) -> Response[bytes]:
        pdf = await printing.sticker_pdf([card_id], acting.state("keyring"), acting.settings, acting.user)
        return private_file(pdf, "application/pdf", f"stiker-{card_id}.pdf", inline=True)

    @get("/{card_id:uuid}/akses.pdf", name="card_access_request_pdf", media_type="application/pdf")
    async def access_request(self, card_id: FromPath[uuid.UUID], acting: NamedDependency[Acting]) -> Response[bytes]:
        """A parent's access request, printed: the same document as the API's, audited the same way."""
        document = await parents_access.access_request(card_id, acting.user, acting.settings.today())
        pdf = parents_access.as_pdf(document, acting.settings.timezone)
        return private_file(pdf, "application/pdf", f"data-anak-{card_id}.pdf")


class PrintPages(Controller):
    """Bulk printing: a kelurahan's or an import's active cards onto sticker sheets, with the run's progress."""

    path = "/cetak"

    @get("/", name="card_print_page", media_type=MediaType.HTML)
    async def form(self, acting: NamedDependency[Acting]) -> Template:
        return await _print_form(acting, {})

    @post("/", media_type=MediaType.HTML, status_code=303)
    async def start(self, data: Form, acting: NamedDependency[Acting]) -> Any:
        values = {"kelurahan_code": text(data, "kelurahan_code"), "import_id": text(data, "import_id")}
        try:
            import_id = _uuid_or_none(values["import_id"])
            run_id = await print_runs.start(acting.user, values["kelurahan_code"] or None, import_id, acting.language)
        except Invalid as problem:
            return await _print_form(acting, values, problem)
        run = BackgroundTask(print_runs.run, run_id, acting.user, acting.state("keyring"), acting.settings)
        return Redirect(f"{PATH}/cetak/{run_id}", status_code=303, background=run)

    @get("/{run_id:uuid}", name="card_print_run_page", media_type=MediaType.HTML)
    async def read(self, run_id: FromPath[uuid.UUID], user: NamedDependency[CurrentUser]) -> Template:
        return Template("admin/kartu_cetak_run.html", context={"run": await print_runs.read(run_id, user)})

    @get("/{run_id:uuid}/kemajuan", name="card_print_run_progress", media_type=MediaType.HTML)
    async def progress(self, run_id: FromPath[uuid.UUID], user: NamedDependency[CurrentUser]) -> Template:
        """The run's status block alone: htmx swaps it in every second while the run goes on."""
        return Template("admin/kartu_cetak_kemajuan.html", context={"run": await print_runs.read(run_id, user)})

    @get("/{run_id:uuid}/stiker.pdf", name="card_print_run_pdf", media_type="application/pdf")
    async def pdf(self, run_id: FromPath[uuid.UUID], user: NamedDependency[CurrentUser]) -> Response[bytes]:
        return private_file(await print_runs.pdf_of(run_id, user), "application/pdf", f"stiker-kia-{run_id}.pdf")


async def _card_page(
    card_id: uuid.UUID, acting: Acting, problems: dict[str, Any] | None = None, status: int = 200
) -> Template:  # fmt: skip
    user, card = acting.user, await _card(acting)
    await cards.viewed(card_id, user, "page")
    tree = await reports.region_tree(card.kelurahan_code)
    kecamatan = tree.parents.get(card.kelurahan_code) or ""
    return Template(
        "admin/kartu.html",
        context={
            "card": card,
            "kelurahan": (card.kelurahan_code, tree.names.get(card.kelurahan_code, "")),
            "kecamatan": (kecamatan, tree.names.get(kecamatan, "")),
            "history": await _history(card, user),
            "active": card.status is CardStatus.ACTIVE,
            "erased": card.status_reason == RevocationReason.CONSENT_WITHDRAWN,
            "campaign": await campaigns.campaign_of_card(card_id),
            "problems": problems or {},
        },
        status_code=status,
    )


def _uuid_or_none(value: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Invalid([FieldProblem("import_id", "invalid_choice", CHOOSE_ONE)]) from None


async def _print_form(acting: Acting, values: dict[str, str], problem: Invalid | None = None) -> Template:
    return Template(
        "admin/kartu_cetak.html",
        context={
            **await print_runs.choices(acting.user, acting.language),
            "runs": await print_runs.recent(acting.user),
            "values": values,
            "problems": problems_by_field(problem, acting.language),
        },
        status_code=422 if problem else 200,
    )


def _search(value: str, problems: dict[str, str] | None = None, status: int = 200) -> Template:
    return Template("admin/kartu_cari.html", context={"value": value, "problems": problems or {}}, status_code=status)


async def _history(card: CardDetail, reader: CurrentUser) -> list[dict[str, Any]]:
    """The card's events, newest first, with who did each (a staff name; None: the system, for the CLI)."""
    accounts = await users.list_users(DUKCAPIL_ROLES, reader)
    staff = {row["id"]: f"{row['display_name']} ({row['username']})" for row in accounts}
    return [
        {
            **event,
            "occurred_at": datetime.fromisoformat(event["occurred_at"]),
            "actor": staff.get(event["actor_id"], "—") if event.get("actor_id") else None,
        }
        for event in reversed(card.history)
    ]


# --- the confirmed actions: each card action asks the reason the API takes, and the version the clerk saw -------


async def _card(acting: Acting) -> CardDetail:
    """The card of the path, as the office reads it today (another office's card: 404)."""
    return await cards.detail(acting.path("card_id"), acting.settings.today(), acting.user)


def _revocation(acting: Acting) -> Revocation:
    """The form as the API's body: an empty choice is a missing field ("required")."""
    fields = {"reason": acting.text("reason"), "expected_cv": acting.text("cv")}
    return to_struct(Revocation, {name: value for name, value in fields.items() if value})


async def _revoke(acting: Acting, card: CardDetail) -> None:
    body = _revocation(acting)
    await cards.revoke(card.id, body.reason, acting.user, acting.stores, body.expected_cv)


async def _reissue(acting: Acting, card: CardDetail) -> None:
    body = _revocation(acting)
    await cards.reissue(card.id, body.reason, acting.user, acting.stores, body.expected_cv)


async def _withdraw(acting: Acting, card: CardDetail) -> None:
    await cards.withdraw_consent(card.id, acting.user, acting.stores, _version_seen(acting))


def _version_seen(acting: Acting) -> int | None:
    cv = acting.text("cv")
    return int(cv) if cv.isdigit() else None


REVOKE = ConfirmedAction(
    path="/{card_id:uuid}/cabut", name="card_revoke_page", template="admin/konfirmasi/kartu_cabut.html",
    load=_card, act=_revoke, done=lambda card: f"{PATH}/{card.id}?ok=dicabut",
    # Withdrawn consent has its own action on the page, which says that it erases.
    context={"reasons": [r for r in cards.REVOKE_REASONS if r is not RevocationReason.CONSENT_WITHDRAWN]},
)  # fmt: skip
REISSUE = ConfirmedAction(
    path="/{card_id:uuid}/terbitkan-ulang", name="card_reissue_page",
    template="admin/konfirmasi/kartu_terbitkan_ulang.html",
    load=_card, act=_reissue, done=lambda card: f"{PATH}/{card.id}?ok=diterbitkan-ulang",
    context={"reasons": cards.REISSUE_REASONS},
)  # fmt: skip
WITHDRAW_CONSENT = ConfirmedAction(
    path="/{card_id:uuid}/tarik-persetujuan", name="card_consent_withdrawal_page",
    template="admin/konfirmasi/kartu_tarik_persetujuan.html",
    load=_card, act=_withdraw, done=lambda card: f"{PATH}/{card.id}?ok=persetujuan-ditarik",
)  # fmt: skip

card_pages = Router(
    PATH,
    guards=[requires_office_admin],
    include_in_schema=False,
    route_handlers=[CardPages, PrintPages, *REVOKE.handlers(), *REISSUE.handlers(), *WITHDRAW_CONSENT.handlers()],
)
