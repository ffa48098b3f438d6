"""Partners, outlets, staff membership, offers and their rules, public catalog."""
