"""Redemptions a second on one PostgreSQL primary when eight partners in two cities redeem at once, and whether
throughput still flattens on a row every redemption shares.

Four partners in each of the demo's two cities (Kota Bengkulu and Kabupaten Rejang Lebong), each with its outlets,
till keys and the four offers of seed.py; each city's children redeem at its partners (a child always at the same
outlet, every (child, offer) pair once, so every request is a real redemption that locks, counts and writes). wrk
drives the app (granian, 2 workers) at rising concurrency; while it runs, pg_stat_activity is sampled for backends
waiting on a lock, which is what a shared row shows first. One partner taking the same load is the comparison:
its offers' quota and budget rows are shared by all its redemptions, as the design requires.

After the runs the rollup outbox must drain, and `mitrakia reports rebuild` must leave every rollup as it was.

    .venv/bin/python bench/load/partners.py --database-url postgresql://postgres@127.0.0.1:5432/mitrakia_partners \\
        --redis-url redis://127.0.0.1:6379/9 [--connections 8,16,32,64] [--runs 3] [--duration 8] [--reuse]

Writes bench/results/partners-<date>.json and the summary into bench/results/latest.json ("partners_two_cities").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VENV = Path(sys.executable).parent
WORK = ROOT / "var" / "bench-partners"
RESULTS = ROOT / "bench" / "results"
PORT = 8811
SECRET = "partners-bench-secret-that-is-long-enough-for-settings-0123456"  # noqa: S105 - a throwaway database
REDEEM = "/api/v1/verification/redemptions"
ONE_PARTNER_SHARE = 4  # one card in this many is kept for the one-partner comparison

sys.path.insert(0, str(HERE))
import harness  # noqa: E402


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database this benchmark may drop")
    parser.add_argument("--redis-url", required=True, help="a Redis database this benchmark may flush")
    parser.add_argument("--per-city", type=int, default=4)
    parser.add_argument("--outlets", type=int, default=2)
    parser.add_argument("--keys-per-outlet", type=int, default=3)
    parser.add_argument("--cards-per-city", type=int, default=8000)
    parser.add_argument("--connections", default="8,16,32,64")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reuse", action="store_true")
    return parser.parse_args()


ARGS = parse()


def env() -> dict[str, str]:
    return {**harness.app_env(ARGS.database_url, ARGS.redis_url, SECRET), "MITRAKIA_LOG_LEVEL": "WARNING"}


def prepare() -> dict[str, Any]:
    data_file, marker = WORK / "data.json", WORK / "database.txt"
    if ARGS.reuse and data_file.exists() and marker.exists() and marker.read_text() == ARGS.database_url:
        print(f"reusing the data in {ARGS.database_url}")
        return json.loads(data_file.read_text())  # type: ignore[no-any-return]
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"rebuilding {ARGS.database_url}", flush=True)
    asyncio.run(harness.recreate_database(ARGS.database_url))
    subprocess.run([str(VENV / "mitrakia"), "migrate"], env=env(), check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        [sys.executable, str(HERE / "seed.py"), str(data_file), "partners", str(ARGS.per_city), str(ARGS.outlets),
         str(ARGS.keys_per_outlet), str(ARGS.cards_per_city)],
        env=env(), check=True,
    )  # fmt: skip
    marker.write_text(ARGS.database_url)
    harness.forget_cursors(WORK)
    return json.loads(data_file.read_text())  # type: ignore[no-any-return]


def request_files(data: dict[str, Any]) -> dict[str, Path]:
    """ "eight": each city's children at its partners; consecutive requests at different partners, cities and
    offers. "one": the kept children, all at the first partner. Every (child, offer) pair once."""
    purchase = data["purchase_amount"]
    by_city: list[list[list[str]]] = []  # per city, per child, its requests in the order they are sent
    one: list[str] = []
    for city in data["cities"]:
        partners, children = city["partners"], []
        for index, qr in enumerate(city["cards"]):
            kept = index % ONE_PARTNER_SHARE == 0
            partner = partners[0] if kept else partners[index % len(partners)]
            outlet = (index // len(partners)) % len(partner["outlets"])
            keys, offers = partner["keys"][outlet], partner["offers"]
            key = keys[(index // len(partners)) % len(keys)]
            bodies = [
                {"qr": qr, "offer_id": offers[(index + n) % len(offers)], "purchase_amount": purchase}
                for n in range(len(offers))
            ]
            lines = [f"{key}\t{json.dumps(body)}" for body in bodies]
            if kept:
                one.extend(lines)
            else:
                children.append(lines)
        by_city.append(children)
    # The cities' children alternate; every child's first request before any child's second.
    mixed_children = [child for pair in zip(*by_city, strict=False) for child in pair]
    rounds = max(len(lines) for lines in mixed_children)
    mixed = [lines[n] for n in range(rounds) for lines in mixed_children if n < len(lines)]
    files = {"eight": WORK / "redeem-eight.txt", "one": WORK / "redeem-one.txt"}
    files["eight"].write_text("\n".join(mixed) + "\n")
    files["one"].write_text("\n".join(one) + "\n")
    return files


class App:
    def __init__(self) -> None:
        self.log = (WORK / "app.log").open("wb")
        self.process = subprocess.Popen(
            [str(VENV / "mitrakia"), "serve", "--port", str(PORT), "--workers", str(ARGS.workers)],
            cwd=ROOT, env=env(), stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the app did not start; see var/bench-partners/app.log")

    def cpu_seconds(self) -> float:
        return harness.cpu_seconds(harness.process_tree(self.process.pid))

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)
        self.log.close()


def psql(sql: str) -> str:
    url = ARGS.database_url
    done = subprocess.run(["psql", url, "-tAX", "-c", sql], capture_output=True, text=True, check=True)
    return done.stdout.strip()


class LockWaits:
    """Backends of this database waiting on a lock (a row, a tuple, a transaction id), sampled every 100 ms."""

    def __init__(self) -> None:
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        name = ARGS.database_url.rsplit("/", 1)[1]
        query = f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{name}' AND wait_event_type = 'Lock'"
        while not self._stop.wait(0.1):
            self.samples.append(int(psql(query)))

    def __enter__(self) -> LockWaits:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def run_once(app: App, file: Path, cursor: harness.RedeemCursor, connections: int) -> dict[str, Any]:
    from redis import Redis

    Redis.from_url(ARGS.redis_url).flushdb()
    cpu, pg_cpu = app.cpu_seconds(), harness.postgres_cpu_seconds()
    with LockWaits() as waits:
        result = harness.wrk(
            f"http://127.0.0.1:{PORT}{REDEEM}", file, "redeem", ARGS.duration, connections, cursor.value
        )
    cursor.advance(result["sent"], connections)
    done = max(1, result["requests"])
    result["cpu_ms_per_request"] = round((app.cpu_seconds() - cpu) * 1000 / done, 3)
    result["postgres_cpu_ms_per_request"] = round((harness.postgres_cpu_seconds() - pg_cpu) * 1000 / done, 3)
    result["lock_waiters_mean"] = round(statistics.fmean(waits.samples), 2) if waits.samples else 0.0
    result["lock_waiters_max"] = max(waits.samples, default=0)
    return result


def rollups_settle(seconds: float = 60) -> float:
    """Seconds until the rollup outbox is empty (its batches applied by the app's background drain)."""
    started = time.monotonic()
    while psql("SELECT count(*) FROM rollup_change") != "0":
        if time.monotonic() - started > seconds:
            raise RuntimeError("the rollup outbox did not drain")
        time.sleep(0.1)
    return round(time.monotonic() - started, 2)


ROLLUPS = ("rollup_redemption_daily", "rollup_redemption_monthly")


def rollup_rows_changed_by_rebuild() -> dict[str, int]:
    """Rows of each redemption rollup that `mitrakia reports rebuild` changes (added, removed or different):
    what the outbox applied must be what a recount from the raw tables gives."""
    for table in ROLLUPS:
        psql(f"DROP TABLE IF EXISTS bench_{table}; CREATE TABLE bench_{table} AS TABLE {table}")
    subprocess.run([str(VENV / "mitrakia"), "reports", "rebuild"], env=env(), check=True, capture_output=True)
    changed = {}
    for table in ROLLUPS:
        # The cells summed over their shards (a busy cell is split in rows that the rebuild writes as one).
        keys, counters = (
            ("day, partner, offer, outlet", ("redemptions", "discount_total"))
            if table.endswith("daily")
            else ("city_code, month, slice, partner, value", ("redemptions", "children", "discount_total"))
        )
        sums = ", ".join(f"sum({counter})" for counter in counters)
        cells = "SELECT {keys}, {sums} FROM {table} GROUP BY {keys}"
        now, then = (
            cells.format(keys=keys, sums=sums, table=table),
            cells.format(keys=keys, sums=sums, table=f"bench_{table}"),
        )
        difference = f"({now} EXCEPT {then}) UNION ALL ({then} EXCEPT {now})"
        changed[table] = int(psql(f"SELECT count(*) FROM ({difference}) AS d"))
        if changed[table]:
            print(f"  {table}: cells changed by the rebuild, e.g.\n" + psql(f"{difference} LIMIT 6"), flush=True)
        psql(f"DROP TABLE bench_{table}")
    return changed


def main() -> None:
    started = datetime.now(UTC)
    data = prepare()
    files = request_files(data)
    counts = [int(c) for c in ARGS.connections.split(",")]
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {"eight": {}, "one": {}}
    app = App()
    try:
        cursors = {name: harness.RedeemCursor(WORK / f"redeem-cursor-{name}.txt") for name in files}
        run_once(app, files["eight"], cursors["eight"], counts[0])  # warm-up, not counted
        for number in range(ARGS.runs):
            for connections in counts:
                for name in ("eight", "one") if connections == max(counts) else ("eight",):
                    result = run_once(app, files[name], cursors[name], connections)
                    runs[name].setdefault(str(connections), []).append(result)
                    print(f"  run {number + 1} {name:5} c={connections:3} {result['rps']:7.1f} redeems/s  "
                          f"p50 {result['p50_ms']:6.1f} p99 {result['p99_ms']:7.1f} ms  "
                          f"cpu {result['cpu_ms_per_request']:5.2f} + pg {result['postgres_cpu_ms_per_request']:5.2f}"
                          f" ms  waiting on a lock: mean {result['lock_waiters_mean']} max "
                          f"{result['lock_waiters_max']}  201s {result['ok']} other "
                          f"{result['requests'] - result['ok']}", flush=True)  # fmt: skip
        settle = rollups_settle()
    finally:
        app.stop()
    redemptions = int(psql("SELECT count(*) FROM redemption WHERE status = 'completed'"))
    counted = int(psql("SELECT coalesce(sum(redemptions), 0) FROM rollup_redemption_daily"))
    changed = rollup_rows_changed_by_rebuild()

    def median(results: list[dict[str, Any]], key: str) -> float:
        return round(statistics.median(r[key] for r in results), 2)

    summary = {
        "partners": ARGS.per_city * 2,
        "cities": [city["city"] for city in data["cities"]],
        "redeems_per_s_by_connections": {c: median(r, "rps") for c, r in runs["eight"].items()},
        "p99_ms_by_connections": {c: median(r, "p99_ms") for c, r in runs["eight"].items()},
        "lock_waiters_mean_by_connections": {c: median(r, "lock_waiters_mean") for c, r in runs["eight"].items()},
        "postgres_cpu_ms_per_redeem": median(
            [x for r in runs["eight"].values() for x in r], "postgres_cpu_ms_per_request"
        ),
        "app_cpu_ms_per_redeem": median([x for r in runs["eight"].values() for x in r], "cpu_ms_per_request"),
        "one_partner_at_max_connections": {
            "redeems_per_s": median(runs["one"][str(max(counts))], "rps"),
            "lock_waiters_mean": median(runs["one"][str(max(counts))], "lock_waiters_mean"),
        },
        "rollup_outbox_empty_after_s": settle,
        "redemptions": redemptions,
        "rollups_count_every_redemption": counted == redemptions,
        "rollup_rows_changed_by_rebuild": changed,
        "date": started.date().isoformat(),
        "command": "python bench/load/partners.py " + " ".join(sys.argv[1:]),
    }
    summary["postgres_primary_redeems_per_s_per_core"] = round(1000 / summary["postgres_cpu_ms_per_redeem"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    full = {"summary": summary, "runs": runs, "settings": vars(ARGS), "started_at": started.isoformat()}
    (RESULTS / f"partners-{started.date().isoformat()}.json").write_text(json.dumps(full, indent=2) + "\n")
    latest_path = RESULTS / "latest.json"
    latest = json.loads(latest_path.read_text()) if latest_path.exists() else {}
    latest["partners_two_cities"] = summary
    latest_path.write_text(json.dumps(latest, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
