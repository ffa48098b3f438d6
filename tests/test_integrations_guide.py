"""docs/integrations.md as a partner's IT team uses it: its code blocks, taken from the page as written, run against
the demo on a live server — scan, redeem and void with the POS client; a receiver that checks each webhook with the
documented recipe; the recipe refusing a delivery older than five minutes; and the Node.js recipe on a delivery
signed by the service's own sender."""

from __future__ import annotations

import asyncio
import csv
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from admin.demo import DEMO_PASSWORD
from core.localtime import utc_now
from partners.service.webhook_sending import signed_headers
from partners.tables import Outlet, Partner
from tests.browser import free_port, live_server
from tests.partners.webhook_receiver import receiver

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "integrations.md"
BLOCK = re.compile(r'```(?:python|js) title="([^"]+)"\n(.*?)\n```', re.DOTALL)
ALL_DAY = {day: [{"open": "00:00", "close": "24:00"}] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def guide_files(folder: Path) -> dict[str, Path]:
    """Each titled code block of the guide, written to `folder` under its title."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for title, code in BLOCK.findall(GUIDE.read_text(encoding="utf-8")):
        (folder / title).write_text(code + "\n", encoding="utf-8")
        written[title] = folder / title
    return written


def test_the_guide_has_every_example_it_promises(tmp_path):
    assert set(guide_files(tmp_path)) == {
        "pos_client.py", "pos_sale.py", "verify_webhook.py", "receive_webhooks.py", "verify-webhook.mjs",
    }  # fmt: skip


async def _gramedia_till(base: str) -> tuple[dict[str, str], str, str]:
    """Gramedia's manager's token, its partner id, and an API key for its first outlet, open all day for the test
    (the demo keeps a bookshop's real hours, and a test runs at any hour)."""
    partner = await Partner.select(Partner.id).where(Partner.name == "Gramedia Bengkulu").first()
    outlet = await Outlet.select().where(Outlet.name == "Gramedia Suprapto").first()
    assert partner is not None
    assert outlet is not None
    partner_id = str(partner["id"])
    async with httpx.AsyncClient(base_url=base) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"username": "gramedia.manajer", "password": DEMO_PASSWORD}
        )
        manager = {"Authorization": f"Bearer {login.json()['access_token']}"}
        path = f"/api/v1/partners/{partner_id}/outlets/{outlet['id']}"
        current = (await client.get(path, headers=manager)).json()
        edited = {key: current[key] for key in ("name", "address", "kelurahan_code", "timezone", "active")}
        opened = await client.put(path, json={**edited, "opening_hours": ALL_DAY}, headers=manager)
        assert opened.status_code == 200, opened.text
        till = {"name": "Mesin kasir uji", "outlet_id": str(outlet["id"])}
        key = await client.post(f"/api/v1/partners/{partner_id}/api-keys", json=till, headers=manager)
        assert key.status_code == 201, key.text
    return manager, partner_id, key.json()["key"]


async def _register(base: str, manager: dict[str, str], partner_id: str, url: str) -> str:
    async with httpx.AsyncClient(base_url=base) as client:
        made = await client.post(f"/api/v1/partners/{partner_id}/webhooks", headers=manager,
                                 json={"url": url, "events": ["redemption.created", "redemption.voided"]})  # fmt: skip
    assert made.status_code == 201, made.text
    return made.json()["secret"]


def _line(process: subprocess.Popen[str], within: float = 20.0) -> str:
    """The next line the documented receiver prints (it prints one per new event)."""
    deadline = time.monotonic() + within
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line:
            return line.strip()
        if process.poll() is not None:
            raise AssertionError(f"the receiver exited: {process.stderr.read() if process.stderr else ''}")
        time.sleep(0.05)
    raise AssertionError(f"the receiver printed nothing within {within} s")


