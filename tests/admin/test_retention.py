"""Retention: what is past its period goes, what is not stays, a dry run changes nothing, and the refusal figures of
the deleted days survive a rebuild of the rollups."""

from __future__ import annotations

import uuid
from datetime import timedelta

from admin.service import retention
from admin.tables import ImportBatch, ImportFile, PrintRun
from core.localtime import utc_now
from core.tables import AuditEvent, StaffSession
from partners.tables import WebhookDelivery, WebhookEndpoint
from verification.service import rollups
from verification.tables import Attempt, IdempotencyRecord, RefusalDaily


async def test_a_run_deletes_only_what_is_past_its_period(create_staff, settings, till):
    now = utc_now()
    old, recent = now - timedelta(days=settings.retain_attempts_days + 5), now - timedelta(days=3)
    partner, outlet = uuid.uuid4(), uuid.uuid4()
    for moment in (old, recent):
        await Attempt.insert(
            Attempt(occurred_at=moment, local_date=moment.date(), kind="scan", outcome="refused",
                    reason_code="card_revoked", partner=partner, outlet=outlet)
        )  # fmt: skip
    await RefusalDaily.insert(
        RefusalDaily(day=old.date(), partner=partner, offer=rollups.NIL, outlet=outlet, reason="card_revoked",
                     refusals=1)
    )  # fmt: skip
    for created in (now - timedelta(days=settings.retain_idempotency_days + 1), now):
        await IdempotencyRecord.insert(
            IdempotencyRecord(scope="p", key=str(created), request_hash="h", outcome={}, created_at=created)
        )
    user = await create_staff("dukcapil.retensi", "dukcapil_admin")
    long_ended = now - timedelta(days=settings.retain_ended_sessions_days + 1)
    await StaffSession.insert(
        StaffSession(id=uuid.uuid4(), user=user.id, expires_at=long_ended, refresh_expires_at=long_ended),
        StaffSession(id=uuid.uuid4(), user=user.id, expires_at=now + timedelta(hours=1)),
        StaffSession(id=uuid.uuid4(), user=user.id, expires_at=long_ended, refresh_expires_at=now + timedelta(days=9)),
    )  # the last one's device may still renew it: kept
    for finished in (now - timedelta(days=2), now - timedelta(hours=2)):
        await PrintRun.insert(
            PrintRun(id=uuid.uuid4(), city_code="17.71", label="x", status="done", pdf=b"%PDF", finished_at=finished)
        )

    # Two uploaded exports awaiting a decision: one left for two days (its file of NIKs goes), one of this morning.
    previews = []
    for started in (now - timedelta(days=2), now - timedelta(hours=2)):
        batch = uuid.uuid4()
        await ImportBatch.insert(
            ImportBatch(id=batch, filename="siak.csv", file_sha256="0" * 64, as_of=started.date(), status="ready",
                        city_code="17.71", scope_code="17.71", started_at=started)
        )  # fmt: skip
        await ImportFile.insert(ImportFile(batch=batch, content=b"nik,birth_date\n"))
        previews.append(batch)

    # Webhook deliveries: a month-old delivered one goes; a month-old one sent again today, and today's, stay.
    month_old = now - timedelta(days=settings.retain_webhook_deliveries_days + 1)
    endpoint = uuid.uuid4()
    await WebhookEndpoint.insert(
        WebhookEndpoint(id=endpoint, partner=uuid.UUID(till.world.partner_id), url="http://127.0.0.1:9/", events=[],
                        secret_encrypted="-")
    )  # fmt: skip
    for created, status, retry_until in ((month_old, "delivered", month_old), (month_old, "pending", now),
                                         (now, "failed", now)):  # fmt: skip
        await WebhookDelivery.insert(
            WebhookDelivery(id=uuid.uuid4(), endpoint=endpoint, partner=uuid.uuid4(), event_type="webhook.test",
                            payload="{}", status=status, created_at=created, retry_until=retry_until)
        )  # fmt: skip
    # An endpoint its manager deleted two days ago goes, with its log.
    deleted = uuid.uuid4()
    await WebhookEndpoint.insert(
        WebhookEndpoint(id=deleted, partner=uuid.UUID(till.world.partner_id), url="http://127.0.0.1:9/", events=[],
                        secret_encrypted="-", enabled=False, deleted_at=now - timedelta(days=2))
    )  # fmt: skip
    await WebhookDelivery.insert(
        WebhookDelivery(id=uuid.uuid4(), endpoint=deleted, partner=uuid.uuid4(), event_type="webhook.test",
                        payload="{}", status="delivered", created_at=now, retry_until=now)
    )  # fmt: skip

    expected = {"import_previews": 1, "attempts": 1, "idempotency_records": 1, "ended_sessions": 1,
                "webhook_deliveries": 1, "deleted_webhooks": 1, "print_pdfs": 1}  # fmt: skip
    assert await retention.run(settings, dry_run=True) == expected
    sessions = StaffSession.count().where(StaffSession.user == user.id)
    assert (await Attempt.count(), await IdempotencyRecord.count(), await sessions) == (2, 2, 3)
    assert await PrintRun.count().where(PrintRun.pdf.is_not_null()) == 2

    assert await retention.run(settings) == expected
    assert [row["local_date"] for row in await Attempt.select(Attempt.local_date)] == [recent.date()]
    sessions = StaffSession.count().where(StaffSession.user == user.id)
    assert (await IdempotencyRecord.count(), await sessions) == (1, 2)
    assert await PrintRun.count().where(PrintRun.pdf.is_not_null()) == 1
    assert sorted(row["status"] for row in await WebhookDelivery.select(WebhookDelivery.status)) == [
        "failed",
        "pending",
    ]
    assert await PrintRun.count() == 2  # the run's record stays; its credentials go
    assert [row["batch"] for row in await ImportFile.select(ImportFile.batch)] == [previews[1]]
    left = await ImportBatch.select(ImportBatch.status).where(ImportBatch.id == previews[0]).first()
    assert left == {"status": "discarded"}
    assert await AuditEvent.exists().where(AuditEvent.action == "retention.run")
    assert await retention.run(settings) == dict.fromkeys(expected, 0)  # nothing left to do

    # A rebuild of the rollups recounts the days the log still holds and keeps the deleted days' refusals.
    await rollups.rebuild()
    days = sorted(row["day"] for row in await RefusalDaily.select(RefusalDaily.day))
    assert days == [old.date(), recent.date()]
