"""Dukcapil's work: registry, printing, revocation, keys, moderation, reports, staff accounts."""
