"""The load benchmark: scan and redeem over real HTTP against the app on PostgreSQL + Redis, each against its floor on
the same server, at fixed concurrency with wrk, for each ASGI server and worker count; then scan and redeem at fixed
rates (250, 500 and 1,000 a second) with an open-loop client. Writes bench/results/load-postgresql-<date>.json and
bench/results/latest.json.

The floor is bench/load/essential.py: the least work any correct implementation must do (its docstring says what
that is). Before measuring, the benchmark checks that it answers as the app does on the same cards. The earlier
floor, bench/load/floor.py, replays the app's own statements without its framework: kept as a second column
("replay"), it measures the framework's share, not the design's.

    .venv/bin/python bench/load/run.py --database-url postgresql://postgres@127.0.0.1:5432/mitrakia_load \\
        --redis-url redis://127.0.0.1:6379/9 [--servers granian,uvicorn] [--workers 1,2] [--runs 3] \\
        [--duration 10] [--connections 32] [--rate 1000] [--rate-duration 15] [--reuse]

Needs Debian's wrk (`apt-get install -y wrk`) and the bench extra (`pip install -e '.[bench]'`: py-spy, for profiling).
The database is dropped and rebuilt unless --reuse finds this benchmark's data in it; the Redis database is flushed
before every measured run (each run starts from the same cold card cache and empty rate-limit counters).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
VENV = Path(sys.executable).parent
WORK = ROOT / "var" / "bench-load"
RESULTS = ROOT / "bench" / "results"
APP_PORT, FLOOR_PORT, ESSENTIAL_PORT = 8801, 8802, 8803
PORTS = {"app": APP_PORT, "floor": FLOOR_PORT, "essential": ESSENTIAL_PORT}
SECRET = "load-bench-secret-that-is-long-enough-for-settings-0123456789"  # noqa: S105 - a throwaway bench database
SCAN, REDEEM = "/api/v1/verification/scan", "/api/v1/verification/redemptions"
SCAN_TARGET_P99_MS, RATIO_TARGET, MEMORY_TARGET_MB = 25.0, 0.6, 200.0
RESERVED = 50  # each side's last cards: never redeemed by the load, so that the answers compare on equal histories


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database this benchmark may drop")
    parser.add_argument("--redis-url", required=True, help="a Redis database this benchmark may flush")
    parser.add_argument("--servers", default="granian,uvicorn")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unmeasured load per endpoint and server")
    parser.add_argument("--connections", type=int, default=32, help="wrk's fixed concurrency")
    parser.add_argument("--rate", type=float, default=1000.0, help="requests a second for the open-loop scan run")
    parser.add_argument("--also-rates", default="250,500", help="more open-loop rates (what this machine does sustain)")
    parser.add_argument("--rate-duration", type=float, default=10.0)
    parser.add_argument("--outlets", type=int, default=100)
    parser.add_argument("--keys-per-outlet", type=int, default=10)
    parser.add_argument("--cards", type=int, default=25_000)
    parser.add_argument("--floor-cards", type=int, default=5_000)
    parser.add_argument("--reuse", action="store_true", help="keep the seeded data if this benchmark made it")
    return parser.parse_args()


ARGS = parse()
sys.path.insert(0, str(HERE))
import harness  # noqa: E402  (bench/load/harness.py)
from harness import postgres_cpu_seconds  # noqa: E402


def env() -> dict[str, str]:
    """The app's production settings (harness.app_env); logs as in production (JSON, INFO)."""
    return harness.app_env(ARGS.database_url, ARGS.redis_url, SECRET)


# --- the data -------------------------------------------------------------------------------------------------


def prepare() -> dict[str, Any]:
    data_file = WORK / "data.json"
    marker = WORK / "database.txt"
    if ARGS.reuse and data_file.exists() and marker.exists() and marker.read_text() == ARGS.database_url:
        print(f"reusing the data in {ARGS.database_url}")
        return json.loads(data_file.read_text())  # type: ignore[no-any-return]
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"rebuilding {ARGS.database_url}")
    asyncio.run(harness.recreate_database(ARGS.database_url))
    subprocess.run([str(VENV / "mitrakia"), "migrate"], env=env(), check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        [sys.executable, str(HERE / "seed.py"), str(data_file), str(ARGS.outlets), str(ARGS.keys_per_outlet),
         str(ARGS.cards), str(ARGS.floor_cards)],
        env={**env(), "MITRAKIA_LOG_LEVEL": "WARNING"}, check=True,
    )  # fmt: skip
    marker.write_text(ARGS.database_url)
    harness.forget_cursors(WORK)
    return json.loads(data_file.read_text())  # type: ignore[no-any-return]


