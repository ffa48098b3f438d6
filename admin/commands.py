"""CLI of Dukcapil's work: the demo seed."""

from __future__ import annotations

import asyncio

import click


@click.group("demo", help="The Kota Bengkulu demo.")
def demo_group() -> None:
    pass


@demo_group.command("seed", help="Seed the demo (idempotent): Dukcapil staff, partners and their accounts.")
def seed_command() -> None:
    from admin.demo import DEMO_PASSWORD, seed_demo

    accounts = asyncio.run(seed_demo())
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for account in accounts:
        click.echo(f"  {account.username:<22} {account.role.value}")
