"""The attempt log read for disputes and fraud: refusals by reason per outlet and cashier, voids per cashier, the
share of typed manual codes, velocity flags and throttles, with the attempts behind each figure. For a partner's
manager (their outlets) and Dukcapil (the outlets in their reach). Never a child: no card, no holder."""

from __future__ import annotations

import statistics
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from core.localtime import check_days, format_local
from core.offices import narrowed
from core.settings import Settings
from partners.tables import Offer, Outlet
from verification.service import attempts as attempt_log
from verification.service.history import actor_names
from verification.tables import Attempt, Redemption

# A cashier voiding at least this many times the median of their outlet's cashiers (and at least MIN_OUTLIER_VOIDS
# times) is highlighted for review.
OUTLIER_FACTOR = 5
MIN_OUTLIER_VOIDS = 3
DRILL_DOWN_LIMIT = 500


@dataclass(frozen=True)
class Window:
    date_from: date
    date_until: date
    partner: uuid.UUID | None = None  # a manager's partner
    scope: str | None = None  # Dukcapil's reach (outlets located within it); None: every outlet


DEFAULT_DAYS = 31


def window(
    settings: Settings, first: date | None, last: date | None, partner: uuid.UUID | None = None,
    scope: str | None = None,
) -> Window:  # fmt: skip
    """The review's days: up to today (a dispute is about today too), DEFAULT_DAYS back unless asked."""
    check_days({"from": first, "until": last})
    last = last or settings.today()
    return Window(first or last - timedelta(days=DEFAULT_DAYS), last, partner, scope)


async def _outlets(window: Window) -> dict[uuid.UUID, dict[str, Any]]:
    query = Outlet.select(Outlet.id, Outlet.name, Outlet.partner, Outlet.timezone)
    if window.partner is not None:
        query = query.where(Outlet.partner == window.partner)
    rows = await narrowed(query, Outlet.kelurahan_code, window.scope)
    return {row["id"]: row for row in rows}


async def _attempts(window: Window, outlets: list[uuid.UUID], **where: Any) -> list[dict[str, Any]]:
    await attempt_log.catch_up()  # this worker's buffered attempts too (other workers' within a second)
    if not outlets:
        return []
    query = Attempt.select(
        Attempt.occurred_at, Attempt.kind, Attempt.outcome, Attempt.reason_code, Attempt.outlet, Attempt.offer,
        Attempt.staff_user, Attempt.api_key, Attempt.device_id, Attempt.redemption, Attempt.manual_code,
    ).where(
        Attempt.outlet.is_in(outlets) & (Attempt.local_date >= window.date_from)
        & (Attempt.local_date <= window.date_until)
    )  # fmt: skip
    for name, value in where.items():
        if value is not None:
            query = query.where(getattr(Attempt, name) == value)
    return await query.order_by(Attempt.occurred_at, ascending=False)  # buffered rows are written late: by time


def _actor(row: dict[str, Any]) -> uuid.UUID | None:
    actor: uuid.UUID | None = row["staff_user"] or row["api_key"]
    return actor


