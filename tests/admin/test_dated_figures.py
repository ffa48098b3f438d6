"""Dated figures are history: a later export never moves the coverage of an earlier date; a correction does, on
purpose, with a reason that the audit log keeps and a mark on the reports; a file speaks only for its scope."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from admin.service import reports
from admin.tables import ImportKind, MissingCards
from core.errors import Invalid
from core.tables import AuditEvent
from tests.admin.test_registry_import import KELURAHAN, OTHER_KELURAHAN, csv_bytes, import_, row
from tests.conftest import FOUNDING_CITY
from tests.helpers import today
from verification.service import rollups
from verification.tables import Card

# The first export is dated the last day of last month, so that today's changes fall in a later month.
FIRST = today().replace(day=1) - timedelta(days=1)
LONG_AGO = FIRST - timedelta(days=365)


def children() -> dict[str, dict[str, str]]:
    """Three children counted without consent and two with cards in one kelurahan, one counted in another; all
    printed years ago."""
    return {
        "u1": row(consent=False),
        "u2": row(consent=False),
        "u3": row(consent=False),
        "c1": row(consent_at=f"{FIRST.isoformat()}T09:00:00"),
        "c2": row(consent_at=f"{FIRST.isoformat()}T09:00:00"),
        "other": row(consent=False, kelurahan=OTHER_KELURAHAN),
    }


async def holders(region: str, day: date) -> int:
    return (await reports.coverage(region, day)).holders


async def test_a_later_export_of_one_kelurahan_never_moves_an_earlier_figure(settings):
    file = children()
    await import_(csv_bytes(list(file.values())), settings, as_of=FIRST)
    assert [await holders(FOUNDING_CITY, day) for day in (LONG_AGO, FIRST)] == [6, 6]

    later = await import_(csv_bytes([file["u1"], file["c1"]]), settings, scope=KELURAHAN, missing=MissingCards.MOVED)

    assert (later.not_in_file, later.moved, later.aggregated) == (1, 1, 1)
    assert [await holders(FOUNDING_CITY, day) for day in (LONG_AGO, FIRST)] == [6, 6]  # what was known then
    assert await holders(FOUNDING_CITY, today()) == 3  # u2, u3 left the counts; c2 moved away
    assert await holders(OTHER_KELURAHAN, today()) == 1  # outside the file's scope: untouched
    moved = await Card.select(Card.status, Card.status_reason).where(Card.counted_until.is_not_null())
    assert moved == [{"status": "revoked", "status_reason": "moved"}]

    # The rollups are what a rebuild from the cards gives.
    live = [await holders(FOUNDING_CITY, day) for day in (LONG_AGO, FIRST, today())]
    await rollups.rebuild()
    assert [await holders(FOUNDING_CITY, day) for day in (LONG_AGO, FIRST, today())] == live


async def test_cards_not_in_a_full_export_are_kept_unless_the_clerk_says_moved(settings):
    file = children()
    await import_(csv_bytes(list(file.values())), settings, as_of=FIRST)

    kept = await import_(csv_bytes([file["u1"], file["c1"]]), settings, scope=KELURAHAN)

    assert (kept.not_in_file, kept.moved) == (1, 0)
    assert await Card.count().where(Card.status == "active") == 2


async def test_a_correction_changes_past_figures_with_a_reason_and_is_marked(settings):
    file = children()
    await import_(csv_bytes(list(file.values())), settings, as_of=FIRST)
    assert not (await reports.coverage(FOUNDING_CITY, LONG_AGO)).corrected

    without_u3 = [child for name, child in file.items() if name != "u3"]
    await import_(csv_bytes(without_u3), settings, correction_reason="Baris ganda di ekspor SIAK Oktober")

    corrected = await reports.coverage(FOUNDING_CITY, LONG_AGO)
    assert (corrected.holders, corrected.corrected) == (5, True)
    event = await AuditEvent.select(AuditEvent.after).where(AuditEvent.action == "coverage.corrected").first()
    assert event is not None
    assert "Baris ganda" in str(event["after"])
    series = await reports.coverage_series(FOUNDING_CITY, LONG_AGO.replace(day=1), today())
    assert series[-1].corrected


async def test_an_export_older_than_the_last_one_is_refused(settings):
    await import_(csv_bytes([row(consent=False)]), settings)
    with pytest.raises(Invalid) as refused:
        await import_(csv_bytes([row(consent=False)]), settings, as_of=today() - timedelta(days=40))
    assert refused.value.problems[0].code == "older_than_last_import"


async def test_a_partial_file_adds_cards_and_leaves_the_counts(settings):
    file = children()
    await import_(csv_bytes(list(file.values())), settings, as_of=FIRST)

    partial = await import_(
        csv_bytes([row(consent_at=f"{today().isoformat()}T08:00:00"), row(consent=False)]),
        settings,
        kind=ImportKind.PARTIAL,
    )

    assert (partial.created, partial.aggregated, partial.not_counted, partial.not_in_file) == (1, 0, 1, 0)
    assert await holders(FOUNDING_CITY, LONG_AGO) == 6  # the new card counts from this month on
    assert await holders(FOUNDING_CITY, today()) == 7


async def test_a_scope_outside_the_office_is_refused(settings):
    with pytest.raises(Invalid) as refused:
        await import_(csv_bytes([row()]), settings, scope="17.02")
    assert refused.value.problems[0].code == "scope_outside_office"