def request_files(data: dict[str, Any]) -> dict[str, Path]:
    """One request a line: "<API key>\\t<body>". A card is always scanned at the same outlet (a card at more than
    three outlets in ten minutes is refused as copied), by that outlet's tills in turn."""
    files = {}

    def till_key(side: dict[str, Any], card: int) -> str:
        outlets = len(side["outlets"])
        keys = side["keys"][card % outlets]
        return str(keys[(card // outlets) % len(keys)])

    for name in ("app", "floor"):
        side = data[name]
        path = WORK / f"scan-{name}.txt"
        cards = data["app"]["cards"]  # both scan the same cards; the floor with its own partner's keys
        with path.open("w", encoding="utf-8") as out:
            for index, text in enumerate(cards):
                out.write(f"{till_key(side, index)}\t{json.dumps({'qr': text})}\n")
        files[f"scan-{name}"] = path
        # Redeem: every (card, offer) pair once, consecutive requests on different cards and offers, so that every
        # request is a real redemption (201) that locks, counts and writes. The floor's cards are its own.
        path = WORK / f"redeem-{name}.txt"
        cards, offers = side["cards"][:-RESERVED], side["offers"]
        with path.open("w", encoding="utf-8") as out:
            for pair in range(len(cards) * len(offers)):
                card, round_ = pair % len(cards), pair // len(cards)
                offer = offers[(card + round_) % len(offers)]
                body = {"qr": cards[card], "offer_id": offer, "purchase_amount": data["purchase_amount"]}
                out.write(f"{till_key(side, card)}\t{json.dumps(body)}\n")
        files[f"redeem-{name}"] = path
    return files


# --- servers --------------------------------------------------------------------------------------------------


def server_command(server: str, workers: int, target: str, port: int) -> tuple[list[str], Path]:
    """The production command for the app (`mitrakia serve`, or granian with the same settings) and the same
    server settings for the floor."""
    if server == "uvicorn" and target == "app":
        return [str(VENV / "mitrakia"), "serve", "--server", "uvicorn", "--port", str(port), "--workers",
                str(workers)], ROOT  # fmt: skip
    if server == "granian" and target == "app":
        return [str(VENV / "mitrakia"), "serve", "--server", "granian", "--port", str(port), "--workers",
                str(workers)], ROOT  # fmt: skip
    factory = f"{target}:create_app"  # bench/load/floor.py or essential.py
    if server == "uvicorn":
        return [sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1", "--port",
                str(port), "--workers", str(workers), "--proxy-headers", "--no-access-log", "--no-server-header",
                "--log-level", "warning"], HERE  # fmt: skip
    return [str(VENV / "granian"), "--interface", "asgi", "--factory", factory, "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers), "--loop", "uvloop", "--http", "1", "--no-ws",
            "--no-access-log", "--log-level", "warning"], HERE  # fmt: skip


class Server:
    def __init__(self, server: str, workers: int, target: str, port: int) -> None:
        self.name = f"{target}-{server}-w{workers}"
        self.port = port
        command, cwd = server_command(server, workers, target, port)
        self.log = (WORK / f"{self.name}.log").open("wb")
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env(), stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.probe = f"http://127.0.0.1:{port}" + ("/health" if target == "app" else "/json")
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.probe, timeout=2) as response:  # noqa: S310 - our own server
                    if response.status == 200:
                        break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start; see {self.log.name}")
            time.sleep(0.2)

    def processes(self) -> list[int]:
        """The server's process and all its descendants."""
        return harness.process_tree(self.process.pid)

    def memory(self) -> list[dict[str, Any]]:
        """Peak resident memory (VmHWM) of each process of the server; the workers are the ones serving."""
        rows = []
        for pid in self.processes():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:80]
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            rows.append({
                "pid": pid,
                "role": "supervisor" if pid == self.process.pid and len(self.processes()) > 1 else "worker",
                "peak_rss_mb": round(int(fields["VmHWM"].split()[0]) / 1024, 1),
                "rss_mb": round(int(fields["VmRSS"].split()[0]) / 1024, 1),
                "command": command.strip(),
            })  # fmt: skip
        return rows

    def drain(self, seconds: float = 120) -> None:
        """Wait until the server has worked off what an overloaded run left queued (it answers its probe within
        50 ms again), so that the next run starts from an idle server."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                with urllib.request.urlopen(self.probe, timeout=10):  # noqa: S310 - our own server
                    pass
            except OSError:
                pass
            if time.monotonic() - started < 0.05:
                return
            time.sleep(0.5)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server's processes have used so far."""
        return harness.cpu_seconds(self.processes())

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()


# --- load -----------------------------------------------------------------------------------------------------


def flush_redis() -> None:
    from redis import Redis

    Redis.from_url(ARGS.redis_url).flushdb()


def wrk(url: str, file: Path | None, mode: str, seconds: int, offset: int = 0) -> dict[str, Any]:
    return harness.wrk(url, file, mode, seconds, ARGS.connections, offset)


def post(url: str, key: str, body: dict[str, Any], idempotency_key: str | None = None) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json", "X-API-Key": key}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own servers
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def compare_answers(data: dict[str, Any], cards: int = 40, redeemed: int = 3) -> dict[str, Any]:
    assert cards + redeemed <= RESERVED
    """The app and the essential floor answer alike on the same cards: each scan's verdict per offer (eligible, and
    the reason when not), and a redemption's story (given; a retry with the same key gets the same receipt; another
    key is refused by the per-child limit; the key reused for another amount is refused). The app works for its
    partner, the floor for its twin with the same offers. Stops the benchmark if they differ."""
    app_url, floor_url = f"http://127.0.0.1:{APP_PORT}", f"http://127.0.0.1:{ESSENTIAL_PORT}"
    app_key, floor_key = data["app"]["keys"][0][0], data["floor"]["keys"][0][0]
    differences = []
    for text in data["app"]["cards"][-cards:]:  # reserved: no side's load ever redeems them
        answers = []
        for url, key in ((app_url + SCAN, app_key), (floor_url + "/scan", floor_key)):
            status, body = post(url, key, {"qr": text})
            offers = sorted((o["title"], o["eligible"], o["reason_code"]) for o in body.get("offers", []))
            answers.append((status, offers))
        if answers[0] != answers[1]:
            differences.append({"scan": answers})
    for text in data["floor"]["cards"][-redeemed:]:
        stories = []
        for url, key, offer in ((app_url + REDEEM, app_key, data["app"]["offers"][0]),
                                (floor_url + "/redemptions", floor_key, data["floor"]["offers"][0])):  # fmt: skip
            first_key = secrets.token_hex(8)
            body = {"qr": text, "offer_id": offer, "purchase_amount": data["purchase_amount"]}
            first = post(url, key, body, first_key)
            retry = post(url, key, body, first_key)
            again = post(url, key, body, secrets.token_hex(8))
            reused = post(url, key, {**body, "purchase_amount": data["purchase_amount"] + 1}, first_key)
            stories.append([
                first[0], first[1].get("discount_amount"),
                retry[0], retry[1].get("redemption_id") == first[1].get("redemption_id"),
                again[0], again[1].get("code"), reused[0], reused[1].get("code"),
            ])  # fmt: skip
        if stories[0] != stories[1]:
            differences.append({"redeem": stories})
    print(f"  answers compared on {cards} scans and {redeemed} redemption stories: "
          f"{'the same' if not differences else f'{len(differences)} differ'}", flush=True)  # fmt: skip
    if differences:
        sys.exit(f"the app and the essential floor answer differently: {json.dumps(differences)[:2000]}")
    return {"scans": cards, "redemption_stories": redeemed, "differences": 0}


def measure_config(server: str, workers: int, files: dict[str, Path], data: dict[str, Any]) -> dict[str, Any]:
    servers = {side: Server(server, workers, side, PORTS[side]) for side in ("app", "essential", "floor")}
    # The floors redeem the twin partner's cards; each keeps its own redemptions (essential: its own table).
    cursors = {side: harness.RedeemCursor(WORK / f"redeem-cursor-{side}.txt") for side in servers}
    paths = {("app", "scan"): SCAN, ("app", "redeem"): REDEEM}
    for side in ("essential", "floor"):
        paths[(side, "scan")], paths[(side, "redeem")] = "/scan", "/redemptions"
    runs: dict[str, list[dict[str, Any]]] = {}

    def url(side: str, endpoint: str) -> str:
        return f"http://127.0.0.1:{PORTS[side]}" + paths[(side, endpoint)]

    def requests_file(side: str, endpoint: str) -> Path:
        return files[f"{endpoint}-{'app' if side == 'app' else 'floor'}"]

    def one(side: str, endpoint: str, seconds: int) -> dict[str, Any]:
        flush_redis()
        server, cpu, pg_cpu = servers[side], servers[side].cpu_seconds(), postgres_cpu_seconds()
        if endpoint == "json":
            result = wrk(f"http://127.0.0.1:{ESSENTIAL_PORT}/json", None, "get", seconds)
        elif endpoint == "scan":
            result = wrk(url(side, endpoint), requests_file(side, endpoint), "post", seconds)
        else:
            result = wrk(url(side, endpoint), requests_file(side, endpoint), "redeem", seconds, cursors[side].value)
            cursors[side].advance(result["sent"], ARGS.connections)
        # The server's own CPU per request, and PostgreSQL's: steadier than req/s on a shared machine.
        done = max(1, result["requests"])
        result["cpu_ms_per_request"] = round((server.cpu_seconds() - cpu) * 1000 / done, 3)
        result["postgres_cpu_ms_per_request"] = round((postgres_cpu_seconds() - pg_cpu) * 1000 / done, 3)
        return result

    def fixed(side: str, endpoint: str, rate: float) -> dict[str, Any]:
        flush_redis()
        offset = cursors[side].value if endpoint == "redeem" else None
        outcome = open_loop(url(side, endpoint), requests_file(side, endpoint), rate, offset)
        if offset is not None:
            cursors[side].advance(outcome["sent"], ARGS.connections)
        servers[side].drain()
        return outcome

    sides = ("app", "essential", "floor")
    try:
        checked = compare_answers(data)
        for side in sides:
            for endpoint in ("scan", "redeem"):
                one(side, endpoint, ARGS.warmup)
        for number in range(ARGS.runs):
            # Interleaved, so that the app and its floors meet the same moments of a noisy machine.
            for endpoint in ("scan", "redeem"):
                for side in sides:
                    result = one(side, endpoint, ARGS.duration)
                    runs.setdefault(f"{side}_{endpoint}", []).append(result)
                    print(
                        f"    run {number + 1} {side:9} {endpoint:6} {result['rps']:8.1f} req/s  "
                        f"p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms  "
                        f"cpu {result['cpu_ms_per_request']:5.2f} + pg {result['postgres_cpu_ms_per_request']:5.2f} "
                        f"ms/req  ok {result['ok']}"
                        + (f"  409 {result['conflict_409']}" if result["conflict_409"] else "")
                        + (
                            f"  other {result['other_4xx'] + result['5xx']}"
                            if result["other_4xx"] + result["5xx"]
                            else ""
                        ),
                        flush=True,
                    )
            runs.setdefault("essential_json", []).append(one("essential", "json", ARGS.duration))
        at_rates: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for rate in sorted(rates()):
            for _ in range(ARGS.runs):
                for endpoint in ("scan", "redeem"):
                    for side in ("app", "essential"):
                        outcome = fixed(side, endpoint, rate)
                        at_rates.setdefault(f"{side}_{endpoint}", {}).setdefault(str(int(rate)), []).append(outcome)
                        print(
                            f"    fixed rate {side:9} {endpoint:6} {rate:.0f}/s: p50 {outcome['p50_ms']} ms p99 "
                            f"{outcome['p99_ms']} ms, {outcome['throughput']} done/s, {outcome['statuses']}, "
                            f"{outcome['timed_out']} timed out",
                            flush=True,
                        )
        memory = {side: servers[side].memory() for side in sides}
    finally:
        for running in servers.values():
            running.stop()
    return {"server": server, "workers": workers, "answers": checked, "runs": runs, "fixed_rates": at_rates,
            "memory": memory}  # fmt: skip


def rates() -> list[float]:
    return [ARGS.rate, *(float(r) for r in ARGS.also_rates.split(",") if r.strip())]


def open_loop(url: str, file: Path, rate: float, redeem_offset: int | None = None) -> dict[str, Any]:
    command = [sys.executable, str(HERE / "openloop.py"), url, str(file), str(rate), str(ARGS.rate_duration)]
    if redeem_offset is not None:
        command += ["64", str(redeem_offset)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]


# --- summary --------------------------------------------------------------------------------------------------


def median_of(runs: list[dict[str, Any]], key: str) -> float | None:
    """The median; None where it is beyond measure (an open-loop percentile past its deadline)."""
    value = statistics.median(float("inf") if run[key] is None else run[key] for run in runs)
    return None if value == float("inf") else round(value, 2)


def summarise(config: dict[str, Any]) -> dict[str, Any]:
    runs = config["runs"]
    summary: dict[str, Any] = {"server": config["server"], "workers": config["workers"]}
    for endpoint in ("scan", "redeem"):
        app, floor, replay = runs[f"app_{endpoint}"], runs[f"essential_{endpoint}"], runs[f"floor_{endpoint}"]
        rps, floor_rps, replay_rps = median_of(app, "rps"), median_of(floor, "rps"), median_of(replay, "rps")
        summary[endpoint] = {
            "rps": rps,
            "p50_ms": median_of(app, "p50_ms"),
            "p99_ms": median_of(app, "p99_ms"),
            "floor_rps": floor_rps,
            "floor_p50_ms": median_of(floor, "p50_ms"),
            "floor_p99_ms": median_of(floor, "p99_ms"),
            "ratio": round(rps / floor_rps, 3) if rps and floor_rps else None,
            "replay_floor_rps": replay_rps,
            "replay_ratio": round(rps / replay_rps, 3) if rps and replay_rps else None,
            "cpu_ms_per_request": median_of(app, "cpu_ms_per_request"),
            "postgres_cpu_ms_per_request": median_of(app, "postgres_cpu_ms_per_request"),
            "floor_cpu_ms_per_request": median_of(floor, "cpu_ms_per_request"),
            "floor_postgres_cpu_ms_per_request": median_of(floor, "postgres_cpu_ms_per_request"),
            "ok_share": round(sum(r["ok"] for r in app) / max(1, sum(r["requests"] for r in app)), 4),
            "refused_409": sum(r["conflict_409"] for r in app),
            "errors": sum(r["other_4xx"] + r["5xx"] + r["socket_errors"] for r in app),
        }
        summary[endpoint]["at_fixed_rates"] = {
            rate: {
                "p50_ms": median_of(outcomes, "p50_ms"),
                "p99_ms": median_of(outcomes, "p99_ms"),
                "throughput": median_of(outcomes, "throughput"),
                "timed_out": sum(run["timed_out"] for run in outcomes),
                "statuses": [run["statuses"] for run in outcomes],
                "floor_p50_ms": median_of(config["fixed_rates"][f"essential_{endpoint}"][rate], "p50_ms"),
                "floor_p99_ms": median_of(config["fixed_rates"][f"essential_{endpoint}"][rate], "p99_ms"),
            }
            for rate, outcomes in config["fixed_rates"][f"app_{endpoint}"].items()
        }
    summary["bare_json_rps"] = median_of(runs["essential_json"], "rps")
    workers = [
        row
        for row in config["memory"]["app"]
        if row["role"] == "worker" and "resource_tracker" not in row["command"]  # multiprocessing's helper
    ]
    summary["app_worker_peak_rss_mb"] = [row["peak_rss_mb"] for row in workers]
    return summary


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in ("litestar", "piccolo", "asyncpg", "uvicorn", "granian", "redis", "pyjwt"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            continue
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "load_average_at_start": os.getloadavg(),
        "note": "the app, its floor, PostgreSQL, Redis and the load generator share the machine's cores",
    }


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("bench/load needs wrk: apt-get install -y wrk")
    servers = [s.strip() for s in ARGS.servers.split(",") if s.strip()]
    if "granian" in servers and shutil.which(str(VENV / "granian")) is None:
        sys.exit("granian is not installed: make install")
    started = datetime.now(UTC)
    host = machine()
    data = prepare()
    files = request_files(data)
    configs = []
    for server in servers:
        for workers in [int(w) for w in ARGS.workers.split(",")]:
            print(f"  {server}, {workers} worker{'s' if workers > 1 else ''}", flush=True)
            configs.append(measure_config(server, workers, files, data))
    summaries = [summarise(config) for config in configs]

    # The default: the most scans and redeems a second (geometric mean) among the configurations that keep scan's
    # p99 at the fixed rate under its target; if none does, the most throughput.
    def score(s: dict[str, Any]) -> float:
        return float((s["scan"]["rps"] * s["redeem"]["rps"]) ** 0.5)

    target = str(int(min(rates())))  # the p99 target is at 250 scans a second
    within = [
        s for s in summaries if (s["scan"]["at_fixed_rates"][target]["p99_ms"] or float("inf")) < SCAN_TARGET_P99_MS
    ] or summaries
    chosen = max(within, key=score)
    command = "python bench/load/run.py " + " ".join(sys.argv[1:])
    result = {
        "floor": "essential",
        **{
            endpoint: {
                key: chosen[endpoint][key]
                for key in (
                    "rps",
                    "p50_ms",
                    "p99_ms",
                    "floor_rps",
                    "ratio",
                    "replay_floor_rps",
                    "replay_ratio",
                    "cpu_ms_per_request",
                    "postgres_cpu_ms_per_request",
                    "floor_cpu_ms_per_request",
                    "floor_postgres_cpu_ms_per_request",
                    "at_fixed_rates",
                )
            }
            for endpoint in ("scan", "redeem")
        },
        "machine": host,
        "date": started.date().isoformat(),
        "command": command,
        "backend": "postgresql+redis",
        "chosen": {"server": chosen["server"], "workers": chosen["workers"]},
        "answers_compared": configs[summaries.index(chosen)]["answers"],
        "bare_json_rps": chosen["bare_json_rps"],
        "targets": {
            "ratio_at_least": RATIO_TARGET,
            "scan_p99_ms_at_250_per_s_under": SCAN_TARGET_P99_MS,
            "worker_peak_rss_mb_under": MEMORY_TARGET_MB,
        },
        "settings": {
            "connections": ARGS.connections,
            "duration_s": ARGS.duration,
            "runs": ARGS.runs,
            "rate": ARGS.rate,
            "rate_duration_s": ARGS.rate_duration,
            "outlets": ARGS.outlets,
            "keys_per_outlet": ARGS.keys_per_outlet,
            "cards": ARGS.cards,
            "floor_cards": ARGS.floor_cards,
        },
        "configurations": summaries,
        "raw": configs,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2) + "\n"
    (RESULTS / f"load-postgresql-{started.date().isoformat()}.json").write_text(text)
    (RESULTS / "latest.json").write_text(text)
    print()
    print(f"{'server':8} {'w':>2} {'scan/s':>8} {'floor':>8} {'ratio':>6} {'p99':>7} {'redeem/s':>9} {'floor':>8} "
          f"{'ratio':>6} {'p99':>7} {'scan p99 @' + target:>14} {'RSS MB':>12}")  # fmt: skip
    for s in summaries:
        print(f"{s['server']:8} {s['workers']:>2} {s['scan']['rps']:8.1f} {s['scan']['floor_rps']:8.1f} "
              f"{s['scan']['ratio']:6.2f} {s['scan']['p99_ms']:7.1f} {s['redeem']['rps']:9.1f} "
              f"{s['redeem']['floor_rps']:8.1f} {s['redeem']['ratio']:6.2f} {s['redeem']['p99_ms']:7.1f} "
              f"{s['scan']['at_fixed_rates'][target]['p99_ms'] or float('inf'):14.1f} "
            f"{max(s['app_worker_peak_rss_mb'] or [0]):12.1f}")  # fmt: skip
    print(f"\nchosen: {chosen['server']} with {chosen['workers']} worker(s); results in {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    main()
