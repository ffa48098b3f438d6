"""Convert cahyadsn/wilayah's SQL dump and wilayah_kodepos into core/data/regions_indonesia.csv.gz (REGIONS.md).

    git -C WILAYAH_GIT show COMMIT:db/wilayah.sql > wilayah.sql
    git -C KODEPOS_GIT show COMMIT:db/wilayah_kodepos.sql > wilayah_kodepos.sql
    python core/data/wilayah_to_csv.py wilayah.sql wilayah_kodepos.sql

The output is byte-for-byte reproducible (sorted rows, a gzip header without time or file name), so a re-run on
the same sources changes nothing in git. Standard library only: it runs without the project installed.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import re
import sys
from collections import Counter
from pathlib import Path

OUT = Path(__file__).resolve().parent / "regions_indonesia.csv.gz"
COLUMNS = ["code", "name", "level", "parent_code", "postal_code"]

# One value row of the dumps: ('11.01.01.2001','Keude Bakongan'), -- SQL doubles a quote inside a string.
WILAYAH_ROW = re.compile(r"\('(?P<code>[0-9.]+)',\s*'(?P<name>(?:[^']|'')*)'\)[,;]")
KODEPOS_ROW = re.compile(r"\('(?P<code>[0-9.]+)',\s*(?:'(?P<postal>[0-9]*)'|NULL)\)[,;]")
CODE = re.compile(r"\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?")
POSTAL_CODE = re.compile(r"\d{5}")

# Names this project spells differently from the source, each with its reason (REGIONS.md). A correction applies
# only while the source still has the name it corrects: once upstream fixes it (or changes it otherwise) the
# converter stops and says so, so a stale correction never hides a real change.
CORRECTIONS: dict[str, tuple[str, str, str]] = {
    "17.71.01.1004": (
        "Bumu Ayu",
        "Bumi Ayu",
        "spelled Bumi Ayu in the source's own 2016 file (Permendagri 56/2015) and in the Kota Bengkulu list this "
        "project shipped before; 'Bumu' appears from the 2018 file on",
    ),
}


class SourceError(Exception):
    """The source does not look like the dump this converter was written for."""


def read_names(text: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("('"):
            continue
        match = WILAYAH_ROW.fullmatch(line.strip())
        if match is None:
            raise SourceError(f"wilayah line {number}: not a (code, name) row: {line[:80]!r}")
        code = match["code"]
        if not CODE.fullmatch(code):
            raise SourceError(f"wilayah line {number}: {code!r} is not a Kemendagri code")
        if code in names:
            raise SourceError(f"wilayah line {number}: {code} appears twice")
        # The dump has a few trailing spaces ("Kota Administrasi Jakarta Utara ") and spaces doubled by hand.
        names[code] = " ".join(match["name"].replace("''", "'").split())
    return names


def read_postal_codes(text: str) -> dict[str, str]:
    postal: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("('"):
            continue
        match = KODEPOS_ROW.fullmatch(line.strip())
        if match is None:
            raise SourceError(f"kodepos line {number}: not a (code, postal code) row: {line[:80]!r}")
        value = match["postal"] or ""
        if value and not POSTAL_CODE.fullmatch(value):
            raise SourceError(f"kodepos line {number}: {value!r} is not a five-digit postal code")
        if value:
            postal[match["code"]] = value
    return postal


def level_of(code: str, name: str) -> str:
    depth = code.count(".")
    if depth == 0:
        return "provinsi"
    if depth == 2:
        return "kecamatan"
    if depth == 3:
        return "kelurahan"  # kelurahan (1xxx), desa (2xxx) and desa adat (3xxx): one level here
    # Kabupaten or kota by the name the source gives it (its older dumps abbreviate: "KAB.", "KOTA"); the code says
    # the same (01-69 kabupaten, 71-99 kota, Permendagri 58/2021): a disagreement stops the conversion.
    by_name = name.upper()
    if by_name.startswith(("KABUPATEN ", "KAB. ", "KAB ")):
        level = "kabupaten"
    elif by_name.startswith("KOTA "):
        level = "kota"
    else:
        raise SourceError(f"{code} {name!r}: neither a kabupaten nor a kota by its name")
    if (level == "kota") != (int(code[3:]) >= 71):
        raise SourceError(f"{code} {name!r}: its name says {level}, its code says otherwise")
    return level


def convert(names: dict[str, str], postal: dict[str, str]) -> list[dict[str, str]]:
    unknown = sorted(set(postal) - set(names))
    if unknown:
        raise SourceError(f"postal codes for {len(unknown)} codes the region list lacks, e.g. {unknown[:3]}")
    for code, (source_name, name, _reason) in CORRECTIONS.items():
        if names.get(code) != source_name:
            raise SourceError(
                f"correction of {code} expects the source to say {source_name!r}, it says {names.get(code)!r}: "
                "review CORRECTIONS"
            )
        names[code] = name
    rows = []
    for code in sorted(names):
        parent = code.rsplit(".", 1)[0] if "." in code else ""
        if parent and parent not in names:
            raise SourceError(f"{code}: its parent {parent} is not in the list")
        level = level_of(code, names[code])
        rows.append(
            {
                "code": code,
                "name": names[code],
                "level": level,
                "parent_code": parent,
                "postal_code": postal.get(code, "") if level == "kelurahan" else "",
            }
        )
    return rows


def write_csv_gz(rows: list[dict[str, str]], out: Path) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    buffer = io.BytesIO()
    # filename="" and mtime=0: the same rows always give the same bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as packed:
        packed.write(text.getvalue().encode("utf-8"))
    out.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wilayah_sql", type=Path, help="db/wilayah.sql of github.com/cahyadsn/wilayah")
    parser.add_argument("kodepos_sql", type=Path, help="db/wilayah_kodepos.sql of github.com/cahyadsn/wilayah_kodepos")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    sources = {path: path.read_bytes() for path in (args.wilayah_sql, args.kodepos_sql)}
    try:
        rows = convert(
            read_names(sources[args.wilayah_sql].decode("utf-8")),
            read_postal_codes(sources[args.kodepos_sql].decode("utf-8")),
        )
    except SourceError as error:
        print(f"wilayah_to_csv: {error}", file=sys.stderr)
        return 1
    written = write_csv_gz(rows, args.out)
    for path, data in sources.items():
        print(f"source  {hashlib.sha256(data).hexdigest()}  {path}")
    print(f"output  {hashlib.sha256(written).hexdigest()}  {args.out}")
    for level, count in sorted(Counter(row["level"] for row in rows).items()):
        print(f"{level:<10} {count:>6}")
    print(f"{'total':<10} {len(rows):>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
