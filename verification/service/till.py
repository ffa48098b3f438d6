"""The till: who is serving, for which partner, at which outlet and in which zone, refused while the partner is not
approved or the outlet is closed; and the per-partner pseudonym under which a child appears to that partner."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from core.auth import CurrentUser, derive_key
from core.offices import city_of
from core.settings import Settings
from partners.errors import PartnerNotApproved
from partners.service.access import own_membership
from partners.service.outlets import till_place
from partners.tables import PartnerStatus
from verification.errors import OutletInactive
from verification.service import credentials, eligibility


@dataclass(frozen=True)
class Till:
    """Who acts, for which partner, at which outlet, in which zone."""

    partner_id: uuid.UUID
    outlet_id: uuid.UUID
    zone: str
    staff_user_id: uuid.UUID | None
    api_key_id: uuid.UUID | None
    device_id: str | None
    void_window_minutes: int | None
    client_ip: str = "unknown"
    city_code: str = ""  # the outlet's kabupaten/kota
    manual_code: bool | None = None  # this scan or redeem was a typed manual code (None: not a scan or redeem)
    opening_hours: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()  # the outlet's (TillPlace)
    offline_max_redemptions: int = 0  # the partner's offline bounds (TillPlace)
    offline_max_hours: int = 0

    def local_date(self, moment: datetime) -> date:
        return eligibility.Context(self.outlet_id, self.zone, moment).today

    @property
    def principal(self) -> str:
        """The caller, as the abuse limits count it: one API key, or one cashier."""
        return f"key:{self.api_key_id}" if self.api_key_id else f"user:{self.staff_user_id}"


async def till_for(user: CurrentUser, device_id: str | None, client_ip: str = "unknown") -> Till:
    """The caller's outlet; refused while the partner is not approved or the outlet is inactive."""
    membership = await own_membership(user)
    if membership.outlet_id is None:  # a manager is not at a till; the guard allows only cashiers and keys
        raise OutletInactive()
    place = await till_place(membership.partner_id, membership.outlet_id)
    if place.partner_status != PartnerStatus.APPROVED:
        raise PartnerNotApproved(status=place.partner_status)
    if not place.outlet_active:
        raise OutletInactive()
    return Till(
        partner_id=membership.partner_id,
        outlet_id=membership.outlet_id,
        zone=place.timezone,
        staff_user_id=None if user.api_key_id else user.id,
        api_key_id=user.api_key_id,
        device_id=(device_id or "")[:64] or None,
        void_window_minutes=place.void_window_minutes,
        client_ip=client_ip,
        city_code=city_of(place.kelurahan_code),
        opening_hours=place.opening_hours,
        offline_max_redemptions=place.offline_max_redemptions,
        offline_max_hours=place.offline_max_hours,
    )


def holder_ref(settings: Settings, partner_id: uuid.UUID, card_id: uuid.UUID) -> str:
    """A short pseudonym of the card that differs per partner: a partner recognises a returning child, and no two
    partners can link their customers."""
    digest = hmac.new(derive_key(settings.secret_key, "holder-ref"), partner_id.bytes + card_id.bytes, hashlib.sha256)
    value = int.from_bytes(digest.digest()[:7], "big")
    return "".join(credentials.CROCKFORD[(value >> (5 * i)) & 31] for i in range(10))
