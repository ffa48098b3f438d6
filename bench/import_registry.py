"""Registry import benchmark: 100,000 synthetic SIAK rows into a fresh, migrated database; median of N runs.

    .venv/bin/python bench/import_registry.py [--rows 100000] [--runs 3] [--database-url postgresql://...]

Without --database-url each run uses a new SQLite file under var/bench/. Writes bench/results/import-<date>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run(rows: int, database_url: str) -> dict[str, float]:
    """Migrate a fresh database and time the import and the re-import in a child process."""
    env = {**os.environ, "MITRAKIA_DATABASE_URL": database_url, "MITRAKIA_LOG_LEVEL": "WARNING"}
    env.setdefault("MITRAKIA_SECRET_KEY", "bench-secret-that-is-long-enough-for-settings-0123")
    subprocess.run([str(Path(sys.executable).parent / "mitrakia"), "migrate"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    code = f"""
import asyncio, json, time
from datetime import date
from admin import synthetic
from admin.service import registry
from core.settings import get_settings
from core.stores import Stores
from core.tables import Region
from admin.demo_history import CITY

async def main():
    in_city = Region.select(Region.code).where(Region.level == "kelurahan", Region.code.like(CITY + ".%"))
    kelurahan = [r["code"] for r in await in_city]
    as_of = date(2026, 11, 27)
    content = synthetic.to_csv(synthetic.children({rows}, as_of, kelurahan, seed=1))
    started = time.perf_counter()
    first = await registry.import_registry("bench.csv", content, as_of, None, get_settings(), Stores(None), city=CITY)
    middle = time.perf_counter()
    again = await registry.import_registry("bench.csv", content, as_of, None, get_settings(), Stores(None), city=CITY)
    ended = time.perf_counter()
    assert first.rejected == 0 and again.created == 0
    print(json.dumps({{"import_s": middle - started, "reimport_s": ended - middle, "cards": first.created,
                      "unconsented": first.aggregated}}))

asyncio.run(main())
"""
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True,
                            text=True)  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL database to drop and reuse per run")
    args = parser.parse_args()
    runs = []
    for index in range(args.runs):
        if args.database_url:
            url = args.database_url
            subprocess.run(["psql", url, "-qc", "DROP SCHEMA public CASCADE; CREATE SCHEMA public"], check=True)
        else:
            folder = ROOT / "var" / "bench"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            url = f"sqlite:///{folder / 'import.sqlite3'}"
        runs.append(one_run(args.rows, url))
        print(f"run {index + 1}: import {runs[-1]['import_s']:.1f} s, re-import {runs[-1]['reimport_s']:.1f} s")
    result = {
        "benchmark": "registry import",
        "rows": args.rows,
        "backend": "postgresql" if args.database_url else "sqlite",
        "runs": runs,
        "median_import_s": round(statistics.median(r["import_s"] for r in runs), 2),
        "median_reimport_s": round(statistics.median(r["reimport_s"] for r in runs), 2),
        "rows_per_s": round(args.rows / statistics.median(r["import_s"] for r in runs)),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", "bench/import_registry.py", *sys.argv[1:]]),
    }
    out = ROOT / "bench" / "results" / f"import-{result['backend']}-{datetime.now(UTC):%Y-%m-%d}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))


if __name__ == "__main__":
    main()
