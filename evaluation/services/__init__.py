"""State changes. Each runs in one transaction and records who did it."""
