"""CI: every installed package is pinned in constraints.txt, and no pin is known to be vulnerable.

Advisories come from the best source this machine reaches, tried in this order:

1. pip-audit with OSV (api.osv.dev), then pip-audit with PyPI's per-release JSON (pypi.org/pypi/NAME/VERSION/json),
   both `--strict`: every pin audited against every published advisory, or the step fails.
2. Neither reachable (this project's machines reach PyPI's package index but neither of those endpoints): PyPI's
   project JSON (pypi.org/pypi/NAME/json), which lists the advisories of a project's *latest* release. Then:
   - a pin that is the latest release is audited fully (PyPI's advisories for exactly that release);
   - a pin that is not on PyPI, or whose release is yanked, fails;
   - a pin whose latest release still has an advisory with no fix fails (older releases carry it too);
   - an older pin's own advisories are not visible from here: it is listed by name, never passed silently, and
     with --require-latest (or MITRAKIA_AUDIT_REQUIRE_LATEST=1) it fails.
3. No source reachable: the step fails; it never passes without checking.

Usage: .venv/bin/python .ci/audit_dependencies.py [--require-latest] [constraints.txt]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
PYPI = "https://pypi.org/pypi"
OSV = "https://api.osv.dev/v1/query"
TIMEOUT = 30
# A release with published advisories, to tell "this source answers" from "this source says nothing".
PROBE = ("jinja2", "2.10")


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line and not line.startswith("-"):
            name, version = line.split("==", 1)
            found[canonicalize_name(name.split("[")[0])] = version.split(";")[0].strip()
    return found


def installed() -> dict[str, str]:
    """What the project's environment holds (the project itself excepted)."""
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {name: version for name, version in pins_from_text(frozen).items() if name != "mitrakia"}


def pins_from_text(text: str) -> dict[str, str]:
    result = {}
    for line in text.splitlines():
        if "==" in line and not line.startswith(("#", "-")):
            name, version = line.strip().split("==", 1)
            result[canonicalize_name(name)] = version
    return result


def fetch(url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - fixed https URLs
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None
    except (urllib.error.URLError, TimeoutError, OSError, json.JSONDecodeError):
        return 0, None


def osv_answers() -> bool:
    status, body = fetch(OSV, {"package": {"name": PROBE[0], "ecosystem": "PyPI"}, "version": PROBE[1]})
    return status == 200 and bool(body and body.get("vulns"))


def pypi_release_json_answers() -> bool:
    status, body = fetch(f"{PYPI}/{PROBE[0]}/{PROBE[1]}/json")
    return status == 200 and bool(body and body.get("vulnerabilities"))


def pip_audit(constraints: Path, service: str) -> int:
    print(f"audit: pip-audit --vulnerability-service {service} --strict on {constraints.name}")
    return subprocess.call(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "pip_audit", "--requirement", str(constraints), "--no-deps", "--disable-pip",
         "--strict", "--progress-spinner", "off", "--vulnerability-service", service]
    )  # fmt: skip


def project_json_audit(constraints: Path, require_latest: bool) -> int:
    pinned = pins(constraints)
    problems: list[str] = []
    audited: list[str] = []
    older: list[str] = []
    for name, version in sorted(pinned.items()):
        status, project = fetch(f"{PYPI}/{name}/json")
        if status == 404:
            problems.append(f"{name}=={version}: not on PyPI")
            continue
        if status != 200 or not project:
            print(f"audit: PyPI did not answer for {name} (HTTP {status}); nothing was checked", file=sys.stderr)
            return 2
        files = project.get("releases", {}).get(version)
        if not files:
            problems.append(f"{name}=={version}: no such release on PyPI")
            continue
        if all(file.get("yanked") for file in files):
            reason = files[0].get("yanked_reason") or "no reason given"
            problems.append(f"{name}=={version}: yanked ({reason})")
        latest = project["info"]["version"]
        advisories = [a for a in project.get("vulnerabilities", []) if not a.get("withdrawn")]
        try:
            is_latest = Version(version) == Version(latest)
        except InvalidVersion:
            is_latest = version == latest
        if is_latest:
            audited.append(name)
            problems += [f"{name}=={version}: {_advisory(a)}" for a in advisories]
            continue
        older.append(f"{name}=={version} (latest {latest})")
        problems += [
            f"{name}=={version}: {_advisory(a)} (unfixed in {latest})" for a in advisories if not a["fixed_in"]
        ]
    print(
        f"audit: {len(audited)} of {len(pinned)} pins are their project's latest release and were checked against "
        "PyPI's advisories for it; every pin was checked to exist and not be yanked."
    )
    if older:
        print(f"audit: {len(older)} older pins, whose own advisories PyPI's project JSON does not show:")
        for line in older:
            print(f"  {line}")
        if require_latest:
            problems.append(f"{len(older)} pins are not their latest release (--require-latest)")
    for problem in problems:
        print(f"audit: VULNERABLE OR UNUSABLE PIN {problem}", file=sys.stderr)
    return 1 if problems else 0


def _advisory(advisory: dict[str, Any]) -> str:
    aliases = ", ".join(advisory.get("aliases") or [])
    fixed = ", ".join(advisory.get("fixed_in") or []) or "no fix yet"
    return f"{advisory.get('id')} ({aliases}) fixed in {fixed}: {advisory.get('link', '')}"


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    require_latest = "--require-latest" in sys.argv or os.environ.get("MITRAKIA_AUDIT_REQUIRE_LATEST") == "1"
    constraints = Path(args[0]) if args else ROOT / "constraints.txt"

    pinned, present = pins(constraints), installed()
    unpinned = sorted(f"{n}=={v}" for n, v in present.items() if pinned.get(n) != v)
    if unpinned:
        print("audit: installed but not pinned (or pinned at another version) in constraints.txt:", file=sys.stderr)
        for line in unpinned:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"audit: all {len(present)} installed packages are pinned in {constraints.name}")

    if osv_answers():
        return pip_audit(constraints, "osv")
    if pypi_release_json_answers():
        return pip_audit(constraints, "pypi")
    print("audit: neither OSV nor PyPI's per-release JSON answers here; using PyPI's project JSON")
    return project_json_audit(constraints, require_latest)


if __name__ == "__main__":
    sys.exit(main())
