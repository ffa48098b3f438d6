"""CLI of Dukcapil's work: registry import, printing credentials, the demo seed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())


@click.group("cards", help="KIA cards: import the SIAK registry, print QR credentials.")
def cards_group() -> None:
    pass


@cards_group.command("import", help="Import a SIAK export (CSV) of issued KIAs.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="The export's date (default today)."
)
@click.option(
    "--city",
    required=True,
    help="The kabupaten/kota code of the Dukcapil office whose export this is, e.g. 31.71: rows of other "
    "kabupaten/kota are refused.",
)
@click.option("--scope", default=None, help="The area the file speaks for (default: the whole kabupaten/kota).")
@click.option(
    "--partial",
    is_flag=True,
    help="Some children only: cards are added or updated, counts without consent are left as they are.",
)
@click.option(
    "--moved",
    is_flag=True,
    help="Mark the scope's cards a full export does not list as moved (default: keep them).",
)
@click.option("--correction", default=None, help="Why this full export corrects figures already shown (audited).")
def import_command(
    file: Path, as_of: object, city: str, scope: str | None, partial: bool, moved: bool, correction: str | None
) -> None:
    from admin.service import registry
    from admin.tables import ImportKind, MissingCards
    from core.errors import Invalid
    from core.settings import get_settings
    from core.stores import Stores

    settings = get_settings()
    day: date = as_of.date() if as_of else settings.today()  # type: ignore[attr-defined]
    content = file.read_bytes()
    with _progress() as progress:
        task = progress.add_task(f"Mengimpor {file.name}", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            batch = asyncio.run(
                registry.import_registry(
                    file.name,
                    content,
                    day,
                    None,
                    settings,
                    Stores(None),
                    progress=advance,
                    city=city,
                    scope=scope,
                    kind=ImportKind.PARTIAL if partial else ImportKind.FULL,
                    missing=MissingCards.MOVED if moved else MissingCards.KEEP,
                    correction_reason=correction,
                )
            )
        except Invalid as error:
            raise click.ClickException("; ".join(p.message.render("en", **p.params) for p in error.problems)) from None
    click.echo(
        f"batch {batch.id}: {batch.total_rows} rows, {batch.created} new cards, {batch.updated} updated, "
        f"{batch.unchanged} unchanged, {batch.aggregated} without consent (counted), {batch.rejected} rejected, "
        f"{batch.not_in_file} active cards of the scope not in the file ({batch.moved} marked moved)"
    )
    if batch.rejected:
        for problem in asyncio.run(registry.problems_of(batch.id, 20)):
            click.echo(f"  row {problem['row_number']}: {problem['field']} {problem['code']}")


@cards_group.command("print", help="Write PNG/SVG per card and a PDF of sticker sheets (QR + manual code only).")
@click.option("--kelurahan", default=None, help="Kelurahan code, e.g. 31.71.01.1001")
@click.option("--batch", "batch_id", type=click.UUID, default=None, help="An import batch id")
@click.option("--card", "card_ids", type=click.UUID, multiple=True, help="A card id (repeatable)")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("var/print"), show_default=True)
@click.option("--no-png", is_flag=True)
@click.option("--no-svg", is_flag=True)
@click.option("--no-pdf", is_flag=True)
def print_command(
    kelurahan: str | None, batch_id: uuid.UUID | None, card_ids: tuple[uuid.UUID, ...], out: Path, no_png: bool,
    no_svg: bool, no_pdf: bool,
) -> None:  # fmt: skip
    from admin.service import printing
    from core.settings import get_settings
    from verification.service.keys import KeyRing

    if not (kelurahan or batch_id or card_ids):
        raise click.UsageError("choose cards with --kelurahan, --batch or --card")
    settings = get_settings()

    async def run() -> printing.PrintJob:
        selected = await printing.select_cards(kelurahan, batch_id, list(card_ids) or None)
        job = printing.PrintJob(
            card_ids=selected,
            png_dir=None if no_png else out / "png",
            svg_dir=None if no_svg else out / "svg",
            pdf_path=None if no_pdf else out / "stickers.pdf",
        )
        with _progress() as progress:
            task = progress.add_task("Mencetak", total=len(selected))
            return await printing.print_cards(
                job, KeyRing(settings), settings, None, lambda n: progress.advance(task, n)
            )

    job = asyncio.run(run())
    click.echo(f"{len(job.card_ids)} cards printed into {out}")


@click.group("demo", help="The demo (admin/demo.py): two cities with their offices, partners and accounts.")
def demo_group() -> None:
    pass


@demo_group.command("seed", help="Seed the demo (idempotent): Dukcapil staff, partners, cards and their accounts.")
@click.option(
    "--registry/--no-registry",
    default=True,
    show_default=True,
    help="Also import the demo's synthetic registry of its first city (about 80,000 KIAs, half a minute).",
)
def seed_command(registry: bool) -> None:
    from admin.demo import DEMO_PASSWORD, seed_demo

    accounts = asyncio.run(seed_demo(with_registry=registry))
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for account in accounts:
        click.echo(f"  {account.username:<22} {account.role.value}")


@click.group("retention", help="Delete what is past its retention period (docs/data-protection.md).")
def retention_group() -> None:
    pass


@retention_group.command(
    "run",
    help="Delete till attempts, idempotency records and ended sessions past their periods, and erase bulk-print "
    "PDFs a day old. Run it daily (cron: 15 1 * * * mitrakia retention run).",
)
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; change nothing.")
def retention_run_command(dry_run: bool) -> None:
    from admin.service import retention
    from core.settings import get_settings

    counts = asyncio.run(retention.run(get_settings(), dry_run=dry_run))
    verb = "would delete" if dry_run else "deleted"
    click.echo(f"retention: {verb} " + ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in counts.items()))
