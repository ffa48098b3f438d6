"""Every HTML page of the app, read from its route table: which routes are pages, how to fill their path parameters
from a small seeded Kota Bengkulu, and which roles may open each (asked of the app itself, never guessed).

A page is a GET handler of our own layers that is left out of the OpenAPI schema and answers HTML (a `Template`, or
`media_type` text/html). A route added later is found here by itself; if its path parameters cannot be filled, or
no role can open it, `page_routes`, `page_urls` and `who_may_open` fail and name it.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import msgspec
from litestar import Litestar
from litestar.response import Template
from litestar.routes import HTTPRoute

from admin import demo_campaign, demo_history, synthetic
from admin.demo import DEMO_PASSWORD, DUKCAPIL_ACCOUNTS, ENROLMENT_START, seed_demo
from admin.demo_history import city_kelurahan, seed_redemptions
from admin.schemas import BreachIn
from admin.service import breaches, print_runs, registry
from admin.tables import Campaign
from core.auth import ANYONE, PUBLIC, staff_user_row_to_current
from core.localtime import local_date, utc_now
from core.offices import Reach
from core.settings import get_settings
from core.stores import Stores
from core.tables import Role, StaffUser
from partners.schemas import ApiKeyCreate, ManagerAccount, PartnerProfile, WebhookCreate
from partners.service import api_keys, offers, onboarding, webhook_endpoints, webhooks
from partners.tables import Category, Offer, OfferStatus, Outlet, Partner, WebhookEvent
from tests.core.test_pages import sign_in
from verification.service import cards, credentials, keys
from verification.service.keys import KeyRing
from verification.tables import Card, CardStatus, Redemption

LAYERS = {"core", "partners", "verification", "admin"}
ANONYMOUS = "anonymous"
# A Dukcapil admin of the whole country: the one who manages what every office shares (the signing keys).
NATIONAL_ADMIN = "dukcapil_admin_national"
# The order pages are visited in: each page once, as the first role that may open it. Strangers first, so public
# pages are checked as the public sees them; then the roles with the most on their pages. A Dukcapil role is an
# office's account; the national admin is the one principal told apart by its reach.
ROLES = (ANONYMOUS, Role.DUKCAPIL_ADMIN.value, NATIONAL_ADMIN, Role.DUKCAPIL_ANALYST.value,
         Role.PARTNER_MANAGER.value, Role.CASHIER.value)  # fmt: skip
# Who signs in for each role: the demo's own accounts (password admin.demo.DEMO_PASSWORD).
ACCOUNTS = {
    Role.DUKCAPIL_ADMIN.value: "dukcapil",
    NATIONAL_ADMIN: "ditjen.admin",
    Role.DUKCAPIL_ANALYST.value: "analis",
    Role.PARTNER_MANAGER.value: "gramedia.manajer",
    Role.CASHIER.value: "gramedia.kasir",
}
# Each principal's role and reach, as the guards read them (core.guards; None: a partner's staff have no reach).
PRINCIPALS: dict[str, tuple[Role, Reach | None]] = {
    Role.DUKCAPIL_ADMIN.value: (Role.DUKCAPIL_ADMIN, Reach.OFFICE),
    NATIONAL_ADMIN: (Role.DUKCAPIL_ADMIN, Reach.NATIONAL),
    Role.DUKCAPIL_ANALYST.value: (Role.DUKCAPIL_ANALYST, Reach.OFFICE),
    Role.PARTNER_MANAGER.value: (Role.PARTNER_MANAGER, None),
    Role.CASHIER.value: (Role.CASHIER, None),
}

# GETs of our layers, left out of the schema, that answer something else than a page (they answer JSON by default,
# so the route table alone cannot tell): each named with what it answers.
NOT_PAGES = {
    "/bahasa": "a redirect that sets the language cookie",
    "/admin/unduh/{filename:str}": "a dashboard table as CSV",
    "/admin/audit/audit.csv": "the audit log as CSV",
    "/mitra/unduh/{filename:str}": "a dashboard table as CSV",
    "/mitra/riwayat/unduh.csv": "the redemption history as CSV",
    "/admin/insiden/unduh.csv": "the breach register as CSV",
    "/admin/insiden/{breach_id:uuid}/laporan.pdf": "an incident's report as PDF",
}
# htmx fragments: not documents of their own. Each is checked inside the page that includes it (the value).
FRAGMENTS = {
    "/admin/registri/{batch_id:uuid}/kemajuan": "/admin/registri/{batch_id:uuid}",
    "/admin/kartu/cetak/{run_id:uuid}/kemajuan": "/admin/kartu/cetak/{run_id:uuid}",
    "/admin/dampak": "/admin",
}


@dataclass(frozen=True)
class Seeded:
    """The ids the pages' paths need, all of one partner (Gramedia) where a page is the partner's own."""

    partner_id: uuid.UUID
    outlet_id: uuid.UUID
    offer_id: uuid.UUID  # published
    cashier_id: uuid.UUID  # a member of the partner's staff
    api_key_id: uuid.UUID
    redemption_id: uuid.UUID
    card_id: uuid.UUID  # active, enrolled with consent
    manual_code: str  # printed under the card's QR, as a cashier types it
    kid: str  # the active card-signing key
    staff_user_id: uuid.UUID  # a Dukcapil account other than the one signed in
    batch_id: uuid.UUID  # a finished SIAK import with refused rows
    run_id: uuid.UUID  # a finished bulk print of the import's cards
    breach_id: uuid.UUID  # an incident in the office's breach register
    campaign_id: uuid.UUID  # the office's outreach campaign for a school
    webhook_id: uuid.UUID  # the partner's webhook endpoint
    delivery_id: uuid.UUID  # a test event queued for it


Values = str | Sequence[str]  # one value, or several: a page to visit for each
Fill = Callable[[Seeded], Values]
# How to fill a path parameter from the seeded data: by its name, for every route that has it; or, under a route path,
# that route's own (they win over the names).
PATH_VALUES: dict[str, Fill | dict[str, Fill]] = {
    "offer_id": lambda s: str(s.offer_id),
    "partner_id": lambda s: str(s.partner_id),
    "outlet_id": lambda s: str(s.outlet_id),
    "card_id": lambda s: str(s.card_id),
    "kid": lambda s: s.kid,
    "key_id": lambda s: str(s.api_key_id),
    "redemption_id": lambda s: str(s.redemption_id),
    "batch_id": lambda s: str(s.batch_id),
    "run_id": lambda s: str(s.run_id),
    "breach_id": lambda s: str(s.breach_id),
    "campaign_id": lambda s: str(s.campaign_id),
    "webhook_id": lambda s: str(s.webhook_id),
    "delivery_id": lambda s: str(s.delivery_id),
    "city_code": lambda s: "17.71",  # the demo's Kota Bengkulu, whose office wrote its KIA guide
    "/admin/staf/{user_id:uuid}/nonaktifkan": {"user_id": lambda s: str(s.staff_user_id)},
    "/admin/staf/{user_id:uuid}/sandi": {"user_id": lambda s: str(s.staff_user_id)},
    "/mitra/staf/{user_id:uuid}": {"user_id": lambda s: str(s.cashier_id)},
    "/mitra/staf/{user_id:uuid}/nonaktifkan": {"user_id": lambda s: str(s.cashier_id)},
}
PARAMETER = re.compile(r"\{(\w+):[^}]+\}")


@dataclass(frozen=True)
class PageRoute:
    path: str  # as in the route table: /admin/kartu/{card_id:uuid}
    handler: str  # module.function, to name it when something fails
    roles: frozenset[str] | None = None  # who its guards let in; None: a public page (anyone, signed in or not)

    @property
    def parameters(self) -> list[str]:
        return PARAMETER.findall(self.path)


def _is_ours(handler: Any) -> bool:
    return handler.fn.__module__.split(".")[0] in LAYERS


def _answers_html(handler: Any) -> bool:
    media_type = str(getattr(handler.media_type, "value", handler.media_type))
    return media_type.startswith("text/html") or handler.parsed_fn_signature.return_type.annotation is Template


def page_routes(app: Litestar) -> list[PageRoute]:
    """The app's page routes, htmx fragments included; fails naming any route whose parameters cannot be filled,
    and any GET left out of the schema that is neither a page nor named in NOT_PAGES."""
    pages: list[PageRoute] = []
    unknown: list[str] = []
    other_gets: set[str] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if "GET" not in handler.http_methods or not _is_ours(handler) or handler.resolve_include_in_schema():
                continue
            name = f"{handler.fn.__module__}.{handler.fn.__qualname__}"
            media_type = str(getattr(handler.media_type, "value", handler.media_type))
            if _answers_html(handler):
                pages.append(PageRoute(route.path, name, _guarded_roles(handler, name)))
            elif route.path not in NOT_PAGES and media_type.startswith("application/json"):
                unknown.append(f"{route.path} ({name})")
            else:
                other_gets.add(route.path)
    assert not unknown, (
        "GET routes left out of the schema that may or may not be pages: give them media_type=MediaType.HTML, or "
        f"name what they answer in NOT_PAGES in tests/page_routes.py: {unknown}"
    )
    unfilled = [
        f"{page.path} ({page.handler}): {name}"
        for page in pages
        for name in page.parameters
        if _fill(page.path, name) is None
    ]
    assert not unfilled, (
        "page routes whose path parameters tests/page_routes.py cannot fill: add to PATH_VALUES how to find one in "
        f"the seeded data (and seed it in seed_pages if need be): {unfilled}"
    )
    page_paths = {page.path for page in pages}
    stale = [path for path in [*FRAGMENTS, *FRAGMENTS.values(), *[k for k in PATH_VALUES if k.startswith("/")]]
             if path not in page_paths] + [path for path in NOT_PAGES if path not in other_gets]  # fmt: skip
    assert not stale, f"tests/page_routes.py names routes the app no longer has (or that changed kind): {stale}"
    return pages


def _guarded_roles(handler: Any, name: str) -> frozenset[str] | None:
    """Who may open a page, read from its guards (core.guards.requires_role marks each with the roles it lets in);
    None for a public page. A page that is neither public nor guarded by role fails, named."""
    if handler.opt.get(PUBLIC) or handler.opt.get(ANYONE):
        return None
    guards = handler.resolve_guards()
    unknown = [guard for guard in guards if not hasattr(guard, "roles")]
    assert guards, f"{name}: a page that is not public needs a role guard (core.guards)"
    assert not unknown, f"{name}: guards that do not say which roles they let in: {unknown}"
    return frozenset(
        principal
        for principal, (role, reach) in PRINCIPALS.items()
        if all(role in guard.roles and (reach is None or reach in guard.reaches) for guard in guards)
    )


def _fill(path: str, name: str) -> Fill | None:
    by_route = PATH_VALUES.get(path)
    if isinstance(by_route, dict) and name in by_route:
        return by_route[name]
    by_name = PATH_VALUES.get(name)
    return by_name if callable(by_name) else None


def page_urls(page: PageRoute, seeded: Seeded) -> list[str]:
    """The paths to visit for one page route: one per combination of its parameters' values."""
    choices: list[list[str]] = []
    for name in page.parameters:
        fill = _fill(page.path, name)
        assert fill is not None, f"{page.path}: {name}"
        values = fill(seeded)
        choices.append([values] if isinstance(values, str) else list(values))
    template = PARAMETER.sub(r"{\1}", page.path)
    return [template.format_map(dict(zip(page.parameters, combination, strict=True)))
            for combination in itertools.product(*choices)]  # fmt: skip


