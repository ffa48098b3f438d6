"""Run the whole suite once per backend and say clearly which backends ran (used by `make test`).

SQLite + in-memory stores always run. PostgreSQL + Redis run when MITRAKIA_TEST_DATABASE_URL and
MITRAKIA_TEST_REDIS_URL are both set. The two runs share nothing, so they run at the same time (one core each);
each one's output is printed whole when it ends. Extra arguments are passed to pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

RESULTS = Path("var/test-results")


def start(name: str, env: dict[str, str], pytest_args: list[str]) -> subprocess.Popen[bytes]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.xml").unlink(missing_ok=True)
    log = (RESULTS / f"{name}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", f"--junitxml={RESULTS / f'{name}.xml'}", *pytest_args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def finish(name: str, process: subprocess.Popen[bytes]) -> tuple[int, dict[str, int]]:
    code = process.wait()
    print(f"\n=== Backend: {name} ===", flush=True)
    sys.stdout.buffer.write((RESULTS / f"{name}.log").read_bytes())
    sys.stdout.flush()
    report = RESULTS / f"{name}.xml"
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    if report.exists():
        suite = ET.parse(report).getroot()  # noqa: S314 - pytest's own report
        suite = suite if suite.tag == "testsuite" else suite.find("testsuite")  # type: ignore[assignment]
        tests, failures, errors, skipped = (
            int(suite.get(key, 0)) for key in ("tests", "failures", "errors", "skipped")
        )
        counts = {"passed": tests - failures - errors - skipped, "failed": failures + errors, "skipped": skipped}
    return code, counts


def main() -> int:
    pytest_args = sys.argv[1:]
    base = {k: v for k, v in os.environ.items() if k not in {"MITRAKIA_TEST_DATABASE_URL", "MITRAKIA_TEST_REDIS_URL"}}
    runs = [("sqlite+memory", base)]
    database_url = os.environ.get("MITRAKIA_TEST_DATABASE_URL", "")
    redis_url = os.environ.get("MITRAKIA_TEST_REDIS_URL", "")
    if database_url and redis_url:
        runs.append(
            (
                "postgresql+redis",
                {**base, "MITRAKIA_TEST_DATABASE_URL": database_url, "MITRAKIA_TEST_REDIS_URL": redis_url},
            )
        )
    processes = [(name, start(name, env, pytest_args)) for name, env in runs]
    results = [(name, *finish(name, process)) for name, process in processes]

    print("\n=== Backends ===")
    worst = 0
    for name, code, counts in results:
        state = "ok" if code == 0 else f"FAILED (pytest exit {code})"
        print(f"{name:<18} {state}: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
        worst = worst or code
    if len(results) == 1:
        print(
            "postgresql+redis   NOT RUN: set MITRAKIA_TEST_DATABASE_URL and MITRAKIA_TEST_REDIS_URL "
            "(e.g. postgresql://postgres@127.0.0.1:5432/mitrakia_test and redis://127.0.0.1:6379/15)"
        )
    total = {key: sum(counts[key] for _, _, counts in results) for key in ("passed", "failed", "skipped")}
    print(f"total: {total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped")
    return worst


if __name__ == "__main__":
    sys.exit(main())
