"""Partners services, one module per sub-topic: onboarding, outlets, staff, offers, catalog, API keys, access."""
