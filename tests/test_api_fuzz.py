"""API fuzzing: schemathesis drives every operation of the live OpenAPI schema, as each role, against a real server.

What a partner's integrator would notice is checked on every response: no 5xx, a status the schema documents,
the documented content type and body shape, and an RFC 9457 problem body with a stable `code` on every error.
Hypothesis runs derandomized (fixed examples, no example database, no shrinking) so CI sees the same requests on
every run; the number of examples per operation is bounded to keep the test near a minute on each backend.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.browser import live_server
from tests.conftest import login
from tests.helpers import PASSWORD, approved_partner, dukcapil_headers, published_offer
from tests.verification.cards_helpers import enroll_card
from verification.service import cards, keys
from verification.service.keys import KeyRing

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
EXAMPLES_PER_OPERATION = 4
ROLES = ["anonymous", "api_key", "cashier", "partner_manager", "dukcapil_analyst", "dukcapil_admin"]
# Signing out revokes the very token the rest of that role's run uses; it is fuzzed anonymously only.
SKIP_WHEN_SIGNED_IN = {("POST", "/api/v1/auth/logout")}


@dataclass
class Seeded:
    """Real objects for path parameters, and each role's credentials."""

    ids: dict[str, list[str]]
    headers: dict[str, dict[str, str]]


@dataclass
class Findings:
    found: dict[tuple[str, str, str], str] = field(default_factory=dict)
    requests: int = 0
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)

    def add(self, role: str, operation: str, title: str, detail: str) -> None:
        self.found.setdefault((role, operation, title), detail)