async def who_may_open(app: Litestar, pages: list[PageRoute], seeded: Seeded) -> dict[str, dict[str, list[str]]]:
    """{route path: {path to visit: [roles that get it with 200]}}, asked of the app as each role in turn.

    A refusal is a 403 or a redirect (to /masuk, or a signed-in user's own console); any other answer, a path that no
    role may open, or a page that is not a whole HTML document (fragments excepted) fails, naming the route."""
    allowed: dict[str, dict[str, list[str]]] = {
        page.path: {url: [] for url in page_urls(page, seeded)} for page in pages
    }
    problems: list[str] = []
    for role in ROLES:
        # https: the session cookie is Secure.
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://testserver") as client:
            if role != ANONYMOUS:
                signed_in = await sign_in(client, ACCOUNTS[role], DEMO_PASSWORD)
                assert signed_in.status_code == 303, f"{ACCOUNTS[role]} could not sign in: {signed_in.status_code}"
            for page in pages:
                for url in allowed[page.path]:
                    response = await client.get(url)
                    if response.status_code == 200:
                        if not response.headers["content-type"].startswith("text/html"):
                            problems.append(f"{url} ({page.handler}) as {role}: {response.headers['content-type']}")
                        elif (page.path in FRAGMENTS) == response.text.lstrip().lower().startswith("<!doctype html"):
                            problems.append(f"{url} ({page.handler}): a fragment or a whole page, unlike FRAGMENTS")
                        allowed[page.path][url].append(role)
                    elif response.status_code not in {303, 403}:
                        problems.append(f"{url} ({page.handler}) as {role}: {response.status_code}")
    for page in pages:
        for url, roles in allowed[page.path].items():
            if not roles:
                problems.append(f"{url} ({page.handler}): no role may open it; are PATH_VALUES right?")
    assert not problems, "\n".join(problems)
    return allowed


