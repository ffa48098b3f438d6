"""Verification services, one module per sub-topic: keys, credentials, cards (and later scan and redeem)."""
