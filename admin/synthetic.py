"""Synthetic but believable SIAK exports (issued KIAs) for the demo, the tests and the benchmarks.

Nothing here is real: NIKs are well-formed (kecamatan prefix, birth date with +40 for girls, a serial) but random.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from admin.service.registry import COLUMNS, GUARDIANS
from verification.tables import Channel

# How parents came to enrol, roughly: counters first, then schools and their WhatsApp groups.
CHANNEL_WEIGHTS = {
    Channel.DUKCAPIL_COUNTER: 35,
    Channel.SCHOOL: 20,
    Channel.SCHOOL_WHATSAPP_GROUP: 25,
    Channel.PARTNER_PROMO: 10,
    Channel.OUTREACH_EVENT: 8,
    Channel.OTHER: 2,
}


@dataclass(frozen=True)
class Child:
    nik: str
    birth_date: date
    sex: str
    kelurahan_code: str
    kia_issued_on: date
    consent_at: datetime | None
    channel: Channel | None

    def row(self) -> dict[str, str]:
        consented = self.consent_at is not None
        return {
            "nik": self.nik,
            "birth_date": self.birth_date.isoformat(),
            "sex": self.sex,
            "kelurahan_code": self.kelurahan_code,
            "kia_issued_on": self.kia_issued_on.isoformat(),
            "channel": self.channel.value if consented and self.channel else "",
            "consent_guardian": "ibu" if consented else "",
            "consent_version": "v1.0" if consented else "",
            "consent_at": self.consent_at.isoformat() if self.consent_at else "",
        }


class NikMaker:
    """Unique, well-formed NIKs: <province> <kabupaten/kota> <kecamatan> <DDMMYY, +40 for girls> <serial>."""

    def __init__(self) -> None:
        self._serials: dict[str, int] = {}

    def make(self, kelurahan_code: str, born: date, sex: str) -> str:
        # A NIK starts with the province, kabupaten/kota and kecamatan of the child's registration: two children of
        # different cities never share one (the registry import would take them for the same child).
        province, city, kecamatan = kelurahan_code.split(".")[:3]
        day = born.day + (40 if sex == "P" else 0)
        stem = f"{province}{city}{kecamatan}{day:02d}{born.month:02d}{born.year % 100:02d}"
        serial = self._serials.get(stem, 0) + 1
        self._serials[stem] = serial
        return f"{stem}{serial:04d}"


def random_child(
    rng: random.Random,
    niks: NikMaker,
    kelurahan: list[str],
    as_of: date,
    printed_between: tuple[date, date],
    consent_share: float,
    enrolled_between: tuple[date, date] | None = None,
    weights: Callable[[date], list[float] | None] | None = None,
) -> Child:
    """A child under 17 on `as_of`, whose KIA was printed in the window (after birth); `weights` may favour some
    kelurahan on some print dates (a drive)."""
    first_print, last_print = printed_between
    while True:
        born = as_of - timedelta(days=rng.randint(0, 17 * 365 - 2))
        printed = first_print + timedelta(days=rng.randint(0, (last_print - first_print).days))
        if born <= printed:
            break
    sex = rng.choice("LP")
    favoured = weights(printed) if weights else None
    code = rng.choices(kelurahan, weights=favoured)[0] if favoured else rng.choice(kelurahan)
    consent_at = None
    channel = None
    if rng.random() < consent_share:
        start, end = enrolled_between or (printed, as_of)
        start = max(start, printed)
        if start <= end:
            day = start + timedelta(days=rng.randint(0, (end - start).days))
            consent_at = datetime.combine(day, time(rng.randint(8, 15), rng.randint(0, 59)))
            channel = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
    return Child(niks.make(code, born, sex), born, sex, code, printed, consent_at, channel)


def to_csv(children: Iterable[Child]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for child in children:
        writer.writerow(child.row())
    return buffer.getvalue().encode()


def children(
    count: int, as_of: date, kelurahan: list[str], seed: int = 17, consent_share: float = 0.85
) -> Iterator[Child]:
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    niks = NikMaker()
    for _ in range(count):
        yield random_child(rng, niks, kelurahan, as_of, (date(2016, 1, 1), as_of), consent_share)


@dataclass(frozen=True)
class Segment:
    """`count` KIAs printed between two dates (inclusive)."""

    first: date
    last: date
    count: int


@dataclass(frozen=True)
class Drive:
    """Between two dates, a kelurahan in `kelurahan` is `factor` times as likely as another to print a KIA."""

    first: date
    last: date
    kelurahan: frozenset[str]
    factor: float


def _drive_weights(kelurahan: list[str], drives: list[Drive] | None) -> Callable[[date], list[float] | None] | None:
    if not drives:
        return None

    def weights(printed: date) -> list[float] | None:
        active = [d for d in drives if d.first <= printed <= d.last]
        if not active:
            return None
        return [max((d.factor for d in active if code in d.kelurahan), default=1.0) for code in kelurahan]

    return weights


def registry(
    segments: list[Segment],
    as_of: date,
    kelurahan: list[str],
    consent_share: float,
    enrolment_start: date,
    seed: int = 2024,
    drives: list[Drive] | None = None,
) -> list[Child]:
    """Children under 17 on `as_of` with exactly the given number of prints per period; parents consent to the
    programme (from `enrolment_start`, after the print) with probability `consent_share`. During a drive, prints
    lean towards its kelurahan (the period's total stays exact)."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    niks = NikMaker()
    earliest_birth = as_of - timedelta(days=17 * 365 - 5)
    made = []
    for segment in segments:
        first = max(segment.first, earliest_birth)
        for _ in range(segment.count):
            made.append(
                random_child(rng, niks, kelurahan, as_of, (first, segment.last), consent_share,
                             enrolled_between=(enrolment_start, as_of), weights=_drive_weights(kelurahan, drives))
            )  # fmt: skip
    return made


__all__ = ["GUARDIANS", "Child", "Drive", "NikMaker", "children", "random_child", "to_csv"]
