"""Money is a whole number of rupiah; shown Indonesian style as `Rp50.000`."""

from __future__ import annotations


def format_rupiah(amount: int) -> str:
    """`50000` -> `Rp50.000`; negative amounts keep their sign in front: `-Rp5.000`."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("rupiah amounts are whole numbers (int)")
    sign = "-" if amount < 0 else ""
    grouped = f"{abs(amount):,}".replace(",", ".")
    return f"{sign}Rp{grouped}"


# Beyond any till purchase (Rp100 juta); a larger number is a typo or an attack, not a sale.
MAX_RUPIAH = 100_000_000
NOT_WHOLE_RUPIAH = "not_whole_rupiah"  # the decoder's message; core.errors turns it into the field's problem
RUPIAH_OUT_OF_RANGE = "rupiah_out_of_range"


class Rupiah(int):
    """A whole number of rupiah in a request body, given as a JSON integer and nothing else.

    Litestar decodes bodies leniently (msgspec's strict=False): for a plain `int` field it would take the string
    "100.000" (as an Indonesian POS writes a hundred thousand) as 100, and 100.0 or "1e5" as numbers. A money
    field of this type is decoded by `decode_rupiah` alone (registered in app.py's type_decoders), which refuses
    all of them: 422 naming the field, nothing written."""


def decode_rupiah(_: type, value: object) -> Rupiah:
    """The field's value, or the reason it is refused. Hand it on as `int(...)`: msgspec encodes no int subclass."""
    if type(value) is not int:  # bool is an int subclass: refused too
        raise ValueError(NOT_WHOLE_RUPIAH)
    if not 0 <= value <= MAX_RUPIAH:
        raise ValueError(RUPIAH_OUT_OF_RANGE)
    return Rupiah(value)


def is_rupiah(kind: object) -> bool:
    return kind is Rupiah


RUPIAH_DECODER = (is_rupiah, decode_rupiah)
