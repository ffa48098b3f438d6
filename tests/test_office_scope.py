"""Role × scope × endpoint: every Dukcapil route that names a card, an import, a print run, a staff account, a partner
or an offer, read from the route table (a route added later is checked by itself), as each office's admin and analyst, a
province and a national account, and a partner's manager and cashier, against the objects of Kota Bengkulu and of
Kabupaten Rejang Lebong. The guards decide 403; past them, another office's object answers 404 as a missing one,
and a refused change changes nothing."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date

import httpx
from litestar.routes import HTTPRoute

from admin.demo import DEMO_PASSWORD, seed_demo
from admin.demo_second_city import CITY as REJANG_LEBONG
from admin.service import print_runs, registry
from app import create_app
from core.auth import CurrentUser, staff_user_row_to_current
from core.offices import Reach, covers, office_of_region, reach_of
from core.pages import CSRF_COOKIE
from core.service.audit import EventFilter, list_events
from core.service.users import create_user
from core.settings import get_settings
from core.stores import Stores
from core.tables import DUKCAPIL_ROLES, Role, StaffUser
from partners.schemas import Benefit, BenefitType, ManagerAccount, OfferRules, PartnerProfile
from partners.service import offers, onboarding
from partners.tables import Category, OfferStatus, PartnerOffice, PartnerStatus
from tests.conftest import FOUNDING_CITY
from tests.core.test_pages import sign_in
from tests.verification.cards_helpers import enroll_card
from verification.service import keys
from verification.service.keys import KeyRing
from verification.tables import Card, CardStatus

# A well-formed body for each change, so that what answers is the scope, not the body's validation.
BODIES = {"revoke": {"reason": "lost"}, "reissue": {"reason": "lost"}, "agreement": {"agreement_number": "PKS/X/9"},
          "terms": {"void_window_minutes": 60}, "reject": {"reason": "Tidak lengkap."},
          "suspend": {"reason": "Tidak lengkap."}, "reinstate": {"reason": "Dipulihkan."},
          "approve": {}, "publish": {}, "confirm": {"missing": "keep"}, "discard": {},
          "campaign": {"code": "ZZZZZZ"}}  # fmt: skip
NEW_PASSWORD = "kata sandi baru yang panjang"
PAGE_FIELDS = {"cabut": {"reason": "lost"}, "terbitkan-ulang": {"reason": "lost"}, "tolak": {"reason": "Tidak."},
               "tangguhkan": {"reason": "Tidak."}, "pulihkan": {"reason": "Ya."},
               "cabut-penangguhan": {"reason": "Ya."}, "impor": {"missing": "keep"},
               "sandi": {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}}  # fmt: skip
KINDS = {"card_id": "card", "batch_id": "batch", "user_id": "staff", "partner_id": "partner", "offer_id": "offer",
         "run_id": "print_run"}  # fmt: skip
PARAMETER = re.compile(r"\{(\w+):uuid\}")


@dataclass(frozen=True)
class Principal:
    username: str
    role: Role
    region: str | None  # a Dukcapil account's reach

    def passes(self, guards: list) -> bool:
        """What the route's guards say of this account (core.guards marks each with its roles and reaches)."""
        for guard in guards:
            if self.role not in guard.roles:
                return False
            if self.role in DUKCAPIL_ROLES and reach_of(self.region) not in guard.reaches:
                return False
        return True

    def sees(self, kind: str, city: str) -> bool:
        """Whether the object of `city`'s office is within reach: child-level records only for their own office,
        staff accounts, partners and offers for every office within the account's reach."""
        if kind in {"card", "batch", "print_run"}:
            return office_of_region(self.region) == city
        return covers(self.region, city)


PRINCIPALS = (
    Principal("dukcapil", Role.DUKCAPIL_ADMIN, FOUNDING_CITY),
    Principal("analis", Role.DUKCAPIL_ANALYST, FOUNDING_CITY),
    Principal("dukcapil.rejanglebong", Role.DUKCAPIL_ADMIN, REJANG_LEBONG),
    Principal("provinsi.bengkulu", Role.DUKCAPIL_ADMIN, "17"),
    Principal("ditjen", Role.DUKCAPIL_ANALYST, None),
    Principal("gramedia.manajer", Role.PARTNER_MANAGER, None),
    Principal("gramedia.kasir", Role.CASHIER, None),
)


async def _objects() -> dict[str, dict[str, str]]:
    """{city: {kind: id}}: one object of each kind owned by each office."""
    found: dict[str, dict[str, str]] = {}
    for city, kelurahan in ((FOUNDING_CITY, "17.71.03.1002"), (REJANG_LEBONG, "17.02.19.1003")):
        card = await enroll_card(get_settings(), kelurahan_code=kelurahan)
        batch = await registry.start_batch("siak.csv", b"nik\n", date(2026, 12, 1), None, city)
        analyst = await create_user(
            f"analis.{city.replace('.', '')}", "kata sandi yang panjang sekali", Role.DUKCAPIL_ANALYST,
            "Analis", region=city,
        )  # fmt: skip
        # A partner that applied to this office only, approved there, with a submitted offer.
        partner_id, manager = await onboarding.register_partner(
            PartnerProfile(name=f"Toko {city}", category=Category.BOOKSTORE, contact_name="Ibu Sari",
                           contact_phone="0736 21234"),
            ManagerAccount(username=f"toko{city.replace('.', '')}.manajer", password=DEMO_PASSWORD,
                           display_name="Sari"),
            city, "matrix", Stores(None), get_settings(),
            enforce_password_policy=False,
        )  # fmt: skip
        decider = await _account("dukcapil.rejanglebong" if city == REJANG_LEBONG else "dukcapil")
        await onboarding.decide(partner_id, PartnerStatus.APPROVED, None, decider, f"PKS/{city}/1")
        rules = OfferRules(
            title="Diskon 5%", description="Potongan 5%.", category=Category.BOOKSTORE,
            benefit=Benefit(type=BenefitType.PERCENT, percent=5),
            valid_from=date(2026, 1, 1),
        )  # fmt: skip
        offer = await offers.create_offer(partner_id, rules, manager)
        await offers.move_by_manager(partner_id, offer.id, OfferStatus.SUBMITTED, None, manager)
        admin = decider
        run = await print_runs.start(admin, kelurahan, None, "id")
        await print_runs.run(run, admin, KeyRing(get_settings()), get_settings())
        found[city] = {"card": str(card), "batch": str(batch), "staff": str(analyst.id),
                       "partner": str(partner_id), "offer": str(offer.id), "print_run": str(run)}  # fmt: skip
    return found


