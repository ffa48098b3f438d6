"""Shared plumbing and shared tables: settings, database, stores, staff auth, errors, i18n, audit, regions."""
