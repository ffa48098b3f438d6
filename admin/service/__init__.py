"""Dukcapil's services, one module per sub-topic: staff accounts, the registry import, printing, demo data."""