async def summary(window: Window) -> dict[str, Any]:
    """Per outlet and cashier: scans, redemptions, refusals by reason, voids (and refused voids), manual-code share,
    velocity flags and throttles, redemptions confirmed offline over a limit; cashiers whose voids stand out are
    flagged `outlier`."""
    outlets = await _outlets(window)
    rows = await _attempts(window, list(outlets))
    cells: dict[tuple[uuid.UUID, uuid.UUID | None], dict[str, Any]] = {}
    for row in rows:
        cell = cells.setdefault(
            (row["outlet"], _actor(row)),
            {"scans": 0, "redemptions": 0, "voids": 0, "refused_voids": 0, "velocity_flags": 0, "throttles": 0,
             "offline_over_limit": 0, "typed": 0, "presented": 0, "refusals": Counter(), "seen": set()},
        )  # fmt: skip
        kind, outcome = row["kind"], row["outcome"]
        # One scan writes a row per offer, at one moment: a scan (or redeem) is counted once, by that moment.
        presented = (kind, row["occurred_at"])
        if kind in {"scan", "redeem"} and presented not in cell["seen"]:
            cell["seen"].add(presented)
            cell["scans"] += kind == "scan"
            if row["manual_code"] is not None:
                cell["presented"] += 1
                cell["typed"] += bool(row["manual_code"])
        if kind == "redeem" and outcome == "redeemed":
            cell["redemptions"] += 1
        elif kind == "void" and outcome == "voided":
            cell["voids"] += 1
        elif kind == "void" and outcome == "refused":
            cell["refused_voids"] += 1
        elif outcome == "flagged":
            cell["velocity_flags"] += 1
        elif outcome == "throttled":
            cell["throttles"] += 1
        elif outcome == "over_limit":
            cell["offline_over_limit"] += 1
        elif outcome == "refused" and row["reason_code"]:
            cell["refusals"][row["reason_code"]] += 1
    names = await actor_names({actor for _, actor in cells if actor})
    by_outlet: dict[uuid.UUID, dict[uuid.UUID | None, int]] = {}
    for (outlet, actor), cell in cells.items():
        by_outlet.setdefault(outlet, {})[actor] = cell["voids"]
    result = []
    for (outlet, actor), cell in sorted(cells.items(), key=lambda item: (outlets[item[0][0]]["name"], str(item[0][1]))):
        # Against the median of the outlet's other cashiers (at least 1): with two or three cashiers, a median that
        # counts the cashier's own voids would hide them. A cashier alone at an outlet has no one to compare with.
        others = [voids for other, voids in by_outlet[outlet].items() if other != actor]
        outlier = (
            bool(others)
            and cell["voids"] >= MIN_OUTLIER_VOIDS
            and (cell["voids"] >= OUTLIER_FACTOR * max(statistics.median(others), 1))
        )
        result.append(
            {
                "outlet_id": str(outlet),
                "outlet_name": outlets[outlet]["name"],
                "cashier_id": str(actor) if actor else None,
                "cashier": names.get(actor, "—") if actor else "—",
                "scans": cell["scans"],
                "redemptions": cell["redemptions"],
                "voids": cell["voids"],
                "refused_voids": cell["refused_voids"],
                "velocity_flags": cell["velocity_flags"],
                "throttles": cell["throttles"],
                "offline_over_limit": cell["offline_over_limit"],
                "manual_code_share_percent": round(100 * cell["typed"] / cell["presented"])
                if cell["presented"]
                else None,
                "refusals": dict(sorted(cell["refusals"].items())),
                "outlier": outlier,
            }
        )
    return {"from": window.date_from.isoformat(), "until": window.date_until.isoformat(), "rows": result}


async def attempts(
    window: Window,
    outlet: uuid.UUID | None = None,
    cashier: uuid.UUID | None = None,
    kind: str | None = None,
    outcome: str | None = None,
    reason_code: str | None = None,
) -> list[dict[str, Any]]:
    """The attempts behind a summary figure, newest first (at most DRILL_DOWN_LIMIT): when, what, where, who, on
    which device and offer, the receipt of a redemption or void. Never the card."""
    outlets = await _outlets(window)
    if outlet is not None and outlet not in outlets:
        return []
    rows = await _attempts(
        window, [outlet] if outlet else list(outlets), kind=kind, outcome=outcome, reason_code=reason_code
    )
    if cashier is not None:
        rows = [row for row in rows if _actor(row) == cashier]
    rows = rows[:DRILL_DOWN_LIMIT]
    names = await actor_names({actor for row in rows if (actor := _actor(row))})
    offers = [row["offer"] for row in rows if row["offer"]]
    titles: dict[uuid.UUID, str] = {}
    if offers:
        titles = {o["id"]: o["title"] for o in await Offer.select(Offer.id, Offer.title).where(Offer.id.is_in(offers))}
    made = [row["redemption"] for row in rows if row["redemption"]]
    receipts: dict[uuid.UUID, str] = {}
    if made:
        receipts = {
            r["id"]: r["receipt_code"]
            for r in await Redemption.select(Redemption.id, Redemption.receipt_code).where(Redemption.id.is_in(made))
        }
    return [
        {
            "occurred_at": _local(row["occurred_at"], outlets[row["outlet"]]["timezone"]),
            "kind": row["kind"],
            "outcome": row["outcome"],
            "reason_code": row["reason_code"],
            "outlet_name": outlets[row["outlet"]]["name"],
            "cashier": names.get(_actor(row), "—") if _actor(row) else "—",  # type: ignore[arg-type]
            "device_id": row["device_id"],
            "offer_title": titles.get(row["offer"]),
            "receipt_code": receipts.get(row["redemption"]),
            "manual_code": row["manual_code"],
        }
        for row in rows
    ]


def _local(moment: datetime, zone: str) -> str:
    return format_local(moment, zone)
