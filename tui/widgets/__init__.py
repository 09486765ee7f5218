"""Reusable widgets of the scopecard app (each with its own DEFAULT_CSS)."""
