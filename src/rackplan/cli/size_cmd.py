"""(filled in by its command)."""
