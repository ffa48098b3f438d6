"""CLI of the partners layer: see partners and their offers from a shell."""

from __future__ import annotations

import asyncio

import click
from rich.console import Console
from rich.table import Table


@click.group("partners", help="Partners and their offers.")
def partners_group() -> None:
    pass


@partners_group.command("list", help="Every partner with its status and offers.")
def list_command() -> None:
    from partners.service import offers, onboarding

    async def gather() -> list[tuple[dict[str, object], list[str]]]:
        rows = []
        for partner in await onboarding.list_partners():
            offer_lines = [f"{o.status.value}: {o.rules.title}" for o in await offers.list_offers(partner["id"])]
            rows.append((partner, offer_lines))
        return rows

    table = Table("partner", "status", "offers")
    for partner, offer_lines in asyncio.run(gather()):
        table.add_row(str(partner["name"]), str(partner["status"]), "\n".join(offer_lines) or "-")
    Console().print(table)
