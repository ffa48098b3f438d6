"""Money is a whole number of rupiah; shown Indonesian style as `Rp50.000`."""

from __future__ import annotations


def format_rupiah(amount: int) -> str:
    """`50000` -> `Rp50.000`; negative amounts keep their sign in front: `-Rp5.000`."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("rupiah amounts are whole numbers (int)")
    sign = "-" if amount < 0 else ""
    grouped = f"{abs(amount):,}".replace(",", ".")
    return f"{sign}Rp{grouped}"