async def seed(client: httpx.AsyncClient, create_staff: Any, settings: Any) -> Seeded:
    kid = await keys.rotate(settings, None)
    dukcapil = await dukcapil_headers(client, create_staff)
    await create_staff("analis", "dukcapil_analyst")
    analyst = await login(client, "analis", PASSWORD)
    world = await approved_partner(client, dukcapil)
    offer = await published_offer(client, world)
    created = await client.post(
        world.url("/api-keys"), json={"name": "POS", "outlet_id": world.outlet_id}, headers=world.manager
    )
    assert created.status_code == 201, created.text
    card_id = await enroll_card(settings)
    qr, _ = await cards.issue_qr_text(card_id, KeyRing(settings), settings, None)
    redeemed = await client.post(
        "/api/v1/verification/redemptions",
        json={"qr": qr, "offer_id": offer["id"], "purchase_amount": 100_000},
        headers={**world.cashier, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert redeemed.status_code == 201, redeemed.text
    staff = (await client.get(world.url("/staff"), headers=world.manager)).json()
    return Seeded(
        ids={
            "partner_id": [world.partner_id],
            "outlet_id": [world.outlet_id],
            "offer_id": [offer["id"]],
            "user_id": [member["id"] for member in staff],
            "key_id": [created.json()["id"]],
            "card_id": [str(card_id)],
            "kid": [kid],
            "redemption_id": [redeemed.json()["redemption_id"]],
        },
        headers={
            "anonymous": {},
            "api_key": {"X-API-Key": created.json()["key"]},
            "cashier": world.cashier,
            "partner_manager": world.manager,
            "dukcapil_analyst": analyst,
            "dukcapil_admin": dukcapil,
        },
    )


def problem_body_on_error(response: schemathesis.Response) -> str | None:
    """Every 4xx and 5xx is application/problem+json with a stable `code`."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    if not content_type.startswith("application/problem+json"):
        return f"{response.status_code} answered with {content_type!r}, not application/problem+json"
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} problem body is not JSON"
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("code"), str)
        or body.get("status") != response.status_code
    ):
        return f"{response.status_code} problem body lacks `code` or the right `status`: {response.text[:200]}"
    return None


def fuzz_operation(
    operation: Any, base: str, role: str, seeded: Seeded, findings: Findings, session: requests.Session
) -> None:
    label = f"{operation.method.upper()} {operation.path}"
    real_ids = seeded.ids

    def with_real_ids(case: Any, picks: list[int]) -> Any:
        # Most cases aim at the seeded objects so that the role's real paths run, not only their 404s; a path made
        # invalid on purpose stays as generated, or the case would no longer be the invalid request it claims to be.
        path = case.meta.components.get(ParameterLocation.PATH) if case.meta else None
        if path is not None and path.mode == schemathesis.GenerationMode.NEGATIVE:
            return case
        for index, name in enumerate(sorted(case.path_parameters or {})):
            pick = picks[index % len(picks)]
            if name in real_ids and pick < 3:
                case.path_parameters[name] = real_ids[name][pick % len(real_ids[name])]
        return case

    strategy = st.builds(
        with_real_ids,
        st.one_of(operation.as_strategy(), operation.as_strategy(schemathesis.GenerationMode.NEGATIVE)),
        st.lists(st.integers(0, 3), min_size=1, max_size=4),
    )

    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        headers = {"Accept-Language": "en", **seeded.headers[role]}
        findings.requests += 1
        try:
            response = case.call(base_url=base, session=session, headers=headers, allow_redirects=False, timeout=15)
        except requests.RequestException as error:
            findings.add(role, label, "transport error", repr(error))
            return
        findings.statuses[role, response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                findings.add(role, label, failure.title, f"{failure.title}: {failure.message}\n{group.args[0]}")
        if problem := problem_body_on_error(response):
            findings.add(role, label, "problem body", f"{problem}\n{case.as_curl_command(headers=headers)}")

    run()


def fuzz(base: str, seeded: Seeded) -> Findings:
    # Credentials are each role's own (sent below), never generated: a made-up Authorization header next to a real
    # X-API-Key would be ignored by design (the key is checked first), which is no finding.
    config = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
    schema = schemathesis.openapi.from_url(f"{base}/schema/openapi.json", config=config)
    findings = Findings()
    operations = [result.ok() for result in schema.get_all_operations()]
    with requests.Session() as session:
        for role in ROLES:
            for operation in operations:
                key = (operation.method.upper(), operation.path)
                if role != "anonymous" and key in SKIP_WHEN_SIGNED_IN:
                    continue
                fuzz_operation(operation, base, role, seeded, findings, session)
    return findings


async def test_every_operation_as_every_role_answers_as_documented(client, create_staff, settings):
    seeded = await seed(client, create_staff, settings)
    async with live_server() as base:
        findings = await asyncio.to_thread(fuzz, base, seeded)
    report = "\n\n".join(f"[{role}] {operation}: {detail}" for (role, operation, _), detail in findings.found.items())
    assert findings.requests > 500
    # Each role's credentials worked: it reached real objects, not only 401s.
    for role in ROLES[1:]:
        assert sum(n for (who, status), n in findings.statuses.items() if who == role and status < 300) >= 5, role
    assert not findings.found, f"{len(findings.found)} findings:\n\n{report}"


# Regressions for what the fuzzer found, each as an integrator would meet it.


async def test_recording_no_population_figures_is_a_validation_problem_not_a_server_error(client, create_staff):
    dukcapil = await dukcapil_headers(client, create_staff)
    url = "/api/v1/admin/population"
    for refused in (
        await client.post(url, json=[], headers=dukcapil),
        await client.post(f"{url}/imports", content=b"region_code,as_of,children_0_16,source\n", headers=dukcapil),
    ):
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["errors"][0]["code"] == "no_figures"
    assert (await client.get(url, headers=dukcapil)).json() == []


async def test_weekly_issuance_for_an_unknown_region_is_not_found(client, create_staff):
    dukcapil = await dukcapil_headers(client, create_staff)
    for region in ("99.99", "\U000e0001"):
        response = await client.get("/api/v1/admin/reports/issuance", params={"region": region}, headers=dukcapil)
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "region_not_found"
    # A NUL is refused before any handler, as in every query parameter (core/web.py).
    response = await client.get("/api/v1/admin/reports/issuance", params={"region": "17.71\x00"}, headers=dukcapil)
    assert response.status_code == 422, response.text
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("region", "nul_character")]


async def test_csv_downloads_name_their_charset_once(till):
    for url, headers in (
        ("/api/v1/admin/reports/channels", till.world.dukcapil),
        ("/api/v1/verification/redemptions", till.world.cashier),
    ):
        response = await till.client.get(url, params={"format": "csv"}, headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/csv; charset=utf-8"


async def test_the_schema_documents_problem_answers_and_csv_downloads(client):
    schema = (await client.get("/schema/openapi.json")).json()
    scan = schema["paths"]["/api/v1/verification/scan"]["post"]["responses"]
    assert {"400", "401", "403", "409", "422", "429", "503"} <= set(scan)
    assert list(scan["422"]["content"]) == ["application/problem+json"]
    problem = schema["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code"} <= set(problem["required"])
    login = schema["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert "401" in login  # public, yet it refuses wrong credentials
    # Each operation lists the problems its service can raise, by code, under the status the one error table gives.
    redeem = schema["paths"]["/api/v1/verification/redemptions"]["post"]["responses"]
    for status, codes in {
        "409": ["card_revoked", "card_superseded", "holder_limit_reached", "idempotency_key_in_flight"],
        "422": ["qr_unreadable", "minimum_purchase_not_met", "idempotency_key_reused", "validation_failed"],
        "429": ["scan_rate_limited", "manual_code_rate_limited", "card_velocity"],
        "503": ["database_unavailable"],
    }.items():
        assert all(f"`{code}`" in redeem[status]["description"] for code in codes), (status, redeem[status])
    card = schema["paths"]["/api/v1/admin/cards/{card_id}"]["get"]["responses"]
    assert "409" not in card  # a read cannot conflict: no status guessed from the handler's shape
    assert "`card_not_found`" in card["404"]["description"]
    channels = schema["paths"]["/api/v1/admin/reports/channels"]["get"]["responses"]["200"]["content"]
    assert set(channels) == {"application/json", "text/csv"}
    # A till may use its outlet's API key instead of a staff token; public operations need neither.
    assert schema["security"] == [{"BearerToken": []}, {"ApiKey": []}]
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "name": "X-API-Key",
        "in": "header",
        "description": "An outlet's API key (mkia_…), created by its partner manager",
    }
    assert schema["paths"]["/api/v1/catalog/offers"]["get"]["security"] == []
    assert schema["paths"]["/health"]["get"]["security"] == []
    assert "security" not in schema["paths"]["/api/v1/verification/scan"]["post"]
