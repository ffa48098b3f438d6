"""Does a big registry import stall the server? A real `mitrakia serve` (one worker, SQLite) is asked for /health every
50 ms, first idle (the floor), then while it imports a SIAK export of --rows rows uploaded through the API; the
latencies of both are compared.

    .venv/bin/python bench/import_responsiveness.py [--rows 600000] [--consent 0.0] [--app-dir DIR]

`--app-dir` serves another checkout of the code (to measure the version before a change). The rows are synthetic
children of the demo city (no consent by default: the file's parsing is what is measured, not card writes).
Writes bench/results/import-responsiveness-<date>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PASSWORD = secrets.token_urlsafe(18)  # a throwaway account of a throwaway database
AS_OF = date(2026, 11, 27)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def export(rows: int, consent: float, env: dict[str, str]) -> bytes:
    """The synthetic SIAK export, made by the app's own generator (in a child process: it needs the settings)."""
    code = f"""
import asyncio, sys
from admin import synthetic
from admin.demo_history import CITY
from core.tables import Region

async def main():
    rows = await Region.select(Region.code).where(Region.level == "kelurahan", Region.code.like(CITY + ".%"))
    content = synthetic.to_csv(synthetic.children({rows}, __import__("datetime").date(2026, 11, 27),
                                                  [r["code"] for r in rows], seed=1, consent_share={consent}))
    sys.stdout.buffer.write(content)

asyncio.run(main())
"""
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True).stdout


def latencies(client: httpx.Client, stop: threading.Event) -> list[float]:
    """/health every 50 ms until `stop` is set; each answer's time in ms. Runs on its own thread (and client), so a
    stall of the server shows in these times and nowhere else."""
    found: list[float] = []
    while not stop.is_set():
        sent = time.perf_counter()
        assert client.get("/health").status_code == 200
        found.append((time.perf_counter() - sent) * 1000)
        time.sleep(0.05)
    return found


def measured(base_url: str, work: Callable[[], None]) -> list[float]:
    """The /health latencies while `work()` runs on this thread."""
    stop, result = threading.Event(), []
    with httpx.Client(base_url=base_url, timeout=120) as client:
        poller = threading.Thread(target=lambda: result.extend(latencies(client, stop)))
        poller.start()
        try:
            work()
        finally:
            stop.set()
            poller.join()
    return result


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "requests": len(values),
        "median_ms": round(statistics.median(values), 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
        "max_ms": round(ordered[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=600_000)
    parser.add_argument("--consent", type=float, default=0.0)
    parser.add_argument("--app-dir", type=Path, default=ROOT)
    args = parser.parse_args()
    folder = ROOT / "var" / "bench-responsiveness"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MITRAKIA_")},
        "MITRAKIA_DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "MITRAKIA_SECRET_KEY": "bench-secret-that-is-long-enough-for-settings-0123",
        "MITRAKIA_LOG_LEVEL": "WARNING",
        "MITRAKIA_PASSWORD_HASH_PROFILE": "owasp_minimum",
        "PYTHONPATH": str(args.app_dir.resolve()),
    }
    run = {"env": env, "cwd": args.app_dir, "check": True, "capture_output": True}
    subprocess.run([str(BIN / "mitrakia"), "migrate"], **run)  # type: ignore[call-overload]
    subprocess.run([str(BIN / "mitrakia"), "users", "create", "--username", "bench", "--role", "dukcapil_admin",
                    "--display-name", "Bench", "--region", "17.71", "--password-stdin"],
                   input=(PASSWORD + "\n").encode(), **run)  # type: ignore[call-overload]  # fmt: skip
    content = export(args.rows, args.consent, env)
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "mitrakia"), "serve", "--port", str(port)], env=env, cwd=args.app_dir,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base_url, timeout=120) as client:
            for _ in range(100):
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            token = client.post("/api/v1/auth/login", json={"username": "bench", "password": PASSWORD}).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            idle = measured(base_url, lambda: time.sleep(5))
            started = time.perf_counter()

            def upload_and_wait() -> None:
                uploaded = client.post(
                    "/api/v1/admin/registry/imports", params={"filename": "bench.csv", "as_of": AS_OF.isoformat()},
                    content=content, headers={**headers, "Content-Type": "text/csv"},
                )  # fmt: skip
                assert uploaded.status_code == 202, uploaded.text
                status = f"/api/v1/admin/registry/imports/{uploaded.json()['id']}"
                while client.get(status, headers=headers).json()["status"] == "previewing":  # read for the preview
                    time.sleep(0.5)
                confirmed = client.post(f"{status}/confirm", json={"missing": "keep"}, headers=headers)
                assert confirmed.status_code == 202, confirmed.text
                while client.get(status, headers=headers).json()["status"] == "running":
                    time.sleep(0.5)

            during = measured(base_url, upload_and_wait)
            import_s = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = {
        "benchmark": "/health while a registry import runs (one worker, SQLite)",
        "rows": args.rows,
        "file_mb": round(len(content) / 1_000_000, 1),
        "import_s": round(import_s, 1),
        "idle": summary(idle),
        "during_import": summary(during),
        "app_dir": str(args.app_dir),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", "bench/import_responsiveness.py", *sys.argv[1:]]),
    }
    out = ROOT / "bench" / "results" / f"import-responsiveness-{datetime.now(UTC):%Y-%m-%d}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
