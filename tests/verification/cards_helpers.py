"""Cards made through the real services, for tests that need one without going through an import."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

from admin.synthetic import NikMaker
from core.settings import Settings
from core.stores import Stores
from tests.helpers import today
from verification.service import cards
from verification.tables import Channel, Sex

_niks = NikMaker()
_rng = random.Random(7)  # noqa: S311 - synthetic data


async def enroll_card(
    settings: Settings,
    age_years: int = 8,
    kelurahan_code: str = "17.71.03.1002",
    born: date | None = None,
) -> uuid.UUID:
    born = born or cards.birthday(today(), -age_years) - timedelta(days=_rng.randint(1, 300))
    sex = _rng.choice([Sex.MALE, Sex.FEMALE])
    nik = _niks.make(kelurahan_code, born, sex.value)
    counts = await cards.enroll(
        [
            cards.Enrolment(
                nik_hash=cards.nik_hash(settings, nik),
                birth_date=born,
                sex=sex,
                kelurahan_code=kelurahan_code,
                kia_printed_on=born + timedelta(days=30),
                enrolled_on=today(),
                channel=Channel.DUKCAPIL_COUNTER,
                consent_guardian="ibu",
                consent_version="v1.0",
                consent_at=datetime.now(UTC),
            )
        ],
        None,
        Stores(None),
    )
    return counts.created_ids[0]