async def seed_pages(output_dir: Path) -> Seeded:
    """A small Kota Bengkulu in a few seconds (the full demo takes half a minute): the demo's accounts, partners,
    outlets and offers, a signing key, a 300-child SIAK import with two refused rows, their redemptions, an API
    key, a pending partner and a submitted offer, so that every page has rows in its tables."""
    settings = get_settings()
    await seed_demo(output_dir, with_registry=False)
    dukcapil = staff_user_row_to_current(await _account(DUKCAPIL_ACCOUNTS[0].username))
    kid = await keys.rotate(settings, dukcapil)
    today = local_date(utc_now(), settings.timezone)
    kelurahan = [r["code"] for r in await city_kelurahan()]
    children = synthetic.registry(
        [synthetic.Segment(date(2016, 1, 4), today, 300)], today, kelurahan, 0.8, ENROLMENT_START
    )
    refused = [{**children[0].row(), "sex": "X"}, {**children[1].row(), "birth_date": "2099-01-01"}]
    content = synthetic.to_csv(children) + b"".join(
        (",".join(row[column] for column in registry.COLUMNS) + "\n").encode() for row in refused
    )
    batch = await registry.import_registry("siak-kota-bengkulu.csv", content, today, dukcapil, settings, Stores(None))
    breach = await breaches.record(
        BreachIn(discovered_at=utc_now(), description="Daftar kartu terkirim ke grup yang salah.",
                 categories=["kelurahan"], children_affected=3),
        dukcapil,
    )  # fmt: skip
    card = await Card.select(Card.id).where(Card.status == CardStatus.ACTIVE).order_by(Card.id).first()
    assert card is not None
    _, code = await cards.issue_qr_text(card["id"], KeyRing(settings), settings, None)
    await seed_redemptions(settings, today, {card["id"]})
    run = await print_runs.start(dukcapil, None, batch.id, "id")
    await print_runs.run(run, dukcapil, KeyRing(settings), settings)
    await demo_campaign.seed_campaign(dukcapil, settings)
    campaign = await Campaign.select(Campaign.id).first()
    assert campaign is not None

    partner = await Partner.select(Partner.id).where(Partner.name == "Gramedia Bengkulu").first()
    assert partner is not None
    partner_id = partner["id"]
    outlet = await Outlet.select(Outlet.id).where(Outlet.partner == partner_id).order_by(Outlet.name).first()
    assert outlet is not None
    manager = staff_user_row_to_current(await _account(ACCOUNTS[Role.PARTNER_MANAGER.value]))
    key = await api_keys.create_api_key(partner_id, ApiKeyCreate(name="Mesin kasir 1", outlet_id=outlet["id"]), manager)
    hook = await webhook_endpoints.create_webhook(
        partner_id, WebhookCreate(url="http://127.0.0.1:9/kasir", events=list(WebhookEvent)), manager, settings
    )
    delivery = await webhooks.send_test(partner_id, hook.endpoint.id, manager)
    published = await Offer.select(Offer.id).where(
        (Offer.partner == partner_id) & (Offer.status == OfferStatus.PUBLISHED)
    ).order_by(Offer.title).first()  # fmt: skip
    assert published is not None
    rules = await offers.rules_at_revision(published["id"], 1)
    draft = await offers.create_offer(partner_id, _retitled(rules, "Diskon alat tulis 5%"), manager)
    await offers.move_by_manager(partner_id, draft.id, OfferStatus.SUBMITTED, None, manager)
    await onboarding.register_partner(
        PartnerProfile(name="Toko Buku Pelangi", category=Category.BOOKSTORE, contact_name="Ibu Sari",
                       contact_phone="0736 21234"),
        ManagerAccount(username="pelangi.manajer", password=DEMO_PASSWORD, display_name="Sari (Manajer)"),
        demo_history.CITY, "seed", Stores(None), get_settings(), enforce_password_policy=False,
    )  # fmt: skip
    redemption = await Redemption.select(Redemption.id).where(Redemption.partner == partner_id).first()
    assert redemption is not None
    analyst = await _account(DUKCAPIL_ACCOUNTS[1].username)
    cashier = await _account(ACCOUNTS[Role.CASHIER.value])
    return Seeded(
        partner_id=partner_id,
        outlet_id=outlet["id"],
        offer_id=published["id"],
        cashier_id=cashier["id"],
        api_key_id=key.id,
        redemption_id=redemption["id"],
        card_id=card["id"],
        manual_code=credentials.format_manual_code(code),
        kid=kid,
        staff_user_id=analyst["id"],
        batch_id=batch.id,
        run_id=run,
        breach_id=breach.id,
        campaign_id=campaign["id"],
        webhook_id=hook.endpoint.id,
        delivery_id=delivery.id,
    )


async def _account(username: str) -> dict[str, Any]:
    row = await StaffUser.select().where(StaffUser.username == username).first()
    assert row is not None, username
    return row


def _retitled(rules: Any, title: str) -> Any:
    return msgspec.structs.replace(rules, title=title, title_en=None)
