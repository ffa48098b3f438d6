"""Rupiah and WIB as people read them on a receipt."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.localtime import format_local, local_date
from core.money import format_rupiah


@pytest.mark.parametrize(
    ("amount", "text"),
    [(0, "Rp0"), (500, "Rp500"), (50_000, "Rp50.000"), (1_250_000, "Rp1.250.000"), (-5_000, "-Rp5.000")],
)
def test_rupiah(amount, text):
    assert format_rupiah(amount) == text


def test_rupiah_refuses_fractions():
    with pytest.raises(TypeError):
        format_rupiah(1.5)  # type: ignore[arg-type]


def test_late_evening_utc_is_the_next_day_in_bengkulu():
    moment = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)
    assert local_date(moment, "Asia/Jakarta").isoformat() == "2026-11-28"
    assert format_local(moment, "Asia/Jakarta") == "28 Nov 2026 00.30 WIB"
    assert format_local(moment, "Asia/Makassar", "en") == "28 Nov 2026 01:30 WITA"
    assert format_local(datetime(2026, 8, 17, 3, 0, tzinfo=UTC), "Asia/Jayapura") == "17 Agu 2026 12.00 WIT"
