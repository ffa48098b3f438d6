"""CLI: serve the app, run migrations, manage staff accounts, import region codes."""

from __future__ import annotations

import asyncio
import errno
import socket
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from core.settings import Settings, get_settings
from core.tables import DUKCAPIL_ROLES, Role

SERVERS = ("granian", "uvicorn")


@click.command("serve", help="Serve the app (production settings; no reload).")
@click.option("--host", default=None, help="Default: MITRAKIA_HOST (127.0.0.1).")
@click.option("--port", type=int, default=None, help="Default: MITRAKIA_PORT (8000).")
@click.option("--workers", type=int, default=None, help="Default: MITRAKIA_WORKERS (1).")
@click.option(
    "--server",
    type=click.Choice(SERVERS),
    default="granian",
    show_default=True,
    help="The ASGI server: granian, picked by bench/load (docs/performance.md); uvicorn as before.",
)
def serve_command(host: str | None, port: int | None, workers: int | None, server: str) -> None:
    from core.logs import configure_logging

    settings = get_settings()
    configure_logging(settings)
    host, port, workers = host or settings.host, port or settings.port, workers or settings.workers
    _refuse_an_address_in_use(host, port)
    if server == "granian":
        _serve_granian(settings, host, port, workers)
        return
    import uvicorn

    # uvicorn restarts a dead worker itself when workers > 1 (with one, its only process is the server).
    uvicorn.run(
        "app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        access_log=False,
        log_config=None,
        server_header=False,
    )


def _refuse_an_address_in_use(host: str, port: int) -> None:
    """Exit with one line on stderr when something already listens on host:port.

    granian binds each worker's socket with SO_REUSEPORT and has no option to stop it, so a second granian on the
    port would not fail: it would share the connections with the first, whose sign-ins it does not know. uvicorn
    does fail, but only after starting the app, in several log lines. A socket bound without SO_REUSEPORT finds out
    first; SO_REUSEADDR keeps the last run's connections in TIME_WAIT from blocking a restart. It is closed before
    the server binds, so two serves started in the same instant can still both pass.
    """
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        family, kind, proto, _, sockaddr = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(sockaddr)
            probe.listen()
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            problem = (
                f"{address} is already in use (another mitrakia serve?); stop it or choose another port with --port"
            )
        else:
            problem = f"cannot listen on {address}: {error.strerror or error}"
        click.echo(f"mitrakia: {problem}", err=True)
        sys.exit(1)


def _serve_granian(settings: Settings, host: str, port: int, workers: int) -> None:
    """Granian with the settings uvicorn gets above: HTTP/1.1 on uvloop, no websockets, no access log (ours logs
    every request), X-Forwarded-* trusted only from MITRAKIA_FORWARDED_ALLOW_IPS.

    A worker that dies (killed, out of memory) is replaced instead of stopping the server. granian gives up, with
    exit status 1, when a worker dies within 5.5 s of its respawn, so an app that cannot start (database down)
    still stops the server: after one retry with one worker; with several, a few rounds, since granian forgets
    earlier respawns at each new one (4 to 13 s with two workers here). respawn_interval does not apply: it paces
    only the graceful respawns of reloads, worker lifetimes and memory limits."""
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.log import LogLevels
    from granian.server import Server

    Server(
        "core.commands:granian_app",
        factory=True,
        address=host,
        port=port,
        workers=workers,
        interface=Interfaces.ASGI,
        loop=Loops.uvloop,
        http=HTTPModes.http1,
        websockets=False,
        log_level=LogLevels.warning,
        log_access=False,
        respawn_failed_workers=True,
    ).serve()


def granian_app() -> Any:
    """The app as granian serves it: behind the proxy-header handling uvicorn does itself."""
    import importlib

    from granian.utils.proxies import wrap_asgi_with_proxy_headers

    from core.cli import APP_FACTORY

    module, factory = APP_FACTORY.split(":")
    app = getattr(importlib.import_module(module), factory)()
    return wrap_asgi_with_proxy_headers(app, trusted_hosts=get_settings().forwarded_allow_ips)