async def _account(username: str) -> CurrentUser:
    row = await StaffUser.select().where(StaffUser.username == username).first()
    assert row is not None
    return staff_user_row_to_current(row)


def _routes(app) -> list[tuple[str, str, list, str]]:
    """(method, path, guards, kind) of every Dukcapil route naming one object."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(("/admin", "/api/v1/admin")):
            continue
        names = [name for name in PARAMETER.findall(route.path) if name in KINDS]
        if len(names) != 1:
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods - {"HEAD", "OPTIONS"}:
                found.append((method, route.path, handler.resolve_guards(), KINDS[names[0]]))
    return found


async def test_each_account_reaches_exactly_its_offices_objects(tmp_path):
    await seed_demo(tmp_path, with_registry=False)
    await keys.rotate(get_settings(), None)  # so that a card's QR can be printed
    await create_user(
        "provinsi.bengkulu", DEMO_PASSWORD, Role.DUKCAPIL_ADMIN, "Dinas Provinsi", region="17",
        enforce_password_policy=False,
    )  # fmt: skip
    objects = await _objects()
    app = create_app(get_settings())
    routes = _routes(app)
    assert len(routes) > 35, routes  # cards, imports, staff, partners and offers, on the API and the pages
    assert {kind for _, _, _, kind in routes} == set(KINDS.values())
    wrong: list[str] = []
    checked = 0
    async with app.lifespan():
        for principal in PRINCIPALS:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
                assert (await sign_in(client, principal.username, DEMO_PASSWORD)).status_code == 303
                csrf = client.cookies.get(CSRF_COOKIE)
                for method, path, guards, kind in routes:
                    for city, ids in objects.items():
                        allowed, sees = principal.passes(guards), principal.sees(kind, city)
                        if method != "GET" and allowed and sees:
                            continue  # a change this account may make: other tests make it
                        url = PARAMETER.sub(lambda m, ids=ids: ids[KINDS[m.group(1)]], path)
                        headers = {"X-CSRFToken": csrf} if path.startswith("/api") and csrf else {}
                        if method == "GET":
                            response = await client.get(url, headers=headers)
                        elif path.startswith("/api"):
                            body = BODIES.get(path.rsplit("/", 1)[-1], {"active": False})
                            response = await client.request(method, url, json=body, headers=headers)
                        else:
                            fields = PAGE_FIELDS.get(path.rsplit("/", 1)[-1], {})
                            response = await client.request(method, url, data={"_csrf_token": csrf or "", **fields})
                        checked += 1
                        expected = {403} if not allowed else {404} if not sees else {200, 303}
                        if response.status_code not in expected:
                            wrong.append(f"{method} {url} ({kind} of {city}) as {principal.username}: "
                                         f"{response.status_code}, expected {sorted(expected)}")  # fmt: skip
    assert wrong == [], "\n".join(wrong)
    assert checked > 600

    # Nothing another office or a wider account tried changed anything.
    for city, ids in objects.items():
        card = await Card.select(Card.status, Card.cv).where(Card.id == uuid.UUID(ids["card"])).first()
        assert card == {"status": CardStatus.ACTIVE, "cv": 1}
        account = await StaffUser.select(StaffUser.active).where(StaffUser.id == uuid.UUID(ids["staff"])).first()
        assert account == {"active": True}
        standing = await PartnerOffice.select(PartnerOffice.status, PartnerOffice.agreement_number).where(
            PartnerOffice.partner == uuid.UUID(ids["partner"])
        )
        assert standing == [{"status": PartnerStatus.APPROVED, "agreement_number": f"PKS/{city}/1"}]
        offer = await offers.read_offer(None, uuid.UUID(ids["offer"]))
        assert offer.status is OfferStatus.SUBMITTED


async def test_each_office_reads_its_own_audit_events_and_a_national_account_reads_all(tmp_path):
    await seed_demo(tmp_path, with_registry=False)
    bengkulu, rejang_lebong = await _account("dukcapil"), await _account("dukcapil.rejanglebong")
    ditjen = await _account("ditjen")
    seen = {
        user.username: {event["city_code"] for event in await list_events(EventFilter(), user, 10_000)}
        for user in (bengkulu, rejang_lebong, ditjen)
    }
    assert seen["dukcapil"] == {FOUNDING_CITY}
    assert seen["dukcapil.rejanglebong"] == {REJANG_LEBONG}  # its approval of Gramedia, its outlet, its offer
    assert {FOUNDING_CITY, REJANG_LEBONG} <= seen["ditjen"]
    assert reach_of(ditjen.region) is Reach.NATIONAL
