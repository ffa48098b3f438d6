"""CLI of the verification layer: signing keys, and the rollups behind the reports."""

from __future__ import annotations

import asyncio

import click
from rich.console import Console
from rich.table import Table


@click.group("keys", help="Signing keys of card credentials.")
def keys_group() -> None:
    pass


@keys_group.command("rotate", help="Create a key and make it the active one (the previous one retires).")
def rotate_command() -> None:
    from core.settings import get_settings
    from verification.service import keys

    kid = asyncio.run(keys.rotate(get_settings(), None))
    click.echo(f"active key: {kid}")


@keys_group.command("list", help="Keys and their states.")
def list_command() -> None:
    from verification.service import keys

    table = Table("status", "created", "activated", "retired", "revoked")
    table.add_column("kid", no_wrap=True)
    for key in asyncio.run(keys.list_keys()):
        moments = (key.created_at, key.activated_at, key.retired_at, key.revoked_at)
        table.add_row(key.status.value, *[f"{moment:%Y-%m-%d}" if moment else "-" for moment in moments], key.kid)
    Console().print(table)


@keys_group.command("revoke", help="Stop trusting a key (it leaked): every card it signed must be reissued.")
@click.argument("kid")
@click.confirmation_option(prompt="Credentials signed by this key will stop verifying. Continue?")
def revoke_command(kid: str) -> None:
    from verification.service import keys

    asyncio.run(keys.revoke_key(kid, None))
    click.echo(f"revoked: {kid}")


@click.group("reports", help="The rollups every report reads.")
def reports_group() -> None:
    pass


@reports_group.command(
    "rebuild",
    help="Recount every rollup from the raw tables (after a bulk load or a restore; the app keeps them current "
    "by itself). Runs in one transaction: reports show the old figures until it commits.",
)
def rebuild_command() -> None:
    import time

    from verification.service import rollups

    started = time.perf_counter()
    asyncio.run(rollups.rebuild())
    click.echo(f"rollups rebuilt in {time.perf_counter() - started:.1f} s")