@click.command("migrate", help="Apply every pending database migration (SQLite or PostgreSQL).")
def migrate_command() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards
    from piccolo.engine.sqlite import SQLiteEngine

    from core.database.engine import engine, prepare_sqlite

    async def run() -> bool:
        db = engine()
        if isinstance(db, SQLiteEngine):
            await prepare_sqlite(db)
        result = await run_forwards(app_name="all", migration_id="all", fake=False)
        return bool(result.success)

    if not asyncio.run(run()):
        click.echo("mitrakia: migrations failed", err=True)
        sys.exit(1)


@click.group("users", help="Staff accounts.")
def users_group() -> None:
    pass


@users_group.command("create", help="Create a staff account (the password is asked for unless --password-stdin).")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--display-name", required=True)
@click.option(
    "--region",
    default=None,
    help="A Dukcapil account's work area: its office's kabupaten/kota code (31.71), a province code (31); "
    "leave out for a national (Ditjen) account.",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(username: str, role: str, display_name: str, region: str | None, password_stdin: bool) -> None:
    from core.errors import DomainError
    from core.service.users import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = asyncio.run(create_user(username, password, Role(role), display_name, region=region))
    except DomainError as error:
        click.echo(f"mitrakia: {_describe(error)}", err=True)
        sys.exit(1)
    reach = f", {user.region or 'national'}" if user.role in DUKCAPIL_ROLES else ""
    click.echo(f"created {user.username} ({user.role.value}{reach}) id={user.id}")


@users_group.command("disable", help="Disable a staff account and end its sessions.")
@click.option("--username", required=True)
def disable_user_command(username: str) -> None:
    from core.service.users import disable_by_username

    if not asyncio.run(disable_by_username(username)):
        click.echo(f"mitrakia: no account named {username}", err=True)
        sys.exit(1)
    click.echo(f"disabled {username}")


@click.group("regions", help="Kemendagri region codes (kode wilayah).")
def regions_group() -> None:
    pass


@regions_group.command(
    "import",
    help="Load or update the region codes from FILE (CSV or CSV.gz, the columns of the shipped file; default: the "
    "shipped core/data/regions_indonesia.csv.gz). Codes the file lacks are retired, never deleted.",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False)
@click.option(
    "--effective",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day the file's decree takes effect: new codes in force from it, retired ones until it (default today).",
)
@click.option(
    "--allow-many-retired", is_flag=True, help="Retire more than 1% of the codes in force if the file says so."
)
def import_regions_command(file: Path | None, effective: datetime | None, allow_many_retired: bool) -> None:
    from core.errors import DomainError
    from core.service import region_import, regions

    path = file or region_import.SHIPPED_FILE
    day = effective.date() if effective else regions.today()
    try:
        result = asyncio.run(
            region_import.import_regions(path.read_bytes(), path.name, day, allow_many_retired=allow_many_retired)
        )
    except DomainError as error:
        click.echo(f"mitrakia: {path.name}: {_describe(error)}", err=True)
        sys.exit(1)
    counts = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in result.counts().items())
    click.echo(f"{path.name} (effective {day.isoformat()}): {counts}")
    if not result.changed:
        click.echo("nothing to change: the regions already match the file")


@click.group("audit", help="The audit log.")
def audit_group() -> None:
    pass


@audit_group.command(
    "verify",
    help="Recompute the audit log's hash chain from the first event: exits 0 when every event matches, 1 naming the "
    "first event that was changed, inserted or removed.",
)
def verify_audit_command() -> None:
    from core.service.audit import verify_chain

    check = asyncio.run(verify_chain())
    if check.broken_at is not None:
        click.echo(
            f"mitrakia: the audit log's chain is broken at event {check.broken_at} ({check.reason} does not match): "
            "that event, or the one before it, was changed, inserted or removed",
            err=True,
        )
        sys.exit(1)
    click.echo(f"audit log intact: {check.events} events, every hash matches")


def _describe(error: Exception) -> str:
    from core.errors import DomainError, Invalid

    if isinstance(error, Invalid):
        return "; ".join(f"{p.field}: {p.message.render('en', **p.params)}" for p in error.problems)
    if isinstance(error, DomainError):
        return error.render_detail("en")
    return str(error)
