"""Core services: staff users and sessions, the audit log, regions."""
