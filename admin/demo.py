"""The demo: a believable Kota Bengkulu built through each layer's own services. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from core.service.users import create_user
from core.tables import Role, StaffUser

DEMO_PASSWORD = "demo"  # noqa: S105 - the documented password of demo accounts, never of real ones


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    role: Role
    display_name: str


DUKCAPIL_ACCOUNTS = (
    DemoAccount("dukcapil", Role.DUKCAPIL_ADMIN, "Petugas Dukcapil Kota Bengkulu"),
    DemoAccount("analis", Role.DUKCAPIL_ANALYST, "Analis Data Dukcapil"),
)
PARTNER_ACCOUNTS = (
    DemoAccount("gramedia.manajer", Role.PARTNER_MANAGER, "Manajer Gramedia Bengkulu"),
    DemoAccount("gramedia.kasir", Role.CASHIER, "Kasir Gramedia Bengkulu"),
)


async def ensure_account(account: DemoAccount) -> bool:
    """Create the account unless it exists; True if it was created."""
    if await StaffUser.exists().where(StaffUser.username == account.username):
        return False
    await create_user(
        account.username, DEMO_PASSWORD, account.role, account.display_name, enforce_password_policy=False
    )
    return True


async def seed_demo() -> list[DemoAccount]:
    """Seed everything the demo shows; returns the demo accounts (all with password `demo`)."""
    accounts = [*DUKCAPIL_ACCOUNTS, *PARTNER_ACCOUNTS]
    for account in accounts:
        await ensure_account(account)
    return accounts