async def test_the_quick_start_runs_against_the_demo(demo, tmp_path):
    files = guide_files(tmp_path / "guide")
    sys.path.insert(0, str(tmp_path / "guide"))
    try:
        pos_sale = importlib.import_module("pos_sale")
        pos_client = importlib.import_module("pos_client")
        verify = importlib.import_module("verify_webhook")
    finally:
        sys.path.remove(str(tmp_path / "guide"))
    with (tmp_path / "cards.csv").open(encoding="utf-8") as handle:
        card = next(
            row for row in csv.DictReader(handle) if row["status"] == "active" and 6 <= int(row["age_years"]) <= 12
        )
    async with live_server(MITRAKIA_WEBHOOK_ALLOW_LOCAL="true", MITRAKIA_WEBHOOK_SEND_INTERVAL_SECONDS="0.2") as base:
        manager, partner_id, api_key = await _gramedia_till(base)
        port = free_port()
        documented_secret = await _register(base, manager, partner_id, f"http://127.0.0.1:{port}/")
        documented = subprocess.Popen(  # noqa: ASYNC220 - started once, read below
            [sys.executable, str(files["receive_webhooks.py"])], cwd=files["receive_webhooks.py"].parent, text=True,
            env={**os.environ, "MITRA_KIA_WEBHOOK_SECRET": documented_secret, "PORT": str(port)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            with receiver() as capture:
                secret = await _register(base, manager, partner_id, capture.url)
                kia = pos_client.MitraKia(base, api_key)
                sold = await asyncio.to_thread(pos_sale.sell_with_kia, kia, card["qr_text"], 125_000)
                assert sold["ok"], sold
                receipt = sold["receipt"]
                assert receipt["discount_amount"] == 12_500  # 10% of Rp125.000
                # Sent again with the same key (no answer came back): the same receipt, not a second benefit.
                again = await asyncio.to_thread(kia.redeem, card["qr_text"], receipt["offer_id"], 125_000,
                                                sold["idempotency_key"])  # fmt: skip
                assert again == receipt
                with pytest.raises(pos_client.MitraKiaError) as used:  # a new key: the day's limit is used
                    await asyncio.to_thread(
                        kia.redeem, card["qr_text"], receipt["offer_id"], 125_000, str(uuid.uuid4())
                    )
                assert (used.value.status, used.value.code) == (409, "holder_limit_reached")

                [created] = await capture.wait_for(1)
                event = verify.verify_webhook(secret, created.headers, created.body)
                assert event["type"] == "redemption.created"
                assert event["data"]["receipt_code"] == receipt["receipt_code"]
                assert _line(documented) == f"redemption.created {receipt['receipt_code']}"
                # The same delivery, presented five minutes and a second after it was signed: refused.
                signed_at = int(created.headers["webhook-timestamp"])
                with pytest.raises(verify.InvalidWebhook):
                    verify.verify_webhook(secret, created.headers, created.body, now=signed_at + 301)
                with pytest.raises(verify.InvalidWebhook):
                    verify.verify_webhook(secret, created.headers, created.body.replace(b"12500", b"125000"))
                with pytest.raises(verify.InvalidWebhook):
                    verify.verify_webhook(documented_secret, created.headers, created.body)  # another endpoint's

                voided = await asyncio.to_thread(kia.void, receipt["redemption_id"], "salah pilih penawaran")
                assert voided["status"] == "voided"
                [_, void_event] = await capture.wait_for(2)
                assert verify.verify_webhook(secret, void_event.headers, void_event.body)["type"] == "redemption.voided"
                assert _line(documented) == f"redemption.voided {receipt['receipt_code']}"
        finally:
            documented.terminate()
            documented.wait(timeout=10)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_nodejs_recipe_accepts_a_signed_delivery_and_refuses_an_old_or_altered_one(tmp_path):
    files = guide_files(tmp_path)
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    event = {"type": "redemption.created", "timestamp": "2026-12-07T08:00:00Z",
             "data": {"receipt_code": "R7KQ2M9X", "discount_amount": 12500}}  # fmt: skip
    body = json.dumps(event, separators=(",", ":"))

    headers = signed_headers(uuid.uuid4(), body, (secret,), utc_now())  # as the sender signs
    (tmp_path / "delivery.json").write_text(json.dumps({"headers": headers, "body": body}), encoding="utf-8")
    (tmp_path / "check.mjs").write_text(
        """import { readFileSync } from "node:fs";
import { verifyWebhook } from "./verify-webhook.mjs";
const [secret, shift, tamper] = process.argv.slice(2);
const { headers, body } = JSON.parse(readFileSync("delivery.json", "utf8"));
const raw = Buffer.from(tamper === "yes" ? body.replace("12500", "125000") : body);
const now = Number(headers["webhook-timestamp"]) + Number(shift);
try { console.log(verifyWebhook(secret, headers, raw, now).type); } catch (error) { console.log("refused"); }
""",
        encoding="utf-8",
    )
    assert files["verify-webhook.mjs"].exists()

    def check(shift: int, tamper: str = "no", key: str = secret) -> str:
        run = subprocess.run(["node", "check.mjs", key, str(shift), tamper], cwd=tmp_path, capture_output=True,
                             text=True, timeout=30, check=True)  # fmt: skip
        return run.stdout.strip()

    assert check(0) == "redemption.created"
    assert check(299) == "redemption.created"
    assert check(301) == "refused"  # older than five minutes
    assert check(0, tamper="yes") == "refused"
    assert check(0, key="whsec_" + "A" * 43 + "=") == "refused"
