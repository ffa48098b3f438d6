"""Uploads with hostile file names and contents (registry import by API and page, population CSV by API and page):
the name is a label, never a path: nothing is written where it points, and pages show it escaped."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

from tests.admin.test_registry_card_pages import IMPORT_URL, dukcapil, upload  # noqa: F401 - fixture
from tests.admin.test_registry_import import csv_bytes, row
from tests.conftest import login
from tests.core.test_pages import CSRF
from tests.helpers import PASSWORD

PROBLEM = "application/problem+json"


def hostile_names(marker: str) -> list[str]:
    return [
        f"../../../../../../tmp/{marker}.csv",
        f"..\\..\\..\\Windows\\Temp\\{marker}.csv",
        f"/tmp/{marker}-absolute.csv",  # noqa: S108 - an attacker's name, never opened
        f"C:\\{marker}.csv",
        f"%2e%2e%2f%2e%2e%2ftmp%2f{marker}.csv",
        f"....//....//tmp/{marker}.csv",
        f'<img src=x onerror=alert(1)>"{marker}.csv',
        f"{marker}\u202egpj.csv",
        f"{marker}" + "x" * 300 + ".csv",
    ]


def written_anywhere(marker: str) -> list[str]:
    """Files whose name carries the marker, where a traversal would have put them."""
    roots = {Path(tempfile.gettempdir()), Path.cwd(), Path.cwd() / "var", Path("/tmp")}  # noqa: S108
    found = []
    for root in roots:
        if not root.is_dir():
            continue
        for dirpath, dirs, files in os.walk(root):
            if dirpath.count(os.sep) - str(root).count(os.sep) >= 3 or "/.venv" in dirpath or "/.git" in dirpath:
                dirs[:] = []
            found += [os.path.join(dirpath, name) for name in files if marker in name]
    return found


async def test_registry_api_file_names_are_labels_not_paths(client, create_staff):
    await create_staff("dukcapil", "dukcapil_admin")
    admin = await login(client, "dukcapil", PASSWORD)
    marker = f"traversal-{uuid.uuid4().hex[:12]}"
    content = csv_bytes([row()])
    for name in hostile_names(marker):
        response = await client.post(
            "/api/v1/admin/registry/imports",
            params={"filename": name},
            content=content,
            headers={**admin, "Content-Type": "text/csv"},
        )
        if len(name) > 255:
            assert response.status_code in {400, 422}, response.text
            assert response.headers["content-type"] == PROBLEM
            continue
        assert response.status_code == 202, (name, response.text)
        assert response.json()["filename"] == name  # kept as typed, as a label
        report = await client.get(response.headers["location"], headers=admin)
        assert report.status_code == 200
        assert report.json()["status"] == "ready"  # read and previewed, nothing written
        discarded = await client.post(f"{response.headers['location']}/discard", headers=admin)
        assert discarded.json()["status"] == "discarded"
    assert written_anywhere(marker) == []


async def test_registry_page_file_names_are_labels_shown_escaped(dukcapil):  # noqa: F811 - the fixture
    marker = f"traversal-{uuid.uuid4().hex[:12]}"
    batches = []
    for name in hostile_names(marker):
        response = await upload(dukcapil, csv_bytes([row()]), filename=name)
        assert response.status_code == 303, (name, response.status_code, response.text[:300])
        batches.append(IMPORT_URL.match(response.headers["location"]).group(0))
    for url in batches:
        page = await dukcapil.get(url)
        assert page.status_code == 200
        assert "<img src=x" not in page.text
    listing = await dukcapil.get("/admin/registri")
    assert "&lt;img src=x onerror=alert(1)&gt;" in listing.text
    assert "<img src=x" not in listing.text
    assert written_anywhere(marker) == []


POPULATION_CSV = "region_code,as_of,children_0_16,source\n17.71.01,2024-10-31,12000,{source}\n"


async def test_population_csv_names_and_hostile_cells(client, dukcapil):  # noqa: F811 - the fixture
    marker = f"traversal-{uuid.uuid4().hex[:12]}"
    token = CSRF.search((await dukcapil.get("/admin/penduduk/")).text).group(1)
    for name in hostile_names(marker):
        response = await dukcapil.post(
            "/admin/penduduk/impor",
            data={"_csrf_token": token},
            files={"file": (name, POPULATION_CSV.format(source="DKB"), "text/csv")},
        )
        assert response.status_code == 303, (name, response.status_code)
    # Cells: markup and a template expression are kept as text; a NUL byte or a broken encoding is refused.
    for source, accepted in [
        ("<script>alert(1)</script> {{7*7}}", True),
        ('=HYPERLINK("https://evil.example")', True),
        ("DKB\x00", False),
        ("DKB \udcff", False),
    ]:
        body = POPULATION_CSV.format(source=source).encode("utf-8", "surrogateescape")
        page = await dukcapil.post(
            "/admin/penduduk/impor", data={"_csrf_token": token}, files={"file": ("angka.csv", body, "text/csv")}
        )
        assert page.status_code == (303 if accepted else 422), (source, page.status_code, page.text[:300])
        api = await client.post(
            "/api/v1/admin/population/imports",
            content=body,
            headers={**await login(client, "dukcapil", PASSWORD), "Content-Type": "text/csv"},
        )
        assert api.status_code == (201 if accepted else 422), (source, api.status_code, api.text[:300])
        if not accepted:
            assert api.headers["content-type"] == PROBLEM
    shown = await dukcapil.get("/admin/penduduk/")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{7*7}}" in shown.text
    assert "<script>alert(1)" not in shown.text
    assert written_anywhere(marker) == []


async def test_a_registry_file_with_nul_bytes_or_broken_encoding_is_refused_or_reported(client, create_staff):
    await create_staff("dukcapil", "dukcapil_admin")
    admin = await login(client, "dukcapil", PASSWORD)
    good = row()
    for content in [
        csv_bytes([{**good, "channel": "school\x00whatsapp"}]),
        csv_bytes([good]).replace(b"P,", b"\xff\xfe,", 1),
        b"\x00" * 64,
        csv_bytes([good]).replace(b"nik", b"ni\x00k", 1),
    ]:
        response = await client.post(
            "/api/v1/admin/registry/imports", content=content, headers={**admin, "Content-Type": "text/csv"}
        )
        assert response.status_code in {202, 400, 422}, response.text
        if response.status_code != 202:
            assert response.headers["content-type"] == PROBLEM
            continue
        report = await client.get(response.headers["location"], headers=admin)
        assert report.status_code == 200
        assert report.json()["status"] in {"ready", "failed"}, report.json()
        if report.json()["status"] == "ready":
            await client.post(f"{response.headers['location']}/confirm", json={}, headers=admin)
            report = await client.get(response.headers["location"], headers=admin)
        assert report.json()["status"] in {"done", "failed"}, report.json()
        assert report.json()["status"] == "done" or report.json()["error"], report.json()


async def test_hostile_text_in_population_targets_and_dukcapil_staff(client, create_staff):
    from tests.partners.test_hostile_text import HOSTILE, post_raw, verdict

    await create_staff("dukcapil", "dukcapil_admin")
    admin = await login(client, "dukcapil", PASSWORD)
    failures = []
    for kind, value in HOSTILE.items():
        figure = {"region_code": "17.71", "as_of": "2024-10-31", "children": 1000, "source": value}
        response = await post_raw(client, "/api/v1/admin/population", [figure], admin)
        if response.status_code == 201:
            history = (await client.get("/api/v1/admin/population", headers=admin)).json()
            stored = {row["source"] for row in history}
            echoed = value if value in stored or value.strip() in stored else f"not among {stored!r}"
        else:
            echoed = None
        if problem := verdict(response, value, echoed):
            failures.append(f"population.source <- {kind}: {problem}")
        odd_region = await post_raw(client, "/api/v1/admin/population", [{**figure, "region_code": value}], admin)
        if odd_region.status_code not in {400, 422} or odd_region.headers["content-type"] != PROBLEM:
            failures.append(f"population.region_code <- {kind}: {odd_region.status_code}")
        target = {"year": 2027, "target_percent": 60, "source": value}
        response = await post_raw(client, "/api/v1/admin/targets", target, admin)
        if response.status_code not in {200, 201, 400, 422}:
            failures.append(f"targets.source <- {kind}: {response.status_code} {response.text[:150]}")
        for field in ["display_name", "username", "password"]:
            username = f"staf.{uuid.uuid4().hex[:8]}"
            body = {"username": username, "password": PASSWORD, "role": "dukcapil_analyst", "display_name": "Staf"}
            body[field] = value if field != "password" else value * 2
            response = await post_raw(client, "/api/v1/admin/staff/", body, admin)
            echoed = response.json().get(field) if response.status_code in {200, 201} else None
            if field == "password" and response.status_code in {200, 201}:
                signed_in = await post_raw(
                    client, "/api/v1/auth/login", {"username": username, "password": body[field]}
                )
                echoed = body[field] if signed_in.status_code == 200 else f"login {signed_in.status_code}"
            if field == "username" and response.status_code in {200, 201}:
                echoed = "accepted a username outside the pattern"
            if problem := verdict(response, body[field], echoed):
                failures.append(f"dukcapil staff.{field} <- {kind}: {problem}")
    assert failures == [], "\n".join(failures)
