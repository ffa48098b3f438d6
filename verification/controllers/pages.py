"""HTML for the cashier app at /kasir: one page; the app itself runs in the browser against the till API."""

from __future__ import annotations

from litestar import Controller, get
from litestar.response import Template

from core.auth import PUBLIC


class CashierPage(Controller):
    path = "/kasir"
    opt = {PUBLIC: True}
    include_in_schema = False

    @get("/", name="cashier_app")
    async def app(self) -> Template:
        return Template("kasir/index.html")
