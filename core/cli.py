"""The `mitrakia` console script: Litestar's CLI on app:create_app, with each layer's commands added."""

from __future__ import annotations

import sys

import click

from core.errors import SettingsError
from core.settings import get_settings

APP_FACTORY = "app:create_app"


def main() -> None:
    try:
        get_settings()
    except SettingsError as error:
        click.echo(f"mitrakia: {error}", err=True)
        sys.exit(2)
    from litestar.cli.main import litestar_group

    litestar_group.help = "Mitra KIA: layanan manfaat mitra untuk pemegang KIA (partner benefits for KIA holders)."
    litestar_group.main(args=["--app", APP_FACTORY, *sys.argv[1:]], prog_name="mitrakia")
